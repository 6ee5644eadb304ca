"""Draw the timeline: one row per milestone, colored by era."""
from __future__ import annotations

from .milestone import ERAS, Milestone
from .timeline import TIMELINE

__all__ = ["plot_timeline"]


def _label(m: Milestone) -> str:
    """``2014  VGG: ... (Simonyan and Zisserman, paper 2015)``: the year plotted, the event, the source."""
    paper = f", paper {m.published}" if m.published is not None else ""
    return f"{m.year}  {m.event} ({m.authors_short}{paper})"


def plot_timeline(milestones=TIMELINE, ax=None):
    """Draw ``milestones`` as one row each against a time axis; return the matplotlib Axes.

    Events are rows from top (oldest) to bottom, labeled beside the axis, so labels never
    collide even when several events share a year. Each is plotted at the year it was first made public
    (paper, preprint, thesis or challenge result); when the cited paper came later, the
    label gives the paper's year too.

    Parameters
    ----------
    milestones : sequence of Milestone
        In chronological order (the default ``TIMELINE`` is).
    ax : matplotlib Axes, optional
        Drawn into if given; otherwise a new figure sized to the number of rows is made.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_timeline(TIMELINE[:3])
    >>> [t.get_text()[:4] for t in ax.get_yticklabels()]
    ['1943', '1958', '1969']
    """
    import matplotlib.pyplot as plt  # lazily: the table is usable without matplotlib

    milestones = tuple(milestones)
    if not milestones or not all(isinstance(m, Milestone) for m in milestones):
        raise TypeError("history.plot_timeline: expected a non-empty sequence of Milestone")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 1.2 + 0.26 * len(milestones)))
    years = [m.year for m in milestones]
    start, end = min(years), max(years)
    for row, m in enumerate(milestones):
        ax.plot([start - 2, m.year], [row, row], color="0.85", linewidth=0.8, zorder=1)
        ax.plot(m.year, row, "o", color=ERAS[m.era][1], markersize=6, zorder=2)
    # The labels are the rows' tick labels: a column beside the axis that never collides.
    ax.set_yticks(range(len(milestones)), [_label(m) for m in milestones], fontsize=8)
    ax.tick_params(axis="y", length=0)
    for era in dict.fromkeys(m.era for m in milestones):
        label, color = ERAS[era]
        ax.plot([], [], "o", color=color, label=label)
    ax.set_xlim(start - 2, end + 2)
    ax.set_ylim(len(milestones) - 0.5, -0.5)  # oldest at the top
    ax.set_xlabel("Year first made public\n(paper, preprint, thesis or challenge)")
    ax.set_title(f"Milestones of neural networks, {start}-{end}")
    ax.legend(loc="upper right", fontsize=8)
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    return ax
