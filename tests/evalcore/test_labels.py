"""Labels: storage semantics (latest wins, history kept, carry-over by content hash, compaction keeps every
event, several processes, kill -9), queues, summaries, agreement against known values, import/export."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalcore import labels
from evalcore.errors import IngestError
from evalcore.pairwise import bradley_terry
from evalcore.queries import Queries
from evalcore.store import (
    RESULTS_SCHEMA,
    SCHEMA_VERSION,
    SCORES_SCHEMA,
    Workspace,
    write_results,
)

SUITE = "s"
RUN1 = "20261123T120000-aaaaaa"
RUN2 = "20261124T120000-bbbbbb"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def _result(run_id: str, example_id: str, candidate: str, output: str, repeat: int = 0) -> dict[str, Any]:
    row = {name: None for name in RESULTS_SCHEMA.names}
    row.update(run_id=run_id, suite=SUITE, suite_version="v1", example_id=example_id, candidate=candidate,
               model=f"demo/{candidate}", family="fam", release=date(2026, 1, 1), repeat=repeat,
               request_hash=f"{candidate}-{example_id}-{repeat}", output=output, finish_reason="stop",
               latency_ms=100.0, cost_usd=0.0, cached=False, attempts=1, created_at=T0,
               schema_version=SCHEMA_VERSION)
    return row


def _score(r: dict[str, Any], scorer: str, value: float, passed: bool) -> dict[str, Any]:
    row = {name: None for name in SCORES_SCHEMA.names}
    row.update(run_id=r["run_id"], suite=SUITE, example_id=r["example_id"], candidate=r["candidate"],
               repeat=r["repeat"], scorer=scorer, value=value, passed=passed, detail="{}", created_at=T0,
               schema_version=SCHEMA_VERSION)
    return row


def _workspace(root: Path, n_examples: int = 6) -> Workspace:
    """Three candidates on n examples; 'b' answers exactly like 'a' on even examples (same content)."""
    ws = Workspace(root)
    ws.write_examples(SUITE, "v1", [
        {"suite": SUITE, "suite_version": "v1", "example_id": f"e{i}", "input": f"input {i}",
         "expected": f"answer {i}", "tags": ["long"] if i % 3 == 0 else [], "fields": "{}", "row": i,
         "schema_version": SCHEMA_VERSION} for i in range(n_examples)])
    results, scores = [], []
    for i in range(n_examples):
        for cand in ("a", "b", "c"):
            out = f"answer {i}" if cand == "a" or (cand == "b" and i % 2 == 0) else f"{cand} says {i}"
            r = _result(RUN1, f"e{i}", cand, out)
            results.append(r)
            # exact passes only a's; the judge likes everything except c on odd examples
            scores.append(_score(r, "exact", float(cand == "a"), cand == "a"))
            j = 0.25 if (cand == "c" and i % 2) else 1.0
            scores.append(_score(r, "judge", j, j >= 0.75))
    write_results(ws, SUITE, RUN1, "w1", results, scores)
    ws.write_manifest({"suite": SUITE, "run_id": RUN1, "status": "finished",
                       "config": {"human": "Ship it?", "scorers": [
                           {"type": "exact", "name": None},
                           {"type": "llm_judge", "name": "judge", "rubric": "5 is perfect"}]}})
    return ws


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return _workspace(tmp_path / "ws")


def _rate(ws: Workspace, reviewer: str, item: dict[str, Any], rating: int | None, ok: bool | None,
          note: str | None = None) -> dict[str, Any]:
    return labels.record_rating(ws, SUITE, reviewer, example_id=item["example_id"], output_hash=item["output_hash"],
                                candidate=item["candidates"][0], rating=rating, ok=ok, note=note)


def test_output_hash_in_python_equals_the_sql_one(ws: Workspace) -> None:
    df = Queries(ws).label_outputs(SUITE)
    assert len(df) == 18
    for r in df.to_dict("records"):
        assert r["output_hash"] == labels.output_hash(r["example_id"], r["output"])


def test_before_anyone_labels_the_people_table_counts_outputs_without_reading_them(ws: Workspace) -> None:
    """No answer yet: `human_table` takes the short path (counts, no outputs hashed); its counts must equal what
    the full path counts once a label exists: good outputs only (a failed call or an empty output is no output)."""
    failed = _result(RUN2, "e0", "a", None)
    failed.update(error_kind="rate_limit", error="429", request_hash="a-e0-failed")
    kept = [_result(RUN2, f"e{i}", "a", f"answer {i}") for i in range(1, 4)]
    write_results(ws, SUITE, RUN2, "w1", [failed, *kept], [_score(r, "exact", 1.0, True) for r in kept])
    ws.write_manifest({"suite": SUITE, "run_id": RUN2, "status": "finished", "config": {}})
    q = Queries(ws)
    for kwargs in ({}, {"every_run": True}, {"run_id": RUN1}):
        before = labels.human_table(q, SUITE, **kwargs)
        assert before.empty
        outputs = q.label_outputs(SUITE, runs=q.label_runs(SUITE) if kwargs.get("every_run") else
                                  [kwargs["run_id"]] if "run_id" in kwargs else None)
        assert before.attrs["examples"] == outputs.groupby("candidate")["example_id"].nunique().to_dict(), kwargs
    assert labels.human_table(q, SUITE).attrs["examples"] == {"a": 3, "b": 6, "c": 6}  # a's latest run: RUN2
    item = labels.rating_queue(q, SUITE, "ann")["todo"][0]
    _rate(ws, "ann", item, 4, True)
    after = labels.human_table(Queries(ws), SUITE)
    assert after.attrs["examples"] == {"a": 3, "b": 6, "c": 6} and len(after) >= 1


def test_identical_output_of_another_candidate_is_one_item(ws: Workspace) -> None:
    q = labels.rating_queue(Queries(ws), SUITE, "ann")
    # 6 examples x 3 candidates, but b == a on e0, e2, e4: 15 distinct outputs
    assert q["total"] == 15 and len(q["todo"]) == 15
    shared = [i for i in q["todo"] if len(i["candidates"]) == 2]
    assert {i["example_id"] for i in shared} == {"e0", "e2", "e4"}
    assert all(sorted(i["candidates"]) == ["a", "b"] for i in shared)


def test_latest_answer_wins_and_history_is_kept(ws: Workspace) -> None:
    item = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"][0]
    _rate(ws, "ann", item, 2, None)
    _rate(ws, "ann", item, 2, False)
    _rate(ws, "ann", item, 5, True, "changed my mind")
    _rate(ws, "bob", item, 1, False)
    q = Queries(ws)
    answers = q.label_answers(SUITE)
    assert len(answers) == 2
    ann = answers[answers.reviewer == "ann"].iloc[0]
    assert (ann.rating, bool(ann.ok), ann.note) == (5, True, "changed my mind")
    assert len(q.label_history(SUITE)) == 4
    ws.compact_labels()
    assert len(Queries(ws).label_history(SUITE)) == 4
    assert len(Queries(ws).label_answers(SUITE)) == 2


def test_clearing_an_answer_requeues_the_item(ws: Workspace) -> None:
    item = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"][0]
    _rate(ws, "ann", item, 3, True)
    assert item["output_hash"] not in {i["output_hash"] for i in labels.rating_queue(Queries(ws), SUITE, "ann")["todo"]}
    _rate(ws, "ann", item, None, None)  # undo
    q = labels.rating_queue(Queries(ws), SUITE, "ann")
    assert item["output_hash"] in {i["output_hash"] for i in q["todo"]} and not q["done"]
    assert len(Queries(ws).label_history(SUITE)) == 2


def test_label_carries_over_to_a_rerun_and_another_candidate(ws: Workspace) -> None:
    q = labels.rating_queue(Queries(ws), SUITE, "ann")
    shared = next(i for i in q["todo"] if i["example_id"] == "e0" and len(i["candidates"]) == 2)
    _rate(ws, "ann", shared, 4, True)
    # a rerun (new run id, cached) produces the same text: it is not queued again, and both a and b carry it
    write_results(ws, SUITE, RUN2, "w2", [_result(RUN2, "e0", "a", "answer 0")], [])
    q2 = labels.rating_queue(Queries(ws), SUITE, "ann", runs=[RUN2])
    assert q2["todo"] == [] and [d["output_hash"] for d in q2["done"]] == [shared["output_hash"]]
    rows = {r.candidate: r for r in labels.human_summary(Queries(ws), SUITE)}
    assert rows["a"].rating == 4 and rows["b"].rating == 4 and rows["a"].n_examples == 1
    assert rows["c"].rating is None and not rows["c"].enough


def test_order_is_blind_shuffled_per_reviewer_and_stable(ws: Workspace) -> None:
    order = lambda who, seed=0: [i["output_hash"] for i in labels.rating_queue(Queries(ws), SUITE, who, seed=seed)["todo"]]  # noqa: E731
    assert order("ann") == order("ann")
    assert order("ann") != order("bob") or order("ann", 1) != order("ann")
    assert sorted(order("ann")) == sorted(order("bob"))


def test_overlap_decides_who_still_needs_to_rate(ws: Workspace) -> None:
    item = labels.rating_queue(Queries(ws), SUITE, "bob")["todo"][0]
    _rate(ws, "bob", item, 3, True)
    one = labels.rating_queue(Queries(ws), SUITE, "ann", overlap=1)
    assert item["output_hash"] not in {i["output_hash"] for i in one["todo"]} and one["complete"] == 1
    two = labels.rating_queue(Queries(ws), SUITE, "ann", overlap=2)
    assert two["todo"][-1]["output_hash"] == item["output_hash"] or item["output_hash"] in {
        i["output_hash"] for i in two["todo"]}
    assert two["todo"][0]["ratings"] == 0  # unlabeled first
    assert all(i["mine"] is None for i in two["todo"])  # never another reviewer's answer


def test_disagreement_filter_keeps_outputs_whose_scorers_split(ws: Workspace) -> None:
    q = labels.rating_queue(Queries(ws), SUITE, "ann", disagree_only=True)
    # exact fails b and c everywhere; the judge passes them except c on odd examples. An output a shares
    # with b is flagged because b's result of that content split its scorers.
    got = sorted((i["example_id"], tuple(sorted(i["candidates"]))) for i in q["todo"])
    want = sorted([(f"e{i}", ("b",)) for i in (1, 3, 5)] + [(f"e{i}", ("c",)) for i in (0, 2, 4)]
                  + [(f"e{i}", ("a", "b")) for i in (0, 2, 4)])
    assert got == want


def test_tags_and_candidates_narrow_the_queue(ws: Workspace) -> None:
    q = labels.rating_queue(Queries(ws), SUITE, "ann", tags=["long"], candidates=["c"])
    assert sorted(i["example_id"] for i in q["todo"]) == ["e0", "e3"]


def test_compaction_keeps_every_event_and_auto_compacts(ws: Workspace) -> None:
    item = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"][0]
    for k in range(1_203):
        _rate(ws, "ann", item, 1 + k % 5, k % 2 == 0)
    parts = list((ws.root / "labels" / f"suite={SUITE}").glob("*.parquet"))
    assert len(parts) == 2  # compacted at 500 and 1,000 lines
    hist = Queries(ws).label_history(SUITE)
    assert len(hist) == 1_203 and hist.label_id.is_unique
    assert ws.compact_labels() == 203 and ws.compact_labels() == 0
    assert len(Queries(ws).label_history(SUITE)) == 1_203
    last = Queries(ws).label_answers(SUITE).iloc[0]
    assert last.rating == 1 + 1_202 % 5


def test_compaction_killed_before_truncation_counts_nothing_twice(ws: Workspace, monkeypatch) -> None:
    item = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"][0]
    for k in range(7):
        _rate(ws, "ann", item, 3, True, f"n{k}")

    def crash(fd: int, n: int) -> None:
        raise KeyboardInterrupt("killed after the part was written")

    monkeypatch.setattr(os, "ftruncate", crash)
    with pytest.raises(KeyboardInterrupt):
        ws.compact_labels()
    monkeypatch.undo()
    assert len(Queries(ws).label_history(SUITE)) == 7  # in the part and the journal, counted once
    _rate(ws, "ann", item, 4, True)
    assert ws.compact_labels() == 8
    parts = list((ws.root / "labels" / f"suite={SUITE}").glob("*.parquet"))
    # a second part, a superset of the first (no key is ever rewritten: remote readers cache parts by key)
    assert sorted(pq.read_table(p).num_rows for p in parts) == [7, 8]
    assert len(Queries(ws).label_history(SUITE)) == 8


_APPENDER = textwrap.dedent("""
    import sys
    from evalcore import labels
    from evalcore.store import Workspace
    ws = Workspace(sys.argv[1]); who = sys.argv[2]
    for k in range(int(sys.argv[3])):
        labels.record_rating(ws, "s", who, example_id=f"e{k % 6}", output_hash=f"h{k}", rating=1 + k % 5,
                             ok=True, note=f"{who}-{k}")
