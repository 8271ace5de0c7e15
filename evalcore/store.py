"""The workspace: its directory layout, Arrow schemas, and every write. One module owns all of it.

Layout of a workspace directory::

    workspace.json                                   schema version
    examples/suite=S/<suite_version>.parquet         the examples a suite version ran on
    runs/S/<run_id>.json                             run manifest (config snapshot without secrets)
    runs/S/<run_id>.lock                             held (flock) by the process running it
    journal/S/<run_id>/<writer>.jsonl                results as they arrive; compacted into Parquet
    results/suite=S/run=R/part-<writer>.parquet      one row per (example, candidate, repeat) of a run
    scores/suite=S/run=R/part-<writer>.parquet       one row per scorer of each result (long format)
    public/<stamp>-<uuid>.parquet                    public benchmark scores (imported)
    quarantine/<time>/<same path>                    broken files moved aside by `evalcore doctor --quarantine`
    suites/<name>/suite.yaml                         suites created or uploaded in the dashboard, with their
    suites/<name>/examples.<csv|jsonl|parquet>       dataset beside them (a suite run from the CLI lives anywhere)
    labels/journal/S/<reviewer>.jsonl                label events as they are given, one journal per reviewer
    labels/suite=S/part-<reviewer>-<label_id>.parquet  label events compacted from a journal (append-only)

Writers never share a file: each worker appends to its own journal (one `write()` per line, so `kill -9`
loses at most the calls in flight) and compaction turns a closed journal into Parquet parts named after it,
so compacting twice is harmless. Every Parquet or JSON file is written to a temp file, fsynced, and renamed.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalcore.errors import StoreError

SCHEMA_VERSION = 1
DEFAULT_WORKSPACE = "data"

RESULTS_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("suite", pa.string()),
    ("suite_version", pa.string()),
    ("example_id", pa.string()),
    ("candidate", pa.string()),
    ("model", pa.string()),
    ("family", pa.string()),
    ("release", pa.date32()),
    ("repeat", pa.int32()),
    ("request_hash", pa.string()),
    ("output", pa.string()),
    ("finish_reason", pa.string()),
    ("error_kind", pa.string()),
    ("error", pa.string()),
    ("latency_ms", pa.float64()),
    ("input_tokens", pa.int64()),
    ("output_tokens", pa.int64()),
    ("cost_usd", pa.float64()),
    ("cached", pa.bool_()),
    ("attempts", pa.int32()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int16()),
])

SCORES_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("suite", pa.string()),
    ("example_id", pa.string()),
    ("candidate", pa.string()),
    ("repeat", pa.int32()),
    ("scorer", pa.string()),
    ("value", pa.float64()),
    ("passed", pa.bool_()),
    ("detail", pa.string()),
    ("judge_request_hash", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int16()),
])

EXAMPLES_SCHEMA = pa.schema([
    ("suite", pa.string()),
    ("suite_version", pa.string()),
    ("example_id", pa.string()),
    ("input", pa.string()),
    ("expected", pa.string()),
    ("tags", pa.list_(pa.string())),
    ("fields", pa.string()),
    ("row", pa.int64()),
    ("schema_version", pa.int16()),
])

# One row per label *event*: giving, changing, clearing (undo) an answer all append a row; the latest event
# per (reviewer, kind, output_hash, output_hash_b) is the answer. `output_hash` is the content hash of
# (example_id, output) (`labels.output_hash`), so an identical output seen again carries the label.
LABELS_SCHEMA = pa.schema([
    ("label_id", pa.string()),
    ("suite", pa.string()),
    ("example_id", pa.string()),
    ("output_hash", pa.string()),
    ("candidate", pa.string()),
    ("run_id", pa.string()),
    ("reviewer", pa.string()),
    ("kind", pa.string()),          # 'rating' or 'pairwise'
    ("rating", pa.int16()),         # 1-5; null = not given (or cleared)
    ("ok", pa.bool_()),             # "comfortable showing this to a user?"; null = not given
    ("note", pa.string()),
    ("output_hash_b", pa.string()),  # pairwise: the second output shown (as "2")
    ("candidate_b", pa.string()),
    ("choice", pa.int16()),         # pairwise: 1 or 2 = that output is better, 0 = tie; null = cleared
    ("blind", pa.bool_()),
    ("source", pa.string()),        # 'page', 'import', 'api'
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int16()),
])

PUBLIC_SCHEMA = pa.schema([
    ("model", pa.string()),
    ("benchmark", pa.string()),
    ("score", pa.float64()),
    ("source", pa.string()),
    ("imported_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int16()),
])


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    """Time-sortable and unique: 20261123T234501-3f9a1c."""
    return utcnow().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def resolve_workspace(path: str | Path | None = None) -> Path:
    """--workspace, else $EVALCORE_WORKSPACE, else ./data."""
    return Path(path or os.environ.get("EVALCORE_WORKSPACE") or DEFAULT_WORKSPACE)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json.dumps(data, indent=2, sort_keys=True, default=str).encode("utf-8"))


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (temp + fsync + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def table_from_rows(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) to a table of exactly `schema`: missing keys become null, extra keys are an error."""
    names = set(schema.names)
    for r in rows:
        extra = set(r) - names
        if extra:
            raise StoreError(f"internal: unexpected columns {sorted(extra)} for schema")
    cols = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(cols, schema=schema)


