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
    labels/suite=S/part-<reviewer>-<label_id>-<n>.parquet  label events compacted from a journal (append-only)

Writers never share a file: each worker appends to its own journal (one `write()` per line, so `kill -9`
loses at most the calls in flight) and compaction turns a closed journal into Parquet parts named after it,
so compacting twice is harmless. Every Parquet or JSON file is written to a temp file, fsynced, and renamed.

On object storage (`s3://bucket/prefix`, see `evalcore.objectstore`) the same layout holds the same objects,
except what needs a local file system: worker journals, label journals and dashboard-made suites stay in a local
spool folder (`objectstore.spool_dir`), and compaction uploads their Parquet parts. Each object is written whole
in one PUT (S3 never shows a partial one, so no temp name); one writer per key, as locally. A run's lock is a
lock object holding its owner and a heartbeat instead of a flock.
"""

from __future__ import annotations

import errno
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

from evalcore import objectstore
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
    """Time-sortable and unique: 20261123T234501-0f4a1c. The suffix is the microsecond in 5 hex digits and one random
    one, so two runs started in the same second still sort in the order they started (a random suffix made a
    rerun a second after a run its "previous" run half the time, and the latest run the older one)."""
    now = utcnow()
    return now.strftime("%Y%m%dT%H%M%S") + "-" + f"{now.microsecond:05x}" + secrets.token_hex(1)[0]


def resolve_workspace(path: str | Path | None = None) -> Path | str:
    """--workspace, else $EVALCORE_WORKSPACE, else ./data: a local Path, or an `s3://bucket/prefix` URI (str)."""
    if isinstance(path, str) and path.strip() == "":  # `-w ""` (an unset shell variable) silently meant ./data
        raise StoreError("the workspace path is empty.",
                         hint="Give --workspace a folder (or an s3:// URI), or leave the option out to use "
                              "$EVALCORE_WORKSPACE, else ./data.")
    chosen = path or os.environ.get("EVALCORE_WORKSPACE") or DEFAULT_WORKSPACE
    if objectstore.is_remote(str(chosen)):
        return str(chosen).rstrip("/")
    return Path(chosen)


class WorkspaceWriteError(StoreError):
    """A write failed because the workspace is read-only or its disk is full: a person's fix, not a bug.
    `reason` is 'read-only' or 'full'; `path` the file that could not be written."""

    title = "Workspace not writable"

    def __init__(self, message: str, *, reason: str, path: Path, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
        self.path = path


_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def write_failure(exc: OSError, path: Path) -> WorkspaceWriteError | None:
    """The people's error for a failed write (read-only workspace, full disk), or None for any other OSError.
    pyarrow's write errors carry the errno only in their text, so that is read too."""
    text = str(exc)
    if exc.errno in _FULL or "No space left on device" in text or "Disk quota exceeded" in text:
        why = os.strerror(errno.ENOSPC) if exc.errno not in _FULL else exc.strerror
        return WorkspaceWriteError(
            f"the disk is full: writing {path} failed ({why}).", reason="full", path=path,
            hint="Free some space on that disk (or choose another --workspace) and run again.")
    if exc.errno in _READ_ONLY or "Read-only file system" in text:
        why = exc.strerror or os.strerror(errno.EROFS)
        return WorkspaceWriteError(
            f"cannot write {path}: its folder is read-only ({why}).", reason="read-only", path=path,
            hint="Make that folder writable or write somewhere else (for the workspace: --workspace or "
                 "$EVALCORE_WORKSPACE).")
    return None


@contextmanager
def _people_write_errors(path: Path) -> Iterator[None]:
    """Turn a read-only or full-disk OSError of a write into WorkspaceWriteError; any other OSError stays."""
    try:
        yield
    except OSError as exc:
        failure = write_failure(exc, path)
        if failure is None:
            raise
        raise failure from None


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
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with _people_write_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            _unlink_quietly(tmp)
    _fsync_dir(path.parent)


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, default=str).encode("utf-8")


