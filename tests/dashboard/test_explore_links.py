"""Explore and the shared pickers with links a person edited or kept: a value the page cannot show is named, and
a filter change never leaves an example on screen that the filters exclude."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore.demo import SYNTHETIC_NOTICE


def _open(workspace: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, query: dict[str, str]) -> AppTest:
    """The page opened from a link in a new session (params before the first run, as a browser sends them)."""
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(workspace))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.query_params.update(query)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value != SYNTHETIC_NOTICE]


def test_a_filter_change_that_drops_the_example_moves_to_the_top_match(demo_workspace: Path, monkeypatch) -> None:
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"example": "inv-014", "outcome": "all"})
    assert at.subheader[0].value == "Example inv-014"
    at.selectbox(key="tag").set_value("adversarial").run()
    top = at.dataframe[1].value["example_id"].iloc[0]  # "where the candidates disagree most", first row
    assert at.subheader[0].value == f"Example {top}" and top != "inv-014"
    assert not _notes(at)


def test_a_link_to_an_example_outside_its_filters_opens_it_and_says_so(demo_workspace: Path, monkeypatch) -> None:
    at = _open(demo_workspace, monkeypatch, "views/explore.py",
               {"example": "inv-014", "outcome": "all", "tag": "adversarial"})
    assert at.subheader[0].value == "Example inv-014"
    assert _notes(at) == ["inv-014 is not among the 5 examples these filters match: the link names it."]


def test_an_unknown_example_points_to_the_page_not_a_terminal(demo_workspace: Path, monkeypatch) -> None:
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"example": "inv-999"})
    [error] = [e.value for e in at.error]
    assert "has no example 'inv-999'" in error and "Example list above" in error  # Outcome is 'fail' already
    assert "evalcore show" not in error and "`" not in error


@pytest.mark.parametrize(("page", "query", "expected"), [
    ("views/explore.py", {"candidate": "nosuch"},
     ["The link asked for candidate 'nosuch'; this suite has no such candidate, so all candidates are shown."]),
    ("views/explore.py", {"candidate": "aurora1"}, ["Did you mean 'aurora-1'?"]),
    ("views/explore.py", {"tag": "<b>bold</b>"}, ["tag '\\<b\\>bold\\</b\\>'", "Known: all, adversarial"]),
    ("views/explore.py", {"suite": "nope", "scorer": "zzz"}, ["suite 'nope'", "scorer 'zzz'"]),
    ("views/explore.py", {"outcome": "weird", "error_kind": "timeout"},
     ["outcome 'weird'; Explore has no such outcome, so 'fail' is shown", "error kind 'timeout'"]),
    ("views/compare.py", {"scorer": "nosuch"}, ["scorer 'nosuch'"]),
    ("views/compare.py", {"a": "nosuch"}, ["candidate 'nosuch'"]),
    (None, {"margin": "-3"}, ["margin '-3'; Overview takes a margin from 0.001 to 0.999"]),
    (None, {"policy": "zzz"}, ["policy 'zzz'"]),
    ("views/trends.py", {"benchmark": "nosuch"}, ["benchmark 'nosuch'"]),
])
def test_a_link_value_the_page_cannot_show_is_named_not_dropped(demo_workspace: Path, monkeypatch, page, query,
                                                                 expected) -> None:
    """Streamlit's binding drops such a param; the shared controls say which, what is shown and what is known."""
    notes = "\n".join(_notes(_open(demo_workspace, monkeypatch, page, query)))
    for part in expected:
        assert part in notes, notes


def test_a_link_note_shows_markup_as_text(demo_workspace: Path, monkeypatch) -> None:
    """The asked value is escaped for Streamlit's markdown: `<b>bold</b>` reads literally, never as bold."""
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"tag": "<b>bold</b>", "candidate": "*x*"})
    tag_note, candidate_note = sorted(_notes(at), key=lambda n: "candidate" in n)
    assert "\\<b\\>bold\\</b\\>" in tag_note and "<b>" not in tag_note, tag_note
    assert "'\\*x\\*'" in candidate_note, candidate_note


