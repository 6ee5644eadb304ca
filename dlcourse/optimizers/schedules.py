"""Learning-rate schedules: the learning rate as a function of the step, as ``keras.optimizers.schedules``.

A schedule is a callable of the step. Give one to an optimizer as its ``learning_rate``
and the optimizer evaluates it at its ``iterations`` before each step (0 for the first),
as Keras does::

    opt = Adam(learning_rate=CosineDecay(1e-3, decay_steps=1000))

A schedule also takes an array of steps, which is handy for plotting it.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from ._validate import check_bool, check_learning_rate, check_positive, check_rate, check_real

__all__ = ["LearningRateSchedule", "ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay"]


class LearningRateSchedule:
    """Base class: ``schedule(step)`` is the learning rate at ``step``.

    Subclasses implement ``_rate(step)`` on a float64 array of steps and ``get_config()``
    (the constructor's arguments by Keras' names, so ``cls(**config)`` rebuilds it).
    """

    def __call__(self, step):
        """Return the learning rate at ``step`` (a float), or at each step of an array (an array)."""
        where = f"{type(self).__name__}"
        steps = np.asarray(step)
        if steps.dtype.kind not in "iuf":
            raise TypeError(f"{where}: expected step to be a number or an array of numbers, "
                            f"got {type(step).__name__}")
        steps = steps.astype(np.float64)
        if not np.all(steps >= 0):  # also catches NaN
            raise ValueError(f"{where}: expected step >= 0 (the optimizer's iterations), got {step}")
        rate = self._rate(steps)
        return float(rate) if rate.ndim == 0 else rate

    def _rate(self, step: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    r"""The rate falls by a factor ``decay_rate`` every ``decay_steps`` steps, as Keras' ``ExponentialDecay``.

    .. math:: \eta(t) = \eta_0\, r^{\,t / T} \quad\text{or, with staircase,}\quad \eta_0\, r^{\lfloor t / T \rfloor}

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : float > 0
    decay_rate : float > 0
    staircase : bool, default False
        Drop the rate in jumps, at whole multiples of ``decay_steps``.

    Examples
    --------
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> schedule(0), schedule(10), schedule(20)
    (0.1, 0.05, 0.025)
    >>> ExponentialDecay(0.1, 10, 0.5, staircase=True)([9, 10])
    array([0.1 , 0.05])
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        where = "ExponentialDecay"
        self.initial_learning_rate = check_learning_rate(initial_learning_rate, where)
        self.decay_steps = check_positive(decay_steps, "decay_steps", where, "the steps over which the rate decays")
        self.decay_rate = check_positive(decay_rate, "decay_rate", where, "the factor per decay_steps")
        self.staircase = check_bool(staircase, "staircase", where)
        self.name = name

    def _rate(self, step):
        p = step / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.initial_learning_rate * self.decay_rate**p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    r"""Half a cosine from the initial rate down to ``alpha`` times it, as Keras' ``CosineDecay``.

    SGDR (Loshchilov & Hutter 2017) without restarts:

    .. math:: \eta(t) = \eta_0 \Bigl((1 - \alpha)\, \tfrac12 \bigl(1 + \cos(\pi \min(t, T) / T)\bigr) + \alpha\Bigr)

    With ``warmup_target``, the rate first rises linearly from ``initial_learning_rate``
    to ``warmup_target`` over ``warmup_steps`` steps, then decays from ``warmup_target``
    as above, with :math:`t` counted from the end of the warmup (Goyal et al. 2017).

    Parameters
    ----------
    initial_learning_rate : float >= 0
    decay_steps : float > 0
        :math:`T`: the rate stays at ``alpha * initial`` (or ``alpha * warmup_target``) after it.
    alpha : float in [0, 1], default 0.0
    name : str, default "CosineDecay"
        Kept for Keras' config; it is the fourth positional argument there too.
    warmup_target : float >= 0 or None, default None
    warmup_steps : int >= 0, default 0

    Examples
    --------
    >>> schedule = CosineDecay(1.0, decay_steps=4)
    >>> schedule([0, 1, 2, 3, 4, 5]).round(4)
    array([1.    , 0.8536, 0.5   , 0.1464, 0.    , 0.    ])
    >>> CosineDecay(0.0, 4, warmup_target=1.0, warmup_steps=2)([0, 1, 2, 4]).round(4)
    array([0. , 0.5, 1. , 0.5])
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        where = "CosineDecay"
        self.initial_learning_rate = check_learning_rate(initial_learning_rate, where)
        self.decay_steps = check_positive(decay_steps, "decay_steps", where, "the steps over which the rate decays")
        self.alpha = check_rate(alpha, "alpha", where, 0.0, 1.0)
        self.name = name
        self.warmup_target = None if warmup_target is None else check_rate(warmup_target, "warmup_target", where, 0.0)
        self.warmup_steps = check_positive_int(warmup_steps, where, "warmup_steps", minimum=0)

    def _decay(self, step, peak):
        cosine = 0.5 * (1 + np.cos(np.pi * step / self.decay_steps))   # from 1 down to 0 over decay_steps
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def _rate(self, step):
        if self.warmup_target is None:
            return self._decay(np.minimum(step, self.decay_steps), self.initial_learning_rate)
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        start, target = self.initial_learning_rate, self.warmup_target
        ramp = start + (target - start) * step / max(self.warmup_steps, 1)  # unused when warmup_steps == 0
        return np.where(step < self.warmup_steps, ramp, self._decay(step - self.warmup_steps, target))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate between boundaries, as Keras' ``PiecewiseConstantDecay``.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Parameters
    ----------
    boundaries : sequence of n numbers, strictly increasing (n >= 1)
    values : sequence of n + 1 learning rates (floats >= 0)

    Examples
    --------
    >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
    >>> schedule([0, 100, 101, 200, 201])
    array([0.1  , 0.1  , 0.01 , 0.01 , 0.001])
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        where = "PiecewiseConstantDecay"
        for arg, kind in ((boundaries, "boundaries"), (values, "values")):
            if isinstance(arg, (str, bytes)) or not hasattr(arg, "__len__"):
                raise TypeError(f"{where}: expected {kind} to be a list of numbers, got {type(arg).__name__}")
        if len(boundaries) < 1 or len(values) != len(boundaries) + 1:
            raise ValueError(f"{where}: expected at least one boundary and one value more than boundaries, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = [check_real(b, "each boundary", where) for b in boundaries]
        if not all(a < b for a, b in zip(self.boundaries, self.boundaries[1:])) or not np.all(
                np.isfinite(self.boundaries)):
            raise ValueError(f"{where}: expected finite, strictly increasing boundaries, got {list(boundaries)}")
        self.values = [check_learning_rate(v, where) for v in values]
        self.name = name

    def _rate(self, step):
        # index of the first boundary >= step: 0 up to boundaries[0], len(boundaries) after the last
        return np.asarray(self.values)[np.searchsorted(self.boundaries, step, side="left")]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