""")

_COMPACTOR = textwrap.dedent("""
    import sys, time
    from evalcore.store import Workspace
    ws = Workspace(sys.argv[1])
    end = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < end:
        ws.compact_labels()
""")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_two_processes_append_500_each_while_compaction_runs(ws: Workspace) -> None:
    compactor = subprocess.Popen([sys.executable, "-c", _COMPACTOR, str(ws.root), "6"], env=_env())
    writers = [subprocess.Popen([sys.executable, "-c", _APPENDER, str(ws.root), who, "500"], env=_env())
               for who in ("ann", "bob")]
    for p in writers:
        assert p.wait(timeout=120) == 0
    assert compactor.wait(timeout=60) == 0
    hist = Queries(ws).label_history(SUITE)
    assert len(hist) == 1_000 and hist.label_id.is_unique
    assert sorted(hist.note) == sorted([f"ann-{k}" for k in range(500)] + [f"bob-{k}" for k in range(500)])
    ws.compact_labels()
    assert len(Queries(ws).label_history(SUITE)) == 1_000
    assert len(Queries(ws).label_answers(SUITE)) == 1_000


_APPEND_AND_COMPACT = textwrap.dedent("""
    import sys
    from evalcore import labels
    from evalcore.store import Workspace
    ws = Workspace(sys.argv[1]); tag = sys.argv[2]
    k = 0
    while True:
        rows = [labels._event("s", "ann", "rating", example_id="e0", output_hash=f"h{k + j}", rating=3, ok=True,
                              note=f"{tag}-{k + j}", blind=True, source="api") for j in range(2_000)]
        ws.append_labels("s", "ann", rows, compact_at=0)
        k += len(rows)
        ws.compact_labels()
