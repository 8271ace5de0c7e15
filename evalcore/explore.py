"""What the dashboard's Explore, Compare and Trends pages and `evalcore show` show that is not statistics.

One example in full (input, reference, every candidate's output with its scores, latency, cost and error,
repeats together), the per-example table the filters work on, where the candidates disagree most, a
head-to-head per example, trends per family, and what changed since the previous run. The statistics come
from `evalcore.stats`; the SQL from `evalcore.queries`. Pure pandas over small, aggregated frames: a
suite's current results are one row per (example, candidate, repeat), never the whole store.
"""

from __future__ import annotations

from collections.abc import Iterable

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalcore import formatting as fmt
from evalcore import stats
from evalcore.analysis import ScoreData, _queries, score_data
from evalcore.errors import EvalcoreError, did_you_mean
from evalcore.queries import Queries
from evalcore.stats.intervals import mean_rows

__all__ = ["OUTCOMES", "Change", "Changes", "changes_since_previous_run", "clean_text", "disagreements",
           "example_detail", "example_table", "filter_examples", "hardest_examples", "head_to_head", "human_trend",
           "pareto_frontier", "reference_diff", "trend", "unpaired_sentence", "unscored_table"]

OUTCOMES = ("all", "fail", "pass", "error")

def clean_text(text: Any) -> str:
    """A model's output as plain text that shows what the model sent, safely: CRLF read as a newline, then
    `formatting.visible` (control and bidi characters as escapes, so `\\u001b[31mred` says the answer carries a
    terminal colour code; the same escapes as the CLI's messages and the report). Idempotent. None becomes ""."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return fmt.visible(str(text).replace("\r\n", "\n"))


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return [str(t) for t in list(value)]


# -- the per-example table ------------------------------------------------------------------------------------


def example_table(workspace: str | Path | Queries | None, suite: str, scorer: str | None = None, *,
                  data: ScoreData | None = None) -> pd.DataFrame:
    """One row per (example, candidate) of the current results: mean `value` over repeats, `pass_rate`
    (fraction of repeats passed), `passed` (every repeat passed), `error_kind` (of any failed repeat, else
    None), `repeats`, `tags` (a list). Sorted by example, then candidate. Pass `data` (a leaderboard's
    ScoreData) to reuse scores already read."""
    data = data if data is not None else score_data(_queries(workspace), suite, scorer)
    df = data.scores
    columns = ["example_id", "candidate", "value", "pass_rate", "passed", "error_kind", "repeats", "tags"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    g = df.groupby(["example_id", "candidate"], sort=True)
    # error_kind: the first failed repeat's kind. "first" skips missing values, as the per-group Python loop this
    # replaces did (5,000 groups: ~0.4 s); kinds are text or missing.
    out = g.agg(value=("value", "mean"), pass_rate=("passed", "mean"), repeats=("repeat", "count"),
                error_kind=("error_kind", "first"), tags=("tags", "first")).reset_index()
    out["passed"] = out["pass_rate"] >= 1.0
    out["tags"] = out["tags"].map(_tags)
    return out[columns]


def unscored_table(workspace: str | Path | Queries | None, suite: str) -> pd.DataFrame:
    """`example_table`'s rows for outputs without readable scores (an import without --judge, a judge that
    failed): one row per (example, candidate) of the current results, `value` and `pass_rate` missing, `passed`
    False, `error_kind` of any failed repeat, `repeats`, `tags`, and `scored` False. Explore and `evalcore show`
    list these "not scored" instead of refusing to show outputs that are there."""
    q = _queries(workspace)
    columns = ["example_id", "candidate", "value", "pass_rate", "passed", "error_kind", "repeats", "tags", "scored"]
    res = q.current_results(suite)
    if res.empty:
        return pd.DataFrame(columns=columns)
    tags = q.examples(suite).set_index("example_id")["tags"]
    g = res.groupby(["example_id", "candidate"], sort=True)
    out = g.agg(repeats=("repeat", "count"), error_kind=("error_kind", "first")).reset_index()
    out["value"] = np.nan
    out["pass_rate"] = np.nan
    out["passed"] = False
    out["tags"] = [_tags(tags.get(e)) for e in out["example_id"]]
    out["scored"] = False
    return out[columns]


def filter_examples(table: pd.DataFrame, *, tag: str | None = None, candidates: list[str] | None = None,
                    outcome: str = "all", error_kind: str | None = None) -> pd.DataFrame:
    """The rows of `example_table` that match every filter given (None / "all" / [] means no filter).
    `outcome`: "fail" (not every repeat passed), "pass", "error" (a call failed)."""
    if outcome not in OUTCOMES:
        raise EvalcoreError(f"unknown outcome '{outcome}'.", hint=f"Use one of: {', '.join(OUTCOMES)}.")
    keep = pd.Series(True, index=table.index)
    if tag:
        keep &= table["tags"].map(lambda ts: tag in ts)
    if candidates:
        keep &= table["candidate"].isin(candidates)
    if outcome == "fail":
        keep &= ~table["passed"]
    elif outcome == "pass":
        keep &= table["passed"]
    elif outcome == "error":
        keep &= table["error_kind"].notna()
    if error_kind:
        keep &= table["error_kind"] == error_kind
    return table[keep]


def disagreements(table: pd.DataFrame, *, limit: int = 20) -> pd.DataFrame:
    """Examples where the candidates' scores spread most (max - min of per-candidate means), with the best
    and worst candidate and how many candidates passed; only examples with a spread above 0 (where every candidate
    scored the same they do not disagree). Ties in spread: more failing candidates first.
    `best_tied` / `worst_tied` count the candidates at the best / worst value (the named one included): with nine
    at 0.000, naming one as "worst" singled it out; `best_names` / `worst_names` list them, the named one first
    (two tied are both named, `formatting.tied`)."""
    columns = ["example_id", "spread", "best", "best_value", "best_tied", "best_names", "worst", "worst_value",
               "worst_tied", "worst_names", "passed", "candidates", "tags"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    # Vectorised per example (a loop over groups took ~1 s at 500 examples x 10 candidates): the first row with
    # the highest and the lowest value, as idxmax/idxmin pick them; examples in order of first appearance.
    t = table.reset_index(drop=True)
    g = t.groupby("example_id", sort=False)
    hi, lo = t.loc[g["value"].idxmax().to_numpy()], t.loc[g["value"].idxmin().to_numpy()]
    first = t.drop_duplicates("example_id")
    hi_v, lo_v = hi["value"].to_numpy(dtype=float), lo["value"].to_numpy(dtype=float)
    value = t["value"].to_numpy(dtype=float)
    at_hi = pd.Series(np.abs(value - g["value"].transform("max").to_numpy(dtype=float)) <= _TIE_TOL)
    at_lo = pd.Series(np.abs(value - g["value"].transform("min").to_numpy(dtype=float)) <= _TIE_TOL)
    ids = first["example_id"].tolist()
    best_names, worst_names = _tied_names(t, at_hi, ids, hi["candidate"]), _tied_names(t, at_lo, ids, lo["candidate"])
    out = pd.DataFrame({"example_id": ids, "spread": (hi_v - lo_v).tolist(),
                        "best": hi["candidate"].tolist(), "best_value": hi_v.tolist(),
                        "best_tied": [len(n) for n in best_names], "best_names": best_names,
                        "worst": lo["candidate"].tolist(), "worst_value": lo_v.tolist(),
                        "worst_tied": [len(n) for n in worst_names], "worst_names": worst_names,
                        "passed": g["passed"].sum().astype(int).tolist(), "candidates": g.size().tolist(),
                        "tags": first["tags"].tolist()}, columns=columns)
    # only where they do disagree: examples every candidate scored the same (gap 0) were listed as disagreements
    out = out[out["spread"] > _TIE_TOL]
    return out.sort_values(["spread", "passed", "example_id"], ascending=[False, True, True]).head(limit)


def _tied_names(t: pd.DataFrame, at: pd.Series, ids: list[Any], named: pd.Series) -> list[list[str]]:
    """Per example of `ids`, the candidates flagged by `at`, its `named` one first (their count is the tie's size)."""
    rows = t.loc[at.to_numpy()]
    found = rows["candidate"].groupby(rows["example_id"], sort=False).agg(list)
    return [[name, *(c for c in found.get(i, []) if c != name)] for i, name in zip(ids, named.tolist(), strict=True)]


def hardest_examples(table: pd.DataFrame, *, limit: int = 5) -> pd.DataFrame:
    """The examples the candidates did worst on, over `example_table`: those some candidate failed, lowest mean
    over candidates first, then fewest passing, then example id (a stable order). Columns: example_id, mean,
    passed, candidates, errors, tags."""
    columns = ["example_id", "mean", "passed", "candidates", "errors", "tags"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    g = table.groupby("example_id", sort=True).agg(
        mean=("value", "mean"), passed=("passed", "sum"), candidates=("candidate", "count"),
        errors=("error_kind", "count"), tags=("tags", "first")).reset_index()
    g = g[g["passed"] < g["candidates"]]
    return g.sort_values(["mean", "passed", "example_id"]).head(limit)[columns].reset_index(drop=True)


@dataclass
class HeadToHead:
    """Per example, A against B on the examples both have: wins, losses and ties (|difference| <= tol)."""

    a: str
    b: str
    wins: int
    losses: int
    ties: int
    rows: pd.DataFrame  # example_id, tags, a, b, diff (a - b), outcome; largest |diff| first

    @property
    def text(self) -> str:
        n = self.wins + self.losses + self.ties
        return (f"On {n} shared examples {self.a} scores higher on {self.wins}, lower on {self.losses}, "
                f"the same on {self.ties}.")


_TIE_TOL = 1e-9


def head_to_head(table: pd.DataFrame, a: str, b: str) -> HeadToHead:
    """A vs B per example (means over repeats), the examples where they differ most first."""
    if a == b:
        raise EvalcoreError("a head-to-head needs two different candidates.")
    wide = table[table["candidate"].isin([a, b])].pivot(index="example_id", columns="candidate", values="value")
    for name in (a, b):
        if name not in wide.columns:
            known = sorted(table["candidate"].unique())
            raise EvalcoreError(f"no scored results for candidate '{name}'.{did_you_mean(name, known)}",
                                hint=f"Candidates: {', '.join(known)}.")
    wide = wide.dropna()
    tags = table.drop_duplicates("example_id").set_index("example_id")["tags"]
    d = wide[a] - wide[b]
    outcome = np.where(d > _TIE_TOL, f"{a} better", np.where(d < -_TIE_TOL, f"{b} better", "same"))
    rows = pd.DataFrame({"example_id": wide.index, "tags": tags.reindex(wide.index).to_numpy(),
                         "a": wide[a].to_numpy(), "b": wide[b].to_numpy(), "diff": d.to_numpy(),
                         "outcome": outcome})
    rows = rows.assign(_abs=rows["diff"].abs()).sort_values(["_abs", "example_id"], ascending=[False, True])
    return HeadToHead(a, b, int((d > _TIE_TOL).sum()), int((d < -_TIE_TOL).sum()), int((d.abs() <= _TIE_TOL).sum()),
                      rows.drop(columns="_abs").reset_index(drop=True))


def pareto_frontier(rows: pd.DataFrame, *, quality: str = "mean", cost: str = "cost_per_example_usd") -> list[str]:
    """Candidates no other beats on both quality and cost (at least as good on both, better on one), cheapest
    first. Candidates without a known price or score are left out: they cannot be placed."""
    known = rows.dropna(subset=[quality, cost]).sort_values([cost, quality], ascending=[True, False])
    frontier, best = [], -math.inf
    for r in known.to_dict("records"):
        if r[quality] > best:
            frontier.append(str(r["candidate"]))
            best = r[quality]
    return frontier


def tag_cells(data: ScoreData, *, min_n: int = 10, leave_out: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Per (tag, candidate): mean, interval, n, pass rate and the small-tag flag, as `analysis.tag_rows` gives
    them, from scores already read; `leave_out`: candidates the leaderboard does not rank (every call failed)."""
    out = []
    gone = set(leave_out)
    scores = data.scores[~data.scores["candidate"].isin(gone)] if gone else data.scores
    for t in stats.by_tag(scores, min_n=min_n):
        pr = t.pass_rate
        out.append({"tag": t.tag, "candidate": t.candidate, "mean": t.mean.estimate, "low": t.mean.low,
                    "high": t.mean.high, "n": t.n, "pass_rate": pr.estimate if pr else None,
                    "flag": f"too small (n < {min_n})" if t.too_small else "", "note": t.note})
    out.sort(key=lambda r: (r["tag"], -(r["mean"] or 0)))
    return out


# -- one example in full ----------------------------------------------------------------------------------------


def _pretty(text: str) -> str:
    """JSON re-indented so a diff shows fields, not one long line; other text as it is."""
    raw = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", raw, re.S)
    try:
        return json.dumps(json.loads(fenced.group(1) if fenced else raw), indent=2, ensure_ascii=False,
                          sort_keys=True)
    except (ValueError, TypeError):
        return text


def reference_diff(reference: Any, output: Any) -> str:
    """A unified diff of the output against the reference (both JSON re-indented when they parse), as
    text; "" when there is no reference; "(identical to the reference)" when they match."""
    ref, out = clean_text(reference), clean_text(output)
    if not ref:
        return ""
    a, b = _pretty(ref).splitlines(), _pretty(out).splitlines()
    if a == b:
        return "(identical to the reference)"
    return "\n".join(difflib.unified_diff(a, b, "reference", "output", lineterm="", n=1))


def _str(v: Any) -> str | None:
    """A text cell, or None for SQL NULL (which pandas hands over as None or NaN)."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def example_detail(workspace: str | Path | Queries | None, suite: str, example_id: str,
                   order: list[str] | None = None, runs: dict[str, str] | None = None) -> dict[str, Any]:
    """One example: input, reference, tags, and per candidate (in `order`, e.g. the leaderboard's, others
    after) its repeats, each with output (clean text), diff against the reference, scores (value, passed,
    detail), latency, cost and error. `runs` ({candidate: run_id}, e.g. the leaderboard's) reads only those
    runs' files; without it each candidate's latest run is found by a scan. Raises EvalcoreError for an
    unknown example."""
    q = _queries(workspace)
    latest = q.example(suite, example_id)
    if latest is None:
        known = [str(e) for e in q.examples(suite)["example_id"]]
        raise EvalcoreError(f"suite '{suite}' has no example '{example_id}'.{did_you_mean(example_id, known)}",
                            hint=f"`evalcore show --suite {suite} --failing` lists the failing ones.")
    if runs:
        outputs, scores = q.runs_example(suite, example_id, runs)
    else:
        outputs, scores = q.example_outputs(suite, example_id), q.example_scores(suite, example_id)
    # the example as the newest run shown saw it (run ids sort by time; suite versions are hashes): the input and
    # reference of an older version were printed beside outputs made for the new one
    newest = outputs.sort_values("run_id")["suite_version"].iloc[-1] if len(outputs) else None
    ex = (q.example(suite, example_id, newest) if newest is not None else None) or latest
    by_key: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for s in scores.to_dict("records"):
        detail = s["detail"]
        try:
            parsed = json.loads(detail) if isinstance(detail, str) else detail
        except ValueError:
            parsed = detail
        by_key.setdefault((s["candidate"], int(s["repeat"])), []).append(
            {"scorer": s["scorer"], "value": _num(s["value"]), "passed": None if pd.isna(s["passed"]) else
             bool(s["passed"]), "detail": parsed})
    rank = {c: i for i, c in enumerate(order or [])}
    cands: dict[str, dict[str, Any]] = {}
    for r in outputs.to_dict("records"):
        c = cands.setdefault(r["candidate"], {"candidate": r["candidate"], "model": r["model"],
                                              "family": r["family"], "run_id": r["run_id"], "repeats": [],
                                              "other_version": r["suite_version"] != ex["suite_version"]})
        text = clean_text(r["output"])
        c["repeats"].append({
            "repeat": int(r["repeat"]), "output": text, "diff": reference_diff(ex["expected"], text),
            "error_kind": _str(r["error_kind"]), "error": clean_text(r["error"]) or None,
            "latency_ms": _num(r["latency_ms"]), "cost_usd": _num(r["cost_usd"]), "cached": bool(r["cached"]),
            "scores": by_key.get((r["candidate"], int(r["repeat"])), []),
        })
    ordered = sorted(cands.values(), key=lambda c: (rank.get(c["candidate"], len(rank)), c["candidate"]))
    for c in ordered:
        outs = {rep["output"] for rep in c["repeats"]}
        c["distinct_outputs"] = len(outs)
    return {"example_id": example_id, "input": clean_text(ex["input"]), "expected": clean_text(ex["expected"]),
            "tags": _tags(ex["tags"]), "suite_version": ex["suite_version"], "candidates": ordered}


# -- trends -------------------------------------------------------------------------------------------------------


def _interval_rows(df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Per group of `keys`: the clustered mean interval of the per-example values in `df`. When every group holds
    one value per example and the same number of them (a trend over the examples every point shares), all groups
    go through one vectorised `mean_rows` call, which is what `clustered_mean_interval` computes for each: 2,000
    runs x candidates took ~2.3 s one by one."""
    fast = _interval_rows_at_once(df, keys)
    return fast if fast is not None else _interval_rows_one_by_one(df, keys)


def _interval_rows_one_by_one(df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for key, g in df.groupby(keys, sort=False, dropna=False):
        iv = stats.clustered_mean_interval(g["value"].to_numpy(dtype=float), g["example_id"].to_numpy())
        out.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                    "mean": iv.estimate, "low": iv.low, "high": iv.high, "n": iv.n})
    return out


def _interval_rows_at_once(df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]] | None:
    """`_interval_rows` in one call, or None when its shape does not allow it (then the loop runs, and says
    what is wrong with bad values)."""
    grouped = df.groupby(keys, sort=False, dropna=False)
    codes = grouped.ngroup().to_numpy()
    keep = codes >= 0  # every row: a candidate without a family or release is still a point (dropna=False)
    values = df["value"].to_numpy(dtype=float)[keep]
    sizes = grouped.size()
    if not len(sizes) or sizes.nunique() != 1 or int(sizes.iloc[0]) < 2:
        return None
    if not np.isfinite(values).all() or (values < 0).any() or (values > 1).any():
        return None
    if (grouped["example_id"].nunique().to_numpy() != sizes.to_numpy()).any():
        return None  # repeats of an example inside a group: the clustered path averages them first
    n = int(sizes.iloc[0])
    matrix = values[np.argsort(codes[keep], kind="stable")].reshape(len(sizes), n)
    est, low, high, _const = mean_rows(matrix, 0.0, 1.0, 0.95)
    labels = [key if isinstance(key, tuple) else (key,) for key in sizes.index]
    return [{**dict(zip(keys, key, strict=True)), "mean": float(e), "low": float(lo), "high": float(hi), "n": n}
            for key, e, lo, hi in zip(labels, est, low, high, strict=True)]


def trend(workspace: str | Path | Queries | None, suite: str, scorer: str | None = None, *,
          tag: str | None = None, x: str = "release", data: ScoreData | None = None) -> dict[str, Any]:
    """Quality per family over time: {"rows", "basis", "x"}.

    `x="release"`: one point per candidate (its latest run), at its release date. `x="run"`: one point per
    run and candidate, at the run's start. Only comparable numbers are drawn: when the runs used different
    suite versions (examples, prompt or scorers changed), every point is computed over the examples all of
    them share, and `basis` says so; with none shared it raises. `tag` keeps the examples with that tag.
    """
    if x not in ("release", "run"):
        raise EvalcoreError(f"unknown trend axis '{x}'.", hint="Use 'release' or 'run'.")
    q = _queries(workspace)
    data = data if data is not None else score_data(q, suite, scorer)
    if x == "release":
        df = data.scores
        if tag:
            df = df[df["tags"].map(lambda ts: tag in _tags(ts))]
        summary = q.candidate_summary(suite).set_index("candidate")
        df = df.groupby(["candidate", "example_id"], as_index=False)["value"].mean()
        df["family"] = df["candidate"].map(summary["family"])
        df["release"] = df["candidate"].map(summary["release"])
        df["suite_version"] = df["candidate"].map(summary["suite_version"])
        keys = ["candidate", "family", "release"]
    else:
        df = q.run_example_means(suite, data.scorer)
        df["started"] = df.groupby("run_id")["started"].transform("min")
        if tag:
            tagged = {e for e, ts in data.scores.drop_duplicates("example_id")[["example_id", "tags"]]
                      .itertuples(index=False) if tag in _tags(ts)}
            df = df[df["example_id"].isin(tagged)]
        keys = ["run_id", "candidate", "family", "release", "started"]
    if df.empty:
        raise EvalcoreError(f"no scored examples{f' tagged {tag!r}' if tag else ''} in suite '{suite}'.")
    versions = sorted(v for v in df["suite_version"].dropna().unique())
    # The examples every point has: those present in all groups (counted, not intersected as Python sets: at 200
    # runs x 10 candidates x 500 examples the sets took ~1 s).
    point = keys[:2] if x == "run" else ["candidate"]
    present = df.drop_duplicates([*point, "example_id"]).dropna(subset=point)
    n_points = present.groupby(point).ngroups
    per_example = present.groupby("example_id").size()
    shared = frozenset(per_example.index[per_example == n_points])
    n_all = df["example_id"].nunique()
    where = f" tagged '{tag}'" if tag else ""
    if len(versions) > 1 or len(shared) < n_all:
        if not shared:
            raise EvalcoreError(f"the runs of suite '{suite}' share no examples{where}: nothing is comparable.",
                                hint="Rerun every candidate on the current suite version.")
        df = df[df["example_id"].isin(shared)]
        basis = (f"over the {len(shared)} examples{where} every point shares "
                 f"({len(versions)} suite versions)" if len(versions) > 1 else
                 f"over the {len(shared)} examples{where} every point shares")
    else:
        basis = f"over all {fmt.count(n_all, 'example')}{where} (one suite version)"
    rows = pd.DataFrame(_interval_rows(df, keys))
    if "release" in rows:
        rows["release"] = pd.to_datetime(rows["release"], errors="coerce")
    if "started" in rows:
        rows["started"] = pd.to_datetime(rows["started"], utc=True).dt.tz_localize(None)
    rows["family"] = rows["family"].fillna("(no family)")
    sort = ["family", "release" if x == "release" else "started", "candidate"]
    return {"rows": rows.sort_values(sort).reset_index(drop=True), "basis": basis, "x": x,
            "scorer": data.scorer, "n": len(shared) if shared else n_all}


HUMAN_MEASURES = {"rating": "mean human rating (1-5)", "ok": "\"ok to show\" rate"}


def human_trend(workspace: str | Path | Queries | None, suite: str, *, measure: str = "rating",
                tag: str | None = None, x: str = "release", min_items: int | None = None) -> dict[str, Any]:
    """People's verdict per family over time, beside `trend`: {"rows", "basis", "x", "measure", "labeled"}.

    `measure`: "rating" (mean 1-5) or "ok" ("ok to show" rate). `x="release"`: one point per candidate (its latest
    run) at its release date; `x="run"`: one point per run and candidate with labels, at the run's start (a label
    carries over to the same output in every run). Each point is computed over its own labeled examples (people
    rarely label the same examples for every candidate, so points are not paired; `basis` says so), with its 95%
    interval and n; `enough` is False under `min_items` labeled examples. No labels: empty rows, `basis` says so.
    """
    from evalcore import labels
    from evalcore.stats.human import people_intervals

    if measure not in HUMAN_MEASURES:
        raise EvalcoreError(f"unknown human measure '{measure}'.", hint="Use 'rating' or 'ok'.")
    if x not in ("release", "run"):
        raise EvalcoreError(f"unknown trend axis '{x}'.", hint="Use 'release' or 'run'.")
    q = _queries(workspace)
    need = labels.MIN_ITEMS if min_items is None else min_items
    table = labels.human_table(q, suite, every_run=x == "run")
    table = table[table[measure].notna()]
    where = f" tagged '{tag}'" if tag else ""
    if tag and len(table):
        ex = q.examples(suite)
        tagged = {e for e, ts in zip(ex["example_id"], ex["tags"], strict=True) if tag in _tags(ts)}
        table = table[table["example_id"].isin(tagged)]
    columns = ["family", "candidate", "release", "mean", "low", "high", "n", "enough"]
    if x == "run":
        columns[2:2] = ["run_id", "started"]
    if table.empty:
        return {"rows": pd.DataFrame(columns=columns), "x": x, "measure": measure, "labeled": 0,
                "basis": f"no outputs{where} labeled by people yet"}
    keys = ["run_id", "candidate"] if x == "run" else ["candidate"]
    if x == "run":
        meta = q.run_candidate_meta(suite)
        meta["started"] = meta.groupby("run_id")["started"].transform("min")
    else:
        meta = q.candidate_summary(suite)[["candidate", "family", "release"]]
    out = []
    for key, g in table.groupby(keys, sort=True):
        vals = g[measure].to_numpy(dtype=float)
        r_iv, ok_iv = people_intervals(vals if measure == "rating" else np.array([]),
                                       vals if measure == "ok" else np.array([]))
        iv = r_iv if measure == "rating" else ok_iv
        out.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                    "mean": iv.estimate, "low": iv.low, "high": iv.high, "n": iv.n, "enough": iv.n >= need})
    rows = pd.DataFrame(out).merge(meta, on=keys, how="left")
    rows["family"] = rows["family"].fillna("(no family)")
    rows["release"] = pd.to_datetime(rows["release"], errors="coerce")
    if "started" in rows:
        rows["started"] = pd.to_datetime(rows["started"], utc=True).dt.tz_localize(None)
    sort = ["family", "release" if x == "release" else "started", "candidate"]
    labeled = int(len(table[["candidate", "example_id"]].drop_duplicates()))
    basis = (f"over each point's own labeled examples{where} ({fmt.count(labeled, 'labeled output')} of "
             f"{fmt.count(rows['candidate'].nunique(), 'candidate')}; not paired: people label different examples "
             "for different candidates)")
    return {"rows": rows.sort_values(sort).reset_index(drop=True)[columns], "basis": basis, "x": x,
            "measure": measure, "labeled": labeled}


# -- what changed since the previous run ------------------------------------------------------------------------


@dataclass
class Change:
    candidate: str
    before: float | None
    after: float | None
    diff: float | None
    low: float | None
    high: float | None
    n: int
    significant: bool  # the paired interval excludes 0

    @property
    def regression(self) -> bool:
        return self.significant and (self.diff or 0) < 0


@dataclass
class Changes:
    """The suite's newest run against the run before it (per candidate: that candidate's previous run)."""

    run_id: str | None
    previous_run_id: str | None
    new_candidates: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # Returning candidates whose two runs share fewer than 2 scored examples (the dataset changed): (candidate,
    # shared). Left unsaid they read as "nothing moved" when nothing could be measured.
    unpaired: list[tuple[str, int]] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.regression]


def unpaired_sentence(unpaired: list[tuple[str, int]]) -> str:
    """Say which returning candidates cannot be compared with their previous run, and why; "" when none."""
    if not unpaired:
        return ""
    names = fmt.names([c for c, _ in unpaired], limit=6)
    shared = sorted({n for _, n in unpaired})
    said = fmt.count(shared[0], "example") if len(shared) == 1 else "under 2 examples"
    return (f"Not comparable with the previous run: {names} ({said} scored in both runs; the suite's examples "
            "changed). Rerun the previous candidates on the current examples to see what moved.")


def changes_since_previous_run(workspace: str | Path | Queries | None, suite: str,
                               scorer: str | None = None, *, scorer_name: str | None = None) -> Changes:
    """New candidates in the newest run, and each returning candidate's score before and after, paired on
    the examples both runs scored (a regression is a paired drop whose 95% interval excludes 0)."""
    q = _queries(workspace)
    name = scorer_name or score_data(q, suite, scorer).scorer
    held = q.run_candidates(suite)  # small: one row per (run, candidate), so only two runs' scores are read
    if held.empty:
        return Changes(None, None)
    latest = str(held["run_id"].max())
    older_runs = held[held["run_id"] < latest]
    previous = {c: str(g["run_id"].max()) for c, g in older_runs.groupby("candidate")}
    wanted = sorted({latest, *previous.values()})
    means = q.run_example_means(suite, name, run_ids=wanted)
    now = means[means["run_id"] == latest]
    older = means[means["run_id"] < latest]
    out = Changes(latest, str(older_runs["run_id"].max()) if not older_runs.empty else None)
    out.new_candidates = sorted(str(c) for c in now["candidate"].unique() if c not in previous)
    # each candidate's newest scores beside its previous run's, in one join (a merge per candidate cost 14 ms each)
    prev_of = pd.DataFrame({"candidate": list(previous), "run_id": list(previous.values())}, dtype=object)
    prev = older.merge(prev_of, on=["candidate", "run_id"])
    paired = now.merge(prev[["candidate", "example_id", "value"]], on=["candidate", "example_id"],
                       suffixes=("", "_before"))
    counts = paired.groupby("candidate").size()
    for cand in sorted(set(now["candidate"].astype(str)) & set(previous)):
        if int(counts.get(cand, 0)) < 2:
            out.unpaired.append((cand, int(counts.get(cand, 0))))
    paired = paired[paired["candidate"].map(counts) >= 2]
    for cand, both in paired.groupby("candidate", sort=True):
        res = stats.paired_difference(both["value"].to_numpy(float), both["value_before"].to_numpy(float))
        est, low, high = res.diff.estimate, res.diff.low, res.diff.high
        sig = res.significant
        out.changes.append(Change(str(cand), float(both["value_before"].mean()), float(both["value"].mean()),
                                  est, low, high, len(both), bool(sig)))
    out.changes.sort(key=lambda c: (c.diff or 0))
    return out
