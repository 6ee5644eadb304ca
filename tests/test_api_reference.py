"""The API reference appendix documents every public name of dlcourse, and builds cleanly.

``book/_ext/api_reference.py`` writes the appendix from ``__all__`` at build time. This
test builds the book into a temporary folder in Sphinx's nit-picky mode and checks:
no warning at all except nit-picky's "reference target not found" for free-text types
(``ndarray of shape (n, 1)``, ``default 0.9``), and none of those names a dlcourse object;
every public module and every name in its ``__all__`` is in the site's inventory; every
public class and function has a docstring.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pathlib
import pkgutil
import re
import subprocess
import sys
import tempfile
import types

import pytest
from sphinx.util.inventory import InventoryFile

import dlcourse

ROOT = pathlib.Path(__file__).resolve().parents[1]
MISSING = re.compile(r"WARNING: py:\w+ reference target not found: (.+)$")


def _public_modules(package: str = "dlcourse") -> list[str]:
    module = importlib.import_module(package)
    found = [package]
    for name in module.__all__:
        dotted = f"{package}.{name}"
        if not name.startswith("_") and hasattr(module, "__path__") and importlib.util.find_spec(dotted):
            if isinstance(getattr(module, name), types.ModuleType):
                found += _public_modules(dotted)
    return found


MODULES = _public_modules()
PUBLIC = sorted(f"{module}.{name}" for module in MODULES[1:] for name in importlib.import_module(module).__all__
                if not isinstance(getattr(importlib.import_module(module), name), types.ModuleType))


def _object(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.fixture(scope="module")
def built():
    """The book built with nit-picky warnings: its log lines and its Python inventory."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-api-") as out:
        result = subprocess.run([str(pathlib.Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                                 "--path-output", out, "--nitpick", "--keep-going"],
                                capture_output=True, text=True, timeout=900)
        log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).splitlines()
        html = pathlib.Path(out) / "_build" / "html"
        assert result.returncode == 0, "\n".join(log[-40:])
        with open(html / "objects.inv", "rb") as stream:
            inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
        page = (html / "book" / "appendices" / "api.html").read_text()
        yield log, inventory, page


def test_every_top_level_module_is_in_dlcourse_all():
    modules = {info.name for info in pkgutil.iter_modules(dlcourse.__path__) if not info.name.startswith("_")}
    assert modules <= set(dlcourse.__all__), f"modules missing from dlcourse.__all__: {sorted(modules - set(dlcourse.__all__))}"


def test_the_reference_builds_without_warnings(built):
    log, _, _ = built
    warnings = [line for line in log if ("WARNING" in line or "ERROR" in line) and not MISSING.search(line)]
    assert not warnings, "\n".join(warnings)


def test_every_reference_to_a_dlcourse_name_resolves(built):
    """A ``Raises`` or ``See Also`` entry naming a dlcourse class must link to its documentation."""
    log, _, _ = built
    ours = {name for info in pkgutil.walk_packages(dlcourse.__path__, "dlcourse.")
            for name, value in vars(importlib.import_module(info.name)).items()
            if (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__.startswith("dlcourse")}
    targets = {match.group(1).strip() for line in log if (match := MISSING.search(line))}
    unresolved = sorted(t for t in targets if t.startswith("dlcourse.") or t in ours)
    assert not unresolved, f"unresolved references to dlcourse names: {unresolved}"


def test_every_public_name_is_in_the_reference(built):
    _, inventory, page = built
    documented = {name for kind, entries in inventory.items() if kind.startswith("py:") for name in entries}
    assert set(MODULES) <= set(inventory["py:module"])
    missing = [dotted for dotted in PUBLIC if dotted not in documented]
    assert not missing, f"public names missing from the API reference: {missing}"
    assert all(f'id="{dotted}"' in page for dotted in PUBLIC), "an entry has no anchor on the appendix page"


@pytest.mark.parametrize("dotted", [d for d in PUBLIC if inspect.isclass(_object(d)) or inspect.isroutine(_object(d))])
def test_every_public_class_and_function_has_a_docstring(dotted):
    doc = inspect.getdoc(_object(dotted))
    assert doc and doc.strip(), f"{dotted} has no docstring: the API reference shows only its signature"


def test_parameters_and_defaults_are_rendered(built):
    """napoleon turned a numpydoc section into fields, and the signature shows the defaults."""
    _, _, page = built
    start = page.index('id="dlcourse.layers.Dense"')
    entry = page[start:page.index('id="dlcourse.layers.Flatten"')]
    assert "Parameters" in entry and "n_out" in entry and "kernel_regularizer" in entry
    assert re.search(r"activation</span>.*?None", entry, re.S), "the default of activation is not shown"
