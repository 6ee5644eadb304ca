"""RMSprop, as ``keras.optimizers.RMSprop`` (momentum 0, not centered)."""
from __future__ import annotations

import numpy as np

from ._validate import check_positive, check_rate
from .base import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), as ``keras.optimizers.RMSprop`` (momentum 0, not centered).

    With learning rate :math:`\eta` and a running mean of squared gradients :math:`v`
    (zero at the start):

    .. math::
        v \leftarrow \rho\, v + (1 - \rho)\, g^2, \qquad
        w \leftarrow w - \frac{\eta\, g}{\sqrt{v + \epsilon}}

    Note that Keras puts :math:`\epsilon` *inside* the square root here (unlike Adam).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    rho : float in [0, 1), default 0.9
    epsilon : float > 0, default 1e-7
    weight_decay : float >= 0 or None, default None
        Decoupled weight decay, as in every Keras optimizer (see ``Optimizer``).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.zeros(2)
    >>> opt = RMSprop(learning_rate=0.1, rho=0.0, epsilon=1e-12)
    >>> opt.apply_gradients([(np.array([4.0, -0.5]), w)])   # with rho 0, a step of lr * sign(g)
    1
    >>> w.round(6)
    array([-0.1,  0.1])
    """

    _state_names = ("mean square v",)

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho = check_rate(rho, "rho", "RMSprop", 0.0, 1.0, high_inclusive=False)
        self.epsilon = check_positive(epsilon, "epsilon", "RMSprop", "it keeps the division finite")

    def _new_state(self, param):
        return (np.zeros_like(param),)

    def _update(self, w, g, lr, v):
        v = self.rho * v + (1 - self.rho) * g**2        # running mean of g^2
        return w - lr * (g / np.sqrt(v + self.epsilon)), (v,)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
