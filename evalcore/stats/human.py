"""The people's verdict, for the recommendation: per candidate the mean 1-5 rating and the "ok to show" rate,
and which candidates people rate credibly worse than another.

Input is one row per (candidate, example): the people's mean rating on that example's output (several reviewers
or repeats already averaged) and the share of "ok to show" answers, either possibly missing. Pure functions, no
store access: `evalcore.labels.human_table` builds the table, `evalcore.analysis` hands it to the
recommendation.

The rules, chosen so a veto is earned:

- A candidate is **weighed** only with at least `min_items` labeled examples; with fewer than two weighed
  candidates the people's ratings are not weighed at all, and `note` says how many are labeled.
- Candidate c is **credibly worse** than d on a measure (rating 1-5, or "ok to show") when a one-sided test of
  "c below d" rejects at alpha / (2 (k - 1)): Bonferroni over c's k - 1 comparisons (as the leaderboard's
  "could be best") and over the two measures. c is then never recommended.
- The comparison is **paired** on the examples both have labels for when there are at least `min_items` of
  them (`stats.paired_difference`: exact sign test for single-reviewer yes/no, i.e. McNemar); otherwise it is
  **unpaired** (each candidate's own labeled examples: Newcombe's hybrid score interval and a pooled score test
  for yes/no, Welch's t for ratings and split yes/no votes), and the gap's text says it is not paired and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from evalcore import formatting as fmt
from evalcore.stats._core import StatsInputError, ToDict, check_alpha, check_count
from evalcore.stats.intervals import Interval, mean_interval, proportion_interval
from evalcore.stats.paired import paired_difference
from evalcore.stats.table import _ids

if TYPE_CHECKING:
    import pandas as pd

RATING_BOUNDS = (1.0, 5.0)
MEASURES = ("ok", "rating")  # the order gaps are reported in: "ok to show" reads plainest


@dataclass(frozen=True)
class PeopleRow(ToDict):
    """People's verdict on one candidate: mean rating 1-5 and "ok to show" rate with 95% intervals."""

    candidate: str
    rating: Interval
    ok: Interval
    n: int
    """Examples with a human answer on this candidate's output (the unit of the intervals)."""
    examples: int | None
    """Examples this candidate has outputs for, when known."""
    weighed: bool


@dataclass(frozen=True)
class PeopleGap(ToDict):
    """Candidate minus another on one measure, as people rated them; `worse` when credibly below at `level`."""

    candidate: str
    other: str
    measure: str
    value: float
    other_value: float
    diff: float
    low: float
    high: float
    p: float
    """One-sided p of "candidate below other"."""
    paired: bool
    n: int
    """Paired: examples both have labels for. Unpaired: the candidate's labeled examples plus the other's."""
    overlap: int
    worse: bool
    text: str


@dataclass(frozen=True)
class PeopleEvidence(ToDict):
    """What people said, ready for the recommendation: rows per candidate, and the credibly-worse ones."""

    rows: dict[str, PeopleRow]
    weighed: list[str]
    worse: dict[str, PeopleGap]
    """Candidate -> its credible gap below another candidate to report ("ok to show" first, then smallest p)."""
    level: float
    min_items: int
    labeled: int
    """Labeled (candidate, example) pairs over all candidates."""
    note: str = ""
    """Why the ratings were not weighed (empty when they were)."""
    gaps: list[PeopleGap] = field(default_factory=list)

    @property
    def is_weighed(self) -> bool:
        return len(self.weighed) >= 2


def people_intervals(ratings: np.ndarray, oks: np.ndarray) -> tuple[Interval, Interval]:
    """95% intervals of the mean rating (1-5) and the "ok to show" rate (Wilson when every example's answers
    agree, else a bounded mean) from per-example values."""
    r_iv = mean_interval(ratings, bounds=RATING_BOUNDS)
    if oks.size and np.isin(oks, (0.0, 1.0)).all():
        ok_iv = proportion_interval(int(oks.sum()), int(oks.size))
    else:  # reviewers split on some example: a bounded mean
        ok_iv = mean_interval(oks, bounds=(0.0, 1.0))
    return r_iv, ok_iv


