"""Optimizers: SGD (with momentum and Nesterov), RMSprop and Adam, with Keras 3's exact update rules.

An optimizer turns gradients into parameter updates. Each class here follows the
``update_step`` of the matching class in ``keras.optimizers`` line by line (Keras 3.15),
including where epsilon sits and Adam's bias-corrected learning rate, so that the same
gradient sequence yields the same parameters (the tests check this step by step).

Usage, as in Keras::

    opt = Adam(learning_rate=1e-3)
    opt.apply_gradients(zip(grads, params))   # updates every array in ``params`` in place

State (momentum, running averages) is kept per parameter array, keyed by the array's
``id`` with the array itself held alongside it: a live reference keeps the id from being
reused by another array. ``iterations`` counts calls to ``apply_gradients``, like Keras'.

Speed: a training loop calls ``apply_gradients`` once per minibatch on a handful of small
arrays, so Python overhead dominates. Scalars that depend only on the step are computed
once per call, and the array arithmetic runs as in-place ufuncs (``out=``) on buffers
allocated at the first step, so a step allocates no new arrays.
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import _describe, check_finite

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "get"]


def _check_rate(value, name: str, where: str, low: float, high: float | None = None,
                high_inclusive: bool = True) -> float:
    """Return ``value`` as a float in ``[low, high]`` (or ``[low, high)``), or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a real number, got {type(value).__name__}")
    value = float(value)
    above = high is not None and (value > high if high_inclusive else value >= high)
    if not math.isfinite(value) or value < low or above:
        if high is None:
            expected = f">= {low}"
        else:
            expected = f"in [{low}, {high}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{where}: expected {name} {expected}, got {value}")
    return value


