"""The history timeline is data with sources: check every entry against the bibliography."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlcourse import history

REFERENCES = Path(__file__).resolve().parents[1] / "book" / "references"


def _bib_entries():
    """Map BibTeX key -> year, over every .bib file the book uses."""
    entries = {}
    for bib in sorted(REFERENCES.glob("*.bib")):
        text = bib.read_text(encoding="utf-8")
        for match in re.finditer(r"^@\w+\{([^,\s]+),(.*?)^\}", text, flags=re.M | re.S):
            year = re.search(r"^\s*year\s*=\s*\{?(\d{4})", match.group(2), flags=re.M)
            entries[match.group(1)] = int(year.group(1)) if year else None
    return entries


BIB = _bib_entries()


def test_bibliography_was_found():
    # Guards the other tests: an empty BIB would make "key in BIB" fail for the wrong reason.
    assert len(BIB) >= 20, f"only {len(BIB)} entries parsed from {REFERENCES}"


@pytest.mark.parametrize("m", history.TIMELINE, ids=lambda m: f"{m.year}-{m.cite}")
def test_entry_is_complete_and_cited(m):
    assert isinstance(m.year, int) and 1900 < m.year < 2030
    assert m.event.strip() and m.institution.strip()
    assert m.people and all(isinstance(p, str) and p.strip() for p in m.people)
    assert m.era in history.ERAS
    assert m.cite in BIB, f"{m.cite!r} is not a key in {REFERENCES}/*.bib"


@pytest.mark.parametrize("m", history.TIMELINE, ids=lambda m: f"{m.year}-{m.cite}")
def test_entry_year_matches_its_source(m):
    # The cited source's year is the publication year exactly; the event is dated by its first
    # announcement (a preprint, thesis, challenge result or match), at most a year earlier.
    assert BIB[m.cite] is not None, f"{m.cite} has no year"
    assert m.publication_year == BIB[m.cite], f"{m.cite}: entry says {m.publication_year}, bibliography {BIB[m.cite]}"
    assert 0 <= m.publication_year - m.year <= 1, m
    if m.published is not None:
        assert m.published != m.year, f"{m.cite}: give published only when it differs from year"


def test_short_author_names_read_like_citations():
    assert history.find("Hopfield").authors_short == "Hopfield"
    assert history.find("Support-vector").authors_short == "Cortes and Vapnik"  # two authors: no "et al."
    assert history.find("AlexNet").authors_short == "Krizhevsky et al."


def test_years_are_in_order():
    years = [m.year for m in history.TIMELINE]
    assert years == sorted(years)


def test_no_duplicates():
    assert len({m.cite for m in history.TIMELINE}) == len(history.TIMELINE)
    assert len({m.event for m in history.TIMELINE}) == len(history.TIMELINE)


def test_timeline_spans_the_chapter():
    # The chapter promises 1943 (artificial neuron) through instruction tuning (2022), with the
    # gaps the first edition had: reverse-mode differentiation before Werbos, the 1980s-1990s
    # between backpropagation and LSTM, the training tricks of 2009-2015, and what came after 2017.
    assert history.TIMELINE[0].year == 1943
    assert history.find("attention without recurrence").year == 2017
    assert history.find("Reverse-mode automatic").year == 1970 < history.find("Reverse-mode gradients").year
    for word, year in [("Hopfield", 1982), ("Boltzmann", 1985), ("Vanishing", 1991), ("Long-range", 1994),
                       ("Support-vector", 1995), ("GPUs make", 2009), ("Rectified", 2010), ("Deep ReLU", 2011),
                       ("Dropout", 2014), ("Batch normalization", 2015), ("BERT", 2018), ("GPT-2", 2019),
                       ("GPT-3", 2020), ("Scaling laws", 2020), ("Vision Transformer", 2020), ("diffusion", 2020),
                       ("AlphaFold", 2020), ("InstructGPT", 2022), ("Chinchilla", 2022)]:
        assert history.find(word).year == year, word


def test_alphago_is_dated_by_the_match_its_paper_reports():
    # Silver et al. (2016) report the October 2015 match against Fan Hui, not the 2016 Lee Sedol match.
    alphago = history.find("AlphaGo")
    assert (alphago.year, alphago.published) == (2015, 2016) and "Fan Hui" in alphago.event


def test_corrections_of_the_documents_hold():
    # 003_dd7d3e41560207da.txt credits these to "Google's DeepMind team" and dates them wrongly.
    assert history.find("AlexNet").institution == "University of Toronto"
    assert history.find("Inception-v3").year == 2015
    assert "Deep belief" in history.find("pretraining").event
    for word in ("GoogLeNet", "Inception-v3"):
        # Google's research groups (with university co-authors), never DeepMind.
        assert history.find(word).institution.startswith("Google;")
        assert "DeepMind" not in history.find(word).institution


def test_ilsvrc_winners_are_cited_and_improve():
    years = [row[0] for row in history.ILSVRC_WINNERS]
    errors = [row[2] for row in history.ILSVRC_WINNERS]
    assert years == sorted(years) and len(set(years)) == len(years)
    assert all(b < a for a, b in zip(errors, errors[1:]))
    assert all(row[3] in BIB for row in history.ILSVRC_WINNERS)
    # Russakovsky et al. (2015) tabulate 2010-2014: every one of those years is in the table.
    assert {2010, 2011, 2012, 2013, 2014} <= set(years)


def test_find_rejects_bad_queries():
    with pytest.raises(ValueError, match="history.find: expected exactly one"):
        history.find("ImageNet")  # several events mention it
    with pytest.raises(ValueError, match="got 0"):
        history.find("no such event")
    with pytest.raises(TypeError, match="history.find: expected a str, got int"):
        history.find(1986)


def test_plot_timeline_draws_every_event():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = history.plot_timeline()
    texts = [t.get_text() for t in ax.get_yticklabels()]
    assert len(texts) == len(history.TIMELINE)
    assert all(t.startswith(str(m.year)) for t, m in zip(texts, history.TIMELINE))
    # one dot per event, at its year, in its era's color
    dots = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata()) == 1]
    assert [float(d.get_xdata()[0]) for d in dots] == [m.year for m in history.TIMELINE]
    assert [d.get_color() for d in dots] == [history.ERAS[m.era][1] for m in history.TIMELINE]
    assert "Simonyan and Zisserman, paper 2015" in texts[[m.cite for m in history.TIMELINE].index("simonyan2015very")]
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="history.plot_timeline"):
        history.plot_timeline([("1943", "not a milestone")])


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, dlcourse.history; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
