"""Write the API reference appendix from ``dlcourse`` itself, so it never falls behind.

The page ``book/appendices/api.md`` holds only an introduction; on every build this
extension appends one section per public module, each an ``automodule`` over the names
in that module's ``__all__`` (autodoc reads the docstrings, napoleon the numpydoc
sections). A module is public when its name is in ``dlcourse.__all__`` (or, for a
module inside a subpackage such as ``optimizers.schedules``, in that package's
``__all__``) and it exists. A new module or a new name in an ``__all__`` therefore
appears in the reference with no edit to the appendix.
"""
from __future__ import annotations

import importlib
import importlib.util
import types

PACKAGE = "dlcourse"
DOCNAME = "book/appendices/api"


def public_modules(package: str = PACKAGE) -> list[str]:
    """Dotted names of the public modules under ``package``, the package first."""
    found = [package]
    module = importlib.import_module(package)
    for name in getattr(module, "__all__", ()):
        if name.startswith("_"):
            continue
        dotted = f"{package}.{name}"
        # A name in __all__ is a module only if a submodule of that name exists;
        # a reserved name whose module is not written yet is not documented.
        if hasattr(module, "__path__") and importlib.util.find_spec(dotted) is not None:
            if isinstance(getattr(module, name), types.ModuleType):
                found += public_modules(dotted)
    return found


def _section(dotted: str) -> str:
    # The package itself documents only its docstring: its __all__ lists modules.
    options = "" if dotted == PACKAGE else "   :members:\n   :undoc-members:\n"
    return f"\n## `{dotted}`\n\n```{{eval-rst}}\n.. automodule:: {dotted}\n{options}```\n"


def _append_reference(app, docname, source):
    if docname != DOCNAME:
        return
    modules = public_modules()
    for dotted in modules:
        # Rebuild the page when a module or its __all__ changes (autodoc records only
        # the modules it documented, not which modules exist).
        app.env.note_dependency(importlib.import_module(dotted).__file__)
    source[0] += "".join(_section(dotted) for dotted in modules)


def setup(app):
    app.connect("source-read", _append_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
