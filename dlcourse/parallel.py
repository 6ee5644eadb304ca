"""Synchronous data-parallel SGD: the NumPy reference and its ``tf.distribute`` twin.

Data parallelism trains one model on several devices at once. Every device (a
*replica*) holds a full copy of the weights. One training step:

1. split the global batch of ``n`` samples into ``R`` shards, one per replica;
2. each replica runs forward and backward on its shard, getting the gradient
   ``g_r`` of the *mean* loss over its ``n_r`` samples;
3. the gradients are combined (an *all-reduce*) into
   ``g = sum_r (n_r / n) g_r``;
4. every replica applies the same update ``w <- w - learning_rate * g``, so the
   copies stay identical.

Because the loss is a mean over samples, ``sum_r (n_r / n) g_r`` is exactly the
gradient of the mean loss over the whole batch: synchronous data-parallel SGD
computes *the same step* as single-device SGD on the full batch, only split across
devices (Dean et al. 2012 describe the asynchronous variant, which does not have
this property; Goyal et al. 2017 scale the synchronous one to 256 GPUs). With equal
shards the weights are ``1/R``, the plain average. ``data_parallel_step`` spells
this out in NumPy; ``mirrored_strategy_train`` runs it with TensorFlow's
``tf.distribute.MirroredStrategy`` on two logical CPU devices, and the tests check
that the weights agree with each other and with full-batch SGD.

Why the TensorFlow side runs in a fresh process: splitting the CPU into logical
devices (``tf.config.set_logical_device_configuration``) is only allowed before
TensorFlow initialises its runtime, i.e. before any other TF operation. In a
notebook or a test session TensorFlow has usually run already, and the call then
raises ``RuntimeError``. So ``mirrored_strategy_train`` writes the weights and data to
an ``.npz`` file, runs ``python -m dlcourse.parallel <dir>`` in a subprocess that
configures the devices first thing, and reads the trained weights back (with
``allow_pickle=False``: plain arrays only).
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from ._checks import as_array, check_finite, check_positive_int

__all__ = ["shard_sizes", "data_parallel_step", "mirrored_strategy_train"]


def _layers_of(model_or_layers, where: str) -> list:
    layers = getattr(model_or_layers, "layers", model_or_layers)
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"{where}: expected a Sequential or a list of layers, got {type(model_or_layers).__name__}") from None
    if not layers or not all(hasattr(l, "forward") and hasattr(l, "backward") for l in layers):
        raise TypeError(f"{where}: expected a non-empty list of layers with forward/backward, "
                        f"got {[type(l).__name__ for l in layers]}")
    return layers


def _loss_of(loss, where: str):
    if isinstance(loss, str):
        from . import losses
        return losses.get(loss)
    if not (callable(loss) and hasattr(loss, "gradient")):
        raise TypeError(f"{where}: expected a dlcourse loss (or its name), got {type(loss).__name__}")
    return loss


def shard_sizes(n: int, n_replicas: int) -> list[int]:
    """How ``n`` samples split over ``n_replicas``: sizes differ by at most one, as ``np.array_split``.

    Every replica gets at least one sample (an empty shard has no mean loss), so ``1 <= n_replicas <= n``.

    >>> shard_sizes(10, 3)
    [4, 3, 3]
    """
    n = check_positive_int(n, "shard_sizes", "n (the number of samples)")
    n_replicas = check_positive_int(n_replicas, "shard_sizes", "n_replicas")
    if n_replicas > n:
        raise ValueError(f"shard_sizes: expected 1 <= n_replicas <= n = {n} (every replica needs a sample), "
                         f"got {n_replicas}")
    return [len(s) for s in np.array_split(np.arange(n), n_replicas)]


def _check_learning_rate(learning_rate, where: str) -> None:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected a learning_rate > 0, got {type(learning_rate).__name__}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"{where}: expected a learning_rate > 0, got {learning_rate}")


def _check_step(model_or_layers, loss, x, y, n_replicas, learning_rate, where: str):
    """All of ``data_parallel_step``'s validation, so that a bad argument fails before any replica runs."""
    layers = _layers_of(model_or_layers, where)
    loss = _loss_of(loss, where)
    x, y = as_array(x, where, "an array x"), as_array(y, where, "an array y")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"{where}: expected x and y with the same number of samples, got shapes {x.shape} and {y.shape}")
    for name, arr in (("x", x), ("y", y)):
        if arr.dtype.kind == "f":
            check_finite(arr, f"{where}: {name}")  # one NaN sample would turn every weight into NaN
    if isinstance(n_replicas, bool) or not isinstance(n_replicas, (int, np.integer)):
        raise TypeError(f"{where}: expected n_replicas to be an int, got {type(n_replicas).__name__}")
    if not 1 <= n_replicas <= len(x):
        raise ValueError(f"{where}: expected 1 <= n_replicas <= batch size {len(x)}, got {n_replicas}")
    _check_learning_rate(learning_rate, where)
    return layers, loss, x, y


