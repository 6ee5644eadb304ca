"""The Chinese edition never drifts from the English one.

Sphinx's gettext builder extracts every translatable string of the book (``make book``
writes the templates to ``_build/catalogs/_build/gettext``); ``locale/zh_CN`` holds one
catalog per page. These tests fail, naming the page and the string, when a string of the
English book has no Chinese translation, when a translation is fuzzy (its English changed
since it was translated), and when a translation drops or alters what must stay exactly as
it is: code, math, citations, cross-references and link targets. An English edit therefore
lands only with its Chinese update (README, "Editing the translations").

Check one catalog while translating:  python tests/test_translation.py locale/zh_CN/LC_MESSAGES/book/intro.po
"""
from __future__ import annotations

import pathlib
import re
import sys
from collections import Counter

import pytest
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "_build" / "catalogs" / "_build" / "gettext"
CATALOGS = ROOT / "locale" / "zh_CN" / "LC_MESSAGES"

ROLE = re.compile(r"\{([\w:]+)\}`([^`]*)`")
CODE = re.compile(r"(?<![}`])(`+)(?!`)(.+?)(?<!`)\1(?!`)")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")
TEXT_IN_MATH = re.compile(r"\\text\{[^{}]*\}")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
URL = re.compile(r"https?://[^\s)>\]]+")
FIGURE = re.compile(r"^\*\*Figure (\d+):\*\*")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Roles whose text a translation may change: only the target after "<" must stay.
TEXT_ROLES = {"doc", "ref", "numref"}


def _roles(text: str) -> Counter:
    found = Counter()
    for role, content in ROLE.findall(text):
        target = re.search(r"<([^>]+)>\s*$", content)
        found[(role, target.group(1) if role in TEXT_ROLES and target else content)] += 1
    return found


def _code(text: str) -> Counter:
    return Counter(m.group(2) for m in CODE.finditer(ROLE.sub("", text)))


def _math(text: str) -> Counter:
    """Display and inline formulas, with the words in their ``\\text{...}`` left free to translate."""
    rest = DISPLAY_MATH.sub("", text)
    formulas = DISPLAY_MATH.findall(text) + INLINE_MATH.findall(CODE.sub("", ROLE.sub("", rest)))
    return Counter(TEXT_IN_MATH.sub(r"\\text{}", formula) for formula in formulas)


PRESERVED = {
    "citations and cross-references": _roles,
    "code": _code,
    "math": _math,
    "link targets": lambda text: Counter(LINK_TARGET.findall(text)),
    "web addresses": lambda text: Counter(URL.findall(text)),
}


def problems(english: str, chinese: str) -> list[str]:
    """What a translation changed that must stay as it is (empty when it is faithful).

    >>> problems("Use `fit` with $\\\\eta$ {cite:p}`kingma2015adam`.", "使用 `fit` 和 $\\\\eta$ {cite:p}`kingma2015adam`。")
    []
    >>> problems("See [the API](api.md).", "见 [API](other.md)。")
    ["link targets: expected ['api.md'], got ['other.md']"]
    """
    found = []
    for what, extract in PRESERVED.items():
        expected, got = extract(english), extract(chinese)
        if expected != got:
            found.append(f"{what}: expected {sorted(expected.elements())}, got {sorted(got.elements())}")
    prose = INLINE_MATH.sub("", DISPLAY_MATH.sub("", CODE.sub("", ROLE.sub("", chinese))))
    if CJK.search(prose) and '"' in prose:
        found.append('quotes: ASCII " in Chinese prose (write “…”; ASCII quotes belong only in code)')
    figure = FIGURE.match(english)
    if figure and not chinese.startswith(f"**图 {figure.group(1)}：**"):
        found.append(f"figure caption: expected to start with '**图 {figure.group(1)}：**'")
    return found


def _catalog(path: pathlib.Path):
    with path.open("rb") as f:
        return read_po(f)


def _templates() -> list[pathlib.Path]:
    # `make catalogs` (run by `make book`, `make test` and `make unit`) writes them.
    return sorted(TEMPLATES.rglob("*.pot"))


