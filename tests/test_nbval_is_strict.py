"""The notebook tests must fail when a stored output is wrong or missing.

These run nbval, exactly as ``make test`` does, on a tiny notebook the test writes, and
tamper with it the way an edit gone wrong would: a printed number changed, an output
deleted, a cell never executed.
"""
from __future__ import annotations

import copy
import json
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

import test_notebooks

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _nbval(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-sanitize-with", str(ROOT / "nbval_sanitize.cfg"), str(path)],
        cwd=path.parent, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nprint(f'{np.sqrt(2):.6f}')"),
                nbformat.v4.new_code_cell("6 * 7")]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    path = tmp_path_factory.mktemp("nb") / "probe.ipynb"
    nbformat.write(nb, path)
    return path, json.loads(path.read_text())


def _write(tmp_path, nb) -> pathlib.Path:
    path = tmp_path / "tampered.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_untouched_notebook_passes(executed):
    path, _ = executed
    result = _nbval(path)
    assert result.returncode == 0, result.stdout[-2000:]


def test_changed_number_fails(executed, tmp_path):
    _, nb = executed
    nb = copy.deepcopy(nb)
    out = nb["cells"][0]["outputs"][0]
    assert out["text"] == ["1.414214\n"] or "".join(out["text"]) == "1.414214\n"
    out["text"] = ["1.414215\n"]
    result = _nbval(_write(tmp_path, nb))
    assert result.returncode != 0 and "1.414215" in result.stdout


def test_deleted_output_fails(executed, tmp_path):
    _, nb = executed
    nb = copy.deepcopy(nb)
    nb["cells"][1]["outputs"] = []
    result = _nbval(_write(tmp_path, nb))
    assert result.returncode != 0


def test_unexecuted_cell_is_caught_by_the_structure_check(executed):
    """nbval skips cells with no execution count; tests/test_notebooks.py must not."""
    path, nb = executed
    nb = copy.deepcopy(nb)
    nb["cells"][1]["execution_count"] = None
    nb["cells"][1]["outputs"] = []
    with pytest.raises(AssertionError, match="without stored outputs"):
        test_notebooks.test_code_cells_executed_top_to_bottom((path, nb))


def test_make_test_runs_strict_nbval():
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "--nbval " in test_recipe and "--nbval-lax" not in makefile
    assert "--dist loadfile" in test_recipe
