"""Public benchmark scores beside your own: import them (with their source), and compare the rankings.

The seed's thesis is that a model ahead on a public table can be behind on your task. `rank_comparison`
is pure: it takes your per-candidate results and the public scores and lists where the two orders disagree,
saying whether your side of each flip is statistically significant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.errors import IngestError, Problem
from evalcore.formatting import count

REQUIRED = ("benchmark", "score", "source")
# The largest score on the points scale: Elo ratings are in the thousands, totals in the hundreds. A bigger
# number (1e308) is a broken export, and it would make every other candidate's rank look the same.
MAX_POINTS = 1_000_000
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,234.5; a comma anywhere else is ambiguous


def read_public_csv(path: str | Path, *, encoding: str | None = None) -> list[dict[str, Any]]:
    """Validate a public-scores file: model (or candidate), benchmark, score (a number), source (required).

    Read like examples are (evalcore.ingest.read_table: CSV with any common delimiter, JSONL or Parquet,
    encodings, row-precise errors). Each benchmark's scores must be on one scale: fractions (0.35),
    percentages ("40.2%", or plain numbers up to 100 beside them) or points (Elo 1,234.5); a mix is
    refused with the rows named, because ranking 0.35 against 40.2 would be silently wrong."""
    from evalcore.ingest import read_table

    name = Path(path).name
    columns, records = read_table(path, expect="benchmark", encoding=encoding, display_name=name)
    lower = {c.strip().lower(): c for c in reversed(columns)}
    model_col = lower.get("model") or lower.get("candidate")
    missing = [c for c in REQUIRED if c not in lower] + ([] if model_col else ["model (or candidate)"])
    if missing:
        found = ", ".join(c.strip().lower() for c in columns) or "(none)"
        raise IngestError(f"missing column(s): {', '.join(missing)}; found: {found}.",
                          file=name, column=missing[0],
                          hint="Columns: model (or candidate), benchmark, score, source. The source (a URL or "
                               "citation) is required so every number can be traced.")
    shown_model = (model_col or "").strip().lower()
    rows, problems = [], []
    seen: dict[tuple[str, str], int] = {}
    scales: dict[str, dict[str, list[int]]] = {}
    for i, rec in records:
        def cell(key: str) -> str:
            value = rec.get(lower[key]) if key in lower else rec.get(model_col)  # type: ignore[arg-type]
            return "" if value is None else str(value).strip()

        model = cell("model") if "model" in lower else cell("candidate")
        bench, source = cell("benchmark"), cell("source")
        raw_score = rec.get(lower["score"])
        score_text = "" if raw_score is None else str(raw_score).strip()
        if not model:
            problems.append(Problem("empty model name.", i, shown_model))
        if not bench:
            problems.append(Problem("empty benchmark name.", i, "benchmark"))
        if not source:
            problems.append(Problem("empty source: give a URL or citation for this score.", i, "source"))
        percent = score_text.endswith("%")
        number = score_text.rstrip("%").strip()
        try:
            if "," in number and not _THOUSANDS.fullmatch(number):
                raise ValueError  # a decimal comma: '85,5' must not become 855
            score = float(number.replace(",", ""))
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            comma = " (write decimals with a dot, e.g. 85.5)" if "," in number else ""
            problems.append(Problem(f"score {score_text!r} is not a number{comma}.", i, "score"))
            continue
        if score < 0 or score > (100 if percent else MAX_POINTS):
            problems.append(Problem(
                f"score {score_text!r} is out of range: a public score is a fraction 0-1, a percentage 0-100% or "
                f"points from 0 to {MAX_POINTS:,} (an Elo rating, a total). Is it a typo, or a difference "
                "between two scores?", i, "score"))
            continue
        key = (model.lower(), bench.lower())
        if key in seen:
            problems.append(Problem(f"'{model}' on '{bench}' is also on row {seen[key]}; keep one.", i, "benchmark"))
        seen[key] = i
        scale = "percent" if percent else "fraction" if 0 <= score <= 1 else "points"
        scales.setdefault(bench, {}).setdefault(scale, []).append(i)
        rows.append({"model": model, "benchmark": bench, "score": score, "source": source})
    for bench, kinds in scales.items():
        problem = _mixed_scales(bench, kinds, [r["score"] for r in rows if r["benchmark"] == bench])
        if problem:
            problems.append(problem)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        first = problems[0]
        raise IngestError(first.message, file=name, row=first.row, column=first.column, problems=problems,
                          hint="Fix the rows; nothing was imported.")
    if not rows:
        raise IngestError("no rows.", file=name)
    return rows


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    return f"row{'s' if len(rows) != 1 else ''} {shown}"


def _mixed_scales(bench: str, kinds: dict[str, list[int]], scores: list[float]) -> Problem | None:
    """One benchmark, one scale. Plain numbers up to 100 beside percentages are read as percentages."""
    if "percent" in kinds and "points" in kinds and max(scores) <= 100:
        kinds = {"percent": sorted(kinds["percent"] + kinds["points"]),
                 **{k: v for k, v in kinds.items() if k not in ("percent", "points")}}
    if len(kinds) < 2:
        return None
    words = {"percent": "percentages", "fraction": "fractions between 0 and 1", "points": "numbers above 1"}
    parts = [f"{_rows_text(r)} give {words[k]}" for k, r in sorted(kinds.items(), key=lambda kv: kv[1][0])]
    later = sorted(kinds.values(), key=lambda r: r[0])[1]
    return Problem(f"'{bench}' mixes scales: {'; '.join(parts)}. Write every '{bench}' score on one scale "
                   "(e.g. all as percentages).", later[0], "score")


@dataclass(frozen=True)
class ImportReport:
    """What `import_public` stored, and the public names that match nothing this workspace has run."""

    rows: int
    benchmarks: list[str]
    unmatched_models: list[str]

    def lines(self, file: str) -> list[str]:
        out = [f"Imported {self.rows} public score{'s' if self.rows != 1 else ''} "
               f"({', '.join(self.benchmarks)}) from {file}."]
        if self.unmatched_models:
            n = len(self.unmatched_models)
            out.append(f"Note: {count(n, 'model name')} match{'es' if n == 1 else ''} no candidate or model string in "
                       f"this workspace's runs yet: {', '.join(self.unmatched_models[:10])}"
                       f"{' ...' if len(self.unmatched_models) > 10 else ''}. They are compared once a candidate "
                       "with that name (or litellm model string, with or without its provider prefix) has run.")
        return out


def import_public(workspace: str | Path | None, path: str | Path, *, encoding: str | None = None) -> ImportReport:
    """Validate then store public scores in the workspace (a new file; the newest score per pair wins)."""
    from evalcore.queries import Queries
    from evalcore.store import SCHEMA_VERSION, Workspace, utcnow

    rows = read_public_csv(path, encoding=encoding)
    ws = Workspace(workspace)
    known: dict[str, str] = {}
    if ws.has_files("results"):
        q = Queries(ws)
        try:
            known = q.known_candidates()
        finally:
            q.close()
    names = sorted({r["model"] for r in rows})
    keys = {k.lower() for name, model in known.items() for k in (name, model, model.split("/", 1)[-1]) if k}
    now = utcnow()
    ws.write_public([{**r, "imported_at": now, "schema_version": SCHEMA_VERSION} for r in rows])
    return ImportReport(len(rows), sorted({r["benchmark"] for r in rows}), [n for n in names if n.lower() not in keys])


@dataclass(frozen=True)
class RankRow:
    candidate: str
    benchmark: str
    public_score: float
    public_rank: int
    task_mean: float
    task_rank: int
    shift: int  # public rank - task rank: positive = better on your task than the public table says
    source: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Flip:
    benchmark: str
    public_winner: str  # ranked higher publicly...
    task_winner: str  # ...but this one is ahead on your task
    public_gap: float
    task_gap: float
    significant: bool  # whether your task's difference is statistically significant

    def text(self, *, named: bool = True) -> str:
        """One sentence; `named=False` leaves out the benchmark's name, for a view that already shows it."""
        sure = "significant" if self.significant else "not significant on your data"
        # each gap says its scale: a public score (+7.2 on IFEval) beside a mean score (+0.315) read as one unit
        return (f"{self.benchmark + ': ' if named else ''}{self.public_winner} is ahead publicly "
                f"(+{self.public_gap:.3g} on {self.benchmark}), but {self.task_winner} is ahead on your task "
                f"(+{self.task_gap:.3f} mean score, {sure}).")


