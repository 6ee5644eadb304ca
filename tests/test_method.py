"""Method: no notebook lets the test set guide a decision.

The test set is evaluated once, at the end; every choice (a curve watched during training, an
early stop, a learning rate, a threshold, a regularization strength) is made on data split off the
training set. These tests read every notebook's code cells with ``ast`` (nothing is executed) and
fail when test data reaches

- ``validation_data=`` of a ``fit`` call, or ``fit`` itself as training data;
- a callback: ``callbacks=``, a callback's constructor, or a ``Callback`` subclass that reads it;
- a selection: ``max``/``min``/``sorted`` with a ``key=`` that reads it, an ``argmax``-style call
  over scores computed from it, or an ``if`` inside a loop that compares it and then records a
  choice, breaks out or returns.

"Test data" is any name whose ``_``-separated parts start with ``test`` (``x_test``,
``ys_test``, ``test_acc``; not ``latest``), and any name computed from one: assignments,
``for`` targets, ``.append`` and item assignment carry the taint from cell to cell, and a
function whose body reads test data returns test data. The checker is shown below to catch
each bad pattern, and to leave the honest ones alone, on small synthetic sources.
"""
from __future__ import annotations

import ast
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)

SELECT_BY_KEY = {"max", "min", "sorted", "nlargest", "nsmallest"}
SELECT_BY_INDEX = {"argmax", "argmin", "argsort", "nanargmax", "nanargmin", "idxmax", "idxmin"}
CALLBACK_NAMES = {"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LambdaCallback"}
ACCUMULATORS = {"append", "extend", "insert", "update", "setdefault", "add"}


def is_test_name(name: str) -> bool:
    """``x_test``, ``test_acc``, ``Xtest`` are test data; ``latest``, ``fastest`` are not."""
    return any(part.lower().startswith("test") or part.lower() in ("xtest", "ytest")
               for part in name.split("_"))


