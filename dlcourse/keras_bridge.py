"""Move a ``Sequential`` model to Keras and back, weights and all.

Every dlcourse layer keeps Keras' weight layout, so the translation is a table:
one Keras layer per dlcourse layer, built with the same hyperparameters, then
``keras_layer.set_weights(layer.get_weights())``. The course uses it to show that
the NumPy model and the Keras model are the same function (same predictions) and
the same learner (same weights after the same training steps).

TensorFlow is imported inside the functions, through ``dlcourse.tfsetup``, so that
``import dlcourse.keras_bridge`` stays cheap and ``import dlcourse`` never loads it.

Supported layers: Dense, Conv2D, MaxPool2D, AveragePool2D, Flatten, Dropout, ReLU,
Sigmoid, Tanh, Softmax, Activation, SimpleRNN, LSTM, GRU (``reset_after=True``), Embedding,
BatchNormalization (its moving statistics travel with the weights). Anything else raises a
``TypeError`` naming the layer.
"""
from __future__ import annotations

import numpy as np

__all__ = ["to_keras", "from_keras"]

_ACTIVATION_NAMES = {None: None, "linear": None, "relu": "relu", "sigmoid": "sigmoid",
                     "tanh": "tanh", "softmax": "softmax"}


def _keras():
    from .tfsetup import load_tensorflow
    return load_tensorflow()


def _input_shape(model) -> tuple:
    """Shape of one example (no batch axis), from the model or read off its first layer."""
    shape = model._inferred_input_shape()
    if shape is not None:
        return tuple(shape)
    kind = type(model.layers[0]).__name__
    if kind in ("LSTM", "GRU"):  # sequences of any length, n_in features per step
        return (None, model.layers[0].n_in)
    raise ValueError(f"to_keras: expected Sequential(..., input_shape=...) when the first layer is {kind} "
                     f"(its input size cannot be read off the layer), got input_shape=None")


def _l2(keras, factor):
    return keras.regularizers.L2(factor) if factor else None


def _layer_to_keras(keras, layer, model_dtype):
    kind = type(layer).__name__
    L = keras.layers
    dtype = str(getattr(layer, "dtype", "float32"))
    common = {"name": layer.name, "dtype": dtype}
    # Our parameter-free layers keep their input's dtype; a Keras layer casts to its own,
    # so it gets the model's (a float32 ReLU would round a float64 model's activations).
    free = {"name": layer.name, "dtype": model_dtype}
    if kind == "Dense":
        return L.Dense(layer.units, activation=layer.activation, use_bias=layer.use_bias,
                       kernel_regularizer=_l2(keras, layer.kernel_regularizer), **common)
    if kind == "Conv2D":
        return L.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                        activation=layer.activation, use_bias=layer.use_bias,
                        kernel_regularizer=_l2(keras, layer.kernel_regularizer), **common)
    if kind == "MaxPool2D":
        return L.MaxPooling2D(layer.pool_size, strides=layer.strides, padding=layer.padding, **free)
    if kind == "AveragePool2D":
        return L.AveragePooling2D(layer.pool_size, strides=layer.strides, padding=layer.padding, **free)
    if kind == "Flatten":
        return L.Flatten(**free)
    if kind == "Dropout":
        return L.Dropout(layer.rate, **free)
    if kind == "ReLU":
        return L.ReLU(**free)
    if kind in ("Sigmoid", "Tanh"):
        return L.Activation(kind.lower(), **free)
    if kind == "Softmax":
        return L.Softmax(axis=getattr(layer, "axis", -1), **free)
    if kind == "Activation":
        return L.Activation(layer.activation or "linear", **free)
    if kind == "SimpleRNN":
        return L.SimpleRNN(layer.units, return_sequences=layer.return_sequences, **common)
    if kind == "LSTM":
        return L.LSTM(layer.units, return_sequences=layer.return_sequences,
                      unit_forget_bias=layer.unit_forget_bias, **common)
    if kind == "GRU":
        return L.GRU(layer.units, return_sequences=layer.return_sequences, reset_after=True, **common)
    if kind == "Embedding":
        return L.Embedding(layer.vocab_size, layer.dim, **common)
    if kind == "BatchNormalization":
        return L.BatchNormalization(axis=layer.axis, momentum=layer.momentum, epsilon=layer.epsilon,
                                    center=layer.center, scale=layer.scale, **common)
    raise TypeError(f"to_keras: expected one of Dense, Conv2D, MaxPool2D, AveragePool2D, Flatten, Dropout, "
                    f"ReLU, Sigmoid, Tanh, Softmax, Activation, SimpleRNN, LSTM, GRU, Embedding, "
                    f"BatchNormalization; got {kind} ({layer.name!r})")


