"""Write the API reference appendix from ``dlcourse`` itself, so it never falls behind.

The page ``book/appendices/api.md`` holds only an introduction; on every build this
extension appends one section per public module, each an ``automodule`` over the names
in that module's ``__all__`` (autodoc reads the docstrings, napoleon the numpydoc
sections). A module is public when its name is in ``dlcourse.__all__`` (or, for a
module inside a subpackage such as ``optimizers.schedules``, in that package's
``__all__``) and it exists. A new module or a new name in an ``__all__`` therefore
appears in the reference with no edit to the appendix.

The docstrings are part of the code, and translated editions leave code as it is: their
paragraphs are kept out of the translation catalogs (the page's own text is translated),
so a translated edition shows the same reference that ``help()`` shows.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import types

from docutils import nodes
from sphinx.transforms import SphinxTransform

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


def _data_names(module) -> list[str]:
    """Names in ``__all__`` bound to plain values (constants, tables), not classes, functions or modules."""
    return [name for name in getattr(module, "__all__", ()) if not callable(getattr(module, name))
            and not isinstance(getattr(module, name), types.ModuleType)]


def _section(dotted: str) -> str:
    module = importlib.import_module(dotted)
    lines = [f"\n## `{dotted}`\n", "```{eval-rst}", f".. automodule:: {dotted}"]
    if dotted != PACKAGE:  # the package's own __all__ lists modules, each a section of its own
        data = _data_names(module)
        lines += ["   :members:", "   :undoc-members:"] + ([f"   :exclude-members: {', '.join(data)}"] if data else [])
        # automodule skips a constant that has no ``#:`` comment, so each is listed on its own;
        # a long table shows its name and type, not its repr.
        for name in data:
            lines += ["", f".. autodata:: {dotted}.{name}"]
            if len(repr(getattr(module, name))) > 120:
                lines.append("   :no-value:")
    return "\n".join(lines + ["```\n"])


def _append_reference(app, docname, source):
    if docname != DOCNAME:
        return
    modules = public_modules()
    for dotted in modules:
        # Rebuild the page when a module or its __all__ changes (autodoc records only
        # the modules it documented, not which modules exist).
        app.env.note_dependency(importlib.import_module(dotted).__file__)
    source[0] += "".join(_section(dotted) for dotted in modules)


def _drop_type_docstring(app, what, name, obj, options, lines):
    # autodoc gives a constant with no ``#:`` comment the docstring of its type (dict's,
    # tuple's, float's): that text describes Python, not the constant.
    if what == "data" and "\n".join(lines).strip() == inspect.cleandoc(type(obj).__doc__ or ""):
        lines.clear()


class KeepDocstringsUntranslated(SphinxTransform):
    """Mark the text autodoc took from docstrings as not translatable."""

    default_priority = 10  # before Sphinx's Locale transform (20) replaces translatable text

    def apply(self, **kwargs):
        if self.env.docname != DOCNAME:  # only the reference page holds docstrings
            return
        for node in self.document.findall(nodes.TextElement):
            if ":docstring of " in (node.source or ""):
                node["translatable"] = False


def setup(app):
    app.add_transform(KeepDocstringsUntranslated)
    app.connect("source-read", _append_reference)
    app.connect("autodoc-process-docstring", _drop_type_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
