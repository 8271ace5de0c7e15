"""Every SQL statement evalcore runs, as small typed functions over DuckDB views of the workspace.

Values are always bound parameters. DuckDB cannot bind inside `CREATE VIEW`, so file globs go through
`_literal`, the one quoting helper. Views read with `union_by_name=true` and project exactly the current
schema, so files written by older schema versions (fewer columns) still read: `_MIGRATIONS` or NULL fills
what they lack.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from evalcore import store
from evalcore.errors import StoreError
from evalcore.store import Workspace

T = TypeVar("T")


def _literal(text: str) -> str:
    """Quote a string as an SQL literal (for the file globs in CREATE VIEW, where binding is impossible)."""
    return "'" + text.replace("'", "''") + "'"


# Expressions that upgrade rows written by older schema versions, per table and column, for columns whose
# right value is not simply NULL. Version 1 is the first; add entries here when a version adds a column.
_MIGRATIONS: dict[str, dict[str, str]] = {"results": {}, "scores": {}, "examples": {}, "public": {}}

_TABLES: dict[str, tuple[str, pa.Schema]] = {
    "results": ("results_glob", store.RESULTS_SCHEMA),
    "scores": ("scores_glob", store.SCORES_SCHEMA),
    "examples": ("examples_glob", store.EXAMPLES_SCHEMA),
    "public": ("public_glob", store.PUBLIC_SCHEMA),
}

_DUCK_TYPES = {
    pa.string(): "VARCHAR", pa.int16(): "SMALLINT", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN", pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
}


def _projection(name: str, schema: pa.Schema, present: set[str]) -> str:
    """Exactly the current schema's columns: what older files lack is filled by a migration or NULL."""
    cols = []
    for f in schema:
        if f.name in present:
            cols.append(f.name)
        else:
            expr = _MIGRATIONS[name].get(f.name, f"CAST(NULL AS {_DUCK_TYPES[f.type]})")
            cols.append(f"{expr} AS {f.name}")
    return ", ".join(cols)


def store_error_for(path: Path | str, problem: str, consequence: str) -> StoreError:
    return StoreError(f"{path} is broken: {problem}; {consequence}.",
                      hint="Run `evalcore doctor` to list broken files and `evalcore doctor --quarantine` to move "
                           "them aside (rerun the suite to redo what they held).")


def _read_failed(exc: Exception) -> StoreError:
    """DuckDB could not read a file that looked whole (damage inside a column chunk, say)."""
    first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return StoreError(f"the workspace holds a file that cannot be read ({first}).",
                      hint="Run `evalcore doctor` to find it and `evalcore doctor --quarantine` to move it aside.")


def _listed_once(method: Callable[..., T]) -> Callable[..., T]:
    """Run a query method that issues several statements on one listing of the files (`Queries._one_listing`)."""
    @functools.wraps(method)
    def wrapper(self: Queries, *args: Any, **kwargs: Any) -> T:
        with self._one_listing():
            return method(self, *args, **kwargs)
    return wrapper