def _optimizer_to_keras(keras, opt):
    kind = type(opt).__name__
    cfg = opt.get_config() if hasattr(opt, "get_config") else {}
    if kind in ("SGD", "RMSprop", "Adam", "AdamW"):
        rate = cfg.get("learning_rate")
        if hasattr(rate, "get_config"):  # a dlcourse schedule -> Keras' schedule of the same name
            cfg["learning_rate"] = getattr(keras.optimizers.schedules, type(rate).__name__).from_config(
                rate.get_config())
        return getattr(keras.optimizers, kind)(**cfg)
    raise TypeError(f"to_keras: expected an SGD, RMSprop, Adam or AdamW optimizer, got {kind}")


def _optimizer_from_keras(opt):
    """The dlcourse optimizer with a Keras optimizer's hyperparameters (fresh state), or None."""
    from . import optimizers

    kind = type(opt).__name__
    keys = {"SGD": ("momentum", "nesterov"), "RMSprop": ("rho", "epsilon"),
            "Adam": ("beta_1", "beta_2", "epsilon"), "AdamW": ("beta_1", "beta_2", "epsilon")}.get(kind)
    if keys is None:
        return None
    cfg = opt.get_config()
    rate = cfg["learning_rate"]
    if isinstance(rate, dict):  # a serialized Keras schedule -> dlcourse's schedule of the same name
        rate = getattr(optimizers.schedules, rate["class_name"]).from_config(rate["config"])
    else:
        # Keras keeps the rate in a float32 variable (0.001 reads back as 0.0010000000475);
        # the shortest decimal that rounds to the same float32 is what the user typed.
        rate = float(str(np.float32(rate)))
    decay = cfg.get("weight_decay")
    return getattr(optimizers, kind)(learning_rate=rate, weight_decay=decay, **{k: cfg[k] for k in keys})


def _loss_to_keras(keras, loss, dtype):
    # Keras computes losses in float32 unless told otherwise, even for float64 layers;
    # passing the model's dtype keeps a float64 model float64 end to end.
    kind = type(loss).__name__
    if kind == "MeanSquaredError":
        return keras.losses.MeanSquaredError(dtype=dtype)
    if kind in ("BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"):
        return getattr(keras.losses, kind)(from_logits=bool(getattr(loss, "from_logits", False)), dtype=dtype)
    raise TypeError(f"to_keras: expected a dlcourse loss (MeanSquaredError or a cross-entropy), got {kind}")


def to_keras(model, compile: bool = True):
    """A ``keras.Sequential`` with the same layers and identical weights.

    Parameters
    ----------
    model : dlcourse.model.Sequential
    compile : bool
        If the dlcourse model is compiled, compile the Keras model with the matching
        optimizer (same hyperparameters, fresh state), loss and metrics.

    Returns
    -------
    keras.Sequential
        Built for ``(None, *input_shape)``; layer names and dtypes carried over.

    Raises
    ------
    TypeError
        For a layer, optimizer or loss with no Keras counterpart here.
    """
    from .model import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"to_keras: expected a dlcourse.model.Sequential, got {type(model).__name__}")
    if not model.layers:
        raise ValueError("to_keras: expected a model with at least one layer, got none")
    shape = _input_shape(model)
    tf, keras = _keras()
    first_dtype = next((str(p.dtype) for layer in model.layers for p in getattr(layer, "params", {}).values()),
                       "float32")
    input_dtype = "int32" if type(model.layers[0]).__name__ == "Embedding" else first_dtype
    klayers = [_layer_to_keras(keras, layer, first_dtype) for layer in model.layers]
    kmodel = keras.Sequential([keras.Input(shape=shape, dtype=input_dtype), *klayers], name=model.name)
    for klayer, layer in zip(klayers, model.layers):
        weights = layer.get_weights()
        if weights:
            klayer.set_weights(weights)
        # A frozen layer is not trained; a frozen BatchNormalization also uses its moving statistics.
        klayer.trainable = bool(getattr(layer, "trainable", True))
    if compile and model.loss is not None:
        kmodel.compile(optimizer=_optimizer_to_keras(keras, model.optimizer) if model.optimizer is not None
                       else "rmsprop",
                       loss=_loss_to_keras(keras, model.loss, first_dtype), metrics=list(model.metrics))
    return kmodel


