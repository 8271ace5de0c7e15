"""Tests for evalcore.store (layout, atomic writes, journals, compaction, locks) read back through evalcore.queries."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalcore.errors import StoreError
from evalcore.queries import Queries
from evalcore.store import (
    RESULTS_SCHEMA,
    SCHEMA_VERSION,
    SCORES_SCHEMA,
    Workspace,
    atomic_write_bytes,
    atomic_write_table,
    table_from_rows,
    write_results,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def result_row(**overrides: Any) -> dict[str, Any]:
    """A result with every RESULTS_SCHEMA column, as the runner builds it."""
    row: dict[str, Any] = {
        "run_id": "20261123T120000-aaaaaa", "suite": "s", "suite_version": "v1", "example_id": "e1",
        "candidate": "small", "model": "openai/small", "family": "fam", "release": date(2026, 1, 1),
        "repeat": 0, "request_hash": "h-e1", "output": "billing", "finish_reason": "stop", "error_kind": None,
        "error": None, "latency_ms": 120.0, "input_tokens": 10, "output_tokens": 2, "cost_usd": 0.0001,
        "cached": False, "attempts": 1, "created_at": T0, "schema_version": SCHEMA_VERSION,
    }
    row.update(overrides)
    assert set(row) == set(RESULTS_SCHEMA.names), "the helper must build every column"
    return row


def score_row(result: dict[str, Any], scorer: str = "exact", value: float = 1.0, **overrides: Any) -> dict[str, Any]:
    """A score of `result` with every SCORES_SCHEMA column."""
    row: dict[str, Any] = {
        "run_id": result["run_id"], "suite": result["suite"], "example_id": result["example_id"],
        "candidate": result["candidate"], "repeat": result["repeat"], "scorer": scorer, "value": value,
        "passed": value >= 0.5, "detail": "{}", "judge_request_hash": None, "created_at": result["created_at"],
        "schema_version": SCHEMA_VERSION,
    }
    row.update(overrides)
    assert set(row) == set(SCORES_SCHEMA.names)
    return row


def three_results(run_id: str = "20261123T120000-aaaaaa", suite: str = "s") -> list[dict[str, Any]]:
    return [result_row(run_id=run_id, suite=suite, example_id=f"e{i}", request_hash=f"h-e{i}",
                       created_at=T0 + timedelta(seconds=i)) for i in range(3)]


@contextmanager
def queries(ws: Workspace) -> Iterator[Queries]:
    q = Queries(ws)
    try:
        yield q
    finally:
        q.close()


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith(".tmp"))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


# -- workspace.json and its schema version -----------------------------------------------------------------

def test_new_workspace_writes_workspace_json_with_schema_version(tmp_path):
    Workspace(tmp_path / "new")
    marker = json.loads((tmp_path / "new" / "workspace.json").read_text())
    assert marker["schema_version"] == SCHEMA_VERSION
    assert datetime.fromisoformat(marker["created_at"]).tzinfo is not None


def test_reopening_a_workspace_keeps_its_marker(tmp_path):
    Workspace(tmp_path / "ws")
    before = (tmp_path / "ws" / "workspace.json").read_bytes()
    Workspace(tmp_path / "ws")
    assert (tmp_path / "ws" / "workspace.json").read_bytes() == before


def test_workspace_from_newer_evalcore_rejected_with_upgrade_hint(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "workspace.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(StoreError) as info:
        Workspace(root)
    assert f"schema {SCHEMA_VERSION + 1}" in str(info.value)
    assert info.value.hint and "pip install -U evalcore" in info.value.hint


def test_unreadable_workspace_json_rejected(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "workspace.json").write_text("{not json")
    with pytest.raises(StoreError) as info:
        Workspace(root)
    assert "workspace.json" in str(info.value)


def test_missing_workspace_not_created_when_create_is_false(tmp_path):
    with pytest.raises(StoreError) as info:
        Workspace(tmp_path / "absent", create=False)
    assert "evalcore demo" in str(info.value)
    assert not (tmp_path / "absent").exists()


def test_workspace_defaults_to_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(tmp_path / "from-env"))
    assert Workspace().root == tmp_path / "from-env"
    assert (tmp_path / "from-env" / "workspace.json").exists()


# -- atomic writes ---------------------------------------------------------------------------------------

def test_atomic_write_bytes_leaves_only_the_target(tmp_path):
    target = tmp_path / "d" / "f.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_atomic_write_table_leaves_only_the_target(tmp_path):
    target = tmp_path / "d" / "part.parquet"
    atomic_write_table(target, table_from_rows([result_row()], RESULTS_SCHEMA))
    assert [p.name for p in target.parent.iterdir()] == ["part.parquet"]
    assert pq.read_table(target).schema.equals(RESULTS_SCHEMA)


def test_failed_table_write_keeps_previous_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "part.parquet"
    old = table_from_rows([result_row(output="old")], RESULTS_SCHEMA)
    atomic_write_table(target, old)

    def half_then_fail(table: pa.Table, where: Any, **kwargs: Any) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_table(target, table_from_rows([result_row(output="new")], RESULTS_SCHEMA))
    monkeypatch.undo()
    assert pq.read_table(target).equals(old)
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("kind", ["bytes", "table"])
def test_failed_rename_keeps_previous_file_and_no_temp(tmp_path, monkeypatch, kind):
    target = tmp_path / ("f.json" if kind == "bytes" else "part.parquet")
    old_table = table_from_rows([result_row(output="old")], RESULTS_SCHEMA)
    if kind == "bytes":
        atomic_write_bytes(target, b"old")
    else:
        atomic_write_table(target, old_table)

    def refuse(src: Any, dst: Any) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="rename refused"):
        if kind == "bytes":
            atomic_write_bytes(target, b"new")
        else:
            atomic_write_table(target, table_from_rows([result_row(output="new")], RESULTS_SCHEMA))
    monkeypatch.undo()
    if kind == "bytes":
        assert target.read_bytes() == b"old"
    else:
        assert pq.read_table(target).equals(old_table)
    assert temp_files(tmp_path) == []


# -- table_from_rows -------------------------------------------------------------------------------------------

def test_table_from_rows_rejects_unknown_columns():
    with pytest.raises(StoreError) as info:
        table_from_rows([result_row(), {**result_row(), "colour": "red"}], RESULTS_SCHEMA)
    assert "colour" in str(info.value)


def test_table_from_rows_fills_missing_columns_with_null():
    table = table_from_rows([{"run_id": "r", "suite": "s", "example_id": "e"}], RESULTS_SCHEMA)
    assert table.schema.equals(RESULTS_SCHEMA)
    row = table.to_pylist()[0]
    assert row["run_id"] == "r"
    assert all(row[name] is None for name in RESULTS_SCHEMA.names if name not in {"run_id", "suite", "example_id"})


def test_table_from_rows_of_no_rows_is_an_empty_typed_table():
    table = table_from_rows([], SCORES_SCHEMA)
    assert table.num_rows == 0 and table.schema.equals(SCORES_SCHEMA)


# -- journals and compaction --------------------------------------------------------------------------------

def journal_results(ws: Workspace, run_id: str, results: list[dict[str, Any]]) -> Path:
    """Append results (each with one 'exact' score) through a Journal; returns the journal's path."""
    with ws.open_journal("s", run_id) as journal:
        for r in results:
            journal.append(r, [score_row(r, value=float(r["example_id"] != "e1"))])
        assert journal.count == len(results)
        return journal.path


