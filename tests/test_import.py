"""Importing dlcourse never imports TensorFlow or Keras, and the public names resolve.

Run in a fresh interpreter (a subprocess): in the test process other tests may already
have imported TensorFlow. Every module of the package is imported, found by walking the
package rather than listed by hand, so a new module that imports TensorFlow at import
time fails here; modules that need it (``keras_bridge``, ``bench``, ``parallel``) must
import it inside their functions.
"""
from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import importlib, json, pkgutil, sys
import dlcourse
import dlcourse.layers
names = sorted(m.name for m in pkgutil.walk_packages(dlcourse.__path__, "dlcourse.")
               if not m.name.rsplit(".", 1)[-1].startswith("__"))
for name in names:
    importlib.import_module(name)
resolved = {name: getattr(dlcourse.layers, name).__name__ for name in dlcourse.layers.__all__}
from dlcourse.model import Sequential
from dlcourse.callbacks import EarlyStopping, History
from dlcourse.keras_bridge import to_keras, from_keras
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print(json.dumps({"modules": names, "resolved": resolved, "heavy": heavy}))
"""


def _run():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_dlcourse_and_every_module_leaves_tensorflow_out():
    result = _run()
    for expected in ("dlcourse.model", "dlcourse.callbacks", "dlcourse.keras_bridge", "dlcourse.losses",
                     "dlcourse.optimizers", "dlcourse.layers.core", "dlcourse.layers.conv",
                     "dlcourse.layers.pooling", "dlcourse.layers.recurrent", "dlcourse.layers.embedding",
                     "dlcourse.gradcheck", "dlcourse.activations"):
        assert expected in result["modules"]
    assert result["heavy"] == [], f"TensorFlow/Keras imported at import time: {result['heavy'][:5]}"
    # every name in dlcourse.layers resolves to the class of that name
    assert result["resolved"] == {name: name for name in result["resolved"]}
    assert {"Dense", "Conv2D", "MaxPool2D", "AveragePool2D", "Flatten", "Dropout", "ReLU", "Sigmoid", "Tanh",
            "Softmax", "Activation", "SimpleRNN", "Embedding", "Layer"} <= set(result["resolved"])