@dataclass
class PublicComparison:
    rows: list[dict[str, Any]]
    flips: list[Flip] = field(default_factory=list)
    correlations: dict[str, float | None] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # candidates with both scores, per benchmark

    @property
    def lines(self) -> list[str]:
        out = []
        for bench, rho in self.correlations.items():
            if rho is not None:
                agree = f"{rho:+.2f}"
            elif self.sizes.get(bench, 0) < 3:
                agree = f"n/a (needs 3 or more candidates with both scores; {self.sizes.get(bench, 0)} have)"
            else:
                agree = "undefined (every candidate has the same score on one side)"
            out.append(f"{bench}: rank correlation with your task (Spearman) {agree}.")
        sig = [f for f in self.flips if f.significant]
        out.append(f"{len(self.flips)} rank flip{'s' if len(self.flips) != 1 else ''}, {len(sig)} of them "
                   "significant on your data.")
        out += [f"  - {f.text()}" for f in self.flips]
        if self.unmatched:
            out.append(f"Candidates without public scores: {', '.join(self.unmatched)}.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "flips": [f.__dict__ | {"text": f.text()} for f in self.flips],
                "correlations": self.correlations, "unmatched": self.unmatched}


def match_candidates(candidates: dict[str, str], public_models: list[str]) -> dict[str, str]:
    """candidate name -> public model name: by candidate name, by litellm model string, or by the model
    string without its provider prefix ('openai/gpt-4o' matches 'gpt-4o')."""
    lower = {m.lower(): m for m in public_models}
    out = {}
    for name, model in candidates.items():
        for key in (name, model, model.split("/", 1)[-1]):
            if key and key.lower() in lower:
                out[name] = lower[key.lower()]
                break
    return out


