"""The built site, looked at the way a reader sees it: in a real browser.

Serves ``_build/html`` on 127.0.0.1 and drives Debian's Chromium through Playwright
(``executable_path``; Playwright never downloads a browser here). For every page in the
table of contents it asserts: HTTP 200, no failed or outside request (the site must work
offline), no console error, every image loaded, every formula typeset by the bundled
MathJax, every internal link and anchor resolving, a title and the theme's navigation. Each
JavaScript animation (the players of ``dlcourse.diagrams.animation``) shows its first frame,
labels its buttons without an icon font, and moves to other frames when Play is pressed.
A full-page screenshot of each page lands in ``_build/screenshots/`` for review.

The Chinese edition (``_build/html/zh_CN/``, built from the same sources through the
``locale/zh_CN`` catalogs) gets every one of these checks too, and more: its pages are
in Chinese, every page of both editions links to the same page in the other, and Chinese
search (jieba) finds Chinese terms.
"""
from __future__ import annotations

import functools
import http.server
import pathlib
import re
import subprocess
import threading
import urllib.parse

import pytest

from test_notebooks import ROOT, toc_documents

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# pydata-sphinx-theme logs this on a reader's first visit (no stored light/dark choice yet).
THEME_FIRST_VISIT = "Got invalid theme mode"

PAGES = sorted(str(p.relative_to(ROOT).with_suffix(".html")) for p in toc_documents())
# Each edition's folder under the site, the language its <html lang> declares, and how it says "Learning objectives".
EDITIONS = {"en": ("", "en", "Learning objectives"), "zh_CN": ("zh_CN/", "zh-CN", "学习目标")}
EDITION_PAGES = [(edition, rel) for edition in EDITIONS for rel in PAGES]
CJK = re.compile(r"[\u4e00-\u9fff]")
# The JavaScript animations (dlcourse.diagrams.animation) on each page, by player name.
ANIMATIONS = {
    "book/part3_algorithms/03_gradient_descent_learning_rate.html": ["lr_paths"],
    "book/part3_algorithms/05_convolution_and_pooling.html": ["conv_slide"],
}
PART_PAGES = [p for p in PAGES if re.match(r"book/part\d", p)]


def _site_is_stale() -> bool:
    index = HTML / ".buildinfo"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [ROOT / "_config.yml", ROOT / "_toc.yml", *ROOT.joinpath("book").rglob("*.*"),
               *ROOT.joinpath("locale").rglob("*.po")]
    return any(p.stat().st_mtime > built for p in sources if "_build" not in p.parts)


@pytest.fixture(scope="module")
def site():
    if _site_is_stale() or not (HTML / "zh_CN" / "index.html").exists():
        subprocess.run(["make", "book"], cwd=ROOT, check=True, capture_output=True, timeout=1800)
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Debian's Chromium is missing: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@functools.lru_cache(maxsize=None)
def _ids_in(path: pathlib.Path) -> frozenset:
    return frozenset(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))


def _visit(browser, url: str):
    """Open ``url``; return the page and the problems seen while loading it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    origin = urllib.parse.urlsplit(url).netloc
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.on("request", lambda r: urllib.parse.urlsplit(r.url).scheme in ("http", "https")
            and urllib.parse.urlsplit(r.url).netloc != origin and problems.append(f"outside request: {r.url}"))
    page.on("console", lambda m: m.type == "error" and THEME_FIRST_VISIT not in m.text
            and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    # MathJax typesets asynchronously; wait until it says it is done.
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, problems


def _solutions(page):
    """For every solution cell (tagged hide-cell): is it collapsed, and is its code and output visible?"""
    return page.evaluate("""() => [...document.querySelectorAll('.tag_hide-cell')].map(cell => {
        const details = cell.querySelector('details');
        // checkVisibility: a closed <details> keeps its content laid out (content-visibility: hidden)
        const shown = sel => [...cell.querySelectorAll(sel)].some(e => e.checkVisibility());
        return {inside: !!details && [...cell.querySelectorAll('.cell_input, .cell_output')]
                            .every(e => details.contains(e)),
                open: !!details && details.open, outputs: cell.querySelectorAll('.cell_output').length,
                input_shown: shown('.cell_input'), output_shown: shown('.cell_output')};
    })""")


def _check_solutions_collapsed(page, rel):
    """A solution's code *and* output stay hidden until the reader opens it, then both show."""
    before = _solutions(page)
    for i, s in enumerate(before):
        assert s["inside"], f"{rel}: solution {i} has code or output outside its collapsible block"
        assert not (s["open"] or s["input_shown"] or s["output_shown"]), f"{rel}: solution {i} is shown before opening"
    if before:
        page.locator(".tag_hide-cell details > summary").first.click()
        first = _solutions(page)[0]
        assert first["open"] and first["input_shown"], f"{rel}: opening the first solution does not show its code"
        assert first["output_shown"] or not first["outputs"], f"{rel}: opening the first solution does not show its output"