class Optimizer:
    """Base class: bookkeeping shared by every optimizer.

    Subclasses implement ``_step_scalars()`` (numbers that depend only on the step,
    computed once per ``apply_gradients``), ``_new_state(param)`` (the buffers one
    parameter needs) and ``_update(param, grad, state, scalars)`` (the in-place update).

    Attributes
    ----------
    learning_rate : float
        Step size; may be changed between steps (e.g. by a schedule), as in Keras.
    iterations : int
        Number of completed ``apply_gradients`` calls.
    """

    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._state: dict[int, tuple] = {}

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _check_rate(value, "learning_rate", f"{type(self).__name__}", 0.0)

    def apply_gradients(self, grads_and_params) -> int:
        """Update each parameter array in place from its gradient; return ``iterations``.

        Parameters
        ----------
        grads_and_params : iterable of (grad, param) pairs
            As in Keras, ``zip(grads, params)``. ``param`` must be a writeable float
            ``ndarray`` (it is updated in place); ``grad`` an array of the same shape.

        Raises
        ------
        TypeError
            If a parameter is not a float ndarray or a gradient is missing or not numeric.
        ValueError
            If a gradient's shape differs from its parameter's or it holds NaN/inf.
        """
        # Check every pair before touching any parameter, so a bad gradient leaves the
        # model as it was instead of half-updated. (errstate: see the dot product there.)
        with np.errstate(over="ignore", invalid="ignore"):
            checked = self._check_pairs(grads_and_params)
        state = self._state
        scalars = self._step_scalars()
        for grad, param in checked:
            entry = state.get(id(param))
            if entry is None or entry[0] is not param:
                entry = state[id(param)] = (param, *self._new_state(param))
            self._update(param, grad, entry, scalars)
        self.iterations += 1
        return self.iterations

    def _check_pairs(self, grads_and_params) -> list:
        """Validate ``(grad, param)`` pairs; return them with gradients as arrays.

        Runs on every training step, so it is lean: the error message (and its
        f-string) is only built when something is wrong.
        """
        ndarray, dot, isfinite = np.ndarray, np.dot, math.isfinite
        checked = []
        for grad, param in grads_and_params:
            if type(param) is not ndarray or param.dtype.kind != "f":
                raise TypeError(f"{self._where()}: expected each parameter to be a float numpy array "
                                f"(updated in place), got {_describe(param)}")
            if type(grad) is not ndarray:
                if grad is None:
                    raise TypeError(f"{self._where()}: expected a gradient array for the parameter of shape "
                                    f"{param.shape}, got None")
                grad = np.asarray(grad)
            if grad.shape != param.shape:
                raise ValueError(f"{self._where()}: expected a gradient of shape {param.shape} "
                                 f"(its parameter's), got {grad.shape}")
            kind = grad.dtype.kind
            if kind == "f":
                # A NaN/inf anywhere makes g . g non-finite; one BLAS dot product allocates
                # nothing and is cheaper than isfinite(g).all(). When it is not finite, an
                # overflow of huge but finite entries is told apart entry by entry.
                flat = grad.reshape(-1)
                if not isfinite(dot(flat, flat)):
                    check_finite(grad, f"{self._where()} (gradient for the parameter of shape {param.shape})")
            elif kind not in "iu":
                raise TypeError(f"{self._where()}: expected a real-valued gradient, got dtype {grad.dtype}")
            checked.append((grad, param))
        return checked

    def _where(self) -> str:
        return f"{type(self).__name__}.apply_gradients"

    # -- what subclasses provide ----------------------------------------------
    def _step_scalars(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _new_state(self, param) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, param, grad, state, scalars) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        """Hyperparameters by Keras' names (for the Keras bridge)."""
        return {"learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum, as ``keras.optimizers.SGD``.

    With ``momentum == 0``:

    .. math:: w \leftarrow w - \eta\, g

    With momentum :math:`\mu` and velocity :math:`m` (zero at the start):

    .. math::
        m \leftarrow \mu\, m - \eta\, g, \qquad
        w \leftarrow w + m \quad\text{or, with Nesterov,}\quad w \leftarrow w + \mu\, m - \eta\, g

    Nesterov's form looks one step ahead along the new velocity (Sutskever et al. 2013).

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _check_rate(momentum, "momentum", "SGD", 0.0, 1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: expected nesterov to be True or False, got {type(nesterov).__name__}")
        self.nesterov = bool(nesterov)

    def _step_scalars(self):
        return self.learning_rate, self.momentum

    def _new_state(self, param):
        if self.momentum == 0:
            return (np.empty_like(param),)  # scratch for lr * g
        return np.zeros_like(param), np.empty_like(param)  # velocity m, scratch

    def _update(self, param, grad, state, scalars):
        lr, mu = scalars
        if mu == 0:
            tmp = state[1]
            np.multiply(grad, lr, out=tmp)
            np.subtract(param, tmp, out=param)
            return
        _, m, tmp = state
        np.multiply(grad, lr, out=tmp)           # tmp = lr g
        np.multiply(m, mu, out=m)
        np.subtract(m, tmp, out=m)               # m = mu m - lr g
        if self.nesterov:
            np.subtract(param, tmp, out=param)   # w += mu m - lr g
            np.multiply(m, mu, out=tmp)
            np.add(param, tmp, out=param)
        else:
            np.add(param, m, out=param)          # w += m

    def get_config(self):
        return {"learning_rate": self.learning_rate, "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), as ``keras.optimizers.RMSprop`` (momentum 0, not centered).

    With a running mean of squared gradients :math:`v` (zero at the start):

    .. math::
        v \leftarrow \rho\, v + (1 - \rho)\, g^2, \qquad
        w \leftarrow w - \frac{\eta\, g}{\sqrt{v + \epsilon}}

    Note that Keras puts :math:`\epsilon` *inside* the square root here (unlike Adam).

    Parameters
    ----------
    learning_rate : float, default 0.001
    rho : float in [0, 1), default 0.9
    epsilon : float > 0, default 1e-7
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _check_rate(rho, "rho", "RMSprop", 0.0, 1.0, high_inclusive=False)
        self.epsilon = _check_rate(epsilon, "epsilon", "RMSprop", 0.0)
        if self.epsilon == 0:
            raise ValueError("RMSprop: expected epsilon > 0 (it keeps the division finite), got 0.0")

    def _step_scalars(self):
        return self.learning_rate, self.rho, 1.0 - self.rho, self.epsilon

    def _new_state(self, param):
        return np.zeros_like(param), np.empty_like(param)  # v, scratch

    def _update(self, param, grad, state, scalars):
        lr, rho, one_minus_rho, eps = scalars
        _, v, tmp = state
        np.multiply(v, rho, out=v)
        np.square(grad, out=tmp)
        np.multiply(tmp, one_minus_rho, out=tmp)
        np.add(v, tmp, out=v)                    # v = rho v + (1 - rho) g^2
        np.add(v, eps, out=tmp)
        np.sqrt(tmp, out=tmp)                    # tmp = sqrt(v + eps)
        np.divide(grad, tmp, out=tmp)
        np.multiply(tmp, lr, out=tmp)            # Keras: (lr g) / sqrt(v + eps)
        np.subtract(param, tmp, out=param)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), as ``keras.optimizers.Adam`` (amsgrad off).

    With first and second moment estimates :math:`m, v` (zero at the start) and step
    :math:`t = 1, 2, \dots`:

    .. math::
        m \leftarrow m + (1 - \beta_1)(g - m), \qquad
        v \leftarrow v + (1 - \beta_2)(g^2 - v),

        \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad
        w \leftarrow w - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon}

    This is the paper's "efficient" form (end of its section 2): the bias corrections
    are folded into the step size :math:`\alpha_t`, so :math:`\epsilon` is added to
    :math:`\sqrt{v}`, not to :math:`\sqrt{\hat v}`; that is what Keras computes.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float in [0, 1), default 0.9
    beta_2 : float in [0, 1), default 0.999
    epsilon : float >= 0, default 1e-7
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _check_rate(beta_1, "beta_1", "Adam", 0.0, 1.0, high_inclusive=False)
        self.beta_2 = _check_rate(beta_2, "beta_2", "Adam", 0.0, 1.0, high_inclusive=False)
        self.epsilon = _check_rate(epsilon, "epsilon", "Adam", 0.0)

    def _step_scalars(self):
        t = self.iterations + 1
        alpha = self.learning_rate * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        return alpha, 1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon

    def _new_state(self, param):
        return np.zeros_like(param), np.zeros_like(param), np.empty_like(param)  # m, v, scratch

    def _update(self, param, grad, state, scalars):
        alpha, one_minus_b1, one_minus_b2, eps = scalars
        _, m, v, tmp = state
        np.subtract(grad, m, out=tmp)
        np.multiply(tmp, one_minus_b1, out=tmp)
        np.add(m, tmp, out=m)                    # m += (1 - b1)(g - m)
        np.square(grad, out=tmp)
        np.subtract(tmp, v, out=tmp)
        np.multiply(tmp, one_minus_b2, out=tmp)
        np.add(v, tmp, out=v)                    # v += (1 - b2)(g^2 - v)
        np.sqrt(v, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, alpha, out=tmp)         # alpha m / (sqrt(v) + eps)
        np.subtract(param, tmp, out=param)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(identifier) -> Optimizer:
    """Return an optimizer from a name (``"sgd"``, ``"rmsprop"``, ``"adam"``; Keras' defaults) or pass one through."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizers.get: expected one of {sorted(_BY_NAME)}, got {identifier!r}")
        return cls()
    raise TypeError(f"optimizers.get: expected an optimizer name or an Optimizer instance, "
                    f"got {type(identifier).__name__}")
