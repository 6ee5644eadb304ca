"""Checks for hyperparameters, shared by the optimizers and the learning-rate schedules.

Each returns the value as a plain Python ``float`` (so that NumPy keeps a float32
parameter in float32) or raises ``TypeError`` for a value of the wrong type and
``ValueError`` for a value out of range, naming where, what was expected and what was given.
"""
from __future__ import annotations

import math

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_real(value, name: str, where: str) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), or raise ``TypeError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a real number, got {type(value).__name__}")
    return float(value)


def check_rate(value, name: str, where: str, low: float, high: float | None = None,
               high_inclusive: bool = True) -> float:
    """Return ``value`` as a finite float in ``[low, high]`` (or ``[low, high)``), or raise."""
    value = check_real(value, name, where)
    above = high is not None and (value > high if high_inclusive else value >= high)
    if not math.isfinite(value) or value < low or above:
        if high is None:
            expected = f">= {low}"
        else:
            expected = f"in [{low}, {high}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{where}: expected {name} {expected}, got {value}")
    return value


def check_positive(value, name: str, where: str, why: str) -> float:
    """Return ``value`` as a finite float > 0, or raise; ``why`` says what a zero would break."""
    value = check_real(value, name, where)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{where}: expected {name} > 0 ({why}), got {value}")
    return value


def check_learning_rate(value, where: str) -> float:
    """A learning rate: finite, >= 0 and representable in float32 (Keras keeps it in a float32 variable)."""
    value = check_rate(value, "learning_rate", where, 0.0)
    if value > FLOAT32_MAX:
        raise ValueError(f"{where}: expected learning_rate <= {FLOAT32_MAX:.8g} (the largest float32; Keras "
                         f"keeps the rate in a float32 variable), got {value}")
    return value


def check_weight_decay(value, where: str) -> float | None:
    """``None`` (no decay) or a finite float >= 0."""
    return None if value is None else check_rate(value, "weight_decay", where, 0.0)


def check_bool(value, name: str, where: str) -> bool:
    """Return ``value`` as a bool, or raise ``TypeError`` (``"yes"`` and ``1`` are not flags)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected {name} to be True or False, got {type(value).__name__}")
    return bool(value)
