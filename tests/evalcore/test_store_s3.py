"""A workspace on object storage, against a real S3-compatible server (moto's) on 127.0.0.1, started here.

Real processes where it matters: `evalcore run` as a CLI process writing to s3://, the CLI reading it back,
the dashboard's pages (AppTest) reading it, and kill -9 of a writer in the middle of uploads.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalcore import objectstore, store
from evalcore.errors import StoreError
from evalcore.s3server import SECRET_KEY, S3Server
from evalcore.store import Workspace
from suite_factory import make_suite

REPO = Path(__file__).resolve().parents[2]
BUCKET = "evals"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty bucket, this test's credentials and endpoint in the environment, a spool of its own."""
    s3.reset()
    s3.create_bucket(BUCKET)
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EVALCORE_SPOOL", str(tmp_path / "spool"))
    return f"s3://{BUCKET}/team/evals"


def _env(uri: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if uri:
        env["EVALCORE_WORKSPACE"] = uri
    return env


def _cli(*args: str, uri: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evalcore.cli", *args, "--workspace", uri], env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def _objects(uri: str) -> dict[str, bytes]:
    ws = objectstore.connect(uri)
    return {i.path[len(ws.path("")) + 1:]: ws.read_bytes(i.path[len(ws.path("")) + 1:]) for i in ws.list("")}


def test_a_cli_run_writes_the_layout_to_the_bucket_and_the_cli_reads_it_back(bucket, server, tmp_path):
    make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(12)], candidates=2)
    run = _cli("run", str(tmp_path / "suite.yaml"), uri=bucket)
    assert run.returncode == 0, run.stderr
    keys = sorted(_objects(bucket))
    assert "workspace.json" in keys
    assert any(k.startswith("results/suite=t/run=") and k.endswith(".parquet") for k in keys)
    assert any(k.startswith("scores/suite=t/run=") for k in keys)
    assert any(k.startswith("examples/suite=t/") for k in keys)
    assert [k for k in keys if k.startswith("runs/t/")] and not [k for k in keys if k.endswith(".lock")]
    assert not [k for k in keys if k.startswith("journal/")]  # journals live in the local spool, never the bucket

    board = _cli("leaderboard", "--suite", "t", "--format", "json", uri=bucket)
    assert board.returncode == 0, board.stderr
    rows = json.loads(board.stdout)
    assert {r["candidate"] for r in rows} == {"m0", "m1"} and all(r["n"] == 12 for r in rows)
    decide = _cli("decide", "--suite", "t", uri=bucket)
    assert decide.returncode == 0 and "12 examples" in decide.stdout, decide.stderr
    runs = _cli("runs", "--format", "json", uri=bucket)
    [m] = json.loads(runs.stdout)
    assert m["status"] == "finished" and m["results"] == 24
    doctor = _cli("doctor", uri=bucket)
    assert doctor.returncode == 0 and "every file is readable" in doctor.stdout
    gate = _cli("gate", "--suite", "t", "--candidate", "m1", "--baseline", "m0", uri=bucket)
    assert gate.returncode == 0 and "m1" in gate.stdout, gate.stderr  # equal candidates: no regression
    # the static report, from the bucket: one local file with the same leaderboard
    report = _cli("report", "--suite", "t", "--out", str(tmp_path / "report.html"), uri=bucket)
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Leaderboard" in html and "m0" in html and "m1" in html and "<svg" in html
    md = _cli("report", "--suite", "t", "--format", "md", "--out", "-", uri=bucket)
    assert md.returncode == 0, md.stderr
    assert "m0" in md.stdout and "m1" in md.stdout and "12 examples" in md.stdout, md.stdout[:2000]
    assert not [k for k in _objects(bucket) if "report" in k]  # a report is written where --out says, not stored

    # a second run answers from the bucket's results: the store is the cache
    server.reset()
    again = _cli("run", str(tmp_path / "suite.yaml"), "--new", uri=bucket)
    assert again.returncode == 0 and server.stats()["requests"] == 0, again.stderr

    # credentials were in the environment of every process: not one byte of them was stored
    stored = b"".join(_objects(bucket).values())
    spooled = b"".join(p.read_bytes() for p in (tmp_path / "spool").rglob("*") if p.is_file())
    assert SECRET_KEY.encode() not in stored + spooled


def test_reading_a_prefix_nobody_wrote_is_an_error_that_says_so(bucket):
    with pytest.raises(StoreError) as err:
        Workspace(bucket + "-nothing", create=False)
    assert "does not exist" in str(err.value)
    out = _cli("leaderboard", "--suite", "t", uri=bucket + "-nothing")
    assert out.returncode == 2 and "does not exist" in out.stderr and "Traceback" not in out.stderr


