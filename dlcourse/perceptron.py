"""Rosenblatt's perceptron (1958) and a test of linear separability.

The history chapter runs the first learning machine on AND and XOR. A perceptron is
one threshold neuron, :math:`\\hat y = [w \\cdot x + b > 0]`, trained by Rosenblatt's rule:
after each example, :math:`w \\leftarrow w + \\eta (y - \\hat y) x` and
:math:`b \\leftarrow b + \\eta (y - \\hat y)`. It changes nothing on examples it already
gets right. The perceptron convergence theorem says the rule stops making mistakes after
finitely many updates *if and only if* some line (hyperplane) separates the two classes;
:func:`linearly_separable` decides that question exactly with a linear program, which
is how the chapter proves that no line separates XOR.

- ``Perceptron``            ``fit(x, y, epochs)``, ``predict(x)``, ``errors_`` per epoch
- ``linearly_separable``    ``(x, y) -> bool``, by linear-programming feasibility
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_rng, check_finite, check_ndim, check_positive_float, check_positive_int

__all__ = ["Perceptron", "linearly_separable"]


def _check_x(x, where: str, n_in: int | None = None) -> np.ndarray:
    x = as_float_array(x, where, dtype=np.float64)
    check_ndim(x, 2, where, "(samples, features)")
    check_finite(x, where)  # a NaN feature would compare False with 0 and silently predict class 0
    if n_in is not None and x.shape[1] != n_in:
        raise ValueError(f"{where}: expected {n_in} features, got shape {x.shape}")
    return x


def _check_xy(x, y, where: str, n_in: int | None = None):
    x = _check_x(x, where, n_in)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{where}: expected labels of shape ({x.shape[0]},) to match x, got shape {y.shape}")
    if y.dtype.kind not in "biuf" or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{where}: expected labels 0 or 1, got values {np.unique(y)[:5].tolist()}")
    return x, y.astype(np.float64)


def _check_fit(x, y, epochs, n_in: int):
    """Everything ``Perceptron.fit`` needs checked before its first update (so a bad call changes nothing)."""
    x, y = _check_xy(x, y, "Perceptron.fit", n_in)
    return x, y, check_positive_int(epochs, "Perceptron.fit", "epochs")


class Perceptron:
    """One threshold neuron trained by Rosenblatt's error-correction rule.

    Parameters
    ----------
    n_in : int
        Number of input features.
    learning_rate : float > 0
        :math:`\\eta`. With zero initial weights it only rescales ``w`` and ``b``, so it
        does not change which examples are misclassified.
    shuffle : bool
        Visit the examples in a new random order each epoch (``seed``), as Rosenblatt's
        machine saw its stimuli; otherwise in the given order.
    seed : int or Generator, optional

    Attributes
    ----------
    w : ndarray, shape (n_in,)
    b : float
    errors_ : list of int
        Number of misclassified examples seen during each epoch of ``fit`` (updates made).
    """

    def __init__(self, n_in: int, learning_rate: float = 1.0, shuffle: bool = True, seed=None):
        self.n_in = check_positive_int(n_in, "Perceptron", "n_in")
        self.learning_rate = check_positive_float(learning_rate, "Perceptron", "learning_rate")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"Perceptron: expected shuffle as a bool, got {type(shuffle).__name__}")
        self.shuffle = bool(shuffle)
        self._rng = as_rng(seed, "Perceptron")
        self.w = np.zeros(self.n_in)
        self.b = 0.0
        self.errors_: list[int] = []

    def predict(self, x) -> np.ndarray:
        """Return 0/1 predictions, shape ``(samples,)``, for ``x`` of shape ``(samples, n_in)``."""
        x = _check_x(x, "Perceptron.predict", self.n_in)
        return (x @ self.w + self.b > 0).astype(np.int64)

    def fit(self, x, y, epochs: int = 20) -> "Perceptron":
        """Apply the rule example by example for ``epochs`` passes; stop early at zero errors.

        Returns ``self``; ``errors_`` records the mistakes of each epoch.
        """
        x, y, epochs = _check_fit(x, y, epochs, self.n_in)
        self.errors_ = []
        for _ in range(epochs):
            mistakes = 0
            for i in self._visiting_order(len(x)):
                y_hat = float(x[i] @ self.w + self.b > 0)  # the threshold unit: [w . x + b > 0]
                if y_hat != y[i]:  # error correction: an example already right changes nothing
                    self.w += self.learning_rate * (y[i] - y_hat) * x[i]  # w <- w + eta (y - y_hat) x
                    self.b += self.learning_rate * (y[i] - y_hat)  # b <- b + eta (y - y_hat)
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:  # converged: every example is on its correct side
                break
        return self

    def _visiting_order(self, n: int) -> np.ndarray:
        return self._rng.permutation(n) if self.shuffle else np.arange(n)


def linearly_separable(x, y) -> bool:
    """Whether some hyperplane :math:`w \\cdot x + b = 0` puts every class-1 point strictly
    on one side and every class-0 point on the other.

    Decided exactly as the feasibility of the linear program
    :math:`s_i (w \\cdot x_i + b) \\ge 1` for all :math:`i`, with :math:`s_i = 2 y_i - 1`
    (any strict separator can be rescaled to margin 1). Uses ``scipy.optimize.linprog``.

    Parameters
    ----------
    x : array_like, shape (samples, features)
    y : array_like of 0/1, shape (samples,)
    """
    from scipy.optimize import linprog  # lazily: only this function needs scipy

    x, y = _check_xy(x, y, "linearly_separable")
    s = 2 * y - 1
    # Variables (w, b); constraints -s_i (w.x_i + b) <= -1; any feasible point will do.
    a_ub = -s[:, None] * np.hstack([x, np.ones((len(x), 1))])
    result = linprog(np.zeros(x.shape[1] + 1), A_ub=a_ub, b_ub=-np.ones(len(x)),
                     bounds=[(None, None)] * (x.shape[1] + 1), method="highs")
    if result.status not in (0, 2):  # 0: feasible, 2: infeasible; anything else is a solver failure
        raise RuntimeError(f"linearly_separable: the LP solver failed ({result.message})")
    return result.status == 0
