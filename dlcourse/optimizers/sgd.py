"""Stochastic gradient descent, with optional (Nesterov) momentum, as ``keras.optimizers.SGD``."""
from __future__ import annotations

import numpy as np

from ._validate import check_bool, check_rate
from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum, as ``keras.optimizers.SGD``.

    With learning rate :math:`\eta` and gradient :math:`g`, and ``momentum == 0``:

    .. math:: w \leftarrow w - \eta\, g

    With momentum :math:`\mu` and velocity :math:`m` (zero at the start):

    .. math::
        m \leftarrow \mu\, m - \eta\, g, \qquad
        w \leftarrow w + m \quad\text{or, with Nesterov,}\quad w \leftarrow w + \mu\, m - \eta\, g

    Nesterov's form looks one step ahead along the new velocity (Sutskever et al. 2013).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
    momentum : float in [0, 1), default 0.0
    nesterov : bool, default False
    weight_decay : float >= 0 or None, default None
        Decoupled weight decay, as in every Keras optimizer (see ``Optimizer``).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> SGD(learning_rate=0.5).apply_gradients([(np.array([2.0, 4.0]), w)])
    1
    >>> w
    array([ 0., -4.])
    """

    _state_names = ("velocity m",)

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.momentum = check_rate(momentum, "momentum", "SGD", 0.0, 1.0, high_inclusive=False)
        self.nesterov = check_bool(nesterov, "nesterov", "SGD")

    def _new_state(self, param):
        return () if self.momentum == 0 else (np.zeros_like(param),)

    def _update(self, w, g, lr, m=None):
        if m is None:                                   # plain SGD keeps no state
            return w - lr * g, ()
        m = self.momentum * m - lr * g                  # velocity: a decaying sum of past steps
        if self.nesterov:
            return w - lr * g + self.momentum * m, (m,)   # look ahead along the new velocity
        return w + m, (m,)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
