"""The table ``Sequential.summary()`` prints, laid out as Keras lays it out."""
from __future__ import annotations

__all__ = ["inferred_input_shape", "summary_text", "param_counts"]


def inferred_input_shape(model):
    """Shape of one example (no batch axis): the given input_shape, or read off the first layer; None if unknown."""
    if model.input_shape is not None:
        return model.input_shape
    first = model.layers[0] if model.layers else None
    kind = type(first).__name__
    if kind == "Dense":
        return (first.n_in,)
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return (None, first.n_in)
    if kind == "Embedding":
        return (None,)
    return None


def param_counts(layer) -> tuple[int, int]:
    """``(trainable, non-trainable)`` weights of a layer, as Keras counts them.

    ``count_params()`` counts every weight; ``non_trainable_weights`` (BatchNormalization's
    moving mean and variance) are not trained, and a layer with ``trainable = False``
    trains none of its weights.
    """
    total = layer.count_params()
    if not getattr(layer, "trainable", True):
        return 0, total
    frozen = sum(int(w.size) for w in getattr(layer, "non_trainable_weights", []))
    return total - frozen, frozen


def summary_text(model) -> str:
    """Layer (type), output shape and parameter count per row, then the totals."""
    shape = inferred_input_shape(model)
    rows = []
    for layer in model.layers:
        if shape is not None:
            try:
                shape = tuple(layer.compute_output_shape(shape))
            except Exception:
                shape = None
        shown = "(None, " + ", ".join(map(str, shape)) + ")" if shape is not None else "?"
        if shape is not None and len(shape) == 0:
            shown = "(None,)"
        rows.append((f"{layer.name} ({type(layer).__name__})", shown, f"{layer.count_params():,}"))
    w = (max([len(r[0]) for r in rows] + [20]) + 2, max([len(r[1]) for r in rows] + [12]) + 2, 12)
    counts = [param_counts(layer) for layer in model.layers]
    trainable, frozen = sum(c[0] for c in counts), sum(c[1] for c in counts)
    line = "_" * sum(w)
    lines = [f'Model: "{model.name}"', line,
             f"{'Layer (type)':<{w[0]}}{'Output Shape':<{w[1]}}{'Param #':>{w[2]}}", "=" * sum(w)]
    for i, (a, b, c) in enumerate(rows):
        lines.append(f"{a:<{w[0]}}{b:<{w[1]}}{c:>{w[2]}}")
        if i < len(rows) - 1:
            lines.append("")
    lines += ["=" * sum(w), f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {frozen:,}", line]
    return "\n".join(lines)