def test_compacted_journal_reads_back_as_results_and_scores(ws):
    run_id = "20261123T120000-aaaaaa"
    results = three_results(run_id)
    path = journal_results(ws, run_id, results)
    assert path.exists()
    assert ws.compact_run("s", run_id) == 3
    assert not path.exists() and not ws.journal_dir("s", run_id).exists()
    writer = path.stem
    assert ws.result_part("s", run_id, writer).exists() and ws.score_part("s", run_id, writer).exists()

    with queries(ws) as q:
        df = q.current_results("s")
        assert list(df["example_id"]) == ["e0", "e1", "e2"]
        first = df.iloc[0]
        assert first["output"] == "billing" and first["model"] == "openai/small" and first["attempts"] == 1
        assert str(first["release"])[:10] == "2026-01-01"
        assert pd.Timestamp(first["created_at"]) == pd.Timestamp(T0)
        assert first["schema_version"] == SCHEMA_VERSION
        scores = q.score_table("s", "exact")
        assert list(scores["value"]) == [1.0, 0.0, 1.0]
        assert list(scores["passed"]) == [True, False, True]
        assert q.scorer_names("s") == ["exact"]
        assert q.run_keys("s", run_id) == {("e0", "small", 0), ("e1", "small", 0), ("e2", "small", 0)}