def people_rows(table: pd.DataFrame, *, candidates: list[str] | None = None, min_items: int = 10,
                examples: dict[str, int] | None = None) -> dict[str, PeopleRow]:
    """Per candidate (those of `table`, or `candidates` in that order): intervals and n; `weighed` when at least
    `min_items` examples are labeled (a whole number >= 1)."""
    min_items = _check_min_items(min_items)
    _check_table(table)
    names = list(candidates) if candidates is not None else sorted(set(table["candidate"]))
    # one grouping, and the no-label intervals made once: a board of candidates nobody labeled yet (the usual
    # case) cost ~5 ms per candidate in filtering an empty table, twice per Overview
    groups = dict(tuple(table.groupby("candidate", sort=False))) if len(table) else {}
    unlabeled: tuple[Interval, Interval] | None = None
    out = {}
    for c in names:
        g = groups.get(c)
        if g is None:
            unlabeled = unlabeled or people_intervals(np.empty(0), np.empty(0))
            r_iv, ok_iv, n = *unlabeled, 0
        else:
            ratings = g["rating"].dropna().to_numpy(dtype=float)
            oks = g["ok"].dropna().to_numpy(dtype=float)
            n = int((g["rating"].notna() | g["ok"].notna()).sum())
            r_iv, ok_iv = people_intervals(ratings, oks)
        out[c] = PeopleRow(c, r_iv, ok_iv, n, (examples or {}).get(c), n >= min_items)
    return out


def _check_min_items(min_items: object) -> int:
    """-1 weighed every candidate; 'x' and None were raw TypeErrors."""
    return check_count(min_items, "min_items", minimum=1,
                       hint="The labeled examples a candidate needs before people's ratings are weighed, e.g. 10.")


def _check_table(table: pd.DataFrame) -> None:
    import pandas as pd

    missing = [c for c in ("candidate", "example_id", "rating", "ok") if c not in table.columns]
    if missing:
        raise StatsInputError(f"the people's table lacks column(s) {', '.join(missing)}.",
                              hint="One row per (candidate, example): candidate, example_id, rating, ok.")
    for name in ("candidate", "example_id"):  # 0 and '0' were one example in one check and two in the next
        _ids(table[name], name, hint="Every row needs a candidate and an example id, of one type each.")
    for name in ("rating", "ok"):
        col = table[name]
        if not (pd.api.types.is_numeric_dtype(col) or col.isna().all()):
            bad = next((v for v in col if not (v is None or isinstance(v, (int, float, np.number)))), None)
            if bad is not None:
                raise StatsInputError(f"column '{name}' holds {bad!r}, not a number.", column=name,
                                      hint="Convert the column to numbers first (missing answers as NaN).")
        flags = np.fromiter((isinstance(v, (bool, np.bool_)) for v in col.to_numpy(dtype=object)), bool, len(col))
        if col.dtype.kind == "b":
            flags[:] = True
        # True read as a rating of 1.0; True beside 0.5 in 'ok' as 1.0 without a word
        if flags.any() and (name == "rating" or not (flags | col.isna().to_numpy()).all()):
            row = int(np.flatnonzero(flags)[0] if name == "rating" else np.flatnonzero(~flags & col.notna())[0])
            raise StatsInputError(
                f"column '{name}' row {row} is {col.iloc[row]!r}: "
                + ("a rating must be a number from 1 to 5, not True/False." if name == "rating"
                   else "'ok to show' mixes True/False with numbers."), row=row, column=name,
                hint="Ratings are 1-5; 'ok to show' is all True/False or all shares from 0 to 1.")
    if table.duplicated(["candidate", "example_id"]).any():
        raise StatsInputError("the people's table has two rows for one (candidate, example).",
                              hint="Average reviewers and repeats within an example first.")
    r = table["rating"].dropna()
    if len(r) and ((r < 1) | (r > 5)).any():
        raise StatsInputError("people's ratings must lie between 1 and 5.")
    o = table["ok"].dropna()
    if len(o) and ((o < 0) | (o > 1)).any():
        raise StatsInputError("'ok to show' shares must lie between 0 and 1.")


def _welch(a: np.ndarray, b: np.ndarray, span: float, confidence: float) -> tuple[float, float, float, float]:
    """a - b for independent samples: estimate, interval, one-sided p of "a below b". Each variance is floored
    at the rule-of-three variance so a sample of identical values does not claim certainty."""
    def var(x: np.ndarray) -> float:
        u = min(0.5, 3.0 / x.size)
        return max(float(x.var(ddof=1)) if x.size > 1 else 0.0, u * (1 - u) * span * span)

    va, vb = var(a) / a.size, var(b) / b.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / max(a.size - 1, 1) + vb**2 / max(b.size - 1, 1))
    d = float(a.mean() - b.mean())
    q = float(special.stdtrit(df, 0.5 + confidence / 2))
    p = float(special.stdtr(df, d / se))
    return d, max(-span, d - q * se), min(span, d + q * se), p