def _unlink_quietly(path: Path) -> None:
    """Remove a temp file if it is there; on a read-only workspace there is none to remove."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, _json_bytes(data))


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (temp + fsync + rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with _people_write_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            pq.write_table(table, tmp, compression="zstd")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            _unlink_quietly(tmp)
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

    # How long a listing of a remote workspace is reused (a page's queries share one LIST); own writes refresh it.
    LISTING_TTL_S = 2.0
    # A remote run's lock object is refreshed this often, and a lock older than LOCK_STALE_S belongs to a dead run.
    LOCK_HEARTBEAT_S = 10.0
    LOCK_STALE_S = 45.0

    def __init__(self, root: str | Path | None = None, *, create: bool = True, check: bool = True) -> None:
        where = resolve_workspace(root)
        # `remote` is the object store of an s3:// workspace; then `root` is its local spool folder (journals,
        # dashboard-made suites) and `uri` names the workspace. Locally `uri` is the path.
        self.remote: objectstore.ObjectStore | None = None
        self._listing: tuple[float, list[Any]] | None = None
        self._stats: dict[str, tuple[int, int]] = {}  # s3:// URI -> (size, mtime ns) from the last listing
        self._texts: dict[Path, tuple[tuple[int, int], str]] = {}  # remote manifests by version
        if isinstance(where, str):
            self.remote = objectstore.connect(where)
            self.uri = self.remote.uri
            self.root = objectstore.spool_dir(self.uri)
        else:
            self.root = where
            self.uri = str(where)
        if create:
            self._init()
        elif not self._present():
            raise StoreError(
                f"workspace '{self.uri}' does not exist.",
                hint="Run `evalcore demo` for the demo workspace, or `evalcore run SUITE --workspace DIR`"
                     + (" (on object storage a workspace exists once a run wrote its workspace.json)."
                        if self.remote else "."),
            )
        if check:  # `evalcore doctor` opens a workspace whose workspace.json may be the broken file
            self._check_version()

    # -- storage primitives: a local path, or the same relative key in the bucket ---------------------------
    def _key(self, path: Path) -> str:
        """The object key of a layout path (remote workspaces)."""
        return path.relative_to(self.root).as_posix()

    def location(self, path: Path) -> Path | str:
        """Where a layout path really is: itself locally, its s3:// URI on object storage."""
        return self.remote.uri_of(self._key(path)) if self.remote else path

    def _exists(self, path: Path) -> bool:
        return self.remote.exists(self._key(path)) if self.remote else path.exists()

    def _read_text(self, path: Path) -> str:
        """FileNotFoundError when absent; OSError or UnicodeDecodeError when unreadable."""
        if self.remote:
            return self.remote.read_bytes(self._key(path)).decode("utf-8")
        return path.read_text(encoding="utf-8")

    def _read_many(self, paths: list[Path]) -> dict[Path, str | None]:
        """Several small text files (manifests) at once; None for one that cannot be read. Remotely the objects
        are fetched in parallel and kept in memory per version (key, size, time from the listing), so the run
        list of a page costs one LIST, not a GET per run."""
        if not self.remote:
            out: dict[Path, str | None] = {}
            for p in paths:
                try:
                    out[p] = p.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    out[p] = None
            return out

        def one(p: Path) -> str | None:
            version = self._stats.get(str(self.location(p)))
            hit = self._texts.get(p)
            if version is not None and hit is not None and hit[0] == version:
                return hit[1]
            try:
                text = self._read_text(p)
            except (OSError, UnicodeDecodeError, StoreError):
                return None
            if version is not None:
                self._texts[p] = (version, text)
            return text

        if len(paths) < 2:
            return {p: one(p) for p in paths}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.CACHE_FETCH_THREADS) as pool:
            return dict(zip(paths, pool.map(one, paths)))

    def _write_json(self, path: Path, data: Any) -> None:
        if self.remote:
            self.remote.put(self._key(path), _json_bytes(data))
            self._listing = None
        else:
            atomic_write_json(path, data)

    def _write_table(self, path: Path, table: pa.Table) -> None:
        """A Parquet file written whole: temp + fsync + rename locally, one complete PUT remotely."""
        if self.remote:
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            self.remote.put(self._key(path), sink.getvalue())
            self._listing = None
        else:
            atomic_write_table(path, table)

    def _delete(self, path: Path) -> None:
        if self.remote:
            self.remote.delete(self._key(path))
            self._listing = None
        else:
            path.unlink(missing_ok=True)

    def _remote_files(self, under: str = "") -> list[Any]:
        """Every object of the remote workspace (one listing, reused for LISTING_TTL_S), optionally under a key
        prefix; temp-looking names (a leading dot) excluded. Items: pyarrow FileInfo with `.path` as the key."""
        assert self.remote is not None
        now = time.monotonic()
        if self._listing is None or now - self._listing[0] > self.LISTING_TTL_S:
            infos = self.remote.list("")
            base = len(self.remote.path("")) + 1
            self._listing = (now, [(i.path[base:], i.size, i.mtime_ns or 0) for i in infos
                                   if not i.base_name.startswith(".")])
        prefix = under.strip("/") + "/" if under else ""
        return [e for e in self._listing[1] if e[0].startswith(prefix)]

    def _files(self, folder: Path, pattern: str) -> list[Path]:
        """Layout paths of the files under `folder` matching a glob `pattern` (relative, '/'-separated), sorted;
        remotely from the listing (which also records each object's size and time, the version `readable` keys
        its local copies on)."""
        if self.remote:
            import fnmatch

            under = self._key(folder) if folder != self.root else ""
            n = len(under) + 1 if under else 0
            depth = pattern.count("/") + 1
            out = []
            for key, size, mtime in self._remote_files(under):
                rel = key[n:]
                if ("**" in pattern or rel.count("/") + 1 == depth) and fnmatch.fnmatchcase(rel, pattern.replace("**/", "*")):
                    out.append(folder / rel)
                    self._stats[self.remote.uri_of(key)] = (size, mtime)
            return sorted(out)
        if not folder.exists():
            return []
        found = folder.rglob(pattern.replace("**/", "")) if pattern.startswith("**/") else folder.glob(pattern)
        return sorted(p for p in found if not p.name.startswith(".") and p.is_file())

    def _present(self) -> bool:
        if self.remote:
            return self.remote.exists("workspace.json") or bool(self._remote_files())
        return self.root.exists()

    def file_problem(self, location: Path | str, schema: pa.Schema | None = None, *, full: bool = False) -> str | None:
        """`parquet_problem` of a file this workspace listed; remotely it checks the local copy (`readable`)."""
        if self.remote is None or not isinstance(location, str):
            return parquet_problem(location, schema, full=full)
        try:
            local = self.readable(location)
        except (OSError, StoreError) as exc:
            return f"cannot be read ({str(exc)[:160]})"
        return parquet_problem(local, schema, full=full)

    # -- local copies of remote Parquet parts ----------------------------------------------------------------
    # Readers query a remote workspace's Parquet parts from local copies under <spool>/cache/, fetched once per
    # object version (key, size, time; no Parquet key is written twice with different content, see `label_part`),
    # so a page's queries run at local speed instead of paying a HEAD and range GETs per file per query. The copies
    # are disposable: delete the folder at any time.
    CACHE_FETCH_THREADS = 8

    def readable(self, location: Path | str) -> str:
        """What DuckDB and pyarrow read for a file: a local path as is; for an s3:// object its local copy."""
        if self.remote is None or not isinstance(location, str):
            return str(location)
        key = self.remote.key_of(location)
        stat = self._stats.get(location)
        if stat is None:
            info = self.remote.info(key)
            if info.type != objectstore.pafs.FileType.File:
                raise FileNotFoundError(location)
            stat = self._stats[location] = (info.size or 0, info.mtime_ns or 0)
        size, mtime = stat
        dest = self.root / "cache" / f"{key}.{size}-{mtime}"
        try:
            if dest.stat().st_size == size:
                return str(dest)
        except FileNotFoundError:
            pass
        data = self.remote.read_bytes(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, dest)  # no fsync: a copy damaged by a crash has the wrong size and is fetched again
        finally:
            tmp.unlink(missing_ok=True)
        for old in dest.parent.glob(f"{Path(key).name}.*"):  # earlier versions of the same object
            if old != dest and not old.name.startswith("."):
                old.unlink(missing_ok=True)
        return str(dest)

    def fetch(self, locations: Iterable[Path | str]) -> None:
        """Make local copies of many remote parts at once (in parallel); local paths are left alone."""
        todo = [loc for loc in locations if self.remote is not None and isinstance(loc, str)]
        if len(todo) < 2:
            for loc in todo:
                self.readable(loc)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.CACHE_FETCH_THREADS) as pool:
            for future in [pool.submit(self.readable, loc) for loc in todo]:
                try:
                    future.result()
                except (OSError, StoreError):
                    pass  # the reader that needs it reports it (`file_problem`)

    # -- set-up -------------------------------------------------------------------------------------------
    def _init(self) -> None:
        if self.root.exists() and not self.root.is_dir():  # "cannot create workspace: File exists" said nothing
            raise StoreError(f"the workspace {self.root} is a file, not a folder.",
                             hint="Choose a folder for --workspace (or $EVALCORE_WORKSPACE).")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create workspace '{self.root}': {exc.strerror}.",
                             hint="Choose a writable --workspace (or $EVALCORE_WORKSPACE).") from None
        marker = self.root / "workspace.json"
        if not self._exists(marker):
            self._write_json(marker, {"schema_version": SCHEMA_VERSION, "created_at": utcnow().isoformat()})

    def check_writable(self) -> None:
        """Before anything is sent: a read-only workspace, or a disk without room for one more block, is said now,
        not after model calls were paid for (writing a 4 kB probe file and removing it)."""
        probe = self.root / f".write-check-{uuid.uuid4().hex}"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                if os.write(fd, b"\0" * 4096) < 4096:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            failure = write_failure(exc, probe)
            if failure is None:
                raise StoreError(f"cannot write to the workspace {self.root} ({exc.strerror or exc}).",
                                 hint="Nothing was sent. Choose another --workspace.") from None
            if failure.reason == "full":
                raise WorkspaceWriteError(
                    f"the disk holding the workspace {self.root} is full ({os.strerror(errno.ENOSPC)}).",
                    reason="full", path=self.root,
                    hint="Nothing was sent. Free some space on that disk, or choose another --workspace.") from None
            raise WorkspaceWriteError(
                f"the workspace {self.root} is read-only ({exc.strerror or os.strerror(errno.EROFS)}): a run stores "
                "its results there.", reason="read-only", path=self.root,
                hint="Nothing was sent. Choose a writable --workspace (or $EVALCORE_WORKSPACE).") from None
        finally:
            _unlink_quietly(probe)

    def _check_version(self) -> None:
        marker = self.root / "workspace.json"
        if not self.remote and self.root.exists() and not self.root.is_dir():
            raise StoreError(f"the workspace {self.root} is a file, not a folder.",
                             hint="Point --workspace (or $EVALCORE_WORKSPACE) at a folder; a new one is created.")
        try:
            text = self._read_text(marker)
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            text, problem = None, f"not readable ({str(exc)[:120]})"
        problem = _marker_text_problem(text) if text is not None else problem
        if problem is not None:
            raise StoreError(
                f"{self.location(marker)} is broken: {problem}.",
                hint=f"Run `evalcore doctor --workspace {self.uri} --quarantine` to move it aside (a new one is "
                     "written), or restore it from a backup.",
            )
        version = int(json.loads(text or "{}").get("schema_version", 1))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"workspace '{self.uri}' was written by a newer evalcore (schema {version}, this is {SCHEMA_VERSION}).",
                hint="Upgrade evalcore: pip install -U evalcore.",
            )

    # -- paths --------------------------------------------------------------------------------------------
    def results_glob(self) -> str:
        return str(self.location(self.root / "results" / "**" / "*.parquet"))

    def scores_glob(self) -> str:
        return str(self.location(self.root / "scores" / "**" / "*.parquet"))

    def examples_glob(self) -> str:
        return str(self.location(self.root / "examples" / "**" / "*.parquet"))

    def public_glob(self) -> str:
        return str(self.location(self.root / "public" / "*.parquet"))

    # Folders whose files are data a reader shows; a new or replaced file in any changes `data_token`.
    DATA_FOLDERS = ("results", "scores", "public", "labels", "runs")

    def data_token(self) -> tuple[int, int]:
        """(number of data files, newest modification time in ns): changes whenever a run, score, label or
        public import is written, so caches keyed on it refresh. Temp files of atomic writes are ignored.
        Remotely (one listing) the second number is a digest of every data object's key, size and time: S3 times
        are whole seconds, and a manifest rewritten within one would otherwise go unnoticed."""
        if self.remote:
            import hashlib

            self._listing = None  # a token must be fresh: it decides whether cached pages are stale
            digest, count = hashlib.sha256(), 0
            for key, size, mtime in self._remote_files():
                if key.split("/", 1)[0] in self.DATA_FOLDERS and key.endswith((".parquet", ".json")):
                    count += 1
                    digest.update(f"{key}\0{size}\0{mtime}\n".encode("utf-8"))
            return count, int(digest.hexdigest()[:15], 16)
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
        if self.remote:
            return any(k.endswith(".parquet") for k, _s, _m in self._remote_files(kind))
        base = self.root / kind
        return base.exists() and any(base.rglob("*.parquet"))

    def suite_has_results(self, suite: str) -> bool:
        return bool(self._files(self.root / "results" / f"suite={suite}", "**/*.parquet"))

    def run_files(self, kind: str, suite: str, run_id: str) -> list[str]:
        """The Parquet parts of one run of a table ('results' or 'scores'): local paths, or s3:// URIs."""
        part = self.result_part if kind == "results" else self.score_part
        return [str(self.location(p)) for p in self._files(part(suite, run_id, "x").parent, "*.parquet")]

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
        for part in self._files(self.result_part(suite, run_id, "x").parent, "*.parquet"):
            try:
                done += _open_parquet(self.readable(self.location(part))).metadata.num_rows
            except (OSError, pa.ArrowException, StoreError):
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
        if self._exists(path):
            return
        self._write_table(path, table_from_rows(rows, EXAMPLES_SCHEMA))

    # -- manifests ----------------------------------------------------------------------------------------
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self._write_json(self.manifest_path(manifest["suite"], manifest["run_id"]), manifest)

    def delete_manifest(self, suite: str, run_id: str) -> None:
        self._delete(self.manifest_path(suite, run_id))

    def read_manifest(self, suite: str, run_id: str) -> dict[str, Any]:
        path = self.manifest_path(suite, run_id)
        try:
            m = json.loads(self._read_text(path))
        except (OSError, ValueError) as exc:
            m, why = None, str(exc)
        else:
            why = _manifest_problem(m)
        if why is not None:
            raise StoreError(f"{self.location(path)} is broken: {why}.", hint=_DOCTOR_HINT)
        return m  # type: ignore[no-any-return]

    def manifests(self, suite: str | None = None) -> list[dict[str, Any]]:
        """All run manifests, newest first; a run whose process died is reported as 'interrupted'."""
        paths = self._files(self.root / "runs", f"{suite}/*.json" if suite else "*/*.json")
        texts = self._read_many(paths) if self.remote is not None else {}
        out = []
        for p in paths:
            if self.remote is not None:
                try:
                    m = json.loads(texts[p])
                except (OSError, ValueError, TypeError):
                    continue  # `evalcore doctor` lists it
                if _manifest_problem(m) is not None:
                    continue  # not a manifest we wrote, or damaged: `evalcore doctor` lists it
            else:
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
        if self.remote:
            with self._remote_run_lock(suite, run_id):
                yield
            return
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

    @contextmanager
    def _remote_run_lock(self, suite: str, run_id: str) -> Iterator[None]:
        """A lock object {owner, host, pid, spool, heartbeat_at} refreshed every LOCK_HEARTBEAT_S by a thread and
        deleted at the end, plus the local flock of the spool's copy of the lock file. S3 has no flock and pyarrow
        no conditional PUT: a process sharing our spool tells a live run from a dead one exactly (the flock, as
        locally), any other by the heartbeat's age. The object is read back after writing (a best-effort guard);
        what makes one run id have one writer is that run ids are generated per process and only a dead
        (interrupted or failed) run is resumed."""
        import socket

        path = self.lock_path(suite, run_id)
        holder = self._lock_holder(suite, run_id)
        if holder is not None:
            raise StoreError(f"run {run_id} of suite '{suite}' is already running ({holder}).",
                             hint="Wait for it to finish; a run whose process died is free again within "
                                  f"{int(self.LOCK_STALE_S)} s.")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"run {run_id} of suite '{suite}' is already running in another process.") from None
        try:
            with self._remote_heartbeat(path, suite, run_id, {"owner": uuid.uuid4().hex, "host": socket.gethostname(),
                                                             "pid": os.getpid(), "spool": self._spool_id()}):
                yield
        finally:
            os.close(fd)

    @contextmanager
    def _remote_heartbeat(self, path: Path, suite: str, run_id: str, me: dict[str, Any]) -> Iterator[None]:
        import threading

        def beat() -> None:
            self._write_json(path, {**me, "heartbeat_at": utcnow().isoformat()})

        beat()
        try:
            mine = json.loads(self._read_text(path)).get("owner") == me["owner"]
        except (OSError, ValueError):
            mine = False
        if not mine:
            raise StoreError(f"run {run_id} of suite '{suite}' was just started by another process.",
                             hint="Run again in a minute: it resumes the run if that process stopped.")
        done = threading.Event()

        def heartbeat() -> None:
            while not done.wait(self.LOCK_HEARTBEAT_S):
                try:
                    beat()
                except StoreError:
                    pass  # the next beat tries again; a run cut off longer than LOCK_STALE_S looks dead

        thread = threading.Thread(target=heartbeat, name="evalcore-run-lock", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)
            try:
                self._delete(path)
            except StoreError:
                pass  # it goes stale on its own

    def _lock_holder(self, suite: str, run_id: str) -> str | None:
        """Who holds a remote run's lock ('pid N on HOST'), or None when nobody does: exactly (the spool's flock)
        when the holder shares our spool, else by the age of its heartbeat."""
        try:
            lock = json.loads(self._read_text(self.lock_path(suite, run_id)))
            beat = datetime.fromisoformat(lock["heartbeat_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        import socket

        if lock.get("spool") == self._spool_id() and lock.get("host") == socket.gethostname():
            alive = _flock_held(self.lock_path(suite, run_id))
        else:
            alive = (utcnow() - beat).total_seconds() <= self.LOCK_STALE_S
        return f"pid {lock.get('pid')} on {lock.get('host')}" if alive else None

    def _spool_id(self) -> str:
        """A random id of this spool folder (made once): processes with the same id share its flocks."""
        marker = self.root / ".spool-id"
        try:
            return marker.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return marker.read_text(encoding="utf-8").strip()
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(uuid.uuid4().hex)
            return marker.read_text(encoding="utf-8").strip()

    def run_is_alive(self, suite: str, run_id: str) -> bool:
        if self.remote:
            return self._lock_holder(suite, run_id) is not None
        return _flock_held(self.lock_path(suite, run_id))

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
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue  # another compaction took it
            try:
                if not _lock(fd, wait_s):
                    if wait_s:
                        raise StoreError(f"run {run_id} is still being written by another process ({path.name}).",
                                         hint="Wait for it to finish, or stop it, then run again.")
                    continue  # a live writer still owns it
                if not _names_open_file(path, fd):
                    continue  # compacted and removed by another process while we waited for its lock
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
        keys: set[tuple[str, str, int]] = set()
        self._listing = None  # resuming: another process may have written parts a moment ago
        for part in self._files(self.result_part(suite, run_id, "x").parent, "*.parquet"):
            where = self.location(part)
            if part.name == exclude or self.file_problem(where, RESULTS_SCHEMA) is not None:
                continue  # a broken part's rows are redone; `evalcore doctor` moves the part aside
            try:
                t = _read_parquet(self.readable(where), columns=["example_id", "candidate", "repeat"]).to_pydict()
            except (pa.ArrowException, OSError, ValueError, StoreError):
                continue
            keys.update(zip(t["example_id"], t["candidate"], t["repeat"]))
        return keys

    # -- broken files -------------------------------------------------------------------------------------
    TABLE_FOLDERS = {"results": "results", "scores": "scores", "examples": "examples", "public": "public"}

    def table_files(self, table: str) -> list[Path | str]:
        """Every finished Parquet file of a table (temp files of atomic writes excluded), sorted: local paths, or
        s3:// URIs on object storage."""
        return [self.location(p) for p in self._files(self.root / self.TABLE_FOLDERS[table], "**/*.parquet")]

    def table_stamp(self, table: str) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime ns) of every finished Parquet file of a table, sorted: while it is unchanged, so are
        the files, and a reader need not list and check them again (one scandir walk, no per-file Path objects)."""
        if self.remote is not None:  # from the listing, which records each object's size and time
            files = [str(f) for f in self.table_files(table)]
            return tuple(sorted((f, *self._stats.get(f, (0, 0))) for f in files))
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

    def broken_files(self) -> list[tuple[Path | str, str]]:
        """Every file of the workspace that readers would choke on, with the reason: Parquet parts that are
        truncated, empty, not Parquet or of the wrong column types; manifests and workspace.json that are not
        JSON objects of the expected shape. Full reads, so it finds damage a footer check misses."""
        found: list[tuple[Path | str, str]] = []
        marker = self.root / "workspace.json"
        try:
            problem = _marker_text_problem(self._read_text(marker))
        except FileNotFoundError:
            problem = None
        except (OSError, UnicodeDecodeError) as exc:
            problem = f"not readable ({str(exc)[:120]})"
        if problem:
            found.append((self.location(marker), problem))
        for table, schema in _TABLE_SCHEMAS.items():
            for path in self.table_files(table):
                problem = self.file_problem(path, schema, full=True)
                if problem:
                    found.append((path, problem))
        for path in self._files(self.root / "runs", "*/*.json"):
            try:
                problem = _manifest_problem(json.loads(self._read_text(path)))
            except (OSError, ValueError) as exc:
                problem = f"not JSON ({str(exc)[:120]})"
            if problem:
                found.append((self.location(path), problem))
        return found

    def relative(self, location: Path | str) -> str:
        """A file's path inside the workspace, for messages ('results/suite=S/...')."""
        if self.remote and isinstance(location, str):
            return self.remote.key_of(location)
        return Path(location).resolve().relative_to(self.root.resolve()).as_posix()

    def quarantine(self, paths: Iterable[Path | str]) -> list[Path]:
        """Move files aside to quarantine/<stamp>/<same relative path>, where no reader looks; returns where
        each went. Nothing is deleted: a person can inspect or restore them."""
        stamp = utcnow().strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        moved = []
        for path in paths:
            rel = Path(self.relative(path))
            target = self.root / "quarantine" / stamp / rel
            if self.remote:
                self.remote.move(self.remote.key_of(str(path)), self._key(target))
                self._listing = None
                moved.append(target)
                continue
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
    # journal to a Parquet part named after the journal's first label_id and event count (temp + rename), then
    # truncates the journal. Killed between the rename and the truncation, the next compaction writes another
    # part with a superset of its rows; readers keep one row per label_id. Nothing is lost or counted twice
    # either way.
    LABEL_COMPACT_LINES = 500  # an append that finds this many lines in its journal compacts it
    # On object storage the journal is on one machine's disk: compact sooner, so other readers see labels soon
    LABEL_COMPACT_LINES_REMOTE = 50

    def label_journal_path(self, suite: str, reviewer: str) -> Path:
        return self.root / "labels" / "journal" / suite / f"{reviewer_slug(reviewer)}.jsonl"

    def label_part(self, suite: str, journal_stem: str, first_label_id: str, events: int) -> Path:
        """Named by the journal, its first event and how many it holds: a compaction killed before it emptied the
        journal writes a *new* part next time (a superset; readers keep one row per label_id), so no Parquet key
        is ever written twice with different content (what lets remote readers cache parts by key)."""
        return self.root / "labels" / f"suite={suite}" / f"part-{journal_stem}-{first_label_id}-{events}.parquet"

    def labels_token(self) -> tuple[int, int, int]:
        """(parts, newest part mtime ns, total journal bytes): changes on every label append or compaction."""
        parts = newest = size = 0
        base = self.root / "labels"
        if self.remote:  # the listing `data_token` just refreshed (labels from this process show in the journals)
            for key, _size, mtime in self._remote_files("labels"):
                if key.endswith(".parquet") and key.count("/") == 2:
                    parts, newest = parts + 1, max(newest, mtime)
        for p in base.glob("suite=*/*.parquet") if base.exists() and not self.remote else []:
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
        data = "".join(json.dumps(r, default=_json_default, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
        with _people_write_errors(path):  # a read-only workspace or a full disk is a message, not a traceback
            path.parent.mkdir(parents=True, exist_ok=True)
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
        default = self.LABEL_COMPACT_LINES_REMOTE if self.remote else self.LABEL_COMPACT_LINES
        limit = default if compact_at is None else compact_at
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
                self._write_table(self.label_part(suite, path.stem, rows[0]["label_id"], len(rows)), table)
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
        parts = [self.location(p) for p in
                 self._files(self.root / "labels", f"suite={suite}/*.parquet" if suite else "suite=*/*.parquet")]
        self.fetch(parts)
        for where in parts:
            try:
                t = _read_parquet(self.readable(where))
            except (FileNotFoundError, StoreError):
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
        self._write_table(path, table_from_rows(rows, PUBLIC_SCHEMA))
        return path


_TABLE_SCHEMAS = {"results": RESULTS_SCHEMA, "scores": SCORES_SCHEMA, "examples": EXAMPLES_SCHEMA,
                  "public": PUBLIC_SCHEMA}
_DOCTOR_HINT = "Run `evalcore doctor` to list broken files and `evalcore doctor --quarantine` to move them aside."
# (resolved path, size, mtime) -> problem or None: a file is checked once per process until it changes.
_CHECKED: dict[tuple[str, int, int, bool], str | None] = {}


def _open_parquet(location: Path | str) -> pq.ParquetFile:
    """A local Parquet file (remote parts are read from their local copies, `Workspace.readable`)."""
    return pq.ParquetFile(location)


def _read_parquet(location: Path | str, columns: list[str] | None = None) -> pa.Table:
    return _open_parquet(location).read(columns=columns)


def _stat(location: Path | str) -> tuple[int, int]:
    """(size, mtime ns) of a local file; OSError when it cannot be had."""
    st = Path(location).stat()
    return st.st_size, st.st_mtime_ns


def parquet_problem(path: Path | str, schema: pa.Schema | None = None, *, full: bool = False) -> str | None:
    """Why a local Parquet file cannot be read as a part of `schema` (None when it can): truncated, empty, not
    Parquet, or a column of another type. `full` also reads every value (for `evalcore doctor`). Remote parts
    are checked through `Workspace.file_problem` (on their local copies)."""
    try:
        size, mtime = _stat(path)
    except (OSError, StoreError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    key = (str(path), size, mtime, full)
    if key in _CHECKED:
        return _CHECKED[key]
    problem: str | None = None
    if size == 0:
        problem = "empty (0 bytes)"
    else:
        try:
            file_schema = _open_parquet(path).schema_arrow
            if schema is not None:
                for f in file_schema:
                    want = schema.field(f.name).type if f.name in schema.names else None
                    if want is not None and f.type != want:
                        problem = f"column '{f.name}' is {f.type}, expected {want}"
                        break
            if problem is None and full:
                _read_parquet(path)
        except (pa.ArrowException, OSError, ValueError, OverflowError, StoreError) as exc:
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
        text = marker.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        return f"not JSON ({str(exc)[:120]})"
    return _marker_text_problem(text)


def _marker_text_problem(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"not JSON ({str(exc)[:120]})"
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        return f"schema_version is {version!r}, not a whole number"
    return None


def _flock_held(path: Path) -> bool:
    """Whether a live process holds the flock of a lock file."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _names_open_file(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (not removed, nor replaced, since it was opened)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _open_locked_journal(path: Path) -> int:
    """Create (or open) a journal and hold its flock, atomically with respect to compaction. A compactor locks a
    journal it finds, writes it to Parquet and removes it; a writer that created the file just before and locked
    it just after would append to a removed file that nothing ever reads. So once locked, the path must still
    name the file we hold; otherwise open again (the compactor may also have removed the empty folder)."""
    for _ in range(1000):
        with _people_write_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            except FileNotFoundError:
                continue  # the folder was removed between mkdir and open
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _names_open_file(path, fd):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise StoreError(f"internal: could not create the journal {path} (it kept being removed).")


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
        ws._write_table(ws.score_part(suite, run_id, writer),
                        table_from_rows([_coerce_result(s) for s in scores], SCORES_SCHEMA))
    ws._write_table(ws.result_part(suite, run_id, writer),
                    table_from_rows([_coerce_result(r) for r in results], RESULTS_SCHEMA))


def write_tables(ws: Workspace, suite: str, run_id: str, writer: str, results: pa.Table,
                 scores: pa.Table | None = None) -> None:
    """`write_results` for tables already in RESULTS_SCHEMA / SCORES_SCHEMA (imports, benchmarks)."""
    if scores is not None and len(scores):
        ws._write_table(ws.score_part(suite, run_id, writer), scores)
    ws._write_table(ws.result_part(suite, run_id, writer), results)


class Journal:
    """Append-only JSON lines owned by one writer, flock'd while open so compaction leaves it alone."""

    def __init__(self, ws: Workspace, suite: str, run_id: str, writer: str) -> None:
        self.path = ws.journal_dir(suite, run_id) / f"{writer}.jsonl"
        self.fd = _open_locked_journal(self.path)
        self.count = 0  # lines appended by this writer

    def append(self, result: dict[str, Any], scores: Iterable[dict[str, Any]]) -> None:
        """One whole line per `write()`. A full disk (ENOSPC, or a short write: the line is torn, and compaction
        drops a torn line) raises WorkspaceWriteError: every line before it is kept."""
        line = json.dumps({"result": result, "scores": list(scores)}, default=_json_default, ensure_ascii=False)
        data = (line + "\n").encode("utf-8")
        with _people_write_errors(self.path):
            if os.write(self.fd, data) < len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
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