def _activation_name(keras, fn, where: str):
    name = keras.activations.serialize(fn)
    if isinstance(name, dict):  # Keras 3 may return a config dict
        name = name.get("config", name.get("class_name"))
    if name not in _ACTIVATION_NAMES:
        raise TypeError(f"{where}: expected activation linear, relu, sigmoid, tanh or softmax, got {name!r}")
    return _ACTIVATION_NAMES[name]


def _l2_from_keras(reg, where: str):
    if reg is None:
        return None
    l2 = getattr(reg, "l2", None)
    if type(reg).__name__ not in ("L2",) or l2 is None:
        raise TypeError(f"{where}: expected kernel_regularizer None or keras.regularizers.L2, got {type(reg).__name__}")
    return float(l2)


def _layer_from_keras(keras, kl):
    from . import layers as L

    kind = type(kl).__name__
    where = f"from_keras({kind} {kl.name!r})"
    weights = kl.get_weights()
    dtype = getattr(kl, "dtype", None) or "float32"
    dtype = str(getattr(dtype, "name", dtype))
    if kind == "Dense":
        layer = L.Dense(weights[0].shape[0], kl.units, activation=_activation_name(keras, kl.activation, where),
                        use_bias=kl.use_bias, kernel_regularizer=_l2_from_keras(kl.kernel_regularizer, where),
                        dtype=dtype, name=kl.name)
    elif kind == "Conv2D":
        if kl.data_format != "channels_last" or tuple(kl.dilation_rate) != (1, 1) or kl.groups != 1:
            raise TypeError(f"{where}: expected channels_last, dilation 1 and groups 1, got "
                            f"{kl.data_format}, {kl.dilation_rate}, {kl.groups}")
        layer = L.Conv2D(weights[0].shape[2], kl.filters, tuple(kl.kernel_size), strides=tuple(kl.strides),
                         padding=kl.padding, activation=_activation_name(keras, kl.activation, where),
                         use_bias=kl.use_bias, kernel_regularizer=_l2_from_keras(kl.kernel_regularizer, where),
                         dtype=dtype, name=kl.name)
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        if kl.data_format != "channels_last":
            raise TypeError(f"{where}: expected channels_last, got {kl.data_format}")
        cls = L.MaxPool2D if kind == "MaxPooling2D" else L.AveragePool2D
        layer = cls(tuple(kl.pool_size), strides=tuple(kl.strides), padding=kl.padding, name=kl.name)
    elif kind == "Flatten":
        layer = L.Flatten(name=kl.name)
    elif kind == "Dropout":
        layer = L.Dropout(kl.rate, name=kl.name)
    elif kind == "ReLU":
        if kl.max_value is not None or kl.negative_slope or kl.threshold:
            raise TypeError(f"{where}: expected a plain ReLU (no max_value, negative_slope, threshold)")
        layer = L.ReLU(name=kl.name)
    elif kind == "Softmax":
        layer = L.Softmax(axis=kl.axis, name=kl.name)
    elif kind == "Activation":
        name = _activation_name(keras, kl.activation, where)
        cls = {"relu": L.ReLU, "sigmoid": L.Sigmoid, "tanh": L.Tanh, "softmax": L.Softmax}.get(name)
        if cls is None:
            raise TypeError(f"{where}: expected a relu, sigmoid, tanh or softmax activation, got linear")
        layer = cls(name=kl.name)
    elif kind == "SimpleRNN":
        if _activation_name(keras, kl.cell.activation, where) != "tanh" or not kl.cell.use_bias \
                or kl.go_backwards or kl.return_state:
            raise TypeError(f"{where}: expected a tanh SimpleRNN with bias, forward in time, no state returned")
        layer = L.SimpleRNN(weights[0].shape[0], kl.units, return_sequences=kl.return_sequences,
                            dtype=dtype, name=kl.name)
    elif kind in ("LSTM", "GRU"):
        layer = _gated_from_keras(keras, kl, kind, weights, dtype, where)
    elif kind == "Embedding":
        layer = L.Embedding(kl.input_dim, kl.output_dim, dtype=dtype, name=kl.name)
    elif kind == "BatchNormalization":
        layer = _batch_norm_from_keras(kl, weights, dtype, where)
    else:
        raise TypeError(f"from_keras: expected Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, "
                        f"ReLU, Softmax, Activation, SimpleRNN, LSTM, GRU, Embedding or BatchNormalization "
                        f"layers, got {kind} ({kl.name!r})")
    if weights:
        layer.set_weights(weights)
    layer.trainable = bool(kl.trainable)
    return layer


