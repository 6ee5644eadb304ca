"""One dated event of the timeline, and the eras that group them."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Milestone", "ERAS"]

# era -> (label on the figure, color)
ERAS = {
    "origins": ("origins (1943-1974)", "tab:blue"),
    "revival": ("revival (1980-1998)", "tab:orange"),
    "deep": ("deep learning (2006-2017)", "tab:green"),
    "scale": ("pretraining at scale (2018-)", "tab:purple"),
}


@dataclass(frozen=True)
class Milestone:
    """One dated event: what happened, who did it, where, and the source that says so.

    Attributes
    ----------
    year : int
        Year the result was first made public: the paper, or an earlier preprint, thesis,
        challenge result or match reported in the cited paper.
    event : str
        One short line, shown on the timeline figure.
    people : tuple of str
        The authors, as they appear on the cited source.
    institution : str
        Where the people worked when they did it (from the source's affiliations).
    cite : str
        BibTeX key of the primary source.
    era : str
        One of ``ERAS``: colors the figure.
    published : int or None
        Year of the cited source when it differs from ``year`` (a 2014 preprint published
        in 2015); ``None`` when they agree.
    """

    year: int
    event: str
    people: tuple[str, ...]
    institution: str
    cite: str
    era: str
    published: int | None = None

    @property
    def publication_year(self) -> int:
        """Year of the cited source (``published``, or ``year`` when they agree)."""
        return self.year if self.published is None else self.published

    @property
    def authors_short(self) -> str:
        """``"Hopfield"``, ``"Cortes and Vapnik"`` or ``"Krizhevsky et al."``, as a citation reads."""
        surnames = [name.split()[-1] for name in self.people]
        if len(surnames) == 1:
            return surnames[0]
        if len(surnames) == 2:
            return f"{surnames[0]} and {surnames[1]}"
        return f"{surnames[0]} et al."
