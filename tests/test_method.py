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
``ys_test``, ``test_acc``; not ``latest``), and any name computed from one. The cells are read
in order as one program: assignments, ``for`` targets, ``.append`` and item assignment carry the
taint from cell to cell, rebinding a name to clean data clears it, a function whose body reads
test data returns test data, and a function called with test data is read with it. (Not caught:
a choice hidden in a comprehension's ``if``, such as ``next(n for n, a in ... if a >= 0.9)``.) The checker is shown below to catch
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
    """Find the places where test data guides a decision in one program (a notebook's cells).

    The program is read in order, as it runs: ``self.tainted`` holds the names that hold test data
    *at that point*, so a name rebound to clean data (``s = report(y_val, ...)`` after
    ``for s in test_scores``) is clean again. Loop bodies are read twice, so a value carried into the
    next iteration counts; both branches of an ``if`` are read and their taints joined. A function
    called with test data is read again with those parameters tainted.
    """

    def __init__(self, source: str):
        self.tree = ast.parse(source)
        self._callees = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        self.tainted: set[str] = set()
        self.functions: dict[str, ast.FunctionDef] = {}
        self._checked_calls: set[tuple] = set()
        self.found: set[tuple[int, str]] = set()
        self._block(self.tree.body, loop_depth=0)

    # -- what reads test data -------------------------------------------------------------------

    def reads_test(self, node, ignore=frozenset()) -> bool:
        """Does ``node`` read test data now? A called function counts only if it returns test data."""
        if node is None:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id not in ignore and (
                    sub.id in self.tainted or (is_test_name(sub.id) and id(sub) not in self._callees)):
                return True  # `train_test_split(...)` is a function, not data: judged by what it returns
            if isinstance(sub, ast.Attribute) and is_test_name(sub.attr) and id(sub) not in self._callees:
                return True
        return False

    def _function_reads_test(self, fn) -> bool:
        """A function returns test data if its body reads test data it did not bind itself."""
        params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
        local = params | {n for node in ast.walk(fn) for t in getattr(node, "targets", [getattr(node, "target", None)])
                          if t is not None for n in _target_names(t)}
        return any(self.reads_test(stmt, ignore=frozenset(local)) for stmt in fn.body)

    # -- reading the program in order ------------------------------------------------------------

    def _block(self, body, loop_depth: int) -> None:
        for stmt in body:
            self._statement(stmt, loop_depth)

    def _statement(self, stmt, loop_depth: int) -> None:
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._check_expressions(stmt.iter, loop_depth)
            for _ in range(2):  # twice: what one iteration leaves tainted reaches the next
                self._bind(stmt.target, self.reads_test(stmt.iter))
                self._block(stmt.body, loop_depth + 1)
            self._block(stmt.orelse, loop_depth)
        elif isinstance(stmt, ast.While):
            self._check_expressions(stmt.test, loop_depth)
            for _ in range(2):
                self._block(stmt.body, loop_depth + 1)
            self._block(stmt.orelse, loop_depth)
        elif isinstance(stmt, ast.If):
            self._check_expressions(stmt.test, loop_depth)
            if loop_depth and self.reads_test(stmt.test) and any(
                    isinstance(sub, (ast.Assign, ast.AugAssign, ast.Break, ast.Return))
                    for part in stmt.body for sub in ast.walk(part)):
                self._report(stmt, "a loop chooses (assigns, stops or returns) on a comparison with test data")
            before = set(self.tainted)
            self._block(stmt.body, loop_depth)
            after_body, self.tainted = self.tainted, before
            self._block(stmt.orelse, loop_depth)
            self.tainted |= after_body
        elif isinstance(stmt, (ast.With, ast.Try)):
            for part in ("items", "body", "handlers", "orelse", "finalbody"):
                for sub in getattr(stmt, part, []):
                    if isinstance(sub, ast.stmt):
                        self._statement(sub, loop_depth)
                    elif isinstance(sub, ast.ExceptHandler):
                        self._block(sub.body, loop_depth)
                    else:
                        self._check_expressions(sub.context_expr, loop_depth)
        elif isinstance(stmt, ast.FunctionDef):
            self.functions[stmt.name] = stmt
            self._bind(ast.Name(id=stmt.name), self._function_reads_test(stmt))
            saved = set(self.tainted)
            self._block(stmt.body, loop_depth=0)  # problems written inside a function are problems
            self.tainted = saved | ({stmt.name} & self.tainted)
        elif isinstance(stmt, ast.ClassDef):
            if any((b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")).endswith("Callback")
                   for b in stmt.bases) and self.reads_test(stmt):
                self._report(stmt, f"callback class {stmt.name} reads test data")
        else:
            self._check_expressions(stmt, loop_depth)
            self._bindings(stmt)

    def _bind(self, target, tainted: bool) -> None:
        """Rebinding a plain name replaces its taint; mutating (``a[k] = ``, ``a.b = ``) only adds."""
        names = _target_names(target)
        if tainted:
            self.tainted.update(names)
        elif isinstance(target, ast.Name):
            self.tainted.discard(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind(elt, False)

    def _bindings(self, stmt) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple) \
                        and len(target.elts) == len(stmt.value.elts):  # a, b = f(a), f(b): pair by pair
                    for elt, value in zip(target.elts, stmt.value.elts):
                        self._bind(elt, self.reads_test(value))
                else:
                    self._bind(target, self.reads_test(stmt.value))
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and stmt.value is not None:
            if self.reads_test(stmt.value):
                self.tainted.update(_target_names(stmt.target))
        for node in ast.walk(stmt):  # results.append(test_score), scores.update(...)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ACCUMULATORS and self.reads_test(ast.Tuple(
                        elts=node.args + [k.value for k in node.keywords])):
                self.tainted.update(_target_names(node.func.value))
            elif isinstance(node, ast.NamedExpr) and self.reads_test(node.value):
                self.tainted.add(node.target.id)

    # -- the problems ----------------------------------------------------------------------------

    def _report(self, node, message: str) -> None:
        self.found.add((node.lineno, message))

    def _check_expressions(self, node, loop_depth: int) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                self._check_call(sub)

    def _check_call(self, call: ast.Call) -> None:
        name, kw = _func_name(call), {k.arg: k.value for k in call.keywords}
        if self.reads_test(kw.get("validation_data")):
            self._report(call, f"{name}(validation_data=...) is given test data")
        if self.reads_test(kw.get("callbacks")):
            self._report(call, f"{name}(callbacks=...) is given test data")
        # training data is judged by name only: `x_train[:n]` with a size `n` chosen from test scores
        # is a (separate) selection question, not training on the test set
        if name == "fit" and any(is_test_name(sub.id) for a in call.args[:2] + [kw.get("x"), kw.get("y")]
                                 if a is not None for sub in ast.walk(a) if isinstance(sub, ast.Name)):
            self._report(call, f"{name}(...) trains on test data")
        if (name in CALLBACK_NAMES or name.endswith("Callback")) and self.reads_test(
                ast.Tuple(elts=call.args + list(kw.values()))):
            self._report(call, f"{name}(...) is a callback given test data")
        if name in SELECT_BY_KEY and self.reads_test(kw.get("key")):
            self._report(call, f"{name}(key=...) selects by test data")
        if name in SELECT_BY_INDEX and "axis" not in kw and any(self.reads_test(a) for a in call.args):
            self._report(call, f"{name}(...) selects by test data")
        self._check_function_called_with_test(call, name, kw)

    def _check_function_called_with_test(self, call, name, kw) -> None:
        """Read a notebook function again with the parameters that receive test data tainted."""
        fn = self.functions.get(name) if isinstance(call.func, ast.Name) else None
        if fn is None:
            return
        params = [a.arg for a in fn.args.args]
        given = dict(zip(params, call.args)) | {k: v for k, v in kw.items() if k}
        hot = frozenset(p for p, value in given.items() if self.reads_test(value))
        if not hot or (name, hot) in self._checked_calls:
            return
        self._checked_calls.add((name, hot))
        saved = set(self.tainted)
        self.tainted |= hot
        self._block(fn.body, loop_depth=0)
        self.tainted = saved

    def problems(self) -> list[str]:
        return [f"line {line}: {message}" for line, message in sorted(self.found)]


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
    "test data passed into a function that chooses": (
        "def epochs_to(model, xv, yv):\n    for epoch in range(60):\n        model.fit(x, y, epochs=1)\n"
        "        if model.evaluate(xv, yv)[1] >= 0.95:\n            return epoch\n"
        "e = epochs_to(model, x_test, y_test)\n"),
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
    "a name rebound to validation data is clean again": (
        "for name, s in test_scores.items():\n    print(name, s)\n"
        "f1s = []\nfor t in thresholds:\n    s = report(y_val, p_val > t)\n    f1s.append(s['f1'])\n"
        "chosen = thresholds[np.argmax(f1s)]\n"),
    "a function's own locals are not the notebook's": (
        "noisy = results_on(x_test)\n"
        "def corrupt(labels):\n    noisy = labels.copy()\n    return noisy\n"
        "y_train = corrupt(y_clean)\nbest = max(lams, key=lambda lam: fit(lam, y_train).evaluate(x_val, y_val))\n"),
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
