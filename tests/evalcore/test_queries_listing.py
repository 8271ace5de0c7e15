"""The query layer reads a suite's current results from each candidate's latest run's files only, lists suites from
the partition folders, and re-lists a table only when its files change: the answers must stay those of a full
scan, and new or replaced files must show up at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evalcore import store
from evalcore.errors import StoreError
from evalcore.queries import Queries

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _write_run(ws: store.Workspace, suite: str, run_id: str, values: dict[str, list[float]], *,
               writer: str = "w0", hours: int = 0) -> None:
    """One run of a suite: per candidate, one result and one 'f1' score per example."""
    created = T0 + timedelta(hours=hours)
    results, scores = [], []
    for cand, vals in values.items():
        for i, v in enumerate(vals):
            ex = f"ex-{i}"
            results.append({"run_id": run_id, "suite": suite, "suite_version": "v1", "example_id": ex,
                            "candidate": cand, "model": f"m/{cand}", "family": cand[:1], "repeat": 0,
                            "request_hash": f"{run_id}-{cand}-{i}", "output": f"out {v}", "finish_reason": "stop",
                            "latency_ms": 100.0, "input_tokens": 10, "output_tokens": 5, "cost_usd": 0.001,
                            "cached": False, "attempts": 1, "created_at": created, "schema_version": 1})
            scores.append({"run_id": run_id, "suite": suite, "example_id": ex, "candidate": cand, "repeat": 0,
                           "scorer": "f1", "value": v, "passed": v >= 0.8, "detail": "{}", "created_at": created,
                           "schema_version": 1})
    store.atomic_write_table(ws.result_part(suite, run_id, writer), store.table_from_rows(results, store.RESULTS_SCHEMA))
    store.atomic_write_table(ws.score_part(suite, run_id, writer), store.table_from_rows(scores, store.SCORES_SCHEMA))


@pytest.fixture()
def ws(tmp_path: Path) -> store.Workspace:
    w = store.Workspace(tmp_path / "ws")
    _write_run(w, "alpha", "20260101T000000-aaaaaa", {"a": [0.1, 0.2, 0.3], "b": [0.5, 0.5, 0.5]})
    _write_run(w, "alpha", "20260102T000000-bbbbbb", {"a": [0.9, 0.9, 0.8]}, hours=24)  # a's latest run
    _write_run(w, "beta", "20260101T000000-cccccc", {"c": [1.0, 1.0]})
    return w


def test_suites_come_from_the_partitions_and_match_the_column(ws: store.Workspace) -> None:
    q = Queries(ws)
    assert q.suites() == ["alpha", "beta"]
    assert q.suites() == [r[0] for r in q._rows("SELECT DISTINCT suite FROM results ORDER BY suite")]


def test_current_results_are_each_candidates_latest_run(ws: store.Workspace) -> None:
    q = Queries(ws)
    st = q.score_table("alpha", "f1")
    assert st.groupby("candidate")["value"].mean().round(3).to_dict() == {"a": 0.867, "b": 0.5}
    summary = q.candidate_summary("alpha").set_index("candidate")
    assert summary.loc["a", "run_id"] == "20260102T000000-bbbbbb"
    assert summary.loc["b", "run_id"] == "20260101T000000-aaaaaa"
    assert set(q.label_outputs("alpha")["run_id"]) == {"20260102T000000-bbbbbb", "20260101T000000-aaaaaa"}
    one = q.score_table("alpha", "f1", run_id="20260101T000000-aaaaaa")
    assert one.groupby("candidate")["value"].mean().round(3).to_dict() == {"a": 0.2, "b": 0.5}


def test_a_new_run_or_a_new_part_shows_up_on_the_next_query(ws: store.Workspace) -> None:
    q = Queries(ws)
    assert len(q.score_table("alpha", "f1")) == 6
    _write_run(ws, "alpha", "20260103T000000-dddddd", {"b": [0.0, 0.0, 0.0]}, hours=48)
    assert q.score_table("alpha", "f1").groupby("candidate")["value"].mean().round(3).to_dict() == {
        "a": 0.867, "b": 0.0}
    _write_run(ws, "alpha", "20260103T000000-dddddd", {"c": [1.0, 1.0, 1.0]}, writer="w1", hours=48)  # same run dir
    assert len(q.score_table("alpha", "f1")) == 9
    _write_run(ws, "gamma", "20260104T000000-eeeeee", {"g": [0.5]}, hours=72)
    assert q.suites() == ["alpha", "beta", "gamma"]


def test_a_file_replaced_by_a_broken_one_is_noticed(ws: store.Workspace) -> None:
    q = Queries(ws)
    q.score_table("alpha", "f1")
    part = ws.result_part("alpha", "20260102T000000-bbbbbb", "w0")
    part.write_bytes(b"not parquet at all")
    with pytest.raises(StoreError, match="broken"):
        q.score_table("alpha", "f1")
    assert q.score_table("beta", "f1")["value"].tolist() == [1.0, 1.0]  # other suites still read


def test_runs_list_and_latest_runs_from_the_run_index_equal_direct_scans(tmp_path: Path) -> None:
    """run_counts, run_candidates and each candidate's latest run come from one memoized scan per (suite, run,
    candidate): they must equal the direct SQL over the results, with cached rows, errors, unknown prices, two
    suites sharing a run id and a run written by two writers."""
    ws = store.Workspace(tmp_path / "ws")
    _write_run(ws, "s", "20260101T000000-aaaaaa", {"a": [1.0, 0.5], "b": [0.2]})
    _write_run(ws, "s", "20260102T000000-bbbbbb", {"a": [0.9]}, hours=24)
    _write_run(ws, "s", "20260102T000000-bbbbbb", {"c": [0.7, 0.1, 0.3]}, writer="w1", hours=25)
    _write_run(ws, "t", "20260102T000000-bbbbbb", {"a": [0.4]}, hours=26)
    odd = [{"run_id": "20260103T000000-cccccc", "suite": "s", "suite_version": "v1", "example_id": f"ex-{i}",
            "candidate": "b", "model": "m/b", "family": "b", "repeat": 0, "request_hash": f"odd-{i}",
            "output": None if i == 0 else "x", "error_kind": "rate_limit" if i == 0 else None,
            "latency_ms": 1.0, "cost_usd": None if i < 2 else 0.5, "cached": i == 3, "attempts": 1,
            "created_at": T0 + timedelta(days=3, minutes=i), "schema_version": 1} for i in range(4)]
    store.atomic_write_table(ws.result_part("s", "20260103T000000-cccccc", "w0"),
                             store.table_from_rows(odd, store.RESULTS_SCHEMA))
    unpriced = [dict(r, run_id="20260103T000000-eeeeee", request_hash=f"unpriced-{i}", cost_usd=None)
                for i, r in enumerate(odd)]  # no spend recorded at all: missing, not 0
    store.atomic_write_table(ws.result_part("s", "20260103T000000-eeeeee", "w0"),
                             store.table_from_rows(unpriced, store.RESULTS_SCHEMA))
    q = Queries(ws)
    direct = q._df("""
        SELECT suite, run_id, count(*) AS results, count(error_kind) AS errors,
               sum(CASE WHEN cached THEN 1 ELSE 0 END) AS cached,
               sum(cost_usd) FILTER (WHERE NOT cached) AS spent_usd, count(DISTINCT candidate) AS candidates,
               min(created_at) AS first_result, max(created_at) AS last_result
        FROM results WHERE ($suite IS NULL OR suite = $suite)
        GROUP BY suite, run_id ORDER BY run_id DESC, suite""", {"suite": None})
    got = q.run_counts()
    assert got[["suite", "run_id"]].values.tolist() == direct[["suite", "run_id"]].values.tolist()
    for col in ("results", "errors", "cached", "candidates"):
        assert got[col].astype(int).tolist() == direct[col].astype(int).tolist(), col
    assert got["spent_usd"].fillna(-1).round(9).tolist() == direct["spent_usd"].fillna(-1).round(9).tolist()
    assert got.loc[got["run_id"] == "20260103T000000-eeeeee", "spent_usd"].isna().all()
    assert got["first_result"].tolist() == direct["first_result"].tolist()
    assert got["last_result"].tolist() == direct["last_result"].tolist()
    assert q.run_counts("t")["run_id"].tolist() == ["20260102T000000-bbbbbb"]
    assert q.run_counts("s", "nope").empty
    held = q._df("SELECT DISTINCT run_id, candidate FROM results WHERE suite = 's' ORDER BY run_id DESC, candidate")
    assert q.run_candidates("s").values.tolist() == held.values.tolist()
    assert q._latest_runs("s") == (["a", "b", "c"], ["20260102T000000-bbbbbb", "20260103T000000-eeeeee",
                                                     "20260102T000000-bbbbbb"])
    assert q._latest_runs("s", "20260101T000000-aaaaaa") == (["a", "b"], ["20260101T000000-aaaaaa"] * 2)
    _write_run(ws, "s", "20260104T000000-dddddd", {"a": [0.1]}, hours=96)  # new files: the index is rebuilt
    q._ensure_views()  # private: its callers list the files first
    assert q._latest_runs("s")[1][0] == "20260104T000000-dddddd"
    assert q.run_counts("s")["run_id"].tolist()[0] == "20260104T000000-dddddd"
