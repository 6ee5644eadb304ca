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
    assert m.era in {"origins", "revival", "deep"}
    assert m.cite in BIB, f"{m.cite!r} is not a key in {REFERENCES}/*.bib"


@pytest.mark.parametrize("m", history.TIMELINE, ids=lambda m: f"{m.year}-{m.cite}")
def test_entry_year_matches_its_source(m):
    # The event is dated by its first announcement, which can precede the formal
    # publication (a challenge result or preprint, then a conference paper) by a year or two.
    assert BIB[m.cite] is not None, f"{m.cite} has no year"
    assert 0 <= BIB[m.cite] - m.year <= 1, f"{m.year} vs {m.cite} published {BIB[m.cite]}"


def test_years_are_in_order():
    years = [m.year for m in history.TIMELINE]
    assert years == sorted(years)


def test_no_duplicates():
    assert len({m.cite for m in history.TIMELINE}) == len(history.TIMELINE)
    assert len({m.event for m in history.TIMELINE}) == len(history.TIMELINE)


def test_timeline_spans_the_issue():
    # The chapter promises 1943 (artificial neuron) through the Transformer (2017).
    assert history.TIMELINE[0].year == 1943
    assert history.find("Transformer").year == 2017


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
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == len(history.TIMELINE)
    assert all(t.startswith(str(m.year)) for t, m in zip(texts, history.TIMELINE))
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="history.plot_timeline"):
        history.plot_timeline([("1943", "not a milestone")])


def test_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, dlcourse.history; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