class Workspace:
    """A workspace directory. Paths come from here and nowhere else."""

    def __init__(self, root: str | Path | None = None, *, create: bool = True, check: bool = True) -> None:
        self.root = resolve_workspace(root)
        if create:
            self._init()
        elif not self.root.exists():
            raise StoreError(
                f"workspace '{self.root}' does not exist.",
                hint="Run `evalcore demo` for the demo workspace, or `evalcore run SUITE --workspace DIR`.",
            )
        if check:  # `evalcore doctor` opens a workspace whose workspace.json may be the broken file
            self._check_version()

    # -- set-up -------------------------------------------------------------------------------------------
    def _init(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create workspace '{self.root}': {exc.strerror}.") from None
        marker = self.root / "workspace.json"
        if not marker.exists():
            atomic_write_json(marker, {"schema_version": SCHEMA_VERSION, "created_at": utcnow().isoformat()})

    def _check_version(self) -> None:
        marker = self.root / "workspace.json"
        if not marker.exists():
            return
        problem = _marker_problem(marker)
        if problem is not None:
            raise StoreError(
                f"{marker} is broken: {problem}.",
                hint=f"Run `evalcore doctor --workspace {self.root} --quarantine` to move it aside (a new one is "
                     "written), or restore it from a backup.",
            )
        version = int(json.loads(marker.read_text(encoding="utf-8")).get("schema_version", 1))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"workspace '{self.root}' was written by a newer evalcore (schema {version}, this is {SCHEMA_VERSION}).",
                hint="Upgrade evalcore: pip install -U evalcore.",
            )

    # -- paths --------------------------------------------------------------------------------------------
    def results_glob(self) -> str:
        return str(self.root / "results" / "**" / "*.parquet")

    def scores_glob(self) -> str:
        return str(self.root / "scores" / "**" / "*.parquet")

    def examples_glob(self) -> str:
        return str(self.root / "examples" / "**" / "*.parquet")

    def public_glob(self) -> str:
        return str(self.root / "public" / "*.parquet")

    # Folders whose files are data a reader shows; a new or replaced file in any changes `data_token`.
    DATA_FOLDERS = ("results", "scores", "public", "labels", "runs")

    def data_token(self) -> tuple[int, int]:
        """(number of data files, newest modification time in ns): changes whenever a run, score, label or
        public import is written, so caches keyed on it refresh. Temp files of atomic writes are ignored."""
        count = newest = 0
        for kind in self.DATA_FOLDERS:
            for dirpath, _dirs, files in os.walk(self.root / kind):
                for name in files:
                    if name.startswith(".") or not name.endswith((".parquet", ".json")):
                        continue
                    try:
                        mtime = os.stat(os.path.join(dirpath, name)).st_mtime_ns
                    except FileNotFoundError:  # replaced or compacted while we walked: the next call sees it
                        continue
                    count += 1
                    newest = max(newest, mtime)
        return count, newest

    def has_files(self, kind: str) -> bool:
        base = self.root / kind
        return base.exists() and any(base.rglob("*.parquet"))

    def examples_path(self, suite: str, suite_version: str) -> Path:
        return self.root / "examples" / f"suite={suite}" / f"{suite_version}.parquet"

    def result_part(self, suite: str, run_id: str, writer: str) -> Path:
        return self.root / "results" / f"suite={suite}" / f"run={run_id}" / f"part-{writer}.parquet"

    def score_part(self, suite: str, run_id: str, writer: str) -> Path:
        return self.root / "scores" / f"suite={suite}" / f"run={run_id}" / f"part-{writer}.parquet"

    def manifest_path(self, suite: str, run_id: str) -> Path:
        return self.root / "runs" / suite / f"{run_id}.json"

    def lock_path(self, suite: str, run_id: str) -> Path:
        return self.root / "runs" / suite / f"{run_id}.lock"

    def journal_dir(self, suite: str, run_id: str) -> Path:
        return self.root / "journal" / suite / run_id

    # -- suite files kept in the workspace (created or uploaded in the dashboard) ----------------------------
    SUITE_FILE = "suite.yaml"

    def suites_dir(self) -> Path:
        return self.root / "suites"

    def suite_dir(self, name: str) -> Path:
        """The folder of a workspace suite; `name` is a validated suite name (it cannot hold '/' or '..')."""
        return self.suites_dir() / name

    def suite_file(self, name: str) -> Path:
        return self.suite_dir(name) / self.SUITE_FILE

    def suite_files(self) -> list[Path]:
        """Every workspace suite file, by suite folder name."""
        base = self.suites_dir()
        return sorted(p for p in base.glob(f"*/{self.SUITE_FILE}") if p.is_file()) if base.exists() else []

    def run_progress(self, suite: str, run_id: str) -> int:
        """Results a run has so far: rows of its Parquet parts plus complete lines in its live journals.
        Lets a reader follow a run another process is writing (the CLI) without touching its files."""
        done = 0
        folder = self.result_part(suite, run_id, "x").parent
        for part in folder.glob("*.parquet") if folder.exists() else []:
            try:
                done += pq.ParquetFile(part).metadata.num_rows
            except (OSError, pa.ArrowException):
                continue
        jdir = self.journal_dir(suite, run_id)
        for journal in jdir.glob("*.jsonl") if jdir.exists() else []:
            try:
                with open(journal, "rb") as f:
                    done += f.read().count(b"\n")
            except OSError:
                continue
        return done

    # -- examples -----------------------------------------------------------------------------------------
    def write_examples(self, suite: str, suite_version: str, rows: list[dict[str, Any]]) -> None:
        """Snapshot of the examples a suite version ran on (content-addressed: written once)."""
        path = self.examples_path(suite, suite_version)
        if path.exists():
            return
        atomic_write_table(path, table_from_rows(rows, EXAMPLES_SCHEMA))

    # -- manifests ----------------------------------------------------------------------------------------
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path(manifest["suite"], manifest["run_id"]), manifest)

    def read_manifest(self, suite: str, run_id: str) -> dict[str, Any]:
        path = self.manifest_path(suite, run_id)
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            m, why = None, str(exc)
        else:
            why = _manifest_problem(m)
        if why is not None:
            raise StoreError(f"{path} is broken: {why}.", hint=_DOCTOR_HINT)
        return m  # type: ignore[no-any-return]

    def manifests(self, suite: str | None = None) -> list[dict[str, Any]]:
        """All run manifests, newest first; a run whose process died is reported as 'interrupted'."""
        base = self.root / "runs"
        if not base.exists():
            return []
        paths = base.glob(f"{suite}/*.json" if suite else "*/*.json")
        out = []
        for p in paths:
            m = self._parsed_manifest(p)
            if m is None:
                continue  # unreadable, not a manifest we wrote, or damaged: `evalcore doctor` lists it
            if m.get("status") == "running" and not self.run_is_alive(m["suite"], m["run_id"]):
                m["status"] = "interrupted"
            out.append(m)
        return sorted(out, key=lambda m: m["run_id"], reverse=True)

    def _parsed_manifest(self, path: Path) -> dict[str, Any] | None:
        """A manifest file decoded (a fresh top-level copy), or None if it is not a good one. Decoded files are
        kept per (size, mtime): a page asks for a 200-run suite's manifests several times per run."""
        try:
            st = path.stat()
        except OSError:
            return None
        cache = self.__dict__.setdefault("_manifest_cache", {})
        key = (st.st_size, st.st_mtime_ns)
        hit = cache.get(str(path))
        if hit is not None and hit[0] == key:
            return None if hit[1] is None else dict(hit[1])
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            return None  # gone or unreadable now: not remembered, the next call tries again
        except ValueError:
            m = None
        if m is not None and _manifest_problem(m) is not None:
            m = None
        if len(cache) > 20_000:
            cache.clear()
        cache[str(path)] = (key, m)
        return None if m is None else dict(m)

    @contextmanager
    def run_lock(self, suite: str, run_id: str) -> Iterator[None]:
        """Held for the whole run, so others can tell a live run from an interrupted one."""
        path = self.lock_path(suite, run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"run {run_id} of suite '{suite}' is already running in another process.") from None
            yield
        finally:
            os.close(fd)

    def run_is_alive(self, suite: str, run_id: str) -> bool:
        path = self.lock_path(suite, run_id)
        if not path.exists():
            return False
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    # -- journals -----------------------------------------------------------------------------------------
    def open_journal(self, suite: str, run_id: str) -> Journal:
        return Journal(self, suite, run_id, f"{int(time.time() * 1000):x}-{uuid.uuid4().hex[:8]}")

    def compact_run(self, suite: str, run_id: str, *, wait_s: float = 0.0) -> int:
        """Turn every closed journal of a run into Parquet parts; returns the number of results compacted.

        A journal still locked by a live writer is left alone, unless `wait_s` > 0: then we wait that long for
        the writer to finish (a resumed run must see everything already done) and fail if it does not.
        """
        jdir = self.journal_dir(suite, run_id)
        if not jdir.exists():
            return 0
        total = 0
        for path in sorted(jdir.glob("*.jsonl")):
            fd = os.open(path, os.O_RDWR)
            try:
                if not _lock(fd, wait_s):
                    if wait_s:
                        raise StoreError(f"run {run_id} is still being written by another process ({path.name}).",
                                         hint="Wait for it to finish, or stop it, then run again.")
                    continue  # a live writer still owns it
                total += self._compact_journal(suite, run_id, path)
                path.unlink()
            finally:
                os.close(fd)
        try:
            jdir.rmdir()
            jdir.parent.rmdir()
        except OSError:
            pass
        return total

    def _compact_journal(self, suite: str, run_id: str, path: Path) -> int:
        results, scores = [], []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # torn last line of a killed writer: that call was in flight
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # only a torn write can produce this; the call is redone by the next run
                if not isinstance(rec, dict) or not isinstance(rec.get("result"), dict):
                    continue
                results.append(rec["result"])
                scores.extend(rec.get("scores", []))
        writer = path.stem
        # Never two rows for one (example, candidate, repeat) in a run, whatever happened before.
        have = self._run_keys(suite, run_id, exclude=f"part-{writer}.parquet")
        keep = [r for r in results if (r["example_id"], r["candidate"], r["repeat"]) not in have]
        kept = {(r["example_id"], r["candidate"], r["repeat"]) for r in keep}
        scores = [s for s in scores if (s["example_id"], s["candidate"], s["repeat"]) in kept]
        if keep:
            write_results(self, suite, run_id, writer, keep, scores)
        return len(keep)

    def _run_keys(self, suite: str, run_id: str, *, exclude: str) -> set[tuple[str, str, int]]:
        folder = self.result_part(suite, run_id, "x").parent
        keys: set[tuple[str, str, int]] = set()
        for part in folder.glob("*.parquet") if folder.exists() else []:
            if part.name == exclude or parquet_problem(part, RESULTS_SCHEMA) is not None:
                continue  # a broken part's rows are redone; `evalcore doctor` moves the part aside
            try:
                t = pq.read_table(part, columns=["example_id", "candidate", "repeat"]).to_pydict()
            except (pa.ArrowException, OSError, ValueError):
                continue
            keys.update(zip(t["example_id"], t["candidate"], t["repeat"]))
        return keys

    # -- broken files -------------------------------------------------------------------------------------
    TABLE_FOLDERS = {"results": "results", "scores": "scores", "examples": "examples", "public": "public"}

    def table_files(self, table: str) -> list[Path]:
        """Every finished Parquet file of a table (temp files of atomic writes excluded), sorted."""
        base = self.root / self.TABLE_FOLDERS[table]
        if not base.exists():
            return []
        return sorted(p for p in base.rglob("*.parquet") if not p.name.startswith(".") and p.is_file())

    def table_stamp(self, table: str) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime ns) of every finished Parquet file of a table, sorted: while it is unchanged, so are
        the files, and a reader need not list and check them again (one scandir walk, no per-file Path objects)."""
        out: list[tuple[str, int, int]] = []
        todo = [str(self.root / self.TABLE_FOLDERS[table])]
        while todo:
            try:
                entries = os.scandir(todo.pop())
            except (FileNotFoundError, NotADirectoryError):
                continue
            with entries:
                for e in entries:
                    try:
                        if e.is_dir():
                            todo.append(e.path)
                        elif e.name.endswith(".parquet") and not e.name.startswith(".") and e.is_file():
                            st = e.stat()
                            out.append((e.path, st.st_size, st.st_mtime_ns))
                    except FileNotFoundError:  # replaced while we walked: the stamp differs next time
                        continue
        return tuple(sorted(out))

    def broken_files(self) -> list[tuple[Path, str]]:
        """Every file of the workspace that readers would choke on, with the reason: Parquet parts that are
        truncated, empty, not Parquet or of the wrong column types; manifests and workspace.json that are not
        JSON objects of the expected shape. Full reads, so it finds damage a footer check misses."""
        found: list[tuple[Path, str]] = []
        marker = self.root / "workspace.json"
        if marker.exists():
            problem = _marker_problem(marker)
            if problem:
                found.append((marker, problem))
        for table, schema in _TABLE_SCHEMAS.items():
            for path in self.table_files(table):
                problem = parquet_problem(path, schema, full=True)
                if problem:
                    found.append((path, problem))
        runs = self.root / "runs"
        for path in sorted(runs.glob("*/*.json")) if runs.exists() else []:
            try:
                problem = _manifest_problem(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                problem = f"not JSON ({str(exc)[:120]})"
            if problem:
                found.append((path, problem))
        return found

    def quarantine(self, paths: Iterable[Path]) -> list[Path]:
        """Move files aside to quarantine/<stamp>/<same relative path>, where no reader looks; returns where
        each went. Nothing is deleted: a person can inspect or restore them."""
        stamp = utcnow().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        moved = []
        for path in paths:
            rel = Path(path).resolve().relative_to(self.root.resolve())
            target = self.root / "quarantine" / stamp / rel
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            except OSError as exc:
                raise StoreError(f"cannot move {path} to quarantine: {exc.strerror or exc}.") from None
            moved.append(target)
        return moved

    # -- labels -------------------------------------------------------------------------------------------
    # Appends go to one JSONL journal per (suite, reviewer): each append takes the journal's flock, writes
    # its lines with one write(), and releases it, so several processes (two browser sessions, an import)
    # can append to the same journal safely. Compaction takes the same lock, writes everything in the
    # journal to a Parquet part named after the journal's first label_id (temp + rename), then truncates
    # the journal. Killed between the rename and the truncation, the next compaction rewrites the *same*
    # part with a superset of its rows; readers also keep one row per label_id. Nothing is lost or counted
    # twice either way.
    LABEL_COMPACT_LINES = 500  # an append that finds this many lines in its journal compacts it

    def label_journal_path(self, suite: str, reviewer: str) -> Path:
        return self.root / "labels" / "journal" / suite / f"{reviewer_slug(reviewer)}.jsonl"

    def label_part(self, suite: str, journal_stem: str, first_label_id: str) -> Path:
        return self.root / "labels" / f"suite={suite}" / f"part-{journal_stem}-{first_label_id}.parquet"

    def labels_token(self) -> tuple[int, int, int]:
        """(parts, newest part mtime ns, total journal bytes): changes on every label append or compaction."""
        parts = newest = size = 0
        base = self.root / "labels"
        for p in base.glob("suite=*/*.parquet") if base.exists() else []:
            try:
                newest = max(newest, p.stat().st_mtime_ns)
                parts += 1
            except FileNotFoundError:
                continue
        for p in (base / "journal").glob("*/*.jsonl") if base.exists() else []:
            try:
                size += p.stat().st_size
            except FileNotFoundError:
                continue
        return parts, newest, size

    def append_labels(self, suite: str, reviewer: str, rows: list[dict[str, Any]], *,
                      compact_at: int | None = None) -> None:
        """Append label events (already validated, see `evalcore.labels`) to the reviewer's journal."""
        if not rows:
            return
        path = self.label_journal_path(suite, reviewer)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(r, default=_json_default, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            end = os.fstat(fd).st_size
            if end and os.pread(fd, 1, end - 1) != b"\n":
                data = b"\n" + data  # a writer killed mid-line: keep its torn bytes from swallowing our first line
            os.write(fd, data)
            size = end + len(data)
        finally:
            os.close(fd)  # closing releases the lock
        limit = self.LABEL_COMPACT_LINES if compact_at is None else compact_at
        # ~200 bytes per event: only count lines when the journal could have reached the limit
        if limit and size > 150 * limit and _count_lines(path) >= limit:
            self.compact_label_journal(path)

    def compact_labels(self, suite: str | None = None) -> int:
        """Compact every label journal (of one suite, or all); returns the number of events moved."""
        base = self.root / "labels" / "journal"
        if not base.exists():
            return 0
        return sum(self.compact_label_journal(p) for p in sorted(base.glob(f"{suite or '*'}/*.jsonl")))

    def compact_label_journal(self, path: Path) -> int:
        suite = path.parent.name
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # appenders hold it for one write(): a short wait at most
            with os.fdopen(os.dup(fd), "rb") as f:
                rows = parse_label_lines(f.read())
            if rows:
                table = table_from_rows([_coerce_label(r) for r in rows], LABELS_SCHEMA)
                atomic_write_table(self.label_part(suite, path.stem, rows[0]["label_id"]), table)
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return len(rows)
        finally:
            os.close(fd)

    def read_label_events(self, suite: str | None = None) -> pa.Table:
        """Every label event (parts and journals) as one LABELS_SCHEMA table, possibly with a label_id twice.

        Journals are read *before* parts: an event moved by a compaction running meanwhile is then seen in
        the part (it is written before the journal is truncated), never missed. Readers dedupe by label_id.
        """
        journal_rows = [_coerce_label(r) for r in self.read_label_journals(suite)]
        tables = [table_from_rows(journal_rows, LABELS_SCHEMA)] if journal_rows else []
        base = self.root / "labels"
        for p in sorted(base.glob(f"suite={suite}/*.parquet" if suite else "suite=*/*.parquet")) if base.exists() else []:
            try:
                t = pq.read_table(p)
            except FileNotFoundError:
                continue
            tables.append(_conform(t, LABELS_SCHEMA))
        if not tables:
            return LABELS_SCHEMA.empty_table()
        return pa.concat_tables(tables)

    def read_label_journals(self, suite: str | None = None) -> list[dict[str, Any]]:
        """Events still in journals (not yet compacted), as dicts; torn last lines are skipped."""
        base = self.root / "labels" / "journal"
        out: list[dict[str, Any]] = []
        for p in sorted(base.glob(f"{suite or '*'}/*.jsonl")) if base.exists() else []:
            try:
                out.extend(parse_label_lines(p.read_bytes()))
            except FileNotFoundError:
                continue
        return out

    def write_public(self, rows: list[dict[str, Any]]) -> Path:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.root / "public" / f"{stamp}-{uuid.uuid4().hex[:8]}.parquet"
        atomic_write_table(path, table_from_rows(rows, PUBLIC_SCHEMA))
        return path


_TABLE_SCHEMAS = {"results": RESULTS_SCHEMA, "scores": SCORES_SCHEMA, "examples": EXAMPLES_SCHEMA,
                  "public": PUBLIC_SCHEMA}
_DOCTOR_HINT = "Run `evalcore doctor` to list broken files and `evalcore doctor --quarantine` to move them aside."
# (resolved path, size, mtime) -> problem or None: a file is checked once per process until it changes.
_CHECKED: dict[tuple[str, int, int, bool], str | None] = {}


def parquet_problem(path: Path, schema: pa.Schema | None = None, *, full: bool = False) -> str | None:
    """Why a Parquet file cannot be read as a part of `schema` (None when it can): truncated, empty, not
    Parquet, or a column of another type. `full` also reads every value (for `evalcore doctor`)."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    key = (str(path), st.st_size, st.st_mtime_ns, full)
    if key in _CHECKED:
        return _CHECKED[key]
    problem: str | None = None
    if st.st_size == 0:
        problem = "empty (0 bytes)"
    else:
        try:
            file_schema = pq.read_schema(path)
            if schema is not None:
                for f in file_schema:
                    want = schema.field(f.name).type if f.name in schema.names else None
                    if want is not None and f.type != want:
                        problem = f"column '{f.name}' is {f.type}, expected {want}"
                        break
            if problem is None and full:
                pq.read_table(path)
        except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
            problem = f"not a readable Parquet file ({str(exc).splitlines()[0][:160]})"
    if len(_CHECKED) > 100_000:
        _CHECKED.clear()
    _CHECKED[key] = problem
    return problem


def _manifest_problem(m: Any) -> str | None:
    """Why a decoded manifest is not one we wrote (None when it is)."""
    if not isinstance(m, dict):
        return f"a JSON {type(m).__name__}, not an object"
    for key in ("suite", "run_id"):
        if not isinstance(m.get(key), str):
            return f"'{key}' is missing or not text"
    for key, kinds in (("status", (str,)), ("started_at", (str,)), ("config", (dict,)), ("candidates", (list,))):
        if m.get(key) is not None and not isinstance(m[key], kinds):
            return f"'{key}' has the wrong type ({type(m[key]).__name__})"
    return None


def _marker_problem(marker: Path) -> str | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"not JSON ({str(exc)[:120]})"
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        return f"schema_version is {version!r}, not a whole number"
    return None


def _lock(fd: int, wait_s: float) -> bool:
    """Take an exclusive flock, waiting up to wait_s seconds; False if another process holds it."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def reviewer_slug(reviewer: str) -> str:
    """A file name for a reviewer: readable letters kept, plus a hash so 'Ann B' and 'ann_b' never share one."""
    import hashlib
    import re

    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", reviewer.strip())[:40].strip("._") or "reviewer"
    return f"{readable}-{hashlib.sha256(reviewer.encode('utf-8')).hexdigest()[:8]}"


def parse_label_lines(data: bytes) -> list[dict[str, Any]]:
    """Complete, parseable journal lines; a torn last line (a writer killed mid-append) is skipped."""
    rows = []
    for line in data.split(b"\n")[:-1] if data else []:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("label_id"), str):
            rows.append(rec)
    return rows


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Project a table written by any schema version onto `schema` (missing columns become null)."""
    cols = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
            for f in schema]
    return pa.table(cols, schema=schema)


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _coerce_label(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in LABELS_SCHEMA.names}
    out["schema_version"] = out.get("schema_version") or SCHEMA_VERSION
    if isinstance(out.get("created_at"), str):
        out["created_at"] = datetime.fromisoformat(out["created_at"])
    return out


def _coerce_result(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out.setdefault("schema_version", SCHEMA_VERSION)
    for key in ("created_at",):
        if isinstance(out.get(key), str):
            out[key] = datetime.fromisoformat(out[key])
    if isinstance(out.get("release"), str):
        out["release"] = datetime.fromisoformat(out["release"]).date()
    return out


def write_results(ws: Workspace, suite: str, run_id: str, writer: str,
                  results: list[dict[str, Any]], scores: list[dict[str, Any]]) -> None:
    """Scores first, then results: a reader that sees a result part also sees its scores."""
    if scores:
        atomic_write_table(ws.score_part(suite, run_id, writer),
                           table_from_rows([_coerce_result(s) for s in scores], SCORES_SCHEMA))
    atomic_write_table(ws.result_part(suite, run_id, writer),
                       table_from_rows([_coerce_result(r) for r in results], RESULTS_SCHEMA))


class Journal:
    """Append-only JSON lines owned by one writer, flock'd while open so compaction leaves it alone."""

    def __init__(self, ws: Workspace, suite: str, run_id: str, writer: str) -> None:
        self.path = ws.journal_dir(suite, run_id) / f"{writer}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.count = 0  # lines appended by this writer

    def append(self, result: dict[str, Any], scores: Iterable[dict[str, Any]]) -> None:
        line = json.dumps({"result": result, "scores": list(scores)}, default=_json_default, ensure_ascii=False)
        os.write(self.fd, (line + "\n").encode("utf-8"))
        self.count += 1

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # datetime, date
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
