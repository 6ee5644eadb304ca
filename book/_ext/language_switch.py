"""A link on every page to the same page in the other edition.

The English site is ``_build/html``; the Chinese edition, built from the same sources, is
copied into its ``zh_CN/`` folder, so a page ``book/x.html`` has its translation at
``zh_CN/book/x.html``. Each page gets a switch at the top of its content and a
``<link rel="alternate" hreflang>`` in its head (for search engines and screen readers).
"""
from __future__ import annotations

import html

# Inline, so the switch needs no stylesheet of its own: a small link at the top right of the content.
STYLE = "text-align: right; font-size: 0.9em; margin-bottom: 0.5em"
# language code -> (folder under the English site, the edition's name in its own language, BCP 47 tag)
EDITIONS = {"en": ("", "English", "en"), "zh_CN": ("zh_CN/", "中文", "zh-CN")}


def counterpart_href(pagename: str, language: str, target: str) -> str:
    """Relative URL from ``pagename`` in ``language`` to the same page in ``target``.

    >>> counterpart_href("book/part1_background/01_what_is_deep_learning", "en", "zh_CN")
    '../../zh_CN/book/part1_background/01_what_is_deep_learning.html'
    >>> counterpart_href("book/intro", "zh_CN", "en")
    '../../book/intro.html'
    """
    up = pagename.count("/") + (1 if EDITIONS[language][0] else 0)
    return "../" * up + EDITIONS[target][0] + pagename + ".html"


def _language(app) -> str:
    language = app.config.language or "en"
    return language if language in EDITIONS else "en"


def _add_switch(app, pagename, templatename, context, doctree):
    language = _language(app)
    links = []
    for target, (_, name, tag) in EDITIONS.items():
        if target == language:
            continue
        href = html.escape(counterpart_href(pagename, language, target))
        links.append(f'<a class="language-switch-link" href="{href}" hreflang="{tag}" lang="{tag}">{name}</a>')
        context["metatags"] = context.get("metatags", "") + f'\n<link rel="alternate" hreflang="{tag}" href="{href}" />'
    if "body" in context:
        context["body"] = f'<nav class="language-switch" aria-label="Language" style="{STYLE}">{" ".join(links)}</nav>\n' + context["body"]


def setup(app):
    app.connect("html-page-context", _add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
