"""The optimizer base class: checking a step, weight decay, and applying a step all or nothing.

An optimizer turns gradients into parameter updates. Usage, as in Keras::

    opt = Adam(learning_rate=1e-3)
    opt.apply_gradients(zip(grads, params))   # updates every array in ``params`` in place

A step is *atomic*: every (gradient, parameter) pair is checked first (shape, dtype,
writeable, finite), then every new parameter value and new optimizer state is computed
without writing anything, and only when all of them are finite are they written. So a bad
gradient, a read-only array or an update that overflows leaves every parameter, the
moments and ``iterations`` exactly as they were.

State (momentum, running averages) belongs to each parameter array, as in Keras. For
speed, the parameters one call passes are updated as one flat vector (see ``_Group``):
each line of the update is then one NumPy call for all of them, not one per array. A
group is keyed by its parameters' ``id``s and holds the arrays themselves, so an id is
never reused by another array; a call with a different set of parameters regroups them,
carrying each one's state over. ``iterations`` counts calls to ``apply_gradients``, like Keras'.
"""
from __future__ import annotations

import numpy as np

from .._checks import NonFiniteError, _describe, all_finite, check_finite
from ._validate import check_learning_rate, check_weight_decay
from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "NonFiniteGradientError"]


class NonFiniteGradientError(NonFiniteError):
    """A gradient holding NaN/inf: bad input (a ``ValueError``), and usually the sign of a
    diverging run (a ``FloatingPointError``, which is what ``fit`` watches for)."""


class _Group:
    """Parameters that one ``apply_gradients`` call updates together, as one flat vector.

    Concatenating them lets one NumPy call per line of the update serve every parameter
    array at once: on the small arrays of a course model, the number of calls, not the
    arithmetic, is what takes the time. ``state`` holds the optimizer state as flat arrays
    in the same order.
    """

    def __init__(self, params: list, state: tuple):
        self.params, self.state = params, state
        ends = np.cumsum([p.size for p in params]).tolist()
        self._slices = [slice(a, b) for a, b in zip([0, *ends[:-1]], ends)]
        # Each parameter as a 1-D view of its own memory (made once: a step writes through them).
        # A non-contiguous parameter has no such view, so it is written back through a reshape.
        self._flat_views = [p.reshape(-1) if p.flags.c_contiguous else None for p in params]

    def gather(self) -> np.ndarray:
        """The parameters' current values, concatenated into one new flat vector."""
        return np.concatenate(self.params, axis=None)

    def write(self, flat: np.ndarray) -> None:
        """Copy ``flat`` back into the parameter arrays, in place."""
        for p, view, s in zip(self.params, self._flat_views, self._slices):
            if view is not None:
                view[...] = flat[s]
            else:
                p[...] = flat[s].reshape(p.shape)

    def split(self, flat: np.ndarray) -> list:
        """``flat`` cut back into arrays of the parameters' shapes (views)."""
        return [flat[s].reshape(p.shape) for p, s in zip(self.params, self._slices)]

    def state_of(self, i: int) -> tuple:
        """The state of parameter ``i`` alone, as arrays of its shape."""
        p, s = self.params[i], self._slices[i]
        return tuple(x[s].reshape(p.shape) for x in self.state)