class Queries:
    """Read access to one workspace. Thread-safe: each call runs on its own cursor."""

    def __init__(self, workspace: Workspace | str | Path | None = None) -> None:
        # Reading never creates a workspace: a mistyped path is an error, not a new empty workspace.
        self.ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace, create=False)
        self.con = duckdb.connect(":memory:")
        if self.ws.remote is not None:  # s3:// paths in read_parquet go through the store's pyarrow filesystem
            self.con.register_filesystem(self.ws.remote.duckdb_filesystem())
        self._lock = threading.Lock()
        self._local = threading.local()  # `listed`: this thread's query already has fresh views (see _one_listing)
        self._present: dict[str, tuple[str, ...]] = {}
        self._stamps: dict[str, tuple[tuple[str, int, int], ...]] = {}  # per table, when its files were last checked
        self._memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # small answers, valid while their table's stamp is
        # Files left out of the views because they cannot be read, per table: (path, why).
        self.broken: dict[str, list[tuple[Path | str, str]]] = {}

    def close(self) -> None:
        self.con.close()

    # -- views --------------------------------------------------------------------------------------------
    def _ensure_views(self) -> None:
        """Views over the readable files of each table, listed afresh per query (new parts show up). A broken
        file is left out and remembered: queries that need it say so (see `_require_intact`), the others work.
        A table whose files are unchanged since the last call (same paths, sizes, mtimes) is not checked again."""
        if getattr(self._local, "listed", False):
            return
        with self._lock:
            for name, (_glob_attr, schema) in _TABLES.items():
                stamp = self.ws.table_stamp(name)
                if self._stamps.get(name) == stamp and name in self._present:
                    continue
                listed = self.ws.table_files(name)
                self.ws.fetch(listed)  # remote parts: local copies, in parallel
                good, bad = [], []
                for path in listed:
                    problem = self.ws.file_problem(path, schema)
                    (bad.append((path, problem)) if problem else good.append(self.ws.readable(path)))
                self.broken[name] = bad
                files = tuple(good)
                if self._present.get(name) == files:
                    self._stamps[name] = stamp
                    continue
                if files:
                    listed = "[" + ", ".join(_literal(f) for f in files) + "]"
                    source = f"read_parquet({listed}, union_by_name=true, hive_partitioning=false)"
                    have = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
                    sql = f"CREATE OR REPLACE VIEW {name} AS SELECT {_projection(name, schema, have)} FROM {source}"
                else:
                    # A typed, empty table (cursors do not see registered Arrow objects, but do see tables).
                    self.con.register("_schema_only", schema.empty_table())
                    self.con.execute(f"CREATE OR REPLACE TABLE _empty_{name} AS SELECT * FROM _schema_only")
                    self.con.unregister("_schema_only")
                    sql = f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _empty_{name}"
                self.con.execute(sql)
                self._present[name] = files
                self._stamps[name] = stamp

    @contextmanager
    def _one_listing(self) -> Iterator[None]:
        """List the files once for a query made of several statements (latest runs, their files, the query)."""
        self._ensure_views()
        outer = getattr(self._local, "listed", False)
        self._local.listed = True
        try:
            yield
        finally:
            self._local.listed = outer

    def broken_files(self) -> list[tuple[Path | str, str]]:
        """Files the last query left out because they cannot be read."""
        self._ensure_views()
        return [item for items in self.broken.values() for item in items]

    def _require_intact(self, suite: str | None, tables: tuple[str, ...] = ("results", "scores", "examples")) -> None:
        """Raise when a file these results depend on is broken: a board computed without it would be wrong
        without saying so. Files of other suites do not matter (each suite has its own partition)."""
        self._ensure_views()
        for table in tables:
            for path, problem in self.broken.get(table, []):
                if suite is None or f"suite={suite}" in Path(self.ws.relative(path)).parts:
                    scope = f"suite '{suite}'" if suite else "the public scores"
                    raise store_error_for(path, problem, f"{scope} cannot be read while it is broken")

    def _df(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        self._ensure_views()
        cur = self.con.cursor()
        try:
            return cur.execute(sql, params or []).df()
        except duckdb.Error as exc:
            raise _read_failed(exc) from None
        finally:
            cur.close()

    def _rows(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self._ensure_views()
        cur = self.con.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise _read_failed(exc) from None
        finally:
            cur.close()

    # -- cache and resume ---------------------------------------------------------------------------------
    def cached_results(self, request_hashes: list[str],
                       final_kinds: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """The newest good (error-free) result for each request hash seen before: the store is the cache. Failures
        of `final_kinds` (deterministic for the request: context window, content filter...) count as results too;
        a good result is preferred to one of them."""
        if not request_hashes:
            return {}
        df = self._df(
            """
            SELECT request_hash, output, finish_reason, latency_ms, input_tokens, output_tokens, cost_usd,
                   created_at, error_kind, error
            FROM results
            WHERE ((error_kind IS NULL AND output IS NOT NULL)
                   OR (error_kind IN (SELECT unnest($final::VARCHAR[]))))
              AND request_hash IN (SELECT unnest($hashes))
            QUALIFY row_number() OVER (PARTITION BY request_hash
                                       ORDER BY (error_kind IS NULL) DESC, cached ASC, created_at DESC) = 1
            """,
            {"hashes": request_hashes, "final": list(final_kinds)},
        )
        return {r["request_hash"]: r for r in df.to_dict("records")}

    def cached_judgements(self, judge_hashes: list[str]) -> dict[str, dict[str, Any]]:
        """Judge scores already computed for these judge requests (same judge, rubric, input and output)."""
        if not judge_hashes:
            return {}
        df = self._df(
            """
            SELECT judge_request_hash, value, passed, detail
            FROM scores
            WHERE judge_request_hash IN (SELECT unnest($hashes))
              AND json_extract_string(detail, '$.error') IS NULL
            QUALIFY row_number() OVER (PARTITION BY judge_request_hash ORDER BY created_at DESC) = 1
            """,
            {"hashes": judge_hashes},
        )
        return {r["judge_request_hash"]: r for r in df.to_dict("records")}

    def run_keys(self, suite: str, run_id: str) -> set[tuple[str, str, int]]:
        """(example_id, candidate, repeat) already stored for a run: what a resumed run must not redo."""
        rows = self._rows(
            "SELECT example_id, candidate, repeat FROM results WHERE suite = ? AND run_id = ?", [suite, run_id]
        )
        return {(e, c, int(r)) for e, c, r in rows}

    # -- runs ---------------------------------------------------------------------------------------------
    def _run_index(self) -> pd.DataFrame:
        """Per (suite, run, candidate): results, errors, cached, spend and first/last result time, in one scan of
        the results, reused while their files are unchanged. The runs list, which candidates each run holds and
        each candidate's latest run are all read from it: on a 200-run store that is one scan instead of three."""
        self._ensure_views()
        return self._memoized("results", ("run_index",), lambda: self._df(
            """
            SELECT suite, run_id, candidate, count(*) AS results, count(error_kind) AS errors,
                   CAST(sum(CASE WHEN cached THEN 1 ELSE 0 END) AS BIGINT) AS cached,
                   sum(cost_usd) FILTER (WHERE NOT cached) AS spent_usd,
                   min(created_at) AS first_result, max(created_at) AS last_result
            FROM results GROUP BY suite, run_id, candidate
            """))

    def run_counts(self, suite: str | None = None, run_id: str | None = None) -> pd.DataFrame:
        """Per run (or for one run): results, errors, cached, cost, candidates."""
        with self._one_listing():
            idx = self._run_index()
        if suite is not None:
            idx = idx[idx["suite"] == suite]
        if run_id is not None:
            idx = idx[idx["run_id"] == run_id]
        columns = ["suite", "run_id", "results", "errors", "cached", "spent_usd", "candidates", "first_result",
                   "last_result"]
        if idx.empty:
            return pd.DataFrame({c: pd.Series(dtype=idx[c].dtype if c in idx else "int64") for c in columns})
        by_run = idx.groupby(["suite", "run_id"], sort=False)
        out = by_run.agg(results=("results", "sum"), errors=("errors", "sum"), cached=("cached", "sum"),
                         candidates=("candidate", "nunique"), first_result=("first_result", "min"),
                         last_result=("last_result", "max"))
        # no spend recorded stays missing, not 0 (a lambda per run did this at 0.4 ms a run: 200 runs, 77 ms)
        out["spent_usd"] = by_run["spent_usd"].sum(min_count=1)
        out = out.reset_index()
        return out.sort_values(["run_id", "suite"], ascending=[False, True], kind="stable")[columns].reset_index(drop=True)

    def errors_by_kind(self, suite: str, run_id: str) -> dict[str, int]:
        rows = self._rows(
            "SELECT error_kind, count(*) FROM results WHERE suite = ? AND run_id = ? AND error_kind IS NOT NULL "
            "GROUP BY error_kind ORDER BY 2 DESC",
            [suite, run_id],
        )
        return {k: int(n) for k, n in rows}

    def suites(self) -> list[str]:
        """Suites with results, from the names of the results' `suite=` partition folders (the store's layout:
        results/suite=S/run=R/part-W.parquet): listing them reads no Parquet rows, where a DISTINCT over the column
        scanned every file of the store. A suite whose only results file is broken is listed too: leaving it out
        made it vanish from every page without a word, where asking for it says which file to repair."""
        self._ensure_views()
        prefix = "suite="
        files = [*self._present.get("results", ()), *(self.ws.relative(p) for p, _ in self.broken.get("results", []))]
        names = {Path(f).parent.parent.name[len(prefix):] for f in files
                 if Path(f).parent.parent.name.startswith(prefix)}
        return sorted(names)

    # -- the current results of a suite --------------------------------------------------------------------
    # Each candidate's latest run is found first (two columns of the suite's results); the query then reads only
    # those runs' files instead of joining every run of the store: on a 200-run suite that is the difference
    # between reading 1 and 200 runs' outputs.
    def _memoized(self, table: str, key: tuple[Any, ...], compute: Any) -> Any:
        """`compute()`, reused while `table`'s files are unchanged (a page asks the same small question several
        times per run: the latest runs, the scorer names). Call after `_ensure_views`."""
        stamp = self._stamps.get(table)
        hit = self._memo.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = compute()
        if len(self._memo) > 256:
            self._memo.clear()
        self._memo[key] = (stamp, value)
        return value

    def _latest_runs(self, suite: str, run_id: str | None = None) -> tuple[list[str], list[str]]:
        """(candidates, their latest run ids) in the suite, or in one run (call with fresh views)."""
        cands, runs = self._memoized("results", ("latest", suite, run_id), lambda: self._latest_runs_query(suite, run_id))
        return list(cands), list(runs)

    def _latest_runs_query(self, suite: str, run_id: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        idx = self._run_index()
        idx = idx[(idx["suite"] == suite) & ((idx["run_id"] == run_id) if run_id is not None else True)]
        latest = idx.groupby("candidate")["run_id"].max().sort_index()
        return tuple(str(c) for c in latest.index), tuple(str(r) for r in latest)

    def _runs_source(self, table: str, suite: str, run_ids: list[str], param: str,
                     params: dict[str, Any]) -> str:
        """A FROM source like the view `table` (the same columns, migrations and readable files) restricted to the
        files of some runs of a suite; puts its file list into `params[param]`. The full view when none match."""
        marks = {f"run={r}" for r in run_ids}
        files = [f for f in self._present.get(table, ()) if f"suite={suite}" in Path(f).parts
                 and Path(f).parent.name in marks]
        if not files:
            return table
        params[param] = files
        cur = self.con.cursor()
        try:
            have = {r[0] for r in cur.execute(
                "DESCRIBE SELECT * FROM read_parquet($files, union_by_name=true, hive_partitioning=false)",
                {"files": files}).fetchall()}
        except duckdb.Error as exc:
            raise _read_failed(exc) from None
        finally:
            cur.close()
        schema = _TABLES[table][1]
        return (f"(SELECT {_projection(table, schema, have)} "
                f"FROM read_parquet(${param}, union_by_name=true, hive_partitioning=false))")

    def _current(self, suite: str, run_id: str | None, params: dict[str, Any], *,
                 scores: bool = False) -> tuple[str, str]:
        """SQL of each candidate's results from its latest run in the suite (or from one run), and the source of
        the scores of those runs (`scores` when not asked for); fills `params` (suite, latest pairs). Call inside
        `_one_listing`, so the latest runs and the files read are of one listing."""
        cands, runs = self._latest_runs(suite, run_id)
        params.update({"suite": suite, "_cands": cands, "_runs": runs})
        res = self._runs_source("results", suite, runs, "_res_files", params)
        sc = self._runs_source("scores", suite, runs, "_sc_files", params) if scores else "scores"
        cur = f"""
            SELECT r.* FROM {res} r
            JOIN (SELECT unnest($_cands::VARCHAR[]) AS candidate, unnest($_runs::VARCHAR[]) AS run_id) latest
              USING (candidate, run_id)
            WHERE r.suite = $suite
        """
        return cur, sc

    @_listed_once
    def current_results(self, suite: str, run_id: str | None = None) -> pd.DataFrame:
        """Each candidate's results from its latest run in the suite (or from one run)."""
        self._require_intact(suite)
        params: dict[str, Any] = {}
        cur, _ = self._current(suite, run_id, params)
        return self._df(cur + " ORDER BY candidate, example_id, repeat", params)

    @_listed_once
    def scorer_names(self, suite: str) -> list[str]:
        self._require_intact(suite)
        return list(self._memoized("scores", ("scorers", suite), lambda: tuple(self._scorer_names(suite))))

    def _scorer_names(self, suite: str) -> list[str]:
        rows = self._rows(
            # No timestamp in the fetched row: fetchall() of TIMESTAMPTZ needs pytz, which we do not depend on.
            "SELECT scorer FROM scores WHERE suite = ? GROUP BY scorer ORDER BY min(created_at), scorer",
            [suite],
        )
        return [r[0] for r in rows]

    @_listed_once
    def score_table(self, suite: str, scorer: str, run_id: str | None = None) -> pd.DataFrame:
        """Long format for the statistics: candidate, example_id, repeat, value, passed, tags, error_kind."""
        self._require_intact(suite)
        params: dict[str, Any] = {"scorer": scorer}
        current, scores = self._current(suite, run_id, params, scores=True)
        return self._df(
            f"""
            WITH cur AS ({current}),
            ex AS (
                SELECT example_id, any_value(tags) AS tags FROM examples WHERE suite = $suite GROUP BY example_id
            )
            SELECT cur.candidate, cur.example_id, cur.repeat, s.value, s.passed, cur.error_kind,
                   coalesce(ex.tags, []::VARCHAR[]) AS tags
            FROM cur
            JOIN {scores} s ON s.run_id = cur.run_id AND s.suite = cur.suite AND s.example_id = cur.example_id
                          AND s.candidate = cur.candidate AND s.repeat = cur.repeat AND s.scorer = $scorer
            LEFT JOIN ex ON ex.example_id = cur.example_id
            ORDER BY cur.candidate, cur.example_id, cur.repeat
            """,
            params,
        )

    @_listed_once
    def unscored_details(self, suite: str, scorer: str, run_id: str | None = None, limit: int = 1000) -> list[str]:
        """The stored detail of a scorer's rows without a value in the current results (a judge call failed or its
        reply was unreadable), to say why a scorer has no values."""
        self._require_intact(suite)
        params: dict[str, Any] = {"scorer": scorer, "limit": limit}
        current, scores = self._current(suite, run_id, params, scores=True)
        rows = self._rows(
            f"""
            WITH cur AS ({current})
            SELECT s.detail FROM cur
            JOIN {scores} s ON s.run_id = cur.run_id AND s.suite = cur.suite AND s.example_id = cur.example_id
                          AND s.candidate = cur.candidate AND s.repeat = cur.repeat AND s.scorer = $scorer
            WHERE s.value IS NULL
            LIMIT $limit
            """,
            params,
        )
        return ["" if r[0] is None else str(r[0]) for r in rows]

    @_listed_once
    def candidate_summary(self, suite: str, run_id: str | None = None) -> pd.DataFrame:
        """Per candidate: model, family, release, calls, errors, cost per example, latency percentiles."""
        self._require_intact(suite)
        params: dict[str, Any] = {}
        current, _ = self._current(suite, run_id, params)
        return self._df(
            f"""
            WITH cur AS ({current})
            SELECT candidate, any_value(model) AS model, any_value(family) AS family,
                   any_value(suite_version) AS suite_version,
                   any_value(release) AS release, any_value(run_id) AS run_id,
                   count(*) AS calls, count(error_kind) AS errors,
                   count(DISTINCT example_id) AS examples,
                   -- the mean over the answered calls whose cost is known: a call without a price counted
                   -- as $0 (and a failed call diluted it) when this was sum / count(*)
                   avg(cost_usd) FILTER (WHERE error_kind IS NULL) AS cost_per_call_usd,
                   sum(cost_usd) AS cost_usd,
                   count(cost_usd) FILTER (WHERE error_kind IS NULL) AS priced_calls,
                   count(*) FILTER (WHERE error_kind IS NULL) AS answered_calls,
                   -- cached rows carry the latency of the call that produced them
                   median(latency_ms) FILTER (WHERE error_kind IS NULL) AS latency_p50_ms,
                   quantile_cont(latency_ms, 0.95) FILTER (WHERE error_kind IS NULL) AS latency_p95_ms,
                   avg(input_tokens) AS input_tokens, avg(output_tokens) AS output_tokens
            FROM cur GROUP BY candidate ORDER BY candidate
            """,
            params,
        )

    @_listed_once
    def candidate_versions(self, suite: str, run_id: str | None = None) -> dict[str, tuple[str, str]]:
        """Each candidate's latest run in the suite (or in one run) -> (run id, suite version it was made for)."""
        self._require_intact(suite)
        params: dict[str, Any] = {}
        current, _ = self._current(suite, run_id, params)
        rows = self._rows(f"""
            WITH cur AS ({current})
            SELECT candidate, any_value(run_id), any_value(suite_version) FROM cur GROUP BY candidate
            """, params)
        return {str(c): (str(r), str(v)) for c, r, v in rows}

    def shared_examples(self, suite: str, version_a: str, version_b: str) -> tuple[list[str], list[str]]:
        """(ids both suite versions hold, the ones among them with the same input and reference in both)."""
        self._require_intact(suite, ("examples",))
        rows = self._rows(
            """
            WITH x AS (SELECT example_id, any_value(input) AS input, any_value(expected) AS expected FROM examples
                       WHERE suite = $suite AND suite_version = $a GROUP BY example_id),
                 y AS (SELECT example_id, any_value(input) AS input, any_value(expected) AS expected FROM examples
                       WHERE suite = $suite AND suite_version = $b GROUP BY example_id)
            SELECT example_id, x.input IS NOT DISTINCT FROM y.input AND x.expected IS NOT DISTINCT FROM y.expected
            FROM x JOIN y USING (example_id) ORDER BY example_id
            """,
            {"suite": suite, "a": version_a, "b": version_b},
        )
        return [str(r[0]) for r in rows], [str(r[0]) for r in rows if r[1]]

    def examples(self, suite: str) -> pd.DataFrame:
        self._require_intact(suite)
        return self._df(
            """
            SELECT example_id, any_value(input) AS input, any_value(expected) AS expected,
                   any_value(tags) AS tags, any_value(row) AS row
            FROM examples WHERE suite = ? GROUP BY example_id ORDER BY min(row)
            """,
            [suite],
        )

    def known_candidates(self) -> dict[str, str]:
        """Every candidate name any run of this workspace has used -> its litellm model string (newest)."""
        rows = self._rows(
            """
            SELECT candidate, arg_max(model, created_at) FROM results GROUP BY candidate ORDER BY candidate
            """
        )
        return {str(c): str(m or "") for c, m in rows}

    def public_scores(self) -> pd.DataFrame:
        """The newest imported score per (model, benchmark)."""
        self._require_intact(None, ("public",))
        return self._df(
            """
            SELECT model, benchmark, score, source FROM public
            QUALIFY row_number() OVER (PARTITION BY model, benchmark ORDER BY imported_at DESC) = 1
            ORDER BY benchmark, score DESC
            """
        )

    # -- one example, and scores over runs (the dashboard's Explore and Trends pages) -------------------------
    def _run_globs(self, kind: str, suite: str, run_ids: list[str]) -> list[str]:
        """The Parquet globs of some runs only (existing ones), so a query over two runs of a 200-run suite
        reads those runs' files instead of scanning the whole store."""
        if self.ws.remote is not None:  # the parts' local copies: one listing, no glob expanded over the network
            files = [f for r in run_ids for f in self.ws.run_files(kind, suite, r)]
            self.ws.fetch(files)
            return [self.ws.readable(f) for f in files]
        part = self.ws.result_part if kind == "results" else self.ws.score_part
        return [str(part(suite, r, "x").parent / "*.parquet") for r in run_ids
                if part(suite, r, "x").parent.is_dir() and any(part(suite, r, "x").parent.glob("*.parquet"))]

    def runs_example(self, suite: str, example_id: str, runs: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One example's results and scores in the given run of each candidate ({candidate: run_id}), reading
        only those runs' files: (results, scores)."""
        cands, run_ids = list(runs), [runs[c] for c in runs]
        res_files = self._run_globs("results", suite, sorted(set(run_ids)))
        sc_files = self._run_globs("scores", suite, sorted(set(run_ids)))
        params = {"example_id": example_id, "cands": cands, "runs": run_ids}
        keys = "(SELECT unnest($cands) AS candidate, unnest($runs) AS run_id)"
        if not res_files:
            return self.example_outputs(suite, example_id).iloc[0:0], self.example_scores(suite, example_id).iloc[0:0]
        results = self._df(
            f"""
            SELECT r.candidate, r.model, r.family, r.release, r.run_id, r.repeat, r.output, r.finish_reason,
                   r.error_kind, r.error, r.latency_ms, r.input_tokens, r.output_tokens, r.cost_usd, r.cached,
                   r.suite_version
            FROM read_parquet($res, union_by_name=true) r JOIN {keys} k USING (candidate, run_id)
            WHERE r.example_id = $example_id ORDER BY r.candidate, r.repeat
            """, {**params, "res": res_files})
        if not sc_files:
            return results, pd.DataFrame(columns=["candidate", "repeat", "scorer", "value", "passed", "detail"])
        scores = self._df(
            f"""
            SELECT s.candidate, s.repeat, s.scorer, s.value, s.passed, s.detail
            FROM read_parquet($sc, union_by_name=true) s JOIN {keys} k USING (candidate, run_id)
            WHERE s.example_id = $example_id ORDER BY s.candidate, s.repeat, s.scorer
            """, {**params, "sc": sc_files})
        return results, scores

    @_listed_once
    def example_outputs(self, suite: str, example_id: str) -> pd.DataFrame:
        """Every candidate's current results (latest run per candidate, all repeats) for one example."""
        params: dict[str, Any] = {"example_id": example_id}
        current, _ = self._current(suite, None, params)
        return self._df(
            f"""
            WITH cur AS ({current})
            SELECT candidate, model, family, release, run_id, repeat, output, finish_reason, error_kind, error,
                   latency_ms, input_tokens, output_tokens, cost_usd, cached, suite_version
            FROM cur WHERE example_id = $example_id
            ORDER BY candidate, repeat
            """,
            params,
        )

    @_listed_once
    def example_scores(self, suite: str, example_id: str) -> pd.DataFrame:
        """Every scorer's value, pass flag and detail for the current results of one example."""
        params: dict[str, Any] = {"example_id": example_id}
        current, scores = self._current(suite, None, params, scores=True)
        return self._df(
            f"""
            WITH cur AS ({current})
            SELECT s.candidate, s.repeat, s.scorer, s.value, s.passed, s.detail
            FROM cur JOIN {scores} s ON s.run_id = cur.run_id AND s.suite = cur.suite
                 AND s.example_id = cur.example_id AND s.candidate = cur.candidate AND s.repeat = cur.repeat
            WHERE cur.example_id = $example_id
            ORDER BY s.candidate, s.repeat, s.scorer
            """,
            params,
        )

    def example(self, suite: str, example_id: str, version: str | None = None) -> dict[str, Any] | None:
        """One example's input, reference and tags: as in suite `version` when that version has it, else from
        some version that does (versions are hashes: their order says nothing of age, so callers that know which
        run they show pass its version)."""
        df = self._df(
            """
            SELECT example_id, input, expected, tags, suite_version FROM examples
            WHERE suite = ? AND example_id = ? ORDER BY suite_version = ? DESC, suite_version DESC LIMIT 1
            """,
            [suite, example_id, version],
        )
        return None if df.empty else df.to_dict("records")[0]

    def run_candidates(self, suite: str) -> pd.DataFrame:
        """Which candidates each run of the suite holds (run_id, candidate), newest run first."""
        with self._one_listing():
            idx = self._run_index()
        held = idx.loc[idx["suite"] == suite, ["run_id", "candidate"]].drop_duplicates()
        return held.sort_values(["run_id", "candidate"], ascending=[False, True]).reset_index(drop=True)

    def run_example_means(self, suite: str, scorer: str, example_ids: list[str] | None = None,
                          run_ids: list[str] | None = None) -> pd.DataFrame:
        """Per run, candidate and example: the mean score over repeats (every run, not just the latest), with
        the run's first result time and suite version, for trends over time. Optionally only some examples
        or some runs (then only those runs' files are read)."""
        if run_ids is not None:
            res, sc = self._run_globs("results", suite, run_ids), self._run_globs("scores", suite, run_ids)
            if not res or not sc:
                return self.run_example_means(suite, scorer, example_ids).iloc[0:0]
            return self._df(
                """
                SELECT s.run_id, s.candidate, any_value(r.family) AS family, any_value(r.release) AS release,
                       any_value(r.suite_version) AS suite_version, s.example_id, avg(s.value) AS value,
                       min(r.created_at) AS started
                FROM read_parquet($sc, union_by_name=true) s
                JOIN read_parquet($res, union_by_name=true) r
                  ON r.run_id = s.run_id AND r.example_id = s.example_id AND r.candidate = s.candidate
                 AND r.repeat = s.repeat
                WHERE s.suite = $suite AND s.scorer = $scorer AND s.value IS NOT NULL
                  AND ($ids IS NULL OR s.example_id IN (SELECT unnest($ids)))
                GROUP BY s.run_id, s.candidate, s.example_id
                """,
                {"suite": suite, "scorer": scorer, "ids": example_ids, "res": res, "sc": sc},
            )
        return self._df(
            """
            SELECT s.run_id, s.candidate, any_value(r.family) AS family, any_value(r.release) AS release,
                   any_value(r.suite_version) AS suite_version, s.example_id, avg(s.value) AS value,
                   min(r.created_at) AS started
            FROM scores s
            JOIN results r ON r.run_id = s.run_id AND r.suite = s.suite AND r.example_id = s.example_id
                          AND r.candidate = s.candidate AND r.repeat = s.repeat
            WHERE s.suite = $suite AND s.scorer = $scorer AND s.value IS NOT NULL
              AND ($ids IS NULL OR s.example_id IN (SELECT unnest($ids)))
              AND ($runs IS NULL OR s.run_id IN (SELECT unnest($runs)))
            GROUP BY s.run_id, s.candidate, s.example_id
            """,
            {"suite": suite, "scorer": scorer, "ids": example_ids, "runs": run_ids},
        )

    def run_candidate_meta(self, suite: str) -> pd.DataFrame:
        """Per (run, candidate): family, release, suite version and the run's first result time, for trends of
        numbers that are not scores (people's ratings)."""
        self._require_intact(suite, ("results",))
        return self._df(
            """
            SELECT run_id, candidate, any_value(family) AS family, any_value(release) AS release,
                   any_value(suite_version) AS suite_version, min(created_at) AS started
            FROM results WHERE suite = $suite GROUP BY run_id, candidate ORDER BY run_id, candidate
            """,
            {"suite": suite},
        )

    # -- labels -------------------------------------------------------------------------------------------
    # Label events come from `Workspace.read_label_events` (journals, then parts), registered on the query's
    # own cursor as `label_events`; every query first keeps one row per label_id (a compaction killed
    # half-way may leave an event in a part and its journal).
    _LABEL_EVENTS = """
        events AS (
            SELECT * FROM label_events WHERE ($suite IS NULL OR suite = $suite)
            QUALIFY row_number() OVER (PARTITION BY label_id ORDER BY created_at) = 1
        )
    """
    # The answer of each (reviewer, kind, output[, second output]): its latest event, if that is not a clear.
    _LATEST = _LABEL_EVENTS + """,
        latest AS (
            SELECT * FROM events
            QUALIFY row_number() OVER (PARTITION BY reviewer, kind, output_hash, coalesce(output_hash_b, '')
                                       ORDER BY created_at DESC, label_id DESC) = 1
        ),
        answers AS (
            SELECT * FROM latest
            WHERE (kind = 'rating' AND (rating IS NOT NULL OR ok IS NOT NULL OR coalesce(note, '') <> ''))
               OR (kind = 'pairwise' AND choice IS NOT NULL)
        )
    """

    def _label_df(self, sql: str, params: dict[str, Any], suite: str | None) -> pd.DataFrame:
        events = self.ws.read_label_events(suite)
        self._ensure_views()
        cur = self.con.cursor()
        try:
            cur.register("label_events", events)
            return cur.execute(sql, params).df()
        finally:
            cur.close()

    def label_history(self, suite: str | None = None) -> pd.DataFrame:
        """Every label event once, oldest first: answers, changes and clears (undo)."""
        cols = ", ".join(store.LABELS_SCHEMA.names)
        return self._label_df(f"WITH {self._LABEL_EVENTS} SELECT {cols} FROM events ORDER BY created_at, label_id",
                              {"suite": suite}, suite)

    def label_answers(self, suite: str | None = None, kind: str = "rating",
                      output_hashes: list[str] | None = None) -> pd.DataFrame:
        """The current answer per (reviewer, output) of one kind: the latest event wins, a cleared one drops out.
        `output_hashes` keeps only answers on those outputs (a queue needs only its own items' answers)."""
        cols = ", ".join(store.LABELS_SCHEMA.names)
        only = "" if output_hashes is None else " AND output_hash IN (SELECT unnest($hashes))"
        params: dict[str, Any] = {"suite": suite, "kind": kind}
        if output_hashes is not None:
            params["hashes"] = list(output_hashes)
        return self._label_df(
            f"WITH {self._LATEST} SELECT {cols} FROM answers WHERE kind = $kind{only} ORDER BY created_at, label_id",
            params, suite)

    def label_counts(self, suite: str) -> pd.DataFrame:
        """Per reviewer: rating answers, of them complete (rating and ok), pairwise answers, last answer time."""
        return self._label_df(
            f"""
            WITH {self._LATEST}
            SELECT reviewer,
                   count(*) FILTER (WHERE kind = 'rating') AS rated,
                   count(*) FILTER (WHERE kind = 'rating' AND rating IS NOT NULL AND ok IS NOT NULL) AS complete,
                   count(*) FILTER (WHERE kind = 'pairwise') AS pairwise,
                   CAST(max(created_at) AS VARCHAR) AS last_answer
            FROM answers GROUP BY reviewer ORDER BY reviewer
            """,
            {"suite": suite}, suite)

    _OUTPUTS = """
        chosen AS (
            SELECT r.* FROM {res} r
            WHERE r.suite = $suite AND r.error_kind IS NULL AND r.output IS NOT NULL
              AND (CASE WHEN len($runs) = 0
                        THEN (r.candidate, r.run_id) IN (SELECT (candidate, run_id) FROM (
                                 SELECT unnest($_cands::VARCHAR[]) AS candidate, unnest($_runs::VARCHAR[]) AS run_id))
                        ELSE list_contains($runs, r.run_id) END)
              AND (len($candidates) = 0 OR list_contains($candidates, r.candidate))
        ),
        ex AS (
            SELECT example_id, any_value(input) AS input, any_value(expected) AS expected,
                   coalesce(any_value(tags), []::VARCHAR[]) AS tags, min(row) AS row
            FROM examples WHERE suite = $suite GROUP BY example_id
        ),
        verdicts AS (
            SELECT run_id, example_id, candidate, repeat, count(DISTINCT passed) > 1 AS scorers_disagree
            FROM {sc} WHERE suite = $suite AND passed IS NOT NULL
            GROUP BY run_id, example_id, candidate, repeat
        )
    """

    @_listed_once
    def output_counts(self, suite: str, *, runs: list[str] | None = None) -> dict[str, int]:
        """{candidate: examples with a good output} in each candidate's latest run (or in `runs`): what
        `label_outputs` would count, without hashing or fetching a single output (a suite nobody labeled yet)."""
        def count() -> tuple[tuple[str, int], ...]:
            params: dict[str, Any] = {"suite": suite, "runs": list(runs or []), "candidates": []}
            cands, latest = ([], []) if runs else self._latest_runs(suite)
            params.update({"_cands": cands, "_runs": latest})
            read = list(runs) if runs else latest
            outputs = self._OUTPUTS.format(res=self._runs_source("results", suite, read, "_res_files", params),
                                           sc=self._runs_source("scores", suite, read, "_sc_files", params))
            return tuple(self._rows(f"WITH {outputs} SELECT candidate, count(DISTINCT example_id) FROM chosen "
                                    "GROUP BY candidate", params))

        rows = self._memoized("results", ("output_counts", suite, tuple(runs or ())), count)
        return {str(c): int(n) for c, n in sorted(rows)}

    def has_label_events(self, suite: str) -> bool:
        """Whether anyone has ever labeled this suite (any event, cleared ones too)."""
        return self.ws.read_label_events(suite).num_rows > 0

    @_listed_once
    def label_outputs(self, suite: str, *, runs: list[str] | None = None, candidates: list[str] | None = None,
                      tags: list[str] | None = None) -> pd.DataFrame:
        """One row per good result to label: its output hash (content of example + output), input, reference,
        tags and whether its automatic scorers disagree on pass/fail. Default runs: each candidate's latest."""
        params: dict[str, Any] = {"suite": suite, "runs": list(runs or []), "candidates": list(candidates or []),
                                  "tags": list(tags or [])}
        self._ensure_views()
        cands, latest = ([], []) if runs else self._latest_runs(suite)  # default: each candidate's latest run
        params.update({"_cands": cands, "_runs": latest})
        read = list(runs) if runs else latest  # only these runs' files are read
        outputs = self._OUTPUTS.format(res=self._runs_source("results", suite, read, "_res_files", params),
                                       sc=self._runs_source("scores", suite, read, "_sc_files", params))
        return self._df(
            f"""
            WITH {outputs}
            SELECT left(sha256(c.example_id || chr(0) || c.output), 20) AS output_hash, c.example_id,
                   c.candidate, c.run_id, c.repeat, c.output, ex.input, ex.expected,
                   coalesce(ex.tags, []::VARCHAR[]) AS tags, coalesce(ex.row, 0) AS row,
                   coalesce(v.scorers_disagree, false) AS scorers_disagree
            FROM chosen c
            LEFT JOIN ex ON ex.example_id = c.example_id
            LEFT JOIN verdicts v ON v.run_id = c.run_id AND v.example_id = c.example_id
                                AND v.candidate = c.candidate AND v.repeat = c.repeat
            WHERE len($tags) = 0 OR list_has_any(coalesce(ex.tags, []::VARCHAR[]), $tags)
            ORDER BY row, c.example_id, c.candidate, c.repeat
            """,
            params,
        )

    def label_runs(self, suite: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT run_id FROM results WHERE suite = ? ORDER BY 1 DESC",
                                         [suite])]

    def judge_values(self, suite: str, scorer: str) -> pd.DataFrame:
        """A judge scorer's value per output hash (the newest judgement of that content), for judge vs people."""
        return self._df(
            """
            SELECT left(sha256(r.example_id || chr(0) || r.output), 20) AS output_hash, any_value(s.value) AS value
            FROM results r
            JOIN scores s ON s.run_id = r.run_id AND s.suite = r.suite AND s.example_id = r.example_id
                          AND s.candidate = r.candidate AND s.repeat = r.repeat AND s.scorer = $scorer
            WHERE r.suite = $suite AND r.output IS NOT NULL AND s.value IS NOT NULL
            GROUP BY 1
            """,
            {"suite": suite, "scorer": scorer},
        )