def _newcombe(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float, float, float]:
    """a - b for two independent proportions: Newcombe's hybrid score interval (Wilson on each side) and the
    pooled score test's one-sided p of "a below b"."""
    ia = proportion_interval(int(a.sum()), int(a.size), confidence=confidence)
    ib = proportion_interval(int(b.sum()), int(b.size), confidence=confidence)
    pa, pb = float(ia.estimate), float(ib.estimate)  # type: ignore[arg-type]
    d = pa - pb
    low = d - math.sqrt((pa - ia.low) ** 2 + (ib.high - pb) ** 2)  # type: ignore[operator]
    high = d + math.sqrt((ia.high - pa) ** 2 + (pb - ib.low) ** 2)  # type: ignore[operator]
    pool = (a.sum() + b.sum()) / (a.size + b.size)
    se = math.sqrt(pool * (1 - pool) * (1 / a.size + 1 / b.size))
    p = float(special.ndtr(d / se)) if se > 0 else (0.5 if d == 0 else (0.0 if d < 0 else 1.0))
    return d, low, high, p


def compare_people(table: pd.DataFrame, a: str, b: str, measure: str, *, min_items: int = 10,
                   level: float = 0.05) -> PeopleGap | None:
    """a against b on one measure ("rating" or "ok"): paired on the examples both have labels for when there
    are at least `min_items`, else unpaired (said in the text). None when either has no labels on the measure."""
    if measure not in MEASURES:
        raise StatsInputError(f"unknown measure {measure!r}.", hint="Use 'rating' or 'ok'.")
    check_alpha(level, "level")
    min_items = _check_min_items(min_items)
    _check_table(table)
    ga, gb = (_series(table, c, measure) for c in (a, b))
    return _compare(ga, gb, a, b, measure, min_items, level)


def _series(table: pd.DataFrame, candidate: str, measure: str) -> dict[str, float]:
    """{example_id: value} of one candidate on one measure (labeled examples only)."""
    g = table[(table["candidate"] == candidate) & table[measure].notna()]
    return dict(zip(g["example_id"].astype(str), g[measure].astype(float), strict=True))


def _compare(ga: dict[str, float], gb: dict[str, float], a: str, b: str, measure: str, min_items: int,
             level: float) -> PeopleGap | None:
    if len(ga) < 2 or len(gb) < 2:
        return None
    both = sorted(ga.keys() & gb.keys())
    span = 4.0 if measure == "rating" else 1.0
    paired = len(both) >= min_items
    if paired:
        xa, xb = np.array([ga[e] for e in both]), np.array([gb[e] for e in both])
        bounds = RATING_BOUNDS if measure == "rating" else (0.0, 1.0)
        res = paired_difference(xa, xb, bounds=bounds)
        d, low, high = float(res.diff.estimate), float(res.diff.low), float(res.diff.high)  # type: ignore[arg-type]
        two = 1.0 if res.p_value is None else float(res.p_value)
        p = two / 2 if d < 0 else 1 - two / 2
        va, vb, n = float(xa.mean()), float(xb.mean()), len(both)
    else:
        xa, xb = np.fromiter(ga.values(), float, len(ga)), np.fromiter(gb.values(), float, len(gb))
        binary = measure == "ok" and np.isin(xa, (0.0, 1.0)).all() and np.isin(xb, (0.0, 1.0)).all()
        d, low, high, p = _newcombe(xa, xb, 0.95) if binary else _welch(xa, xb, span, 0.95)
        va, vb, n = float(xa.mean()), float(xb.mean()), len(xa) + len(xb)
    worse = d < 0 and p < level
    return PeopleGap(a, b, measure, va, vb, d, low, high, p, paired, n, len(both), worse,
                     _gap_text(a, b, measure, va, vb, d, low, high, p, paired, n, len(both), len(ga), len(gb)))


def _gap_text(a: str, b: str, measure: str, va: float, vb: float, d: float, low: float, high: float, p: float,
              paired: bool, n: int, overlap: int, na: int, nb: int) -> str:
    if measure == "ok":
        head = f"people rated {a}'s outputs ok to show {fmt.pct(va)} vs {fmt.pct(vb)} for {b}"
        gap = f"{fmt.pct_points(d)} [{fmt.pct_points(low).removesuffix(' pts')}, {fmt.pct_points(high)}]"
    else:
        head = f"people rated {a}'s outputs {fmt.score(va, 2)} vs {fmt.score(vb, 2)} for {b} on the 1-5 scale"
        gap = f"{fmt.diff(d, 2)} {fmt.diff_interval(low, high, 2)}"
    if paired:
        how = f"paired on the {fmt.count(n, 'example')} both have labels for"
    else:
        how = (f"not paired: only {fmt.count(overlap, 'example')} {'has' if overlap == 1 else 'have'} labels for "
               f"both, so {na} and {nb} labeled examples are compared as independent samples")
    return f"{head} ({gap}, {how}; one-sided {fmt.p_value(p)})"