def _trainable_params(layers) -> list[np.ndarray]:
    return [layer.params[k] for layer in layers if layer.trainable for k in layer.params]


def _replica_gradient(layers, loss, x, y):
    """Forward and backward on one shard; returns (loss value, gradient arrays in ``_trainable_params`` order)."""
    a = x
    for layer in layers:
        a = layer.forward(a, training=True)
    value, grad = loss.value_and_gradient(y, a)
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return value, [layer.grads[k] for layer in layers if layer.trainable for k in layer.params]


def _all_reduce(per_replica: list[list[np.ndarray]], weights) -> list[np.ndarray]:
    """``sum_r weights[r] * g_r`` for every parameter: what an all-reduce computes across the devices."""
    return [sum(w_r * g_r for w_r, g_r in zip(weights, grads)) for grads in zip(*per_replica)]


def data_parallel_step(model_or_layers, loss, x, y, n_replicas: int, learning_rate: float) -> dict:
    """One synchronous data-parallel SGD step, in place on the given layers' parameters.

    Parameters
    ----------
    model_or_layers : Sequential or list of Layer
        The primary copy of the model; its parameters are updated in place.
    loss : dlcourse loss (or its name, e.g. ``"sparse_categorical_crossentropy"``)
        Must be a *mean* over the batch, as every dlcourse/Keras loss is by default.
    x, y : arrays ``(n, ...)``
        The global batch.
    n_replicas : int, 1 <= n_replicas <= n
        Number of simulated devices; shard sizes differ by at most one.
    learning_rate : float

    Returns
    -------
    dict
        ``loss``: the full-batch loss before the update (shard losses weighted
        by shard size); ``shard_sizes``: the list of ``n_r``.

    Notes
    -----
    Each replica is a deep copy of the layers (same weights, its own caches and
    gradients), as each device would hold. The equality with full-batch SGD holds
    for deterministic layers; with ``Dropout`` each replica draws its own masks.
    The L2 term of a regularizer is in every replica's gradient; since the
    weights ``n_r / n`` sum to one it appears exactly once in the average.
    """
    layers, loss, x, y = _check_step(model_or_layers, loss, x, y, n_replicas, learning_rate, "data_parallel_step")
    n = len(x)
    # 1. Shard the global batch: replica r gets n_r consecutive samples.
    x_shards, y_shards = np.array_split(x, n_replicas), np.array_split(y, n_replicas)
    sizes = [len(x_r) for x_r in x_shards]
    # 2. Every replica, a copy of the weights broadcast to its device, computes g_r on its own shard.
    replicas = [_replica_gradient(copy.deepcopy(layers), loss, x_r, y_r) for x_r, y_r in zip(x_shards, y_shards)]
    weights = np.array(sizes) / n  # n_r / n, which sum to one
    # 3. All-reduce: g = sum_r (n_r / n) g_r is exactly the gradient of the mean loss over the whole batch.
    g = _all_reduce([grads for _, grads in replicas], weights)
    # 4. One update, the same on every replica, so that their copies of the weights stay identical.
    for theta, g_theta in zip(_trainable_params(layers), g):
        theta -= (learning_rate * g_theta).astype(theta.dtype, copy=False)
    loss_value = sum(w_r * loss_r for w_r, (loss_r, _) in zip(weights, replicas))  # the full-batch mean loss
    return {"loss": float(loss_value), "shard_sizes": sizes}


# --------------------------------------------------------------------------------------------
# TensorFlow: MirroredStrategy over logical CPU devices, in a subprocess
# --------------------------------------------------------------------------------------------
def _dense_spec(layers, where: str) -> list[dict]:
    spec = []
    for layer in layers:
        if type(layer).__name__ != "Dense":
            raise TypeError(
                f"{where}: expected a stack of Dense layers (the MLP the course distributes), "
                f"got {type(layer).__name__}; use keras_bridge for other architectures"
            )
        spec.append({"n_in": layer.n_in, "units": layer.units, "activation": layer.activation,
                     "use_bias": layer.use_bias, "l2": layer.kernel_regularizer})
    return spec


