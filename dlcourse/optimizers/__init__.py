"""Optimizers (SGD with momentum and Nesterov, RMSprop, Adam, AdamW) and learning-rate schedules.

One module per concept, each following the ``update_step`` of the matching class in
``keras.optimizers`` (Keras 3.15), including where epsilon sits and Adam's bias-corrected
step size, so that the same gradient sequence yields the same parameters (the tests
check this step by step):

- ``base``       ``Optimizer``: checks, weight decay, an all-or-nothing ``apply_gradients``
- ``sgd``        ``SGD``, with momentum and Nesterov momentum
- ``rmsprop``    ``RMSprop``
- ``adam``       ``Adam``
- ``adamw``      ``AdamW``, Adam with decoupled weight decay
- ``schedules``  ``ExponentialDecay``, ``CosineDecay``, ``PiecewiseConstantDecay``

Each update (``_update``) is one line of NumPy per line of its formula: it returns the new
parameter value and state, and the base class writes them once every parameter's update
has been checked finite.
"""
from __future__ import annotations

from . import schedules
from .adam import Adam
from .adamw import AdamW
from .base import NonFiniteGradientError, Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "NonFiniteGradientError", "get", "schedules"]

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(identifier) -> Optimizer:
    """Return an optimizer from a name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``; Keras' defaults).

    An ``Optimizer`` is passed through.

    Examples
    --------
    >>> get("adam")
    Adam(learning_rate=0.001, weight_decay=None, beta_1=0.9, beta_2=0.999, epsilon=1e-07)
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizers.get: expected one of {sorted(_BY_NAME)}, got {identifier!r}")
        return cls()
    raise TypeError(f"optimizers.get: expected an optimizer name or an Optimizer instance, "
                    f"got {type(identifier).__name__}")