class Optimizer:
    """Base class: bookkeeping shared by every optimizer.

    A subclass provides ``_new_state(param)`` (the state arrays of one parameter, zeros),
    ``_step_size(lr)`` (the scalar its update uses, computed once per step) and
    ``_update(w, g, step_size, *state)``, which returns the new parameter value and the
    new state as fresh arrays and writes nothing; the base class writes them. ``_update``
    sees the parameters of a step concatenated into one vector ``w`` (and ``g`` and the
    state alike): the math is elementwise, so it reads as for a single weight.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        A schedule is called with ``iterations`` (0 at the first step), as Keras does.
    weight_decay : float >= 0 or None
        If set, every parameter first decays as ``w <- w - learning_rate * weight_decay * w``
        (Keras' decoupled weight decay, applied before the update).

    Attributes
    ----------
    learning_rate : float
        The rate of the next step (a schedule evaluated at ``iterations``). May be set to
        a new float between steps, unless the optimizer was built with a schedule.
    iterations : int
        Number of completed ``apply_gradients`` calls.
    """

    _state_names: tuple = ()  # what each state array is, for error messages

    def __init__(self, learning_rate, weight_decay=None):
        self._learning_rate = None
        self.learning_rate = learning_rate
        self.weight_decay = check_weight_decay(weight_decay, type(self).__name__)
        self.iterations = 0
        self._groups: dict[tuple, _Group] = {}  # by the ids of their parameters, which they keep alive
        self._home: dict[int, tuple] = {}       # id(param) -> (param, the group holding its state, position)
        self._plans: dict[tuple, list] = {}     # by the ids of one call's parameters: see _plan_of

    @property
    def learning_rate(self) -> float:
        if isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        where = type(self).__name__
        if isinstance(value, LearningRateSchedule):
            self._learning_rate = value
        elif isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(f"{where}: expected a LearningRateSchedule, since this optimizer was built with one "
                            f"(its rate is not settable, as in Keras), got {type(value).__name__}")
        else:
            self._learning_rate = check_learning_rate(value, where)

    def apply_gradients(self, grads_and_params) -> int:
        """Update each parameter array in place from its gradient; return ``iterations``.

        Parameters
        ----------
        grads_and_params : iterable of (grad, param) pairs
            As in Keras, ``zip(grads, params)``. ``param`` must be a writeable float
            ``ndarray`` (it is updated in place); ``grad`` an array of the same shape,
            cast to the parameter's dtype as Keras casts it.

        Raises
        ------
        TypeError
            If a parameter is not a float ndarray or a gradient is missing or not numeric.
        ValueError
            If a gradient's shape differs from its parameter's, or a parameter is read-only
            or given twice. A gradient holding NaN/inf raises ``NonFiniteGradientError``,
            both a ``ValueError`` and a ``FloatingPointError``.
        FloatingPointError
            If the update would make a parameter or its state non-finite (e.g. too large
            a learning rate or gradient). Nothing is changed then.
        """
        lr = self.learning_rate                 # once per step: a schedule is evaluated at `iterations`
        step_size = self._step_size(lr)
        decay = lr * self.weight_decay if self.weight_decay else 0.0
        pairs = list(grads_and_params)
        params = [param for _, param in pairs]
        plan = self._plan_of(params)
        grads = self._check_grads(pairs)
        with np.errstate(all="ignore"):         # overflow is reported below, by parameter, not as a warning
            updates = []
            for indices, group in plan:
                w = group.gather()
                g = np.concatenate([grads[i] for i in indices], axis=None, dtype=w.dtype, casting="unsafe")
                if decay:
                    w = w - decay * w           # decoupled weight decay, before the update (as Keras)
                w, state = self._update(w, g, step_size, *group.state)
                self._check_finite_update(grads, params, indices, group, w, state, lr)
                updates.append((group, w, state))
        for group, w, state in updates:         # every new value is finite: only now is anything written
            group.write(w)
            group.state = state
        self.iterations += 1
        return self.iterations

    def _plan_of(self, params) -> list:
        """``[(positions, group), ...]`` for these parameters, one group per dtype; checked and built once.

        The plan is cached by the parameters' ids (its groups keep the arrays alive, so an id
        is never another array's): a training loop passes the same arrays at every step, and
        their type, dtype and distinctness cannot change, so they are checked only here.
        """
        key = tuple(map(id, params))
        plan = self._plans.get(key)
        if plan is None:
            self._check_params(params)
            plan = self._plans[key] = [(indices, self._group_of([params[i] for i in indices]))
                                       for indices in self._by_dtype(params)]
        return plan

    def _check_params(self, params) -> None:
        """Each parameter a float ndarray (it is updated in place), each given once."""
        seen = set()
        for i, param in enumerate(params):
            if type(param) is not np.ndarray or param.dtype.kind != "f":
                raise TypeError(f"{self._where()}: expected each parameter to be a float numpy array "
                                f"(updated in place), got {_describe(param)}")
            if id(param) in seen:
                raise ValueError(f"{self._where()}: expected each parameter once, got the array of parameter {i} "
                                 f"(shape {param.shape}) a second time")
            seen.add(id(param))

    def _check_grads(self, pairs) -> list:
        """Every gradient as an array of its parameter's shape, every parameter writeable; checked before any is used.

        Runs on every training step, so it is lean: the error message (and its
        f-string) is only built when something is wrong. Writeability is checked
        at every step: a flag, which can change between steps.
        """
        ndarray = np.ndarray
        grads = []
        for i, (grad, param) in enumerate(pairs):
            if not param.flags.writeable:
                raise ValueError(f"{self._where()}: expected each parameter to be writeable (it is updated in "
                                 f"place), got a read-only array for parameter {i} of shape {param.shape}")
            if type(grad) is not ndarray:
                if grad is None:
                    raise TypeError(f"{self._where()}: expected a gradient array for the parameter of shape "
                                    f"{param.shape}, got None")
                grad = np.asarray(grad)
            if grad.shape != param.shape:
                raise ValueError(f"{self._where()}: expected a gradient of shape {param.shape} "
                                 f"(its parameter's), got {grad.shape}")
            if grad.dtype.kind not in "fiu":
                raise TypeError(f"{self._where()}: expected a real-valued gradient, got dtype {grad.dtype}")
            grads.append(grad)
        return grads

    @staticmethod
    def _by_dtype(params) -> list:
        """Positions of the parameters, grouped by dtype (one group, unless float32 and float64 mix)."""
        groups: dict = {}
        for i, param in enumerate(params):
            groups.setdefault(param.dtype, []).append(i)
        return list(groups.values())

    def _group_of(self, params) -> _Group:
        """The group of exactly these parameters, built at the first step that passes them."""
        key = tuple(map(id, params))
        group = self._groups.get(key)
        return group if group is not None else self._regroup(key, params)

    def _regroup(self, key, params) -> _Group:
        """Gather each parameter's state (zeros when new) into the flat arrays of a new group."""
        per_param = []
        for p in params:
            home = self._home.get(id(p))
            if home is not None and home[0] is p:
                old_group, i = home[1], home[2]
                # the old group no longer holds the current state of p: never use it again
                self._groups.pop(tuple(map(id, old_group.params)), None)
                self._plans.clear()  # some plan holds the old group; plans are rebuilt on demand
                per_param.append(old_group.state_of(i))
            else:
                per_param.append(self._new_state(p))
        n_state = len(per_param[0]) if per_param else 0
        state = tuple(np.concatenate([s[k].reshape(-1) for s in per_param]) for k in range(n_state))
        group = self._groups[key] = _Group(list(params), state)
        for i, p in enumerate(params):
            self._home[id(p)] = (p, group, i)
        return group

    def _raise_non_finite_gradient(self, grads, params, indices) -> None:
        """Raise ``NonFiniteGradientError`` for the first gradient given with NaN/inf.

        A gradient that is finite but overflows when cast to float32 is left to the update check.
        """
        for i in indices:
            grad, param = grads[i], params[i]
            try:
                check_finite(grad, f"{self._where()} (gradient for the parameter of shape {param.shape})")
            except ValueError as err:
                raise NonFiniteGradientError(str(err)) from None

    def _check_finite_update(self, grads, params, indices, group, w, state, lr) -> None:
        """Raise ``FloatingPointError`` naming the first parameter whose new value or state is not finite.

        A NaN/inf in a gradient always reaches the new value or state, so the gradients
        are only searched (for a clearer ``NonFiniteGradientError``) when this check fails.
        """
        for what, x in zip(("value", *self._state_names), (w, *state)):
            if all_finite(x):
                continue
            self._raise_non_finite_gradient(grads, params, indices)
            for i, part in zip(indices, group.split(x)):
                bad = part.size - np.count_nonzero(np.isfinite(part))
                if bad:
                    grad, param = grads[i], params[i]
                    biggest = float(np.max(np.abs(grad))) if grad.size else 0.0
                    raise FloatingPointError(
                        f"{self._where()}: expected the update to keep parameter {i} of shape {param.shape} finite, "
                        f"got {bad} NaN/inf entries in its new {what} (learning rate {lr:.4g}, largest |gradient| "
                        f"{biggest:.4g}); no parameter, optimizer state or iteration count was changed")

    def _where(self) -> str:
        return f"{type(self).__name__}.apply_gradients"

    # -- what subclasses provide ----------------------------------------------
    def _new_state(self, param) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _step_size(self, lr: float) -> float:
        """The scalar ``_update`` multiplies by: the learning rate itself unless a subclass says otherwise."""
        return lr

    def _update(self, w, g, step_size, *state):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        """Hyperparameters by Keras' names (for the Keras bridge); a schedule is given as itself."""
        return {"learning_rate": self._learning_rate, "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
