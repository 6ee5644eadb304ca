"""AdamW: Adam with decoupled weight decay, as ``keras.optimizers.AdamW``."""
from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``keras.optimizers.AdamW``.

    Each step first shrinks every parameter towards zero, then takes Adam's step
    (see ``Adam``) from the gradient of the loss alone:

    .. math::
        w \leftarrow w - \eta\, \lambda\, w, \qquad
        w \leftarrow w - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon}

    with :math:`\lambda` = ``weight_decay`` and :math:`\eta` the learning rate of this step
    (a schedule's value at ``iterations``). *Decoupled*: the decay does not pass through
    :math:`m` and :math:`v`, so, unlike an L2 penalty added to the loss, it is not divided
    by :math:`\sqrt{v}`, and every weight decays by the same fraction :math:`\eta\lambda`
    (4e-6 per step with the defaults). Keras decays every parameter, biases included.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    weight_decay : float >= 0, default 0.004
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float > 0, default 1e-7

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([2.0])
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(np.zeros(1), w)])  # decay alone
    1
    >>> w   # 2 - 0.1 * 0.5 * 2
    array([1.9])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        if weight_decay is None:
            raise ValueError("AdamW: expected weight_decay to be a float >= 0, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay=weight_decay)
