"""A cited timeline of neural networks, from the 1943 artificial neuron to instruction-tuned language models.

The history chapters draw their timeline from this table instead of from prose, so that
each date, name and institution sits next to the primary source that establishes it,
and a test checks every entry against the bibliography (``tests/test_history.py``).
The source documents get several of these facts wrong (who built AlexNet, what Hinton
proposed in 2006, when Inception-v3 appeared); the chapter shows the corrections from
this table.

- ``Milestone``       one dated event with its people, institution and source
- ``TIMELINE``        tuple of :class:`Milestone`, in chronological order
- ``ILSVRC_WINNERS``  winning top-5 error of the ImageNet challenge by year, cited
- ``find``            look a milestone up by a word of its event text
- ``plot_timeline``   draw the timeline with matplotlib (imported only when called)

``cite`` fields are BibTeX keys from ``book/references/*.bib``; the book cites them
with ``{cite}`` roles.
"""
from __future__ import annotations

from .milestone import ERAS, Milestone
from .plot import plot_timeline
from .timeline import ILSVRC_WINNERS, TIMELINE

__all__ = ["Milestone", "ERAS", "TIMELINE", "ILSVRC_WINNERS", "find", "plot_timeline"]


def find(word: str) -> Milestone:
    """Return the single milestone whose event text contains ``word`` (case-insensitive).

    Raises
    ------
    TypeError
        If ``word`` is not a string.
    ValueError
        If no milestone or more than one matches.

    Examples
    --------
    >>> find("AlexNet").institution
    'University of Toronto'
    """
    if not isinstance(word, str):
        raise TypeError(f"history.find: expected a str, got {type(word).__name__}")
    hits = [m for m in TIMELINE if word.lower() in m.event.lower()]
    if len(hits) != 1:
        names = [f"{m.year} {m.event}" for m in hits]
        raise ValueError(f"history.find: expected exactly one milestone matching {word!r}, "
                         f"got {len(hits)}: {names}")
    return hits[0]