def test_a_wrong_endpoint_is_an_error_for_people(bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "ftp://127.0.0.1:1")
    with pytest.raises(StoreError) as err:
        Workspace(bucket)
    assert "EVALCORE_S3_ENDPOINT" in err.value.hint


def test_data_token_sees_a_manifest_rewritten_within_the_same_second(bucket):
    ws = Workspace(bucket)
    m = {"run_id": "r1", "suite": "s", "status": "running", "started_at": "2026-12-01T00:00:00+00:00"}
    ws.write_manifest(m)
    before = ws.data_token()
    ws.write_manifest({**m, "status": "finished", "results": 10})
    assert ws.data_token() != before and ws.data_token()[0] == before[0]


def test_the_remote_run_lock_tells_a_live_run_from_a_dead_one(bucket, monkeypatch):
    ws, other = Workspace(bucket), Workspace(bucket)
    with ws.run_lock("s", "r1"):
        assert other.run_is_alive("s", "r1")
        with pytest.raises(StoreError) as err:
            with other.run_lock("s", "r1"):
                pass
        assert "already running" in str(err.value)
    assert not other.run_is_alive("s", "r1")  # released: the lock object is gone
    # a process killed -9 leaves its lock object; once its heartbeat is stale the run counts as dead
    key = ws._key(ws.lock_path("s", "r2"))
    ws.remote.put(key, json.dumps({"owner": "x", "host": "h", "pid": 1,
                                   "heartbeat_at": "2026-01-01T00:00:00+00:00"}).encode())
    assert not other.run_is_alive("s", "r2")
    with other.run_lock("s", "r2"):
        assert ws.run_is_alive("s", "r2")



def test_a_run_on_another_machine_is_alive_while_its_heartbeat_is_fresh(bucket, tmp_path, monkeypatch):
    here = Workspace(bucket)
    with here.run_lock("s", "r1"):
        monkeypatch.setenv("EVALCORE_SPOOL", str(tmp_path / "elsewhere"))  # another machine: its own spool
        there = Workspace(bucket)
        assert there.root != here.root and there.run_is_alive("s", "r1")
        monkeypatch.setattr(Workspace, "LOCK_STALE_S", -1.0)  # as if its last heartbeat were long ago
        assert not there.run_is_alive("s", "r1")


def test_doctor_finds_and_quarantines_a_broken_object(bucket, server, tmp_path):
    make_suite(tmp_path, server.base_url, ["a", "b"], candidates=1)
    assert _cli("run", str(tmp_path / "suite.yaml"), uri=bucket).returncode == 0
    remote = objectstore.connect(bucket)
    remote.put("results/suite=t/run=x/part-bad.parquet", b"PAR1 not really")
    out = _cli("leaderboard", "--suite", "t", uri=bucket)
    assert out.returncode == 2 and "part-bad.parquet" in out.stderr and "doctor" in out.stderr
    doctor = _cli("doctor", "--quarantine", uri=bucket)
    assert doctor.returncode == 0 and "results/suite=t/run=x/part-bad.parquet" in doctor.stdout, doctor.stderr
    assert not remote.exists("results/suite=t/run=x/part-bad.parquet")
    assert any(k.startswith("quarantine/") and k.endswith("part-bad.parquet") for k in _objects(bucket))
    assert _cli("leaderboard", "--suite", "t", uri=bucket).returncode == 0


def test_labels_and_public_scores_round_trip_through_the_bucket(bucket, server, tmp_path):
    from evalcore.labels import record_rating
    from evalcore.queries import Queries

    make_suite(tmp_path, server.base_url, ["a", "b", "c"], candidates=1)
    assert _cli("run", str(tmp_path / "suite.yaml"), uri=bucket).returncode == 0
    csv = tmp_path / "public.csv"
    csv.write_text("model,benchmark,score,source\nm0,mmlu,0.7,paper\n", encoding="utf-8")
    assert _cli("public", "import", str(csv), uri=bucket).returncode == 0
    q = Queries(bucket)
    assert q.public_scores()["model"].tolist() == ["m0"]
    outputs = q.label_outputs("t")
    ws = Workspace(bucket)
    row = outputs.iloc[0]
    record_rating(ws, "t", "ann@example.com", output_hash=row["output_hash"], example_id=row["example_id"],
                  candidate=row["candidate"], run_id=row["run_id"], rating=4, ok=True)
    assert len(q.label_answers("t")) == 1  # from the local journal
    assert ws.compact_labels("t") == 1
    assert any(k.startswith("labels/suite=t/part-") for k in _objects(bucket))
    fresh = Queries(Workspace(bucket, create=False))
    assert fresh.label_answers("t")["rating"].tolist() == [4]  # from the uploaded part