def test_compaction_is_idempotent_because_parts_are_named_after_the_journal(ws):
    run_id = "20261123T120000-aaaaaa"
    path = journal_results(ws, run_id, three_results(run_id))
    content = path.read_bytes()
    assert ws.compact_run("s", run_id) == 3
    # A crash between writing the parts and deleting the journal leaves the same journal behind.
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert ws.compact_run("s", run_id) == 3
    with queries(ws) as q:
        assert len(q.current_results("s")) == 3
        assert len(q.score_table("s", "exact")) == 3
        assert q.run_counts("s")["results"].tolist() == [3]


def test_compacting_a_run_without_journals_does_nothing(ws):
    assert ws.compact_run("s", "20261123T120000-aaaaaa") == 0
    assert not (ws.root / "results").exists()


@pytest.mark.parametrize("cut", ["half", "newline"])
def test_torn_last_line_is_ignored_and_earlier_lines_kept(ws, cut):
    run_id = "20261123T120000-aaaaaa"
    jdir = ws.journal_dir("s", run_id)
    jdir.mkdir(parents=True)
    lines = [json.dumps({"result": r, "scores": [score_row(r)]}, default=str) for r in three_results(run_id)]
    # a writer killed in the middle of its write(): half a line, or all of it but the newline
    torn = lines[2][: len(lines[2]) // 2] if cut == "half" else lines[2]
    (jdir / "killed.jsonl").write_text(lines[0] + "\n" + lines[1] + "\n" + torn, encoding="utf-8")
    assert ws.compact_run("s", run_id) == 2
    with queries(ws) as q:
        assert list(q.current_results("s")["example_id"]) == ["e0", "e1"]
        assert len(q.score_table("s", "exact")) == 2


def test_journal_locked_by_a_live_writer_is_not_compacted(ws):
    run_id = "20261123T120000-aaaaaa"
    results = three_results(run_id)
    journal = ws.open_journal("s", run_id)
    try:
        journal.append(results[0], [score_row(results[0])])
        assert ws.compact_run("s", run_id) == 0
        assert journal.path.exists()
        assert not ws.result_part("s", run_id, journal.path.stem).exists()
        journal.append(results[1], [])  # the writer carries on
    finally:
        journal.close()
    assert ws.compact_run("s", run_id) == 2


def test_closed_journals_compact_while_a_live_one_waits(ws):
    run_id = "20261123T120000-aaaaaa"
    a, b, c = three_results(run_id)
    done = journal_results(ws, run_id, [a, b])
    live = ws.open_journal("s", run_id)
    try:
        live.append(c, [])
        assert ws.compact_run("s", run_id) == 2
        assert not done.exists() and live.path.exists()
    finally:
        live.close()
    assert ws.compact_run("s", run_id) == 1
    with queries(ws) as q:
        assert len(q.current_results("s")) == 3


# -- manifests and run locks ---------------------------------------------------------------------------------

def manifest(run_id: str, status: str) -> dict[str, Any]:
    return {"suite": "s", "run_id": run_id, "status": status}


def test_running_manifest_without_its_lock_held_is_interrupted(ws):
    ws.write_manifest(manifest("20261123T120000-aaaaaa", "running"))
    assert [m["status"] for m in ws.manifests()] == ["interrupted"]
    # a lock file left behind by a dead process does not make it alive
    with ws.run_lock("s", "20261123T120000-aaaaaa"):
        pass
    assert ws.lock_path("s", "20261123T120000-aaaaaa").exists()
    assert [m["status"] for m in ws.manifests("s")] == ["interrupted"]
    # the file on disk is not rewritten by the read
    assert ws.read_manifest("s", "20261123T120000-aaaaaa")["status"] == "running"


def test_running_manifest_with_its_lock_held_is_running(ws):
    ws.write_manifest(manifest("20261123T110000-bbbbbb", "finished"))
    ws.write_manifest(manifest("20261123T100000-cccccc", "running"))
    with ws.run_lock("s", "20261123T120000-aaaaaa"):
        ws.write_manifest(manifest("20261123T120000-aaaaaa", "running"))
        got = [(m["run_id"], m["status"]) for m in ws.manifests()]
        assert ws.run_is_alive("s", "20261123T120000-aaaaaa")
    assert got == [  # newest first
        ("20261123T120000-aaaaaa", "running"),
        ("20261123T110000-bbbbbb", "finished"),
        ("20261123T100000-cccccc", "interrupted"),
    ]
    assert not ws.run_is_alive("s", "20261123T120000-aaaaaa")


def test_manifests_filter_by_suite_and_skip_unreadable_files(ws):
    ws.write_manifest(manifest("20261123T120000-aaaaaa", "finished"))
    ws.write_manifest({**manifest("20261123T120000-dddddd", "finished"), "suite": "other"})
    (ws.root / "runs" / "s" / "broken.json").write_text("{")
    assert [m["run_id"] for m in ws.manifests("s")] == ["20261123T120000-aaaaaa"]
    assert len(ws.manifests()) == 2
    assert Workspace(ws.root.parent / "empty").manifests() == []


def test_run_lock_on_a_locked_run_raises(ws):
    with ws.run_lock("s", "20261123T120000-aaaaaa"):
        with pytest.raises(StoreError) as info:
            with ws.run_lock("s", "20261123T120000-aaaaaa"):
                pass
        assert "already running" in str(info.value)
    with ws.run_lock("s", "20261123T120000-aaaaaa"):  # free again once released
        pass


# -- queries over what the store writes ------------------------------------------------------------------------

def test_queries_over_an_empty_workspace_return_empty_results(ws):
    with queries(ws) as q:
        assert q.cached_results(["h-e1"]) == {}
        assert q.cached_judgements(["j1"]) == {}
        assert q.run_keys("s", "r") == set()
        assert q.errors_by_kind("s", "r") == {}
        assert q.suites() == [] and q.scorer_names("s") == []
        frames = {
            "run_counts": q.run_counts(),
            "run_counts_suite": q.run_counts("s"),
            "current_results": q.current_results("s"),
            "score_table": q.score_table("s", "exact"),
            "candidate_summary": q.candidate_summary("s"),
            "examples": q.examples("s"),
            "public_scores": q.public_scores(),
        }
        for name, df in frames.items():
            assert isinstance(df, pd.DataFrame) and df.empty, name
        assert list(frames["current_results"].columns) == RESULTS_SCHEMA.names


def test_queries_see_data_written_after_they_were_opened(ws):
    with queries(ws) as q:
        assert q.current_results("s").empty
        write_results(ws, "s", "20261123T120000-aaaaaa", "w1", three_results(), [])
        assert len(q.current_results("s")) == 3


def test_results_part_missing_a_column_is_read_with_nulls(ws):
    old_run, new_run = "20261122T120000-aaaaaa", "20261123T120000-bbbbbb"
    write_results(ws, "s", new_run, "w1", [result_row(run_id=new_run, candidate="new")], [])
    old = table_from_rows([result_row(run_id=old_run, candidate="old")], RESULTS_SCHEMA).drop_columns(["attempts"])
    atomic_write_table(ws.result_part("s", old_run, "w0"), old)
    with queries(ws) as q:
        df = q.current_results("s").set_index("candidate")
        assert set(df.index) == {"new", "old"}
        assert df.loc["new", "attempts"] == 1
        assert pd.isna(df.loc["old", "attempts"])
        assert len(q.run_counts("s")) == 2


def test_cached_results_return_the_newest_good_output(ws):
    rows = [
        result_row(example_id="e1", output="first", created_at=T0),
        result_row(example_id="e2", output="newer", created_at=T0 + timedelta(seconds=1), repeat=1),
        result_row(example_id="e3", output=None, error_kind="timeout", error="slow", request_hash="h-bad"),
    ]
    write_results(ws, "s", "20261123T120000-aaaaaa", "w1", rows, [])
    with queries(ws) as q:
        got = q.cached_results(["h-e1", "h-bad", "h-unknown"])
    assert set(got) == {"h-e1"}
    assert got["h-e1"]["output"] == "newer"


def test_suite_names_are_bound_not_spliced_into_sql(ws):
    # Suite names are restricted by the Suite model, but the store does not enforce it and queries must not care.
    name = "o'brien"
    run_id = "20261123T120000-aaaaaa"
    results = three_results(run_id, suite=name)
    write_results(ws, name, run_id, "w1", results, [score_row(r) for r in results])
    ws.write_examples(name, "v1", [{"suite": name, "suite_version": "v1", "example_id": "e1", "input": "it's",
                                    "expected": "x", "tags": ["edge"], "fields": "{}", "row": 1}])
    with queries(ws) as q:
        assert len(q.current_results(name)) == 3
        assert q.run_counts(name)["results"].tolist() == [3]
        assert q.candidate_summary(name)["calls"].tolist() == [3]
        scores = q.score_table(name, "exact").set_index("example_id")
        assert len(scores) == 3 and list(scores.loc["e1", "tags"]) == ["edge"]
        assert q.examples(name)["input"].tolist() == ["it's"]
        assert q.run_keys(name, run_id) == {(f"e{i}", "small", 0) for i in range(3)}
        assert q.errors_by_kind(name, run_id) == {}
        assert q.suites() == [name]
        assert q.scorer_names(name) == ["exact"]
        # an injection attempt is just a name that matches nothing
        assert q.current_results("x' OR '1'='1").empty
        assert q.run_counts("x' OR suite IS NOT NULL --").empty


def test_workspace_path_with_a_quote_is_read(tmp_path):
    ws = Workspace(tmp_path / "it's a workspace")
    write_results(ws, "s", "20261123T120000-aaaaaa", "w1", three_results(), [])
    with queries(ws) as q:
        assert len(q.current_results("s")) == 3


def test_current_results_take_each_candidates_latest_run(ws):
    write_results(ws, "s", "20261122T120000-aaaaaa", "w1",
                  [result_row(run_id="20261122T120000-aaaaaa", candidate="a", output="old a"),
                   result_row(run_id="20261122T120000-aaaaaa", candidate="b", output="old b")], [])
    write_results(ws, "s", "20261123T120000-bbbbbb", "w1",
                  [result_row(run_id="20261123T120000-bbbbbb", candidate="a", output="new a")], [])
    with queries(ws) as q:
        assert dict(zip(*[q.current_results("s")[c] for c in ("candidate", "output")])) == {"a": "new a", "b": "old b"}
        assert q.current_results("s", "20261122T120000-aaaaaa")["output"].tolist() == ["old a", "old b"]


def test_public_scores_keep_the_newest_import(ws):
    ws.write_public([{"model": "m", "benchmark": "mmlu", "score": 0.5, "source": "old",
                      "imported_at": T0, "schema_version": SCHEMA_VERSION}])
    ws.write_public([{"model": "m", "benchmark": "mmlu", "score": 0.7, "source": "new",
                      "imported_at": T0 + timedelta(days=1), "schema_version": SCHEMA_VERSION}])
    with queries(ws) as q:
        assert q.public_scores()[["score", "source"]].values.tolist() == [[0.7, "new"]]



def test_files_from_an_older_schema_are_migrated_on_read(tmp_path):
    """A results file lacking columns a later version added still reads, and every query works on it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalcore.queries import Queries
    from evalcore.store import RESULTS_SCHEMA, Workspace

    ws = Workspace(tmp_path / "ws")
    old_fields = [f for f in RESULTS_SCHEMA if f.name not in {"attempts", "error_kind", "finish_reason"}]
    old = pa.schema(old_fields)
    row = {f.name: None for f in old}
    row.update(run_id="r1", suite="s", suite_version="v", example_id="e1", candidate="c", model="m", repeat=0,
               output="hi", latency_ms=5.0, cost_usd=0.001, cached=False)
    path = ws.result_part("s", "r1", "old")
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row], schema=old), path)
    q = Queries(ws)
    df = q.current_results("s")
    assert len(df) == 1 and df.iloc[0]["output"] == "hi"
    assert "attempts" in df.columns and df["attempts"].isna().all()
    summary = q.candidate_summary("s")
    assert int(summary.iloc[0]["errors"]) == 0 and int(summary.iloc[0]["calls"]) == 1


# -- a journal created while a compaction runs ------------------------------------------------------------------

def test_journal_created_just_before_a_compaction_is_not_lost(ws, monkeypatch):
    """The race: a writer creates its journal file, a compaction finds it (empty, unlocked), takes its lock,
    compacts nothing and removes it; then the writer locks the removed file and every line it appends is lost.
    The compaction is run deterministically at that moment: between the writer's open and its lock."""
    import fcntl

    from evalcore import store

    run_id = "20261123T120000-aaaaaa"
    real_flock = fcntl.flock
    seen: list[tuple[int, bool]] = []

    def flock(fd: int, op: int) -> None:
        if not seen and op == fcntl.LOCK_EX and os.readlink(f"/proc/self/fd/{fd}").endswith(".jsonl"):
            path = Path(os.readlink(f"/proc/self/fd/{fd}"))
            seen.append((ws.compact_run("s", run_id), path.exists()))  # the compaction runs right here
        real_flock(fd, op)

    monkeypatch.setattr(store.fcntl, "flock", flock)
    results = three_results(run_id)
    with ws.open_journal("s", run_id) as journal:
        for r in results:
            journal.append(r, [score_row(r)])
        assert journal.path.exists()
    monkeypatch.setattr(store.fcntl, "flock", real_flock)
    assert seen == [(0, False)]  # the interleaving happened: the compaction removed the file the writer opened
    assert ws.compact_run("s", run_id) == 3
    with queries(ws) as q:
        assert list(q.current_results("s")["example_id"]) == ["e0", "e1", "e2"]


def test_two_compactions_of_one_journal_file_it_once(ws, monkeypatch):
    """A second compactor that waited for the lock finds the journal already filed and removed: it skips it."""
    import fcntl

    from evalcore import store

    run_id = "20261123T120000-aaaaaa"
    journal_results(ws, run_id, three_results(run_id))
    real_flock = fcntl.flock
    inner: list[int] = []

    def flock(fd: int, op: int) -> None:
        if not inner and op == fcntl.LOCK_EX | fcntl.LOCK_NB:
            inner.append(-1)
            inner[0] = ws.compact_run("s", run_id)  # another compactor goes first, while this one waits
        real_flock(fd, op)

    monkeypatch.setattr(store.fcntl, "flock", flock)
    assert ws.compact_run("s", run_id) == 0
    monkeypatch.setattr(store.fcntl, "flock", real_flock)
    assert inner == [3]
    with queries(ws) as q:
        assert q.run_counts("s")["results"].tolist() == [3]


# -- read-only workspaces and full disks, on a real small filesystem ----------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs mounted for this test (a full disk and a read-only remount are real, not mocked)."""
    import subprocess

    where = tmp_path / "disk"
    where.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here ({exc}): needs the mount command and root or CAP_SYS_ADMIN")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'}): needs root or "
                    "CAP_SYS_ADMIN")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def remount_read_only(where: Path) -> None:
    import subprocess

    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True, timeout=30)