def _pages() -> list[str]:
    return [str(p.relative_to(TEMPLATES).with_suffix("")) for p in _templates()]


def test_the_templates_cover_the_book():
    assert TEMPLATES.exists(), f"no translation templates in {TEMPLATES.relative_to(ROOT)}: run `make catalogs`"
    pages = set(_pages())
    assert {"book/intro", "book/appendices/glossary", "book/part1_background/01_what_is_deep_learning"} <= pages
    assert len(pages) >= 35, f"only {len(pages)} pages have translatable strings"


@pytest.mark.parametrize("page", _pages())
def test_every_string_is_translated(page):
    catalog_path = CATALOGS / f"{page}.po"
    assert catalog_path.exists(), f"{page}: no catalog {catalog_path.relative_to(ROOT)} (run `make translations`)"
    catalog = _catalog(catalog_path)
    assert not catalog.fuzzy, f"{page}: the catalog's header is marked fuzzy (an unfinished catalog)"
    found = [f"{message.id[:70]!r}: {issue}" for message in _catalog(TEMPLATES / f"{page}.pot") if message.id
             for issue in issues(message.id, catalog.get(message.id))]
    assert not found, f"{page}: {len(found)} strings untranslated, fuzzy (English changed) or altering what must stay:\n" \
        + "\n".join(found[:10])


def test_no_catalog_without_a_page():
    pages = set(_pages())
    orphans = [str(p.relative_to(CATALOGS)) for p in CATALOGS.rglob("*.po") if str(p.relative_to(CATALOGS).with_suffix("")) not in pages]
    assert not orphans, f"catalogs for pages that no longer exist: {orphans}"


@pytest.mark.parametrize("english, chinese, what", [
    ("Call `fit` now.", "现在调用 fit。", "code"),
    ("As {cite:t}`lecun2015deep` show.", "如 LeCun 等所示。", "citations and cross-references"),
    ("See {doc}`the glossary <appendices/glossary>`.", "见{doc}`术语表 <appendices/notation>`。",
     "citations and cross-references"),
    ("The rate $\\eta$ is small.", "学习率 η 很小。", "math"),
    ("$$L = \\frac{1}{n}$$", "$$L = \\frac{1}{m}$$", "math"),
    ("See {cite:p}`a` and `x` where $n$ is large.", "见 {cite:p}`a` 与 `x`，其中 $m$ 很大。", "math"),
    ("Read [this](https://example.org/a).", "阅读[这里](https://example.org/b)。", "link targets"),
    ("**Figure 3:** The loss.", "**图 2：** 损失。", "figure caption"),
    ('A "valid" convolution.', '"valid" 卷积。', "quotes"),
])
def test_problems_catches_a_changed_or_dropped_element(english, chinese, what):
    assert any(p.startswith(what) for p in problems(english, chinese)), problems(english, chinese)


def test_problems_allows_translated_words_inside_math():
    assert problems(r"$$L = \text{loss of the batch}$$", r"$$L = \text{小批量的损失}$$") == []


def test_problems_allows_translated_reference_text():
    assert problems("See {doc}`the glossary <appendices/glossary>` and {ref}`the rule <split-rule>`.",
                    "见{doc}`术语表 <appendices/glossary>`和{ref}`规则 <split-rule>`。") == []


def issues(english: str, translated) -> list[str]:
    """Why the catalog entry ``translated`` (or None) is not a finished, faithful translation of ``english``."""
    if translated is None or not translated.string:
        return ["untranslated"]
    if translated.fuzzy:
        return ["fuzzy"]
    return problems(english, translated.string)


def _check(path: pathlib.Path) -> int:
    """Print every untranslated, fuzzy or unfaithful string of one catalog; return their number."""
    found = [(message.id, issue) for message in _catalog(path) if message.id for issue in issues(message.id, message)]
    for english, issue in found:
        print(f"{path.name}: {english[:80]!r}: {issue}")
    return len(found)


if __name__ == "__main__":
    sys.exit(1 if sum(_check(pathlib.Path(p)) for p in sys.argv[1:]) else 0)