def test_valid_link_values_get_no_note(demo_workspace: Path, monkeypatch) -> None:
    at = _open(demo_workspace, monkeypatch, "views/explore.py",
               {"tag": "adversarial", "candidate": "aurora-1", "outcome": "all", "example": "inv-040"})
    assert not _notes(at)


def test_disagreement_table_shows_ties_not_one_candidate_as_worst(demo_workspace: Path, monkeypatch) -> None:
    """inv-014: one candidate at 1.000 and nine at 0.000 read "worst aurora-1.5", singling one out of nine."""
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"outcome": "all"})
    table = at.dataframe[1].value.set_index("example_id")
    assert table.loc["inv-014", "worst"].endswith(" + 8 others"), table.loc["inv-014", "worst"]
    assert " + " not in table.loc["inv-014", "best"]


def test_disagreement_table_names_both_of_two_tied(demo_workspace: Path, monkeypatch) -> None:
    """Two tied at the worst read "basalt-8b + 1 other": the other name takes no more room."""
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"outcome": "all", "tag": "adversarial"})
    table = at.dataframe[1].value
    cells = [*table["best"], *table["worst"]]
    assert not [c for c in cells if "1 other" in c], cells
    assert any(" and " in c for c in cells), cells  # the demo has a pair tied under this filter


@pytest.mark.parametrize("typed", ["run", "run date"])
def test_trends_writes_over_and_reads_old_x_links_as_it(demo_workspace: Path, monkeypatch, typed: str) -> None:
    """The "Over" control wrote `?x=` (the documented param is `over`); a saved `?x=run` link still opens run dates,
    rewritten to `?over=` so it is not left beside the param the page writes."""
    at = _open(demo_workspace, monkeypatch, "views/trends.py", {"x": typed})
    assert at.session_state["over"] == "run"
    assert "x" not in at.query_params and at.query_params["over"] == "run date"


def test_trends_over_link_opens_run_dates_and_stays_in_the_url(demo_workspace: Path, monkeypatch) -> None:
    at = _open(demo_workspace, monkeypatch, "views/trends.py", {"over": "run"})
    assert at.session_state["over"] == "run" and at.query_params["over"] == "run date"
    at.segmented_control(key="over").set_value("release").run()
    at.segmented_control(key="over").set_value("run").run()
    assert "x" not in at.query_params and at.query_params["over"] == "run date"


def test_the_url_names_the_example_shown_when_the_link_did_not(demo_workspace: Path, monkeypatch) -> None:
    """A bound select box at its default (the first option) leaves its param out of the URL, so a copied link
    opened whatever example was first under its filters later (a new run can change which)."""
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"outcome": "all"})
    shown = at.selectbox(key="example").value
    assert at.subheader[0].value == f"Example {shown}" and at.query_params["example"] == shown
    at.selectbox(key="tag").set_value("adversarial").run()  # a filter change moves to its top match: named too
    shown = at.selectbox(key="example").value
    assert at.query_params["example"] == shown and at.subheader[0].value == f"Example {shown}"


def test_a_link_naming_the_first_example_keeps_it(demo_workspace: Path, monkeypatch) -> None:
    first = _open(demo_workspace, monkeypatch, "views/explore.py", {"outcome": "all"}).selectbox(key="example")
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"outcome": "all", "example": first.options[0]})
    assert at.subheader[0].value == f"Example {first.options[0]}"
    assert at.query_params["example"] == first.options[0]
    at.run()  # a later rerun (any widget) keeps it too
    assert at.query_params["example"] == first.options[0]


def test_an_unknown_example_link_advises_from_the_filters_shown(demo_workspace: Path, monkeypatch) -> None:
    """`?example=inv-999` said "Set Outcome to 'fail' above" while Outcome already was 'fail': the advice follows the
    filters shown, and says the suite has no such example whatever the filters."""
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"example": "inv-999"})
    error = at.error[0].value
    assert "has no example 'inv-999'" in error and "Set Outcome to 'fail'" not in error
    assert "from the Example list above" in error and "no filter hides it" in error
    at = _open(demo_workspace, monkeypatch, "views/explore.py", {"example": "inv-999", "outcome": "all"})
    error = at.error[0].value
    assert "Set Outcome to 'fail'" in error and "Set Outcome to 'all'" not in error