def fill(where: Path, leave: int) -> Path:
    """Fill the filesystem at `where` until about `leave` bytes are free; returns the filler file."""
    filler = where / "filler"
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as f:
        f.write(b"\0" * max(free - leave, 0))
    return filler


def test_atomic_writes_on_a_read_only_workspace_say_so(small_disk):
    ws = Workspace(small_disk / "ws")
    remount_read_only(small_disk)
    target = ws.root / "runs" / "s" / "r.json"
    with pytest.raises(StoreError) as info:
        atomic_write_bytes(target, b"{}")
    assert str(info.value) == (f"cannot write {target}: its folder is read-only (Read-only file system). Make that "
                               "folder writable or write somewhere else (for the workspace: --workspace or "
                               "$EVALCORE_WORKSPACE).")
    with pytest.raises(StoreError) as info:
        ws.check_writable()
    assert str(info.value) == (f"the workspace {ws.root} is read-only (Read-only file system): a run stores its "
                               "results there. Nothing was sent. Choose a writable --workspace (or "
                               "$EVALCORE_WORKSPACE).")


def test_a_journal_on_a_full_disk_keeps_every_whole_line_and_says_the_disk_is_full(small_disk):
    ws = Workspace(small_disk / "ws")
    run_id = "20261123T120000-aaaaaa"
    journal = ws.open_journal("s", run_id)
    fill(small_disk, leave=100_000)  # room for a few 12 kB lines
    big = [result_row(run_id=run_id, example_id=f"e{i}", request_hash=f"h{i}", output=os.urandom(6000).hex())
           for i in range(200)]
    kept = 0
    with pytest.raises(StoreError) as info:
        for r in big:
            journal.append(r, [score_row(r)])
            kept += 1
    journal.close()
    assert str(info.value) == (f"the disk is full: writing {journal.path} failed (No space left on device). Free "
                               "some space on that disk (or choose another --workspace) and run again.")
    (small_disk / "filler").unlink()
    assert ws.compact_run("s", run_id) == kept  # every whole line is there; a torn last one is dropped
    with queries(ws) as q:
        assert q.run_counts("s")["results"].tolist() == [kept] and 0 < kept < len(big)


