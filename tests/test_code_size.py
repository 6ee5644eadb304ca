"""The package stays readable: no module over 400 lines, no function or method over 60 (docstrings excluded).

A reader opens a module next to the chapter that uses it and reads it top to bottom; a
function the book prints should fit beside its formula. These limits are the developer
guide's; the test measures them with ``ast`` so that a docstring never counts against a body.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "dlcourse"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _body_length(node: ast.FunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = node.body
    has_docstring = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
        and isinstance(body[0].value.value, str)
    if has_docstring and len(body) == 1:
        return 0
    first = body[1] if has_docstring else body[0]
    start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
    return node.end_lineno - start + 1


def test_the_package_was_found():
    assert len(MODULES) > 30, MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_and_function_sizes(path):
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= 400, f"{path.name}: {lines} lines, the limit is 400"
    long = [(node.name, _body_length(node)) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_length(node) > 60]
    assert not long, f"{path.name}: functions over 60 lines (docstrings excluded): {long}"


def test_the_measure_counts_bodies_not_docstrings():
    # Guards the measure itself: a 3-line body under a 100-line docstring is 3 lines long.
    doc = "\n".join(["    x"] * 100)
    source = f'def f():\n    """\n{doc}\n    """\n    a = 1\n    b = 2\n    return a + b\n'
    assert _body_length(ast.parse(source).body[0]) == 3
    assert _body_length(ast.parse("def g():\n" + "    pass\n" * 61).body[0]) == 61
