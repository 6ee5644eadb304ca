"""Every figure in the book is numbered, captioned in one style and referenced only if it exists.

The style (issue 14): a code cell that draws a figure (an ``image/png`` output, in a cell not
tagged ``hide-cell``, i.e. not an exercise solution) is followed by a markdown cell whose text
starts with ``**Figure N:**``, where N counts 1, 2, ... through the notebook. A figure that is not
a PNG (an animation player, an HTML widget) joins the numbering when its cell is followed by such
a caption. Every "Figure N" the prose mentions must then exist in the same notebook, unless the
sentence that mentions it links to another chapter ({doc}, {ref} or a Markdown link), which
is how a chapter points at another chapter's figure.

The checks read the stored notebooks; they run nothing. The last tests build small notebooks with
nbformat to show that each check fails on the mistake it is meant to catch.
"""
from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)

CAPTION = re.compile(r"\*\*Figure (\d+):\*\*")
# "Figure 3", "Figures 2 and 3", "Figures 1, 2 and 4", "Figures 2–3"
MENTION = re.compile(r"\bFigures?\s+(\d+(?:\s*(?:,|and|or|to|–|-)\s*\d+)*)")
# a sentence that links elsewhere: {doc}`...`, {ref}`...`, {numref}`...` or [text](target)
LINK = re.compile(r"\{(?:doc|ref|numref)\}`|\]\([^)]+\)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(*])|\n\s*\n")


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _draws_png(cell) -> bool:
    return any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def _caption_number(cell) -> int | None:
    """N if ``cell`` is a markdown cell whose text starts with ``**Figure N:**``, else None."""
    if cell is None or cell.get("cell_type") != "markdown":
        return None
    match = CAPTION.match(cell.get("source", "").lstrip())
    return int(match.group(1)) if match else None


def _strip_code(text: str) -> str:
    """Markdown without fenced blocks, inline code and math, where "Figure 2" is not prose."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    return re.sub(r"(?<!\})`[^`\n]*`", " ", text)


def figure_problems(nb) -> list[str]:
    """Everything wrong with the figures of one notebook (an nbformat or JSON notebook); [] if nothing.

    Returns messages naming the cell index: a figure without a ``**Figure N:**`` caption right after
    it, a caption numbered out of order, and a "Figure N" in the prose that no caption defines.
    """
    cells = nb["cells"]
    problems: list[str] = []
    numbers: set[int] = set()
    expected = 1
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or "hide-cell" in _tags(cell):
            continue
        following = cells[i + 1] if i + 1 < len(cells) else None
        number = _caption_number(following)
        if number is None:
            if _draws_png(cell):
                start = following.get("source", "")[:60] if following is not None else "(end of notebook)"
                problems.append(f"cell {i}: figure without a '**Figure {expected}:**' caption in the next cell "
                                f"(next cell starts {start!r})")
                expected += 1
            continue
        if number != expected:
            problems.append(f"cell {i + 1}: caption numbered Figure {number}, expected Figure {expected} "
                            "(figures are numbered 1, 2, ... in order through the chapter)")
        numbers.add(number)
        expected += 1
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        for sentence in SENTENCE_END.split(_strip_code(cell.get("source", ""))):
            if LINK.search(sentence):
                continue
            for match in MENTION.finditer(sentence):
                for n in map(int, re.findall(r"\d+", match.group(1))):
                    if n not in numbers:
                        problems.append(f"cell {i}: the text mentions Figure {n}, but the chapter has no "
                                        f"'**Figure {n}:**' caption (captions: {sorted(numbers)})")
    return problems


def _rel(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[_rel(p) for p in NOTEBOOKS])
def test_figures_are_captioned_numbered_and_referenced(path):
    problems = figure_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{_rel(path)}:\n  " + "\n  ".join(problems)


def test_the_book_has_notebooks():
    assert len(NOTEBOOKS) >= 20


# --- the checks on small synthetic notebooks -------------------------------------------------

PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}


def _figure(tags=()):
    cell = nbformat.v4.new_code_cell("plt.plot([0, 1]); plt.show()", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data=PNG)]
    cell.metadata["tags"] = list(tags)
    return cell


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


md = nbformat.v4.new_markdown_cell


def test_a_well_formed_notebook_passes():
    nb = _notebook(md("Figure 1 shows a line; Figure 2 another."), _figure(), md("**Figure 1:** a line."),
                   _figure(), md("**Figure 2:** another line. As in Figure 1, it rises."),
                   _figure(tags=["hide-cell"]), md("Solution figures are not numbered."))
    assert figure_problems(nb) == []


def test_a_missing_caption_is_caught():
    nb = _notebook(_figure(), md("**Figure 1:** a line."), _figure(), md("The second line falls."))
    problems = figure_problems(nb)
    assert len(problems) == 1 and "cell 2: figure without a '**Figure 2:**' caption" in problems[0]


def test_a_caption_that_is_not_in_the_next_cell_is_caught():
    nb = _notebook(_figure(), md("Some text."), md("**Figure 1:** too late."))
    assert any("figure without" in p for p in figure_problems(nb))


def test_the_old_italic_caption_style_is_caught():
    nb = _notebook(_figure(), md("*Figure 1: a line.*"))
    assert any("figure without" in p for p in figure_problems(nb))


def test_a_wrong_number_is_caught():
    nb = _notebook(_figure(), md("**Figure 1:** a line."), _figure(), md("**Figure 3:** skips 2."))
    problems = figure_problems(nb)
    assert problems == ["cell 3: caption numbered Figure 3, expected Figure 2 "
                        "(figures are numbered 1, 2, ... in order through the chapter)"]


def test_a_repeated_number_is_caught():
    nb = _notebook(_figure(), md("**Figure 1:** a line."), _figure(), md("**Figure 1:** again."))
    assert any("numbered Figure 1, expected Figure 2" in p for p in figure_problems(nb))


def test_a_dangling_reference_is_caught():
    nb = _notebook(md("Figures 1 and 4 show it."), _figure(), md("**Figure 1:** a line."))
    problems = figure_problems(nb)
    assert len(problems) == 1 and "mentions Figure 4" in problems[0]


def test_a_reference_to_another_chapter_is_allowed():
    nb = _notebook(md("Figure 3 of {doc}`04_backpropagation` draws the graph. "
                      "So does [Figure 2 there](../part3/04.ipynb). But Figure 5 here does not exist."),
                   _figure(), md("**Figure 1:** a line."))
    problems = figure_problems(nb)
    assert len(problems) == 1 and "mentions Figure 5" in problems[0]


def test_a_captioned_animation_joins_the_numbering():
    player = nbformat.v4.new_code_cell("player", execution_count=2)
    player.outputs = [nbformat.v4.new_output("execute_result", data={"text/html": "<div>player</div>"}, execution_count=2)]
    nb = _notebook(_figure(), md("**Figure 1:** a line."), player, md("**Figure 2:** an animation."),
                   _figure(), md("**Figure 3:** Figure 2, drawn still."))
    assert figure_problems(nb) == []
    nb.cells[5] = md("**Figure 2:** numbered as if the animation were not a figure.")
    assert any("numbered Figure 2, expected Figure 3" in p for p in figure_problems(nb))


def test_figure_in_code_or_math_is_not_a_reference():
    nb = _notebook(md("Run `savefig('Figure 9')` or see $\\text{Figure 7}$ there.\n\n```\nFigure 8\n```"))
    assert figure_problems(nb) == []