@pytest.mark.slow
def test_kill_9_during_uploads_leaves_no_partial_object_visible(bucket, s3, tmp_path):
    """A writer killed at random moments while it uploads multi-megabyte parts (multipart uploads): every object
    a reader can see is a whole Parquet file, and only complete ones are listed."""
    s3_endpoint = s3.endpoint
    script = tmp_path / "writer.py"
    script.write_text(
        "import os, sys, numpy as np, pyarrow as pa\n"
        "from evalcore.store import Workspace\n"
        "ws = Workspace(sys.argv[1])\n"
        "rng = np.random.default_rng(int(sys.argv[2]))\n"
        "t = pa.table({'x': rng.random(1_500_000), 'y': rng.integers(0, 1 << 60, 1_500_000)})\n"
        "print('ready', flush=True)\n"
        "for i in range(1000):\n"
        "    ws._write_table(ws.root / 'results' / 'suite=k' / 'run=r' / f'part-{sys.argv[2]}-{i}.parquet', t)\n",
        encoding="utf-8")
    rows_each = 1_500_000
    cut_mid_upload = 0  # kills that landed inside a multipart upload (the server holds it unfinished)
    for attempt in range(8):
        proc = subprocess.Popen([sys.executable, str(script), bucket, str(attempt)], env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready", proc.stderr.read()
        time.sleep(0.9 + 0.23 * attempt)  # each ~20 MB part takes a few tenths of a second to upload
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        cut_mid_upload = _unfinished_uploads(s3_endpoint)
        if cut_mid_upload >= 2 and attempt >= 3:
            break
    assert cut_mid_upload >= 1, "no kill landed inside an upload: the test proved nothing"
    remote = objectstore.connect(bucket)
    parts = [i for i in remote.list("results/suite=k/run=r")]
    assert parts, "no upload finished: the writer was killed too early to test anything"
    for info in parts:
        with remote.fs.open_input_file(info.path) as f:
            table = pq.read_table(f)
        assert table.num_rows == rows_each, info.path
    ws = Workspace(bucket, create=False)
    assert all(ws.file_problem(p, None, full=True) is None for p in ws.table_files("results"))


def _unfinished_uploads(endpoint: str) -> int:
    import urllib.request

    listing = urllib.request.urlopen(f"{endpoint}/{BUCKET}?uploads", timeout=10).read()
    return listing.count(b"<Upload>")


def _journal_lines(spool: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in spool.rglob("*.jsonl"))


@pytest.mark.slow
def test_kill_9_of_the_cli_mid_run_then_a_rerun_resumes_exactly(bucket, server, tmp_path):
    n = 30
    make_suite(tmp_path, server.base_url, [f"slow {i} [[sleep:150]]" for i in range(n)], candidates=1,
               run={"concurrency": 3, "per_candidate": 3})
    spool = tmp_path / "spool"
    proc = subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(tmp_path / "suite.yaml"),
                             "--workers", "1", "--workspace", bucket], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _journal_lines(spool) < 6 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _journal_lines(spool)
    assert 6 <= done_before < n, proc.stderr.read().decode() if proc.stderr else ""
    # the killed run left its lock object (fresh heartbeat) and no result part; sharing its spool, we know at
    # once that it is dead (the spool's flock is free), without waiting for the heartbeat to go stale
    keys = list(_objects(bucket))
    assert not [k for k in keys if k.startswith("results/")] and [k for k in keys if k.endswith(".lock")]
    assert Workspace(bucket).manifests("t")[0]["status"] == "interrupted"
    server.reset()
    rerun = _cli("run", str(tmp_path / "suite.yaml"), uri=bucket, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done_before} already done" in rerun.stdout, rerun.stdout
    assert server.stats()["requests"] == n - done_before  # only the missing calls were sent
    results = pa.concat_tables(
        pq.read_table(objectstore.connect(bucket).fs.open_input_file(objectstore.connect(bucket).path(k)))
        for k in _objects(bucket) if k.startswith("results/"))
    assert results.num_rows == n and len(set(results.column("example_id").to_pylist())) == n
    assert len(set(results.column("run_id").to_pylist())) == 1
    assert _journal_lines(spool) == 0


