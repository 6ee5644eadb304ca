"""Translate the part captions of ``_toc.yml`` in a translated edition.

Sphinx's Locale transform (priority 20) translates a page's text, but sphinx-external-toc
inserts the root page's toctrees later (priority 100), so their captions ("Part 1 —
Background", ...) would stay English in the sidebar although the catalog translates them.
This transform runs right after the toctrees exist and looks the captions up in the page's
own catalog, as the Locale transform does for the rest of the page.
"""
from __future__ import annotations

from os import path

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain


class TranslateTocCaptions(SphinxTransform):
    default_priority = 101  # right after sphinx_external_toc's InsertToctrees (100)

    def apply(self, **kwargs):
        if self.config.language in (None, "", "en"):
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        catalog, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            if toctree.get("caption"):
                toctree["caption"] = toctree["rawcaption"] = catalog.gettext(toctree["caption"])


def setup(app):
    app.add_transform(TranslateTocCaptions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