def _gated_from_keras(keras, kl, kind, weights, dtype, where):
    """An LSTM or GRU of ours for a Keras one, if it computes what ours computes."""
    from . import layers as L

    cell = kl.cell
    if _activation_name(keras, cell.activation, where) != "tanh" \
            or _activation_name(keras, cell.recurrent_activation, where) != "sigmoid" or not cell.use_bias \
            or kl.go_backwards or kl.return_state or kl.stateful or cell.dropout or cell.recurrent_dropout:
        raise TypeError(f"{where}: expected tanh with sigmoid gates, with bias, forward in time, "
                        f"no state returned or kept, no dropout")
    if kind == "GRU":
        if not cell.reset_after:
            raise TypeError(f"{where}: expected reset_after=True (Keras 3's default), got reset_after=False")
        return L.GRU(weights[0].shape[0], kl.units, return_sequences=kl.return_sequences, dtype=dtype, name=kl.name)
    return L.LSTM(weights[0].shape[0], kl.units, return_sequences=kl.return_sequences,
                  unit_forget_bias=cell.unit_forget_bias, dtype=dtype, name=kl.name)


def _batch_norm_from_keras(kl, weights, dtype, where):
    from . import layers as L

    if kl.renorm or kl.synchronized:
        raise TypeError(f"{where}: expected a plain BatchNormalization (no renorm, not synchronized)")
    return L.BatchNormalization(weights[-1].shape[0], axis=kl.axis, momentum=kl.momentum, epsilon=kl.epsilon,
                                center=kl.center, scale=kl.scale, dtype=dtype, name=kl.name)


def from_keras(keras_model):
    """A dlcourse ``Sequential`` with the same layers and identical weights.

    If the Keras model is compiled with SGD/RMSprop/Adam/AdamW and a supported loss, the
    dlcourse model is compiled to match (fresh optimizer state).

    Raises
    ------
    TypeError
        For a model that is not a ``keras.Sequential`` or a layer with no dlcourse counterpart.
    """
    from . import losses
    from .model import Sequential

    tf, keras = _keras()
    if not isinstance(keras_model, keras.Sequential):
        raise TypeError(f"from_keras: expected a keras.Sequential, got {type(keras_model).__name__}")
    layers = [_layer_from_keras(keras, kl) for kl in keras_model.layers]
    try:
        input_shape = tuple(keras_model.input_shape[1:])
    except (AttributeError, ValueError):
        input_shape = None
    model = Sequential(layers, input_shape=input_shape, name=keras_model.name)
    opt, loss = getattr(keras_model, "optimizer", None), getattr(keras_model, "loss", None)
    if getattr(keras_model, "compiled", False) and opt is not None and loss is not None:
        new_opt = _optimizer_from_keras(opt)
        if new_opt is not None:
            loss_name = loss if isinstance(loss, str) else type(loss).__name__
            by_class = {"MeanSquaredError": "mse", "BinaryCrossentropy": "binary_crossentropy",
                        "CategoricalCrossentropy": "categorical_crossentropy",
                        "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy"}
            loss_name = by_class.get(loss_name, loss_name)
            from_logits = bool(getattr(loss, "from_logits", False)) if not isinstance(loss, str) else False
            try:
                new_loss = losses.get(loss_name)
            except (ValueError, TypeError):
                new_loss = None
            if new_loss is not None:
                if from_logits:
                    new_loss = type(new_loss)(from_logits=True)
                metrics = ["accuracy"] if _keras_has_accuracy(keras_model) else []
                model.compile(new_opt, new_loss, metrics=metrics)
    return model


def _keras_has_accuracy(keras_model) -> bool:
    cm = getattr(keras_model, "_compile_metrics", None)
    names = getattr(cm, "_user_metrics", None) or []
    return any(str(m).lower() in ("accuracy", "acc") for m in names)
