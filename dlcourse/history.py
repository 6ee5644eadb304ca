"""A cited timeline of neural networks, from the 1943 artificial neuron to Transformers.

The history chapter draws its timeline from this table instead of from prose, so that
each date, name and institution sits next to the primary source that establishes it
and a test can check every entry (``tests/test_history.py``). The source documents get
several of these facts wrong (who built AlexNet, what Hinton proposed in 2006, when
Inception-v3 appeared); the chapter asserts the corrections against this table.

- ``TIMELINE``        tuple of :class:`Milestone`, in chronological order
- ``ILSVRC_WINNERS``  winning top-5 error of the ImageNet challenge by year, cited
- ``find``            look a milestone up by a word of its event text
- ``plot_timeline``   draw the timeline with matplotlib (imported only when called)

``cite`` fields are BibTeX keys from ``book/references/*.bib``; the book cites them
with ``{cite}`` roles.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Milestone", "TIMELINE", "ILSVRC_WINNERS", "find", "plot_timeline"]


@dataclass(frozen=True)
class Milestone:
    """One dated event: what happened, who did it, where, and the source that says so.

    Attributes
    ----------
    year : int
        Year the work was first published or the result was announced.
    event : str
        One short line, shown on the timeline figure.
    people : tuple of str
        The authors, as they appear on the cited source.
    institution : str
        Where the people worked when they did it (from the source's affiliations).
    cite : str
        BibTeX key of the primary source.
    era : str
        ``"origins"``, ``"revival"`` or ``"deep"``: colours the figure.
    """

    year: int
    event: str
    people: tuple[str, ...]
    institution: str
    cite: str
    era: str


TIMELINE: tuple[Milestone, ...] = (
    Milestone(1943, "Artificial neuron: a threshold unit computes logic",
              ("Warren S. McCulloch", "Walter Pitts"),
              "University of Illinois College of Medicine; University of Chicago",
              "mcculloch1943logical", "origins"),
    Milestone(1958, "Perceptron: a neuron whose weights are learned",
              ("Frank Rosenblatt",), "Cornell Aeronautical Laboratory", "rosenblatt1958perceptron", "origins"),
    Milestone(1969, "Perceptrons: limits of one-layer networks (XOR)",
              ("Marvin Minsky", "Seymour Papert"), "MIT", "minsky1969perceptrons", "origins"),
    Milestone(1974, "Backpropagation derived for networks in a thesis",
              ("Paul J. Werbos",), "Harvard University", "werbos1974beyond", "origins"),
    Milestone(1980, "Neocognitron: convolution-like layers for shapes",
              ("Kunihiko Fukushima",), "NHK Broadcasting Science Research Laboratories",
              "fukushima1980neocognitron", "revival"),
    Milestone(1986, "Backpropagation learns hidden representations",
              ("David E. Rumelhart", "Geoffrey E. Hinton", "Ronald J. Williams"),
              "UC San Diego; Carnegie Mellon University", "rumelhart1986learning", "revival"),
    Milestone(1989, "Convolutional network trained by backprop reads zip codes",
              ("Yann LeCun", "Bernhard Boser", "John S. Denker", "Donnie Henderson",
               "Richard E. Howard", "Wayne Hubbard", "Lawrence D. Jackel"),
              "AT&T Bell Laboratories", "lecun1989backpropagation", "revival"),
    Milestone(1997, "Long short-term memory (LSTM)",
              ("Sepp Hochreiter", "Jürgen Schmidhuber"), "Technische Universität München; IDSIA",
              "hochreiter1997long", "revival"),
    Milestone(1998, "LeNet-5 and the MNIST digits",
              ("Yann LeCun", "Léon Bottou", "Yoshua Bengio", "Patrick Haffner"),
              "AT&T Labs-Research", "lecun1998gradient", "revival"),
    Milestone(2006, "Deep belief nets: greedy layer-wise pretraining",
              ("Geoffrey E. Hinton", "Simon Osindero", "Yee-Whye Teh"),
              "University of Toronto; National University of Singapore", "hinton2006fast", "deep"),
    Milestone(2009, "ImageNet: millions of labelled images",
              ("Jia Deng", "Wei Dong", "Richard Socher", "Li-Jia Li", "Kai Li", "Li Fei-Fei"),
              "Princeton University", "deng2009imagenet", "deep"),
    Milestone(2012, "AlexNet wins ImageNet on two GPUs",
              ("Alex Krizhevsky", "Ilya Sutskever", "Geoffrey E. Hinton"),
              "University of Toronto", "krizhevsky2012imagenet", "deep"),
    Milestone(2014, "VGG: very deep 3x3 convolutional networks",
              ("Karen Simonyan", "Andrew Zisserman"), "University of Oxford", "simonyan2015very", "deep"),
    Milestone(2014, "GoogLeNet (Inception) wins ImageNet",
              ("Christian Szegedy", "Wei Liu", "Yangqing Jia", "Pierre Sermanet", "Scott Reed",
               "Dragomir Anguelov", "Dumitru Erhan", "Vincent Vanhoucke", "Andrew Rabinovich"),
              "Google; University of North Carolina at Chapel Hill; University of Michigan", "szegedy2015going", "deep"),
    Milestone(2015, "ResNet: 152 layers with residual connections",
              ("Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"),
              "Microsoft Research", "he2016deep", "deep"),
    Milestone(2015, "Inception-v3",
              ("Christian Szegedy", "Vincent Vanhoucke", "Sergey Ioffe", "Jon Shlens", "Zbigniew Wojna"),
              "Google; University College London", "szegedy2016rethinking", "deep"),
    Milestone(2016, "AlphaGo defeats a professional Go player",
              ("David Silver", "Aja Huang", "Chris J. Maddison", "Arthur Guez", "Laurent Sifre",
               "George van den Driessche", "Julian Schrittwieser", "Ioannis Antonoglou",
               "Veda Panneershelvam", "Marc Lanctot", "Sander Dieleman", "Dominik Grewe", "John Nham",
               "Nal Kalchbrenner", "Ilya Sutskever", "Timothy Lillicrap", "Madeleine Leach",
               "Koray Kavukcuoglu", "Thore Graepel", "Demis Hassabis"), "Google DeepMind; Google",
              "silver2016mastering", "deep"),
    Milestone(2017, "Transformer: attention without recurrence",
              ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones",
               "Aidan N. Gomez", "Łukasz Kaiser", "Illia Polosukhin"),
              "Google Brain; Google Research; University of Toronto", "vaswani2017attention", "deep"),
    Milestone(2017, "SENet wins the last ImageNet challenge",
              ("Jie Hu", "Li Shen", "Gang Sun"), "Momenta; University of Oxford", "hu2018squeeze", "deep"),
)

# (year, team or model, top-5 error in %, BibTeX key). Classification task of the
# ImageNet Large Scale Visual Recognition Challenge; 2013 and 2016 are left out because
# their winners have no paper that reports the challenge figure.
ILSVRC_WINNERS: tuple[tuple[int, str, float, str], ...] = (
    (2010, "NEC-UIUC", 28.2, "russakovsky2015imagenet"),
    (2011, "XRCE", 25.8, "russakovsky2015imagenet"),
    (2012, "AlexNet (SuperVision)", 15.3, "krizhevsky2012imagenet"),
    (2014, "GoogLeNet", 6.67, "szegedy2015going"),
    (2015, "ResNet", 3.57, "he2016deep"),
    (2017, "SENet", 2.251, "hu2018squeeze"),
)


def find(word: str) -> Milestone:
    """Return the single milestone whose event text contains ``word`` (case-insensitive).

    Raises
    ------
    TypeError
        If ``word`` is not a string.
    ValueError
        If no milestone or more than one matches.
    """
    if not isinstance(word, str):
        raise TypeError(f"history.find: expected a str, got {type(word).__name__}")
    hits = [m for m in TIMELINE if word.lower() in m.event.lower()]
    if len(hits) != 1:
        names = [f"{m.year} {m.event}" for m in hits]
        raise ValueError(f"history.find: expected exactly one milestone matching {word!r}, "
                         f"got {len(hits)}: {names}")
    return hits[0]


_ERA_COLOURS = {"origins": "tab:blue", "revival": "tab:orange", "deep": "tab:green"}
_ERA_LABELS = {"origins": "origins (1943-1974)", "revival": "revival (1980-1998)",
               "deep": "deep learning (2006-)"}


def plot_timeline(milestones=TIMELINE, ax=None):
    """Draw ``milestones`` as one row each against a time axis; return the matplotlib Axes.

    Events are rows from top (oldest) to bottom, so labels never collide even when
    several events share a year; each label reads ``year  event (first author)``.

    Parameters
    ----------
    milestones : sequence of Milestone
        In chronological order (the default ``TIMELINE`` is).
    ax : matplotlib Axes, optional
        Drawn into if given; otherwise a new 10 x 7 inch figure is made.
    """
    import matplotlib.pyplot as plt  # lazily: the table is usable without matplotlib

    milestones = tuple(milestones)
    if not milestones or not all(isinstance(m, Milestone) for m in milestones):
        raise TypeError("history.plot_timeline: expected a non-empty sequence of Milestone")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 7))
    years = [m.year for m in milestones]
    middle = (min(years) + max(years)) / 2
    for row, m in enumerate(milestones):
        colour = _ERA_COLOURS[m.era]
        ax.plot([min(years) - 2, m.year], [row, row], color="0.85", linewidth=0.8, zorder=1)
        ax.plot(m.year, row, "o", color=colour, markersize=6, zorder=2)
        surname = m.people[0].split()[-1] + (" et al." if len(m.people) > 1 else "")
        # Late events are labelled to their left so the text stays inside the axes.
        left = m.year > middle
        ax.annotate(f"{m.year}  {m.event} ({surname})", (m.year, row),
                    xytext=(-8 if left else 8, 0), textcoords="offset points",
                    ha="right" if left else "left", va="center", fontsize=8)
    for era, colour in _ERA_COLOURS.items():
        ax.plot([], [], "o", color=colour, label=_ERA_LABELS[era])
    ax.set_xlim(min(years) - 2, max(years) + 2)
    ax.set_ylim(len(milestones) - 0.5, -0.5)  # oldest at the top
    ax.set_yticks([])
    ax.set_xlabel("Year of publication")
    ax.set_title(f"Milestones of neural networks, {min(years)}-{max(years)}")
    ax.legend(loc="upper right", fontsize=8)
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    return ax
