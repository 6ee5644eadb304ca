"""Adam, as ``keras.optimizers.Adam`` (amsgrad off)."""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_positive, check_rate
from .base import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), as ``keras.optimizers.Adam`` (amsgrad off).

    With learning rate :math:`\eta`, first and second moment estimates :math:`m, v`
    (zero at the start) and step :math:`t = 1, 2, \dots`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1)\, g = m + (1 - \beta_1)(g - m), \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2 = v + (1 - \beta_2)(g^2 - v),

        \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad
        w \leftarrow w - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon}

    Each running mean moves a fraction :math:`1 - \beta` of the way towards the new value;
    the code writes it in that second form, which is Keras' order of operations (so the
    same float32 roundings). This is what Keras computes: the bias corrections are folded into the step size
    :math:`\alpha_t` (the paper's "efficient" form, end of its section 2), so
    :math:`\epsilon` is added to :math:`\sqrt{v}`, not to :math:`\sqrt{\hat v}`. With
    :math:`\hat m = m / (1 - \beta_1^t)` and :math:`\hat v = v / (1 - \beta_2^t)` it is
    exactly the paper's Algorithm 1,

    .. math:: w \leftarrow w - \eta\, \frac{\hat m}{\sqrt{\hat v} + \hat\epsilon_t}, \qquad
              \hat\epsilon_t = \frac{\epsilon}{\sqrt{1 - \beta_2^{\,t}}},

    with an epsilon that shrinks with the step: about :math:`31.6\,\epsilon` at
    :math:`t = 1` for :math:`\beta_2 = 0.999`, tending to :math:`\epsilon` as
    :math:`t \to \infty`. Keras' docstring calls its epsilon the paper's "epsilon hat".

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float > 0, default 1e-7
    weight_decay : float >= 0 or None, default None
        Decoupled weight decay, as in every Keras optimizer (see ``Optimizer`` and ``AdamW``).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.ones(2)
    >>> Adam(learning_rate=0.1).apply_gradients([(np.array([3.0, -0.5]), w)])  # first step: ~lr * sign(g)
    1
    >>> w.round(5)
    array([0.9, 1.1])
    """

    _state_names = ("first moment m", "second moment v")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        where = type(self).__name__
        self.beta_1 = check_rate(beta_1, "beta_1", where, 0.0, 1.0, high_inclusive=False)
        self.beta_2 = check_rate(beta_2, "beta_2", where, 0.0, 1.0, high_inclusive=False)
        self.epsilon = check_positive(epsilon, "epsilon", where, "it keeps the division finite")

    def _new_state(self, param):
        return np.zeros_like(param), np.zeros_like(param)

    def _step_size(self, lr):
        t = self.iterations + 1                          # bias corrections, folded into the step size
        return lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def _update(self, w, g, alpha_t, m, v):
        m = m + (1 - self.beta_1) * (g - m)              # = beta_1 m + (1 - beta_1) g: running mean of g
        v = v + (1 - self.beta_2) * (g**2 - v)           # = beta_2 v + (1 - beta_2) g^2: running mean of g^2
        return w - alpha_t * (m / (np.sqrt(v) + self.epsilon)), (m, v)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
