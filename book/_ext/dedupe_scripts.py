"""Drop script tags that appear twice on a page.

sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``)
each time Sphinx fires ``env-before-read-docs``, which happens more than once in a
Jupyter Book build. Every page then declares the same ``const`` twice and the browser
throws "Identifier 'THEBE_JS_URL' has already been declared" (caught by
tests/test_site.py). Keeping the first of identical script entries fixes every page.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # The twin entries differ only in filename None vs "" (both mean "inline body").
        filename = getattr(js, "filename", js) or ""
        key = (filename, tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
