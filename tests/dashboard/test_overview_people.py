"""Overview's decision card weighs people's ratings (AppTest): on a labeled copy of the demo, the card's headline
is the library's, the candidate people rate credibly worse is not picked and its row says why, every row carries
its human numbers, and a decision on the LLM judge people disagree with shows the warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from people_labels import disputed_labels, write_csv
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, dashboard_module, demo_workspace  # noqa: F401 (a fixture)
from evalcore import analysis, labels
from evalcore.demo_build import DEMO_SUITE


@pytest.fixture(scope="module")
def labeled(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    ws = tmp_path_factory.mktemp("people") / "ws"
    shutil.copytree(demo_workspace, ws)
    margin, auto, rows = disputed_labels(ws)
    labels.import_labels(ws, DEMO_SUITE, write_csv(ws.parent / "ratings.csv", rows))
    return {"ws": ws, "margin": margin, "auto": auto}


def _overview(ws: Path, monkeypatch: pytest.MonkeyPatch, margin: float, scorer: str | None = None) -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.run()
    if scorer:
        at.selectbox(key="scorer").set_value(scorer).run()
    at.number_input(key="margin").set_value(margin).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _evidence(at: AppTest):
    """The card's evidence table, once its expander is opened (closed, the table is not sent)."""
    at.session_state["decision_details"] = True
    at.run()
    [table] = [d.value for d in at.dataframe if "verdict" in d.value.columns]
    return table.set_index("candidate")


def test_overview_card_never_picks_what_people_rate_credibly_worse(labeled: dict, monkeypatch) -> None:
    data = dashboard_module("data")
    ws, margin, auto = labeled["ws"], labeled["margin"], labeled["auto"]
    at = _overview(ws, monkeypatch, margin)
    rec = analysis.recommendation(ws, DEMO_SUITE, margin=margin)
    assert rec.pick != auto.pick
    shown = [*at.success, *at.info]
    assert [s.value for s in shown] == [f"**{data.markdown_safe(rec.headline)}**"]
    assert f"Not {auto.pick}: people rated" in rec.headline
    table = _evidence(at)
    alts = {a["candidate"]: a for a in rec.alternatives}
    assert table.loc[auto.pick, "people say"] == f"credibly worse: {rec.people['worse'][auto.pick]}"  # a table cell: plain text
    for c, a in alts.items():  # every alternative carries the library's human numbers
        assert table.loc[c, "people"] == data.people_cell(a)
    summary = {r.candidate: r for r in labels.human_summary(ws, DEMO_SUITE)}
    row = summary[auto.pick]
    assert table.loc[auto.pick, "people"].startswith(
        f"{row.rating:.2f} [{row.rating_low:.2f}, {row.rating_high:.2f}], ok 20% [")
    if rec.pick is not None:
        captions = [c.value for c in at.caption]
        assert any(c.startswith(f"People on {data.markdown_safe(rec.pick)}: ") for c in captions), captions
    assert not [w.value for w in at.warning if "LLM judge" in w.value]  # the primary scorer is no judge


def test_overview_card_warns_when_the_decision_rests_on_a_judge_people_disagree_with(labeled: dict,
                                                                                     monkeypatch) -> None:
    data = dashboard_module("data")
    ws, margin = labeled["ws"], labeled["margin"]
    at = _overview(ws, monkeypatch, margin, scorer="judge")
    rec = analysis.recommendation(ws, DEMO_SUITE, scorer="judge", margin=margin)
    assert rec.warnings
    assert [w.value for w in at.warning if "LLM judge" in w.value] == [data.markdown_safe(w) for w in rec.warnings]


def test_unlabeled_overview_card_has_no_people_columns(demo_workspace: Path, monkeypatch) -> None:
    at = _overview(demo_workspace, monkeypatch, 0.02)
    table = _evidence(at)
    assert "people" not in table.columns and "people say" not in table.columns
