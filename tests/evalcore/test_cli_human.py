"""`evalcore decide` weighs people's ratings: on the demo workspace, labels imported with the real CLI from a CSV
built here make a candidate the scores allow credibly worse in people's eyes, and the real `decide` process then
never picks it, says why, and says the same as the library. Expectations come from the library (the demo's
numbers change with its generator), never hard-coded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from people_labels import disputed_labels, write_csv

from evalcore import analysis, labels
from evalcore.demo_build import DEMO_SUITE

_SCRIPT = Path(sys.executable).with_name("evalcore")
EVALCORE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "evalcore.cli"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([*EVALCORE, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


@pytest.fixture(scope="module")
def labeled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo built by `evalcore demo`, a margin at which the scores pick a candidate other than the leader,
    and labels saying people find that candidate's outputs much worse than the leader's, imported from CSV."""
    tmp = tmp_path_factory.mktemp("human")
    ws = tmp / "ws"
    _cli("demo", "--workspace", ws)
    unlabeled = _cli("decide", "--suite", DEMO_SUITE, "--workspace", ws, "--metric", "human").stdout
    margin, auto, rows = disputed_labels(ws)
    path = tmp / "ratings.csv"
    write_csv(path, rows)
    imported = _cli("labels", "import", path, "--suite", DEMO_SUITE, "--workspace", ws)
    return {"ws": ws, "margin": margin, "auto": auto, "rows": len(rows), "imported": imported.stdout,
            "unlabeled": unlabeled}


def test_labels_import_by_the_real_cli(labeled: dict) -> None:
    assert f"Imported {labeled['rows']} labels" in labeled["imported"]
    assert len(labels.answers(labeled["ws"], DEMO_SUITE)) >= 40


def test_decide_never_picks_what_people_rate_credibly_worse(labeled: dict) -> None:
    ws, margin, auto = labeled["ws"], labeled["margin"], labeled["auto"]
    rec = analysis.recommendation(ws, DEMO_SUITE, margin=margin)
    assert rec.pick != auto.pick and auto.pick in rec.people["worse"]
    text = _cli("decide", "--suite", DEMO_SUITE, "--workspace", ws, "--margin", margin).stdout
    first = text.splitlines()[0]
    assert first == rec.headline
    assert f"Not {auto.pick}: people rated {auto.pick}'s outputs ok to show 20% vs 100% for {auto.leader}." in first
    assert f"{auto.pick} would be the pick on the automatic scores, but people rated" in text
    assert "paired on the 20 examples both have labels for" in text
    data = json.loads(_cli("decide", "--suite", DEMO_SUITE, "--workspace", ws, "--margin", margin,
                           "--format", "json").stdout)
    assert data["pick"] == rec.pick and data["people"]["weighed"]
    alts = {a["candidate"]: a for a in data["alternatives"]}
    assert alts[auto.pick]["people_worse"] == rec.people["worse"][auto.pick]
    summary = {r.candidate: r for r in labels.human_summary(ws, DEMO_SUITE)}
    assert alts[auto.pick]["human_ok"] == pytest.approx(summary[auto.pick].ok_rate)
    assert alts[auto.pick]["human_rating_low"] == pytest.approx(summary[auto.pick].rating_low)
    assert alts[auto.pick]["human_n"] == summary[auto.pick].n_examples
    if rec.pick is not None:
        assert data["people"]["pick"]["human_n"] == summary[rec.pick].n_examples


def test_decide_on_the_judge_warns_when_people_disagree_with_it(labeled: dict) -> None:
    ws = labeled["ws"]
    j = labels.judge_agreement(ws, DEMO_SUITE, "judge", n_boot=500)
    assert j is not None and j.n_items >= 20 and not j.trusted
    rec = analysis.recommendation(ws, DEMO_SUITE, scorer="judge")
    assert rec.warnings and rec.warnings[0].startswith("This decision rests on the LLM judge 'judge', and people "
                                                       "disagree with it: alpha ")
    text = _cli("decide", "--suite", DEMO_SUITE, "--workspace", ws, "--scorer", "judge").stdout.splitlines()
    assert text[1] == f"WARNING: {rec.warnings[0]}"
    plain = _cli("decide", "--suite", DEMO_SUITE, "--workspace", ws).stdout
    assert "WARNING" not in plain  # the primary scorer is not the judge


def test_decide_on_the_people_rating_itself(labeled: dict) -> None:
    ws = labeled["ws"]
    assert labeled["unlabeled"].startswith("Cannot decide on people's ratings: 0 candidates have 10 or more rated "
                                           "examples")
    rec = analysis.recommendation(ws, DEMO_SUITE, metric="human")
    table = labels.human_table(ws, DEMO_SUITE)
    rated = table[table["rating"].notna()].groupby("candidate")["example_id"].nunique()
    used = set(rated[rated >= labels.MIN_ITEMS].index)
    assert len(used) >= 2 and rec.leader in used and rec.margin == analysis.HUMAN_MARGIN
    assert rec.details[0].startswith(f"Decided on people's mean rating (1-5), not on a scorer: {len(used)} candidates")
    assert rec.pick != labeled["auto"].pick  # the candidate people rate 2 on most outputs
    text = _cli("decide", "--suite", DEMO_SUITE, "--workspace", ws, "--metric", "human").stdout.splitlines()
    assert text[0] == rec.headline and text[1] == f"  - {rec.details[0]}"
