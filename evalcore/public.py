"""Public benchmark scores beside your own: import them (with their source), and compare the rankings.

The seed's thesis is that a model ahead on a public table can be behind on your task. `rank_comparison`
is pure: it takes your per-candidate results and the public scores and lists where the two orders disagree,
saying whether your side of each flip is statistically significant.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore.errors import IngestError, Problem

REQUIRED = ("benchmark", "score", "source")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,234.5; a comma anywhere else is ambiguous


def read_public_csv(path: str | Path, *, encoding: str | None = None) -> list[dict[str, Any]]:
    """Validate a public-scores CSV: model (or candidate), benchmark, score (a number), source (required)."""
    p = Path(path)
    name = p.name
    if not p.exists():
        raise IngestError("file not found.", file=name)
    raw = p.read_bytes()
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except (UnicodeDecodeError, LookupError) as exc:
        raise IngestError(f"cannot decode the file as {encoding or 'UTF-8'} ({exc}).", file=name,
                          hint="Pass --encoding (e.g. cp1252 or latin-1).") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    model_col = "model" if "model" in header else "candidate" if "candidate" in header else None
    missing = [c for c in REQUIRED if c not in header] + ([] if model_col else ["model (or candidate)"])
    if missing:
        raise IngestError(f"missing column(s): {', '.join(missing)}; found: {', '.join(header) or '(none)'}.",
                          file=name, column=missing[0],
                          hint="Columns: model (or candidate), benchmark, score, source. The source (a URL or "
                               "citation) is required so every number can be traced.")
    rows, problems = [], []
    seen: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(reader, start=1):
        model = (rec.get(model_col) or "").strip()  # type: ignore[arg-type]
        bench = (rec.get("benchmark") or "").strip()
        source = (rec.get("source") or "").strip()
        score_text = (rec.get("score") or "").strip().rstrip("%")
        if not model:
            problems.append(Problem("empty model name.", i, model_col))
        if not bench:
            problems.append(Problem("empty benchmark name.", i, "benchmark"))
        if not source:
            problems.append(Problem("empty source: give a URL or citation for this score.", i, "source"))
        try:
            if "," in score_text and not _THOUSANDS.fullmatch(score_text):
                raise ValueError  # a decimal comma: '85,5' must not become 855
            score = float(score_text.replace(",", ""))
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            comma = " (write decimals with a dot, e.g. 85.5)" if "," in score_text else ""
            problems.append(Problem(f"score {rec.get('score')!r} is not a number{comma}.", i, "score"))
            continue
        key = (model.lower(), bench.lower())
        if key in seen:
            problems.append(Problem(f"'{model}' on '{bench}' is also on row {seen[key]}; keep one.", i, "benchmark"))
        seen[key] = i
        rows.append({"model": model, "benchmark": bench, "score": score, "source": source})
    if problems:
        first = problems[0]
        raise IngestError(first.message, file=name, row=first.row, column=first.column, problems=problems,
                          hint="Fix the rows; nothing was imported.")
    if not rows:
        raise IngestError("no rows.", file=name)
    return rows


def import_public(workspace: str | Path | None, path: str | Path, *, encoding: str | None = None) -> int:
    """Validate then store public scores in the workspace (a new file; the newest score per pair wins)."""
    from evalcore.store import SCHEMA_VERSION, Workspace, utcnow

    rows = read_public_csv(path, encoding=encoding)
    now = utcnow()
    Workspace(workspace).write_public([{**r, "imported_at": now, "schema_version": SCHEMA_VERSION} for r in rows])
    return len(rows)


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

    def text(self) -> str:
        sure = "significant" if self.significant else "not significant on your data"
        return (f"{self.benchmark}: {self.public_winner} is ahead publicly (+{self.public_gap:.3g}), but "
                f"{self.task_winner} is ahead on your task (+{self.task_gap:.3f}, {sure}).")


@dataclass
class PublicComparison:
    rows: list[dict[str, Any]]
    flips: list[Flip] = field(default_factory=list)
    correlations: dict[str, float | None] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        out = []
        for bench, rho in self.correlations.items():
            agree = "n/a (needs 3 or more candidates with both scores)" if rho is None else f"{rho:+.2f}"
            out.append(f"{bench}: rank correlation with your task (Spearman) {agree}.")
        sig = [f for f in self.flips if f.significant]
        out.append(f"{len(self.flips)} rank flip(s), {len(sig)} of them significant on your data.")
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
    if len(a) < 3:
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
    mapping = match_candidates(candidates, sorted({r["model"] for r in public}))
    result = PublicComparison(rows=[], unmatched=sorted(c for c in task_means if c not in mapping))
    for bench in sorted({r["benchmark"] for r in public}):
        scores = {r["model"]: (float(r["score"]), r["source"]) for r in public if r["benchmark"] == bench}
        cands = [c for c in task_means if c in mapping and mapping[c] in scores]
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
    result.flips.sort(key=lambda f: (not f.significant, -f.task_gap))
    return result