def test_the_dashboard_overview_reads_the_bucket(bucket, server, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    make_suite(tmp_path, server.base_url, [f"q{i}" for i in range(8)], candidates=2)
    assert _cli("run", str(tmp_path / "suite.yaml"), uri=bucket).returncode == 0
    monkeypatch.setenv("EVALCORE_WORKSPACE", bucket)
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "8 examples" in text or "8 shared" in text or "m0" in text
    tables = [d.value for d in at.dataframe]
    assert any("t" in set(df.get("suite", [])) for df in tables)  # the workspace's suites, from the bucket
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    boards = [d.value for d in at.dataframe if "candidate" in d.value.columns]
    assert boards and set(boards[0]["candidate"]) == {"m0", "m1"}


def test_store_writes_are_whole_objects_not_temp_names(bucket):
    ws = Workspace(bucket)
    table = store.table_from_rows([{"model": "m", "benchmark": "b", "score": 0.5, "source": "s",
                                    "imported_at": store.utcnow(), "schema_version": 1}], store.PUBLIC_SCHEMA)
    path = ws.write_public(table.to_pylist())
    keys = list(_objects(bucket))
    assert ws._key(path) in keys and not [k for k in keys if Path(k).name.startswith(".")]


def test_readers_use_a_local_copy_per_object_version(bucket):
    ws = Workspace(bucket)
    path = ws.root / "public" / "p.parquet"
    small = store.table_from_rows([{"model": "m", "benchmark": "b", "score": 0.5, "source": "s",
                                    "imported_at": store.utcnow(), "schema_version": 1}], store.PUBLIC_SCHEMA)
    ws._write_table(path, small)
    [uri] = ws.table_files("public")
    first = ws.readable(uri)
    assert first.startswith(str(ws.root / "cache")) and pq.read_table(first).num_rows == 1
    assert ws.readable(uri) == first  # fetched once
    # parts are written once per key; were one replaced (by hand, say), its new version is fetched again
    ws._write_table(path, pa.concat_tables([small] * 500).combine_chunks())
    [uri] = ws.table_files("public")
    second = ws.readable(uri)
    assert second != first and pq.read_table(second).num_rows == 500
    assert not Path(first).exists()  # the older copy is dropped
    from evalcore.queries import Queries

    assert len(Queries(ws).public_scores()) == 1  # one (model, benchmark): the newest row


def test_credentials_endpoint_and_workspace_can_come_from_streamlit_secrets(bucket, s3, tmp_path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    env = s3.env()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'EVALCORE_WORKSPACE = "{bucket}"\nEVALCORE_S3_ENDPOINT = "{env["AWS_ENDPOINT_URL"]}"\n'
        f'AWS_ACCESS_KEY_ID = "{env["AWS_ACCESS_KEY_ID"]}"\nAWS_SECRET_ACCESS_KEY = "{env["AWS_SECRET_ACCESS_KEY"]}"\n',
        encoding="utf-8")
    for name in (*env, "EVALCORE_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = objectstore.S3Settings.from_environment()
    assert settings.endpoint == env["AWS_ENDPOINT_URL"] and settings.access_key == env["AWS_ACCESS_KEY_ID"]
    assert objectstore.setting("EVALCORE_WORKSPACE") == bucket
    Workspace(bucket).write_manifest({"run_id": "r", "suite": "s", "status": "finished"})
    assert [m["run_id"] for m in Workspace(bucket, create=False).manifests()] == ["r"]
    assert "AWS_SECRET_ACCESS_KEY" not in os.environ  # read, never exported


def test_duckdb_reads_the_bucket_directly_through_the_registered_filesystem(bucket):
    """The connection can also read s3:// globs itself (what a notebook on Queries.con would do), the way a
    warehouse engine reads the layout: hive partitions from the keys."""
    from evalcore.queries import Queries

    ws = Workspace(bucket)
    for run in ("r1", "r2"):
        rows = [{"run_id": run, "suite": "s", "suite_version": "v", "example_id": f"e{i}", "candidate": "c",
                 "repeat": 0, "cached": False, "created_at": store.utcnow()} for i in range(3)]
        store.write_results(ws, "s", run, "w0", rows, [])
    q = Queries(ws)
    got = q.con.execute("SELECT run, count(*) FROM read_parquet(?, hive_partitioning=true) GROUP BY run ORDER BY run",
                        [ws.results_glob()]).fetchall()
    assert ws.results_glob() == f"{bucket}/results/**/*.parquet"
    assert got == [("r1", 3), ("r2", 3)]