@pytest.mark.parametrize("edition,page_rel", EDITION_PAGES, ids=[f"{e}:{r}" for e, r in EDITION_PAGES])
def test_page(site, browser, edition, page_rel):
    folder, lang, objectives = EDITIONS[edition]
    rel = folder + page_rel
    page, problems = _visit(browser, site + rel)
    try:
        assert page.evaluate("() => document.documentElement.lang") == lang, f"{rel}: <html lang> is not {lang}"
        switch = page.locator("nav.language-switch a")
        assert switch.count() == 1, f"{rel}: no language switch"
        other = next(f for e, (f, _, _) in EDITIONS.items() if e != edition)
        assert urllib.parse.urljoin(site + rel, switch.get_attribute("href")) == site + other + page_rel, (
            f"{rel}: the language switch does not lead to the same page in the other edition")
        title = page.title()
        assert title and "<no title>" not in title, f"{rel}: page has no title"
        assert page.locator("nav.bd-docs-nav, #bd-docs-nav").count() > 0, f"{rel}: the theme's navigation is missing"
        assert page.locator("link[rel='icon']").count() > 0, f"{rel}: no favicon"
        assert page.locator("img.logo__image").count() > 0, f"{rel}: no course logo"
        if page_rel != PAGES[0]:
            assert page.locator(".prev-next-area a").count() > 0, f"{rel}: no previous/next navigation"

        broken = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert not broken, f"{rel}: images that did not load: {broken}"

        math = page.evaluate("""() => {
            const all = [...document.querySelectorAll('.math, span.math, div.math')];
            const untypeset = all.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60));
            const body = document.querySelector('main') || document.body;
            const clone = body.cloneNode(true);
            clone.querySelectorAll('pre, code, script, mjx-container, .highlight').forEach(e => e.remove());
            const raw = (clone.textContent.match(/\\\\\\(|\\\\\\[|\\$\\$/g) || []).length;
            // A TeX error becomes <mjx-merror>; an undefined macro is drawn as red text.
            const errors = [...document.querySelectorAll('mjx-merror, mjx-container [style*="color: red"]')]
                .map(e => e.textContent.slice(0, 60));
            return {count: all.length, untypeset, raw, errors};
        }""")
        assert not math["untypeset"], f"{rel}: formulas MathJax did not typeset: {math['untypeset'][:3]}"
        assert not math["errors"], f"{rel}: MathJax could not typeset (undefined macro or bad TeX): {math['errors'][:3]}"
        assert math["raw"] == 0, f"{rel}: raw TeX delimiters left in the text ({math['raw']})"

        hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for href in sorted(set(hrefs)):
            parts = urllib.parse.urlsplit(href)
            if not href.startswith(site):
                continue
            target = HTML / urllib.parse.unquote(parts.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{rel}: link to a missing page {href}"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in _ids_in(target), f"{rel}: link to a missing anchor {href}"

        if edition != "en":
            prose = page.evaluate("""() => { const main = document.querySelector('main').cloneNode(true);
                // Left in English on purpose: code, outputs, citations, and the API reference's docstrings.
                main.querySelectorAll('pre, code, script, mjx-container, .cell_output, .highlight, nav, .citation, dl.py,'
                                      + ' section[id^="module-dlcourse"]')
                    .forEach(e => e.remove());
                return main.textContent; }""")
            captions = page.locator(".bd-sidebar-primary .caption-text").all_inner_texts()
            assert captions and all(CJK.search(c) for c in captions), f"{rel}: sidebar part captions not translated: {captions}"
            letters = len(re.findall(r"[A-Za-z]", prose))
            assert len(CJK.findall(prose)) >= 0.5 * letters, (
                f"{rel}: the prose is mostly English ({len(CJK.findall(prose))} Chinese characters, {letters} Latin letters)")
        if page_rel in PART_PAGES:
            assert page.get_by_text(objectives).count() > 0, f"{rel}: no learning objectives"
            assert page.locator(".dropdown-download-buttons a[href$='.ipynb']").count() > 0, f"{rel}: no .ipynb download"
        if page.locator("div.highlight pre").count():
            assert page.locator("button.copybtn").count() > 0, f"{rel}: code without copy buttons"
        players = page.locator("div.animation").count()
        assert players == len(ANIMATIONS.get(page_rel, [])), f"{rel}: {players} animations, expected {ANIMATIONS.get(page_rel, [])}"
        _check_solutions_collapsed(page, rel)

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")), full_page=True)
        assert not problems, f"{rel}: " + "; ".join(problems[:5])
    finally:
        page.close()


@pytest.mark.parametrize("rel,name", [(folder + rel, name) for folder, _, _ in EDITIONS.values()
                                      for rel, names in sorted(ANIMATIONS.items()) for name in names])
def test_animation_plays(site, browser, rel, name):
    """The player shows its first frame, its buttons are plain text (no icon font), and Play moves the frames."""
    page, problems = _visit(browser, site + rel)
    try:
        image = page.locator(f"#_anim_img{name}")
        image.scroll_into_view_if_needed()
        page.wait_for_function(f"() => document.getElementById('_anim_img{name}').naturalWidth > 0", timeout=10000)
        first = image.get_attribute("src")
        assert first.startswith("data:image/png;base64,"), f"{rel}: {name} shows no embedded frame"
        assert page.locator(f"#_anim_slider{name}").get_attribute("value") == "0"
        buttons = page.locator("div.animation .anim-buttons button")
        assert buttons.count() == 9 and page.locator("div.animation i.fa").count() == 0
        assert all(buttons.nth(k).inner_text().strip() for k in range(9)), f"{rel}: a player button has no label"
        page.locator("div.animation button[title='Play']").click()
        page.wait_for_function(f"(first) => document.getElementById('_anim_img{name}').src !== first", arg=first,
                               timeout=10000)
        page.locator("div.animation button[title='Pause']").click()
        assert int(page.locator(f"#_anim_slider{name}").input_value()) > 0, f"{rel}: the slider did not follow the frames"
        assert not problems, f"{rel}: " + "; ".join(problems[:5])
    finally:
        page.close()


@pytest.mark.parametrize("folder,term", [("", "gradient"), ("zh_CN/", "梯度"), ("zh_CN/", "反向传播")])
def test_search_finds_pages(site, browser, folder, term):
    page, problems = _visit(browser, site + folder + "search.html?q=" + urllib.parse.quote(term))
    try:
        page.wait_for_selector("#search-results li", timeout=15000)
        assert page.locator("#search-results li").count() > 0, f"searching {folder or 'English '}for {term!r} found nothing"
        assert not problems, "; ".join(problems[:5])
    finally:
        page.close()


def test_language_switch_works_both_ways(site, browser):
    """A reader on an English page clicks 中文, lands on the same page in Chinese, and clicks English to return."""
    rel = "book/part3_algorithms/04_backpropagation.html"
    page, problems = _visit(browser, site + rel)
    try:
        page.locator("nav.language-switch a").click()
        page.wait_for_load_state("networkidle")
        assert page.url == site + "zh_CN/" + rel and page.evaluate("() => document.documentElement.lang") == "zh-CN"
        assert page.get_by_text("学习目标").count() > 0, "the Chinese page is not translated"
        page.locator("nav.language-switch a").click()
        page.wait_for_load_state("networkidle")
        assert page.url == site + rel and page.evaluate("() => document.documentElement.lang") == "en"
        assert not problems, "; ".join(problems[:5])
    finally:
        page.close()