def people_evidence(table: pd.DataFrame, *, candidates: list[str] | None = None, min_items: int = 10,
                    alpha: float = 0.05, examples: dict[str, int] | None = None) -> PeopleEvidence:
    """Rows per candidate and, among the weighed candidates, each one people rate credibly worse than another on
    either measure (module docstring for the level and pairing)."""
    check_alpha(alpha)
    rows = people_rows(table, candidates=candidates, min_items=min_items, examples=examples)
    weighed = [c for c, r in rows.items() if r.weighed]
    labeled = sum(r.n for r in rows.values())
    k = len(weighed)
    level = alpha / (2 * (k - 1)) if k >= 2 else alpha / 2
    if k < 2:
        return PeopleEvidence(rows, weighed, {}, level, min_items, labeled, _not_weighed(rows, min_items, labeled))
    gaps: list[PeopleGap] = []
    worse: dict[str, PeopleGap] = {}
    series = {(c, m): _series(table, c, m) for c in weighed for m in MEASURES}
    for c in weighed:
        for other in weighed:
            if other == c:
                continue
            for measure in MEASURES:
                g = _compare(series[(c, measure)], series[(other, measure)], c, other, measure, min_items, level)
                if g is None:
                    continue
                gaps.append(g)
                if g.worse and (c not in worse or _strength(g) < _strength(worse[c])):
                    worse[c] = g
    return PeopleEvidence(rows, weighed, worse, level, min_items, labeled, "", gaps)


def _strength(g: PeopleGap) -> tuple[bool, float]:
    """Which credible gap to report: "ok to show" first (it reads plainest), then the smallest p."""
    return g.measure != "ok", g.p


def _not_weighed(rows: dict[str, PeopleRow], min_items: int, labeled: int) -> str:
    if labeled == 0:
        return ("No output is labeled by people yet, so their ratings were not weighed: the pick rests on the "
                "automatic scores alone (label on the Label page or with evalcore labels import).")
    per = [f"{c} {r.n}" + (f" of {r.examples}" if r.examples is not None else "")
           for c, r in sorted(rows.items(), key=lambda kv: -kv[1].n) if r.n]
    return (f"People's ratings were not weighed: {fmt.count(labeled, 'labeled example')} over all candidates "
            f"({', '.join(per[:4])}{' and ' + fmt.count(len(per) - 4, 'other') if len(per) > 4 else ''}), and at "
            f"least two candidates need {min_items} labeled examples each to be compared.")


def row_summary(row: PeopleRow) -> str:
    """"mean rating 4.20 [3.91, 4.49], ok to show 93% [82%, 98%], 45 of 52 examples labeled"."""
    of = f" of {row.examples}" if row.examples is not None else ""
    if not row.n:
        return "no labeled examples" + (f" (of {row.examples})" if row.examples is not None else "")
    r, o = row.rating, row.ok
    parts = []
    if r.estimate is not None:
        parts.append(f"mean rating {fmt.score(r.estimate, 2)} {fmt.interval(r.low, r.high, 2)}")
    if o.estimate is not None:
        parts.append(f"ok to show {fmt.pct(o.estimate)} [{fmt.pct(o.low)}, {fmt.pct(o.high)}]")
    parts.append(f"{row.n}{of} examples labeled")
    return ", ".join(parts)


def compact(row: PeopleRow) -> str:
    """"4.20 [3.91, 4.49], ok 93% [82%, 98%], 45 of 52 labeled": one candidate in a list."""
    of = f" of {row.examples}" if row.examples is not None else ""
    r, o = row.rating, row.ok
    parts = [f"{fmt.score(r.estimate, 2)} {fmt.interval(r.low, r.high, 2)}"] if r.estimate is not None else []
    if o.estimate is not None:
        parts.append(f"ok {fmt.pct(o.estimate)} [{fmt.pct(o.low)}, {fmt.pct(o.high)}]")
    return ", ".join([*parts, f"{row.n}{of} labeled"])


def row_fields(row: PeopleRow | None) -> dict[str, Any]:
    """The flat fields a recommendation's alternative carries for one candidate."""
    if row is None:
        return {"human_rating": None, "human_rating_low": None, "human_rating_high": None, "human_ok": None,
                "human_ok_low": None, "human_ok_high": None, "human_n": 0, "human_examples": None,
                "human_weighed": False}
    return {"human_rating": row.rating.estimate, "human_rating_low": row.rating.low,
            "human_rating_high": row.rating.high, "human_ok": row.ok.estimate, "human_ok_low": row.ok.low,
            "human_ok_high": row.ok.high, "human_n": row.n, "human_examples": row.examples,
            "human_weighed": row.weighed}


__all__ = ["MEASURES", "PeopleEvidence", "PeopleGap", "PeopleRow", "compare_people", "people_evidence",
           "people_intervals", "people_rows", "compact", "row_fields", "row_summary"]
