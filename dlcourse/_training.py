"""The parts ``Sequential.fit`` is assembled from: where backpropagation starts, the epoch's
running metrics, and the error that says training diverged.

Where backpropagation starts: a loss gives dloss/dy_pred (``loss.value_and_gradient``)
and every layer, top to bottom, turns it into dloss/d(its input). When the last step is a
softmax (a sigmoid) and the loss a cross-entropy of its probabilities, the loss can give
dloss/dlogits directly (``loss.value_and_logits_gradient``: ``(p * sum(y) - y) / N``), and
backpropagation starts *below* the activation, never forming its Jacobian. Keras does the
same: its cross-entropy reads the logits behind a softmax/sigmoid output.
"""
from __future__ import annotations

import numbers

import numpy as np

from .layers.base import Layer

__all__ = ["TrainingDivergedError", "backward_path", "RunningMetrics", "diverged", "is_layer", "adds_penalty"]


def is_layer(obj) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def adds_penalty(layer) -> bool:
    """Whether ``layer.regularization_loss()`` can be non-zero (so the loop may skip the others)."""
    if hasattr(layer, "kernel_regularizer"):
        return bool(layer.kernel_regularizer)
    return type(layer).regularization_loss is not Layer.regularization_loss


class TrainingDivergedError(FloatingPointError):
    """``fit`` stopped because the loss, the model's output or a gradient became NaN or infinite.

    The weights are those of the last finite step (no update was applied from the
    failing one). The message names the epoch, the step, the optimizer and its learning
    rate. Keras' ``TerminateOnNaN`` stops the same way; here it is always on.
    """


def backward_path(layers: list, loss) -> tuple:
    """``(loss_and_gradient, backwards)``: the loss' gradient function and the layers' backward passes, in order.

    ``loss_and_gradient(y, y_pred, w)`` returns the batch loss and the gradient that
    ``backwards[0]`` takes: dloss/dlogits with the softmax/sigmoid shortcut (the
    activation layer skipped, or the last layer's ``backward_logits``), else dloss/dy_pred.
    """
    activation = None if getattr(loss, "from_logits", False) else getattr(loss, "logits_activation", None)
    last = layers[-1]
    below = [layer.backward for layer in reversed(layers[:-1])]
    if activation is not None and len(layers) > 1 and type(last).__name__ == activation.capitalize() \
            and getattr(last, "axis", -1) == -1:
        return loss._logits_value_and_gradient, below  # a Softmax/Sigmoid layer: start below it
    if activation is not None and getattr(last, "activation", None) == activation \
            and callable(getattr(last, "backward_logits", None)):
        return loss._logits_value_and_gradient, [last.backward_logits, *below]
    return _general_gradient(loss), [last.backward, *below]


def _general_gradient(loss):
    """dloss/dy_pred from the loss object; a non-finite output is divergence, not a bad argument."""
    value_and_gradient = getattr(loss, "value_and_gradient", None) or \
        (lambda t, p, sample_weight=None: (float(loss(t, p, sample_weight=sample_weight)),
                                           loss.gradient(t, p, sample_weight=sample_weight)))

    def loss_and_gradient(y, y_pred, w):
        if not np.isfinite(y_pred).all():
            raise FloatingPointError("the model's output holds NaN/inf")
        return value_and_gradient(y, y_pred, sample_weight=w)

    return loss_and_gradient


class RunningMetrics:
    """The epoch's running means, as Keras' metric trackers keep them.

    The loss: each batch's loss weighted by its size (the last batch may be smaller).
    The metric (``metric_fn`` from ``dlcourse.metrics``, or None): its 1/0 matches
    averaged over every prediction, unweighted, as Keras' ``metrics=``.
    """

    def __init__(self, metric_name: str | None = None, metric_fn=None):
        self.metric_name, self.metric_fn = metric_name, metric_fn
        self.loss_sum, self.seen = 0.0, 0
        self.correct, self.count = 0.0, 0

    def update(self, loss: float, y_true, y_pred) -> None:
        m = len(y_true)
        self.loss_sum += loss * m
        self.seen += m
        if self.metric_fn is not None:
            matches = self.metric_fn(y_true, y_pred)  # 1.0 or 0.0 per prediction
            self.correct += np.count_nonzero(matches)
            self.count += matches.size

    def result(self) -> dict:
        logs = {"loss": float(self.loss_sum / self.seen)}
        if self.metric_fn is not None:
            logs[self.metric_name] = float(self.correct / self.count)
        return logs


def diverged(cause: FloatingPointError, optimizer, epoch: int, epochs: int, step: int, steps: int,
             where: str = "Sequential.fit") -> TrainingDivergedError:
    """The error ``fit`` raises when a step is not finite, naming where, the optimizer and a remedy."""
    rate = getattr(optimizer, "learning_rate", None)
    if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
        setting, hint = f"learning_rate={rate:g}", f"try a smaller learning_rate, e.g. {rate / 10:g}"
    else:
        setting, hint = f"learning_rate={rate!r}", "try a smaller learning rate"
    return TrainingDivergedError(
        f"{where}: training diverged at epoch {epoch + 1}/{epochs}, step {step + 1}/{steps}: {cause}. "
        f"The weights are those of the last finite step ({type(optimizer).__name__} with {setting}, "
        f"iterations={getattr(optimizer, 'iterations', '?')}); {hint}")