def _func_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _target_names(target) -> list[str]:
    """Names bound or mutated by an assignment target (``a``, ``a, b``, ``a[k]``, ``a.b``)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return _target_names(target.value)
    return []


class Checker:
    """Find the places where test data guides a decision in one program (a notebook's cells)."""

    def __init__(self, source: str):
        self.tree = ast.parse(source)
        self.tainted: set[str] = set()
        self._propagate()

    def reads_test(self, node) -> bool:
        """Does ``node`` read test data? Called function names count only if they were tainted."""
        if node is None:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                # `train_test_split(...)` is a function, not data: judge the callee by what it read
                if isinstance(sub.func, ast.Name) and sub.func.id in self.tainted:
                    return True
            elif isinstance(sub, ast.Name) and (sub.id in self.tainted or
                                                (is_test_name(sub.id) and not self._is_callee(sub))):
                return True
            elif isinstance(sub, ast.Attribute) and is_test_name(sub.attr) and not self._is_callee(sub):
                return True
        return False

    def _is_callee(self, node) -> bool:
        return id(node) in self._callees

    def _propagate(self) -> None:
        """Spread the taint through bindings until nothing changes (cells may refer ahead in loops)."""
        self._callees = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        while True:
            before = len(self.tainted)
            for node in ast.walk(self.tree):
                for names, value in self._bindings(node):
                    if self.reads_test(value):
                        self.tainted.update(names)
            if len(self.tainted) == before:
                return

    @staticmethod
    def _bindings(node):
        """Pairs (names bound or mutated, the expression they come from) at one node."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                        and len(target.elts) == len(node.value.elts):  # a, b = f(a), f(b): pair by pair
                    for elt, value in zip(target.elts, node.value.elts):
                        yield _target_names(elt), value
                else:
                    yield _target_names(target), node.value
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            yield _target_names(node.target), node.value
        elif isinstance(node, (ast.For, ast.comprehension)):
            yield _target_names(node.target), node.iter
        elif isinstance(node, ast.NamedExpr):
            yield [node.target.id], node.value
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            name = node.name if isinstance(node, ast.FunctionDef) else None
            if name:
                yield [name], node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ACCUMULATORS:
            yield _target_names(node.func.value), ast.Tuple(elts=node.args + [k.value for k in node.keywords])

    def problems(self) -> list[str]:
        found = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                found += self._call_problems(node)
            elif isinstance(node, ast.ClassDef) and any(
                    (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")).endswith("Callback")
                    for b in node.bases) and self.reads_test(node):
                found.append(f"line {node.lineno}: callback class {node.name} reads test data")
            elif isinstance(node, (ast.For, ast.While)):
                found += self._loop_problems(node)
        return sorted(set(found), key=lambda s: int(s.split()[1].rstrip(":")))

    def _call_problems(self, call: ast.Call) -> list[str]:
        name, kw = _func_name(call), {k.arg: k.value for k in call.keywords}
        where = f"line {call.lineno}: {name}"
        found = []
        if self.reads_test(kw.get("validation_data")):
            found.append(f"{where}(validation_data=...) is given test data")
        if self.reads_test(kw.get("callbacks")):
            found.append(f"{where}(callbacks=...) is given test data")
        # training data is judged by name only: `x_train[:n]` with a size `n` chosen from test scores
        # is a (separate) selection question, not training on the test set
        if name == "fit" and any(is_test_name(sub.id) for a in call.args[:2] + [kw.get("x"), kw.get("y")]
                                 if a is not None for sub in ast.walk(a) if isinstance(sub, ast.Name)):
            found.append(f"{where}(...) trains on test data")
        if (name in CALLBACK_NAMES or name.endswith("Callback")) and self.reads_test(
                ast.Tuple(elts=call.args + list(kw.values()))):
            found.append(f"{where}(...) is a callback given test data")
        if name in SELECT_BY_KEY and self.reads_test(kw.get("key")):
            found.append(f"{where}(key=...) selects by test data")
        if name in SELECT_BY_INDEX and "axis" not in kw and any(self.reads_test(a) for a in call.args):
            found.append(f"{where}(...) selects by test data")
        return found

    def _loop_problems(self, loop) -> list[str]:
        found = []
        for node in ast.walk(loop):
            if isinstance(node, ast.If) and self.reads_test(node.test) and any(
                    isinstance(sub, (ast.Assign, ast.AugAssign, ast.Break, ast.Return))
                    for stmt in node.body for sub in ast.walk(stmt)):
                found.append(f"line {node.lineno}: a loop chooses (assigns or stops) on a comparison with test data")
        return found


def notebook_source(path: pathlib.Path) -> str:
    """The notebook's code cells as one program; IPython magics and shell lines become blank."""
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    lines = []
    for cell in cells:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines += ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The checker catches each bad pattern ...

BAD = {
    "validation_data": "model.fit(x_train, y_train, validation_data=(x_test, y_test))",
    "validation_data through a variable": "held = (xs_test, ys_test)\nmodel.fit(x, y, validation_data=held)",
    "fit on test": "model.fit(x_test, y_test, epochs=3)",
    "callbacks=": "cb = EarlyStopping(monitor='val_loss')\nmodel.fit(x, y, callbacks=[cb, Probe(x_test)])",
    "callback constructor": "stop = EarlyStopping(patience=2, baseline=score(x_test))",
    "callback class": ("class Watch(Callback):\n    def on_epoch_end(self, epoch, logs=None):\n"
                       "        self.acc = self.model.evaluate(x_test, y_test)\n"),
    "max with key": "best_lr = max(rates, key=lambda lr: train(lr).evaluate(x_test, y_test)[1])",
    "argmax over scores": ("scores = []\nfor t in thresholds:\n    scores.append(f1(y_test, p_test > t))\n"
                           "threshold = thresholds[np.argmax(scores)]"),
    "argmax over a comprehension": "k = np.argmax([fit(w).evaluate(X_test, Y_test) for w in widths])",
    "scores in a dict": ("acc = {}\nfor rate in rates:\n    acc[rate] = run(rate).evaluate(x_test, y_test)[1]\n"
                         "best = max(acc, key=acc.get)"),
    "function that reads test": ("def test_accuracy(model):\n    return model.evaluate(x_test, y_test)[1]\n"
                                 "pick = sorted(models, key=test_accuracy)[-1]"),
    "best-so-far loop": ("best = 0\nfor lam in lams:\n    a = fit(lam).evaluate(x_test, y_test)[1]\n"
                         "    if a > best:\n        best, best_lam = a, lam\n"),
    "stop when test reaches a level": ("for epoch in range(50):\n    model.fit(x, y, epochs=1)\n"
                                       "    if model.evaluate(x_test, y_test)[1] >= 0.95:\n        break\n"),
    "epochs until test reaches a level": ("def epochs_to(model, xv, target=0.95):\n    for epoch in range(1, 61):\n"
                                          "        model.fit(x, y, epochs=1)\n"
                                          "        if model.evaluate(xv, y_test)[1] >= target:\n            return epoch\n"),
}


@pytest.mark.parametrize("source", BAD.values(), ids=BAD.keys())
def test_checker_catches_test_data_guiding_a_decision(source):
    assert Checker(source).problems(), f"not caught:\n{source}"


# ... and leaves the honest protocol alone.

GOOD = {
    "split, validate, evaluate once": (
        "x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)\n"
        "x_fit, x_val, y_fit, y_val = train_test_split(x_train, y_train, test_size=0.2, seed=1)\n"
        "x_fit, x_test = scaler.transform(x_fit), scaler.transform(x_test)\n"
        "stop = EarlyStopping(monitor='val_loss', patience=3)\n"
        "model.fit(x_fit, y_fit, validation_data=(x_val, y_val), callbacks=[stop])\n"
        "test_loss, test_acc = model.evaluate(x_test, y_test)\n"),
    "validation_split": "model.fit(x_train, y_train, validation_split=0.2, epochs=5)",
    "choose on validation, then test": (
        "best = max(rates, key=lambda lr: train(lr).evaluate(x_val, y_val)[1])\n"
        "final = train(best)\nprint(final.evaluate(x_test, y_test))\n"),
    "predictions and parity on test": (
        "pred = np.argmax(model.predict(x_test), axis=1)\n"
        "err = np.max(np.abs(model.predict(x_test) - keras_model.predict(x_test)))\n"
        "for name, m in models.items():\n    print(name, m.evaluate(x_test, y_test))\n"),
    "words that end in test": "latest = max(runs, key=lambda r: r.fastest)\nif latest > 0:\n    best = latest",
}


@pytest.mark.parametrize("source", GOOD.values(), ids=GOOD.keys())
def test_checker_accepts_the_honest_protocol(source):
    assert Checker(source).problems() == []


def test_magics_are_blanked_and_cells_join_into_one_program(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "held = (x_test, y_test)"]},
                    {"cell_type": "markdown", "source": "validation_data=(x_test, y_test)"},
                    {"cell_type": "code", "source": "model.fit(x, y, validation_data=held)"}]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    assert Checker(notebook_source(path)).problems() == [
        "line 3: fit(validation_data=...) is given test data"]


# ---------------------------------------------------------------------------------------------
# Every notebook of the book follows the protocol.

def test_notebooks_were_found():
    assert len(NOTEBOOKS) >= 20


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_notebook_never_lets_test_data_guide_a_decision(path):
    problems = Checker(notebook_source(path)).problems()
    assert problems == [], f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)