def _ranks(values: dict[str, float]) -> dict[str, int]:
    """Competition ranks, 1 = best (highest); equal values share a rank."""
    ordered = sorted(values.values(), reverse=True)
    return {k: 1 + ordered.index(v) for k, v in values.items()}


def _spearman(a: list[float], b: list[float]) -> float | None:
    """None with fewer than 3 pairs or when one side is constant (the correlation is undefined, and scipy
    would warn on the terminal)."""
    if len(a) < 3 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    from scipy.stats import spearmanr

    rho = spearmanr(a, b).statistic
    return None if rho is None or not math.isfinite(rho) else float(rho)


def rank_comparison(task_means: dict[str, float], significantly_better: dict[str, set[str]],
                    candidates: dict[str, str], public: list[dict[str, Any]],
                    benchmark: str | None = None) -> PublicComparison:
    """Compare your ranking (means, and which candidate is significantly better than which) with each
    public benchmark's ranking over the candidates that have both."""
    public = [r for r in public if benchmark is None or r["benchmark"] == benchmark]
    result = PublicComparison(rows=[])
    matched_any: set[str] = set()
    for bench in sorted({r["benchmark"] for r in public}):
        scores = {r["model"]: (float(r["score"]), r["source"]) for r in public if r["benchmark"] == bench}
        # Matched per benchmark: one table may name a model 'openai/gpt-4o-mini', another 'gpt-4o-mini'.
        mapping = match_candidates(candidates, sorted(scores))
        cands = [c for c in task_means if c in mapping]
        matched_any.update(cands)
        result.sizes[bench] = len(cands)
        if not cands:
            continue
        pub = {c: scores[mapping[c]][0] for c in cands}
        mine = {c: task_means[c] for c in cands}
        prank, trank = _ranks(pub), _ranks(mine)
        for c in sorted(cands, key=lambda c: trank[c]):
            result.rows.append(RankRow(c, bench, pub[c], prank[c], round(mine[c], 4), trank[c], prank[c] - trank[c],
                                       scores[mapping[c]][1]).to_dict())
        result.correlations[bench] = _spearman([pub[c] for c in cands], [mine[c] for c in cands])
        for x in cands:
            for y in cands:
                if pub[x] > pub[y] and mine[y] > mine[x]:
                    result.flips.append(Flip(bench, x, y, pub[x] - pub[y], mine[y] - mine[x],
                                             x in significantly_better.get(y, set())))
    result.unmatched = sorted(c for c in task_means if c not in matched_any)
    result.flips.sort(key=lambda f: (not f.significant, -f.task_gap))
    return result
