"""Structure of every notebook in the book, checked without running them.

nbval (``make test``) re-runs each notebook and compares outputs strictly, but it only
compares what is stored: a code cell with no execution count is silently skipped, and an
error output is accepted as "expected" if it was stored. These checks close those gaps,
and keep the table of contents and the files on disk in step.
"""
from __future__ import annotations

import glob
import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)
SUFFIXES = (".ipynb", ".md")


def _toc_entries(node, files, globs):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                files.append(value)
            elif key == "glob":
                globs.append(value)
            else:
                _toc_entries(value, files, globs)
    elif isinstance(node, list):
        for item in node:
            _toc_entries(item, files, globs)


def _resolve(entry: str) -> pathlib.Path | None:
    for suffix in SUFFIXES:
        path = ROOT / (entry + suffix)
        if path.exists():
            return path
    return None


def toc():
    files, globs = [], []
    _toc_entries(yaml.safe_load((ROOT / "_toc.yml").read_text()), files, globs)
    return files, globs


def toc_documents() -> set[pathlib.Path]:
    files, globs = toc()
    docs = {p for p in map(_resolve, files) if p is not None}
    for pattern in globs:
        docs |= {pathlib.Path(p) for p in glob.glob(str(ROOT / pattern)) if p.endswith(SUFFIXES)}
    return docs


def test_every_toc_entry_exists():
    files, globs = toc()
    missing = [f for f in files if _resolve(f) is None]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"
    empty = [g for g in globs if not [p for p in glob.glob(str(ROOT / g)) if p.endswith(SUFFIXES)]]
    assert not empty, f"_toc.yml globs that match no page: {empty}"


def test_every_notebook_is_in_the_toc():
    docs = toc_documents()
    orphans = [_rel(p) for p in NOTEBOOKS if p not in docs]
    assert not orphans, f"notebooks missing from _toc.yml (the site would not show them): {orphans}"


def test_every_part_has_a_notebook():
    _, globs = toc()
    for pattern in globs:
        assert [p for p in glob.glob(str(ROOT / pattern)) if p.endswith(".ipynb")], f"part {pattern} has no notebook"


def _rel(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(params=NOTEBOOKS, ids=[_rel(p) for p in NOTEBOOKS])
def notebook(request):
    return request.param, json.loads(request.param.read_text(encoding="utf-8"))


def test_code_cells_executed_top_to_bottom(notebook):
    path, nb = notebook
    cells = _code_cells(nb)
    empty = [i for i, c in enumerate(cells) if not "".join(c["source"]).strip()]
    assert not empty, f"{path.name}: empty code cells at code-cell positions {empty}"
    counts = [c.get("execution_count") for c in cells]
    unrun = [i for i, n in enumerate(counts) if n is None]
    assert not unrun, f"{path.name}: code cells without stored outputs (never executed) at positions {unrun}; run `make execute NB={_rel(path)}`"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(counts)}: the notebook was not run top to bottom in one kernel"
    )


def test_errors_only_where_tagged(notebook):
    path, nb = notebook
    for i, cell in enumerate(_code_cells(nb)):
        tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        has_error = any(o["output_type"] == "error" for o in cell.get("outputs", []))
        assert has_error == tagged, (
            f"{path.name}, code cell {i}: " + ("error output in a cell not tagged raises-exception" if has_error else
                                               "tagged raises-exception but stores no error (the tag would hide a missing failure)")
        )


def test_no_stderr_or_volatile_reprs(notebook):
    path, nb = notebook
    for i, cell in enumerate(_code_cells(nb)):
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", f"{path.name}, code cell {i}: stores stderr output (warnings or log lines): {''.join(out['text'])[:200]!r}"
            text = "".join(out.get("data", {}).get("text/plain", "")) + "".join(out.get("text", ""))
            assert not re.search(r" at 0x[0-9a-fA-F]+", text), f"{path.name}, code cell {i}: stores an object repr with a memory address"
            if out["output_type"] == "execute_result":
                assert not text.startswith("<Figure size"), f"{path.name}, code cell {i}: ends in a Figure repr; end it with plt.show()"


def test_tensorflow_is_imported_quietly(notebook):
    """TF's import-time log lines would land in stored outputs; dlcourse.tfsetup silences them."""
    path, nb = notebook
    for i, cell in enumerate(_code_cells(nb)):
        src = "".join(cell["source"])
        assert not re.search(r"^\s*(import tensorflow|from tensorflow|import keras|from keras)\b", src, re.M), (
            f"{path.name}, code cell {i}: imports TensorFlow/Keras directly; use `tf, keras = load_tensorflow(seed=0)` from dlcourse.tfsetup"
        )


def test_notebooks_use_the_python3_kernel(notebook):
    path, nb = notebook
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"


PARTS = sorted({p.parent for p in NOTEBOOKS if p.parent.name.startswith("part")})


def _markdown(nb) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_chapters_open_with_objectives_and_a_run_locally_note(notebook):
    """course-standard.md: learning objectives at the top of each chapter, and how to run it."""
    path, nb = notebook
    if not path.parent.name.startswith("part"):
        return
    md = _markdown(nb)
    assert "Learning objectives" in md, f"{path.name}: no 'Learning objectives'"
    assert re.search(r"run this locally", md, re.I), f"{path.name}: no 'Run this locally' note"
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).lstrip().startswith("# "), (
        f"{path.name}: the first cell must be the chapter's title"
    )


EXERCISE_HEADING = re.compile(r"^#+ *Exercises?\b.*$|\*\*Exercise [\d.]+\.\*\*", re.M)


def test_one_exercise_heading_and_one_run_box_style(notebook):
    """Issue 14: every exercise is a '## Exercise N — title' heading; every run box says Data, Time and how to re-run."""
    path, nb = notebook
    if not path.parent.name.startswith("part"):
        return
    md = _markdown(nb)
    odd = [m.group(0) for m in EXERCISE_HEADING.finditer(md) if not re.fullmatch(r"## Exercise \d+ — \S.*", m.group(0))]
    assert not odd, f"{path.name}: exercise headings not in the form '## Exercise N — title': {odd}"
    box = re.search(r"```\{admonition\} Run this locally\n:class: tip\n(.*?)\n```", md, re.S)
    assert box, f"{path.name}: no 'Run this locally' tip box"
    for part in ("Data:", "Time:", "make execute NB=", "Jupyter"):
        assert part in box.group(1), f"{path.name}: the Run-this-locally box does not say {part!r}"


@pytest.mark.parametrize("part", PARTS, ids=[p.name for p in PARTS])
def test_every_part_has_three_executed_collapsed_solutions(part):
    """course-standard.md: at least three exercises per part, each with an executed solution collapsed on the site."""
    solutions = 0
    for path in sorted(part.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        solutions += sum(1 for c in _code_cells(nb)
                         if "hide-cell" in c.get("metadata", {}).get("tags", []) and c.get("execution_count"))
    assert solutions >= 3, f"{part.name}: {solutions} executed solution cells tagged hide-cell, expected >= 3"