""")


def _numbers(ws: Workspace, tag: str) -> list[int]:
    hist = Queries(ws).label_history(SUITE)
    assert hist.label_id.is_unique
    return sorted(int(n.split("-")[1]) for n in hist.note if n.startswith(tag + "-"))


def test_kill_9_during_compaction_loses_nothing(ws: Workspace) -> None:
    """A process appends 2,000 events then compacts, over and over, and is killed at a random moment: every
    event appended before the kill is there exactly once (a contiguous prefix: no gaps, no duplicates)."""
    rng = random.Random(11)
    for round_ in range(3):
        tag = f"r{round_}"
        p = subprocess.Popen([sys.executable, "-c", _APPEND_AND_COMPACT, str(ws.root), tag], env=_env())
        time.sleep(1.5 + rng.random() * 1.5)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        got = _numbers(ws, tag)
        assert got and got == list(range(len(got))), f"round {round_}: gaps or duplicates"
        ws.compact_labels()  # recovery: the next compaction finishes whatever the killed one left
        assert _numbers(ws, tag) == got
    labels.record_rating(ws, SUITE, "ann", example_id="e0", output_hash="after", rating=2)
    assert "after" in set(Queries(ws).label_history(SUITE).output_hash)


def test_events_are_validated() -> None:
    with pytest.raises(labels.LabelError, match="1-5"):
        labels.record_rating(None, SUITE, "ann", example_id="e", output_hash="h", rating=6)
    with pytest.raises(labels.LabelError, match="reviewer"):
        labels.record_rating(None, SUITE, "  ", example_id="e", output_hash="h", rating=3)
    with pytest.raises(labels.LabelError, match="choice"):
        labels.record_pair(None, SUITE, "ann", example_id="e", first=("a", "x"), second=("b", "y"), choice=3)


def test_human_summary_intervals_and_too_few_note(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "big", n_examples=12)
    q = labels.rating_queue(Queries(ws), SUITE, "ann", candidates=["c"])
    for k, item in enumerate(q["todo"]):
        _rate(ws, "ann", item, 5 if k % 2 else 3, k % 4 != 0)
    rows = {r.candidate: r for r in labels.human_summary(Queries(ws), SUITE)}
    c = rows["c"]
    assert c.n_examples == 12 and c.enough and c.note == ""
    assert c.rating == pytest.approx(4.0) and 1 <= c.rating_low < 4 < c.rating_high <= 5
    from evalcore.stats import proportion_interval

    iv = proportion_interval(9, 12)
    assert (c.ok_rate, c.ok_low, c.ok_high) == pytest.approx((iv.estimate, iv.low, iv.high))
    assert not rows["a"].enough and "too few" in rows["a"].note


def test_agreement_report_matches_krippendorff_and_statsmodels(tmp_path: Path) -> None:
    import krippendorff
    from statsmodels.stats.inter_rater import cohens_kappa

    ws = _workspace(tmp_path / "agree", n_examples=12)
    items = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"]
    rng = np.random.default_rng(3)
    ann = rng.integers(1, 6, len(items))
    bob = np.clip(ann + rng.integers(-1, 2, len(items)), 1, 5)
    ann_ok, bob_ok = ann >= 3, bob >= 4
    for item, a, b, ao, bo in zip(items, ann, bob, ann_ok, bob_ok):
        _rate(ws, "ann", item, int(a), bool(ao))
        _rate(ws, "bob", item, int(b), bool(bo))
    rep = labels.agreement_report(Queries(ws), SUITE, n_boot=200)
    units = sorted(i["output_hash"] for i in items)
    by = {i["output_hash"]: k for k, i in enumerate(items)}
    data = [[ann[by[u]] for u in units], [bob[by[u]] for u in units]]
    want = krippendorff.alpha(reliability_data=np.array(data, dtype=float), level_of_measurement="ordinal")
    assert rep.rating["value"] == pytest.approx(want, abs=1e-9)
    table = np.zeros((2, 2))
    for a, b in zip(ann_ok, bob_ok):
        table[int(a), int(b)] += 1
    assert rep.ok["statistic"] == "cohen_kappa"
    assert rep.ok["value"] == pytest.approx(cohens_kappa(table).kappa, abs=1e-9)
    assert rep.n_items == len(items) and rep.reviewers == ["ann", "bob"]
    assert rep.disagreements and rep.disagreements[0]["spread"] == max(d["spread"] for d in rep.disagreements)
    assert rep.judges and rep.judges[0].scorer == "judge"
    assert not rep.judges[0].trusted and "WARNING" in rep.judges[0].verdict  # the fixture's judge is arbitrary


def test_fleiss_kappa_for_three_reviewers(ws: Workspace) -> None:
    items = labels.rating_queue(Queries(ws), SUITE, "ann")["todo"]
    for k, item in enumerate(items):
        for who in ("ann", "bob", "cy"):
            _rate(ws, who, item, 3, (k + len(who)) % 2 == 0)
    rep = labels.agreement_report(Queries(ws), SUITE, n_boot=50)
    assert rep.ok["statistic"] == "fleiss_kappa" and rep.ok["n_units"] == len(items)


def test_bradley_terry_matches_a_direct_likelihood_fit() -> None:
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    true = {"a": 1.0, "b": 0.0, "c": -1.0}
    comps = []
    for _ in range(300):
        x, y = rng.choice(list(true), 2, replace=False)
        p = 1 / (1 + np.exp(true[y] - true[x]))
        comps.append((str(x), str(y), 1 if rng.random() < p else 2))
    comps += [("a", "c", 0), ("b", "c", 0)]
    rows = bradley_terry(comps, n_boot=100)
    assert [r.candidate for r in rows] == ["a", "b", "c"]
    names = ["a", "b", "c"]

    def nll(theta: np.ndarray) -> float:  # the same model: ties half a win, one virtual tie vs strength 0
        s = dict(zip(names, theta))
        total = 0.0
        for x, y, o in comps:
            w = 1.0 if o == 1 else 0.0 if o == 2 else 0.5
            d = s[x] - s[y]
            total -= w * d - np.logaddexp(0, d)
        for v in theta:
            total -= 0.5 * v - np.logaddexp(0, v)
        return total

    fit = minimize(nll, np.zeros(3), method="BFGS").x
    fit = fit - fit.mean()
    got = {r.candidate: r.log_strength for r in rows}
    for n, v in zip(names, fit):
        assert got[n] == pytest.approx(v, abs=1e-3)
    assert all(r.low <= r.log_strength <= r.high for r in rows)
    assert rows[0].rank == 1 and rows[-1].rank > 1


def test_bradley_terry_with_a_clean_sweep_stays_finite() -> None:
    rows = bradley_terry([("a", "b", 1)] * 5, n_boot=20)
    assert rows[0].candidate == "a" and np.isfinite(rows[0].log_strength)


@pytest.mark.parametrize("comparisons,kw", [
    ([("a", "b", 1.7)], {}), ([("a", "b", "1")], {}), ([("a", "b", True)], {}), ([("a", "b", 3)], {}),
    ([("a", "b", None)], {}), ([("a", "b")], {}), ([(1, "1", 1)], {}), ([(None, "b", 1)], {}),
    ([("a", "b", 1)], {"confidence": 1}), ([("a", "b", 1)], {"confidence": "x"}),
    ([("a", "b", 1)], {"n_boot": -1}), ([("a", "b", 1)], {"n_boot": 2.5}), ([("a", "b", 1)], {"seed": "x"}),
])
def test_bradley_terry_refuses_what_it_used_to_coerce(comparisons, kw) -> None:
    """int() read 1.7, '1' and True as "first better", str() merged candidates 1 and '1', and the rest were raw
    ValueErrors or TypeErrors (an audit, 7 December)."""
    from evalcore.stats import StatsInputError

    with pytest.raises(StatsInputError):
        bradley_terry(comparisons, **kw)


def test_pairwise_answers_feed_the_ranking(ws: Workspace) -> None:
    q = labels.pair_queue(Queries(ws), SUITE, "ann")
    assert q["todo"] and all(p["left"]["output_hash"] != p["right"]["output_hash"] for p in q["todo"])
    for p in q["todo"]:
        better = 1 if "a" in p["left"]["candidates"] else 2 if "a" in p["right"]["candidates"] else 0
        labels.record_pair(ws, SUITE, "ann", example_id=p["example_id"],
                           first=(p["left"]["output_hash"], p["left"]["candidates"][0]),
                           second=(p["right"]["output_hash"], p["right"]["candidates"][0]), choice=better)
    assert labels.pair_queue(Queries(ws), SUITE, "ann")["todo"] == []
    ranking = labels.pairwise_ranking(Queries(ws), SUITE, n_boot=50)
    assert ranking[0]["candidate"] == "a"


def test_import_reports_every_bad_row_and_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("example_id,candidate,reviewer,rating,ok,note\n"
                 "e1,a,ann,4,yes,fine\n"
                 "e1,c,ann,five,yes,\n"
                 "e9,a,ann,3,no,\n"
                 "e2,c,,3,no,\n"
                 "e2,c,bob,3,maybe,\n")
    with pytest.raises(IngestError) as exc:
        labels.import_labels(ws.root, SUITE, f)
    text = str(exc.value)
    assert "labels.csv, row 2, column 'rating': expected a whole number 1-5, got 'five'" in text
    assert "row 3, column 'example_id'" in text and "row 4, column 'reviewer'" in text
    assert "row 5, column 'ok'" in text and "nothing was imported" in text
    assert len(Queries(ws).label_history(SUITE)) == 0


def test_import_refuses_two_different_labels_for_one_output_by_one_reviewer(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"  # one of the two was silently discarded
    f.write_text("example_id,candidate,reviewer,rating\ne1,a,bob,1\ne2,a,bob,3\ne1,a,bob,5\ne2,a,bob,3\n")
    with pytest.raises(IngestError) as exc:
        labels.import_labels(ws.root, SUITE, f)
    assert [(p.row, p.column) for p in exc.value.problems] == [(3, "reviewer")]
    assert "rows 1 and 3" in str(exc.value) and "'e1'" in str(exc.value) and "'bob'" in str(exc.value)
    assert len(Queries(ws).label_history(SUITE)) == 0
    f.write_text("example_id,candidate,reviewer,rating\ne2,a,bob,3\ne2,a,bob,3\ne2,a,ann,3\n")
    assert labels.import_labels(ws.root, SUITE, f) == 2  # the same label twice is one label


def test_import_names_the_candidate_column_for_an_unknown_candidate(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("example_id,candidate,reviewer,rating\ne1,nosuch,bob,1\ne99,a,bob,2\n")
    with pytest.raises(IngestError) as exc:
        labels.import_labels(ws.root, SUITE, f)
    by_row = {p.row: p for p in exc.value.problems}
    assert by_row[1].column == "candidate" and "candidates: a, b, c" in by_row[1].message
    assert by_row[2].column == "example_id" and "'e99'" in by_row[2].message


def test_import_refuses_headers_that_differ_only_in_case(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"  # 'Rating' and 'rating' collapsed: the 1 was dropped
    f.write_text("example_id,candidate,reviewer,Rating,rating\ne1,a,bob,1,5\n")
    with pytest.raises(IngestError, match="'Rating' and 'rating' are the same column"):
        labels.import_labels(ws.root, SUITE, f)
    f.write_text("example_id,candidate,reviewer,score\ne1,a,bob,1\n")
    with pytest.raises(IngestError, match="found: example_id, candidate, reviewer, score"):
        labels.import_labels(ws.root, SUITE, f)
    assert len(Queries(ws).label_history(SUITE)) == 0


def test_import_then_export_round_trip(ws: Workspace, tmp_path: Path) -> None:
    h = labels.output_hash("e3", "c says 3")
    f = tmp_path / "labels.csv"
    f.write_text(f"example_id,output_hash,candidate,reviewer,rating,ok,note\n"
                 f"e1,,a,ann,4,yes,fine\n,{h},,bob,2,no,wrong total\n")
    assert labels.import_labels(ws.root, SUITE, f) == 2
    out_csv, out_pq = tmp_path / "out.csv", tmp_path / "out.parquet"
    assert labels.export_labels(Queries(ws), SUITE, out_csv) == 2
    text = out_csv.read_text()
    assert "wrong total" in text and h in text and text.splitlines()[0].startswith("label_id,suite,example_id")
    assert labels.export_labels(Queries(ws), SUITE, out_pq) == 2
    assert pq.read_table(out_pq).num_rows == 2


def test_cli_labels_commands(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("example_id,candidate,reviewer,rating,ok\ne1,a,ann,4,yes\ne1,c,bob,2,no\ne2,c,ann,1,no\n")
    cli = [sys.executable, "-m", "evalcore.cli"]
    env = _env()
    ok = subprocess.run([*cli, "labels", "import", str(f), "--suite", SUITE, "-w", str(ws.root)], env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "Imported 3 labels" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("example_id,candidate,reviewer,rating\ne1,a,ann,9\n")
    err = subprocess.run([*cli, "labels", "import", str(bad), "--suite", SUITE, "-w", str(ws.root)], env=env,
                         capture_output=True, text=True)
    assert err.returncode == 2 and "bad.csv, row 1, column 'rating'" in err.stderr
    out = tmp_path / "x.csv"
    exp = subprocess.run([*cli, "labels", "export", str(out), "--suite", SUITE, "-w", str(ws.root)], env=env,
                         capture_output=True, text=True)
    assert exp.returncode == 0 and len(out.read_text().splitlines()) == 4
    agr = subprocess.run([*cli, "labels", "agreement", "--suite", SUITE, "-w", str(ws.root), "--format", "json"],
                         env=env, capture_output=True, text=True)
    assert agr.returncode == 0 and json.loads(agr.stdout)["reviewers"] == ["ann", "bob"]


_OPS = st.lists(st.tuples(st.sampled_from(["ann", "bob"]), st.sampled_from(["h0", "h1", "h2"]),
                          st.one_of(st.none(), st.integers(1, 5)), st.one_of(st.none(), st.booleans()),
                          st.booleans()), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_OPS)
def test_answers_equal_a_latest_wins_model_whatever_the_compactions(ops: list) -> None:
    """Any sequence of answers, clears and compactions: the store's answers are the last non-cleared answer per
    (reviewer, output), and the history holds every event once."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        model: dict[tuple[str, str], tuple[int | None, bool | None]] = {}
        for who, h, rating, ok, compact in ops:
            labels.record_rating(ws, SUITE, who, example_id="e", output_hash=h, rating=rating, ok=ok)
            if rating is None and ok is None:
                model.pop((who, h), None)
            else:
                model[(who, h)] = (rating, ok)
            if compact:
                ws.compact_labels()
        got = {(a["reviewer"], a["output_hash"]): (a["rating"], a["ok"]) for a in labels.answers(Queries(ws), SUITE)}
        assert got == model
        assert len(Queries(ws).label_history(SUITE)) == len(ops)


def test_export_to_a_missing_folder_is_refused_not_created(ws: Workspace, tmp_path: Path) -> None:
    """`labels export typo/labels.csv` created typo/ silently and put the export where no one looks."""
    with pytest.raises(labels.LabelError) as exc:
        labels.export_labels(Queries(ws), SUITE, tmp_path / "nope" / "sub" / "labels.csv")
    assert "does not exist" in str(exc.value) and "mkdir -p" in str(exc.value)
    assert not (tmp_path / "nope").exists()
    assert labels.export_labels(Queries(ws), SUITE, tmp_path / "labels.csv") == 0