def mirrored_strategy_train(model_or_layers, loss, x, y, batch_size: int, learning_rate: float,
                            epochs: int = 1, n_replicas: int = 2, timeout: float = 600.0) -> dict:
    """Train a copy of a Dense model with Keras + ``MirroredStrategy`` on ``n_replicas`` logical CPUs.

    The Keras model gets the same architecture and weights as ``model_or_layers``
    (which is not modified) and is trained with plain SGD on the batches
    ``x[0:batch_size]``, ``x[batch_size:2*batch_size]``, ... in order (no shuffling),
    each global batch split over the replicas. Running ``data_parallel_step`` on the
    same batches gives the same weights.

    Parameters
    ----------
    model_or_layers : Sequential or list of Dense
    loss : dlcourse loss or its name (mapped to the Keras loss of the same name)
    x, y : arrays ``(n, ...)``; ``n`` should be a multiple of ``batch_size``
    batch_size : int, the global batch (all replicas together)
    learning_rate : float
    epochs : int
    n_replicas : int, number of logical CPU devices (default 2: "/cpu:0", "/cpu:1")
    timeout : float, seconds before the subprocess is abandoned

    Returns
    -------
    dict
        ``weights`` (list of arrays in the model's ``get_weights`` order),
        ``num_replicas_in_sync`` (as reported by the strategy), ``devices``.

    Raises
    ------
    RuntimeError
        The subprocess failed; its stderr is included.
    """
    where = "mirrored_strategy_train"
    layers = _layers_of(model_or_layers, where)
    loss = _loss_of(loss, where)
    spec = _dense_spec(layers, where)
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(f"{where}: expected x and y with the same number of samples, got shapes {x.shape} and {y.shape}")
    # Checked here, so a typo costs a clear message instead of a TensorFlow traceback from the subprocess.
    batch_size = check_positive_int(batch_size, where, "batch_size")
    epochs = check_positive_int(epochs, where, "epochs")
    n_replicas = check_positive_int(n_replicas, where, "n_replicas")
    _check_learning_rate(learning_rate, where)
    weights = [w for layer in layers for w in layer.get_weights()]
    config = {"layers": spec, "loss": loss.name, "from_logits": loss.from_logits,
              "batch_size": batch_size, "learning_rate": float(learning_rate), "epochs": epochs,
              "n_replicas": n_replicas, "dtype": str(weights[0].dtype)}
    with tempfile.TemporaryDirectory(prefix="dlcourse-mirrored-") as tmp:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f)
        np.savez(os.path.join(tmp, "inputs.npz"), x=x, y=y, **{f"w{i}": w for i, w in enumerate(weights)})
        proc = subprocess.run([sys.executable, "-m", "dlcourse.parallel", tmp],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{where}: the TensorFlow subprocess failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        with np.load(os.path.join(tmp, "outputs.npz"), allow_pickle=False) as out:
            trained = [out[f"w{i}"] for i in range(len(weights))]
        with open(os.path.join(tmp, "outputs.json")) as f:
            info = json.load(f)
    return {"weights": trained, **info}


def _run_mirrored(directory: str) -> None:
    """Child-process side of ``mirrored_strategy_train``: configure devices first, then train."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    from .tfsetup import load_tensorflow

    tf, keras = load_tensorflow()  # no seed: seeding is a TF op, and nothing here is random
    cpus = tf.config.list_physical_devices("CPU")
    # Must come before any other TF operation (it fixes the runtime's device list).
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration()] * config["n_replicas"])
    devices = [f"/cpu:{i}" for i in range(config["n_replicas"])]
    strategy = tf.distribute.MirroredStrategy(devices)
    keras.config.set_floatx(config["dtype"])

    with np.load(os.path.join(directory, "inputs.npz"), allow_pickle=False) as inputs:
        x, y = inputs["x"], inputs["y"]
        weights = [inputs[f"w{i}"] for i in range(len(inputs.files) - 2)]
    loss_classes = {"mean_squared_error": "MeanSquaredError", "binary_crossentropy": "BinaryCrossentropy",
                    "categorical_crossentropy": "CategoricalCrossentropy",
                    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}
    loss_cls = getattr(keras.losses, loss_classes[config["loss"]])
    with strategy.scope():  # variables created here are mirrored on every device
        model = keras.Sequential([keras.Input((config["layers"][0]["n_in"],))] + [
            keras.layers.Dense(l["units"], activation=l["activation"], use_bias=l["use_bias"],
                               kernel_regularizer=keras.regularizers.L2(l["l2"]) if l["l2"] else None)
            for l in config["layers"]])
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=config["learning_rate"]),
                      loss=loss_cls() if config["loss"] == "mean_squared_error" else loss_cls(from_logits=config["from_logits"]))
    model.fit(x, y, batch_size=config["batch_size"], epochs=config["epochs"], shuffle=False, verbose=0)
    np.savez(os.path.join(directory, "outputs.npz"), **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    with open(os.path.join(directory, "outputs.json"), "w") as f:
        json.dump({"num_replicas_in_sync": int(strategy.num_replicas_in_sync), "devices": devices}, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m dlcourse.parallel DIRECTORY  (written by dlcourse.parallel.mirrored_strategy_train)")
    _run_mirrored(sys.argv[1])