def _run_cli(*args: Any) -> Any:
    from click.testing import CliRunner

    from evalcore.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_on_a_read_only_workspace_exits_2_before_any_call(small_disk, tmp_path, server):
    from suite_factory import make_suite

    make_suite(tmp_path, server.base_url, ["a", "b"])
    ws = small_disk / "ws"
    Workspace(ws)
    remount_read_only(small_disk)
    result = _run_cli("run", tmp_path / "suite.yaml", "--workspace", ws)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"Error: the workspace {ws} is read-only (Read-only file system): a run stores its "
                             "results there. Nothing was sent. Choose a writable --workspace (or "
                             "$EVALCORE_WORKSPACE).\n")
    assert server.stats()["requests"] == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_mid_run_stops_cleanly_keeps_what_was_stored_and_the_rerun_completes(small_disk, tmp_path,
                                                                                       server, workers):
    import re

    from suite_factory import make_suite

    ws = small_disk / "ws"
    (tmp_path / "small").mkdir()
    make_suite(tmp_path / "small", server.base_url, ["q1", "q2"], extra={"name": "small"})
    assert _run_cli("run", tmp_path / "small" / "suite.yaml", "--workspace", ws).exit_code == 0
    with queries(Workspace(ws)) as q:
        stored = q.current_results("small")[["example_id", "candidate", "output"]].to_dict("records")
    assert len(stored) == 4

    (tmp_path / "big").mkdir()  # 80 calls whose answers (they echo the 6 kB input) cannot all fit
    make_suite(tmp_path / "big", server.base_url, [os.urandom(3000).hex() for _ in range(40)], extra={"name": "big"},
               run={"concurrency": 4, "per_candidate": 2})
    filler = fill(small_disk, leave=400_000)
    server.reset()
    result = _run_cli("run", tmp_path / "big" / "suite.yaml", "--workspace", ws, "--workers", workers)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "died" not in result.output
    said = result.stderr.splitlines()[-1]
    found = re.fullmatch(
        rf"Error: the disk holding the workspace {re.escape(str(ws))} is full \(writing \S+ failed\): run (\S+) of "
        r"'big' stopped and nothing more is sent\. (\d+) of 80 results are kept\. Free some space on that disk \(or "
        r"move the workspace elsewhere\), then run the same command again: it resumes run \1 and sends only the "
        r"(\d+) missing calls\.", said)
    assert found, said
    run_id, kept, missing = found[1], int(found[2]), int(found[3])
    assert 0 < kept < 80 and missing == 80 - kept
    with queries(Workspace(ws)) as q:  # nothing stored before was lost
        assert q.current_results("small")[["example_id", "candidate", "output"]].to_dict("records") == stored

    filler.unlink()
    server.reset()
    again = _run_cli("run", tmp_path / "big" / "suite.yaml", "--workspace", ws, "--workers", workers)
    assert again.exit_code == 0, again.output
    assert f"Resumed run {run_id} of 'big': 80 results ({missing} sent" in again.stdout
    assert server.stats()["requests"] == missing  # exactly the missing calls
    with queries(Workspace(ws)) as q:
        assert len(q.run_keys("big", run_id)) == 80 and q.run_counts("big", run_id)["results"].tolist() == [80]


def test_run_ids_made_in_the_same_second_sort_in_the_order_they_were_made() -> None:
    import re

    from evalcore.store import new_run_id

    ids = [new_run_id() for _ in range(200)]
    assert all(re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{6}", i) for i in ids)
    assert ids == sorted(ids)


def test_an_empty_workspace_path_and_a_file_are_said(tmp_path: Path) -> None:
    """`-w ""` (an unset shell variable) silently meant ./data; `-w /dev/null` on a write said 'File exists'."""
    from evalcore.errors import StoreError
    from evalcore.store import Workspace

    with pytest.raises(StoreError, match="the workspace path is empty"):
        Workspace("")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        Workspace(afile)
