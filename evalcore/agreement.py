"""Inter-rater agreement: Cohen's kappa (plain and weighted), Fleiss' kappa, Krippendorff's alpha.

Pure functions of their inputs and an explicit `seed`; numpy only. Every function returns an
`Agreement` with a percentile-bootstrap confidence interval obtained by resampling *units* (the
rated outputs) with replacement, which is the right unit of independence for "several reviewers
rated the same outputs".

Choices made on purpose (each one is also stated in the result's `note` when it applies):

- Missing ratings (None, NaN, pd.NA). Cohen: units missing either rating are dropped. Fleiss: allowed
  only when every unit still has the same number of ratings, otherwise `AgreementInputError` (use
  Krippendorff's alpha). Krippendorff: units with fewer than 2 ratings are dropped (they are not
  pairable), as in Krippendorff (2011).
- No variation at all (every rating in one category, so chance agreement is 1 and the statistic is
  0/0): the value is reported as 1.0, because every pair of ratings agrees, with a note that the
  statistic itself is undefined. Bootstrap resamples in that state count as 1.0 too, and the note says
  how many there were.
- Nothing to compare (no unit with two ratings): `value` is None with a note. Never NaN.
- Fewer than 2 units, or `n_boot=0`: `low`/`high` are None with a note.
- Weighted kappa and ordinal/interval alpha need numeric ratings (int, float or bool). Weighted kappa
  uses the distance between the rating values themselves (|x - y| or (x - y)^2), so a 1-5 scale on
  which nobody used 3 still treats 2 and 4 as two steps apart.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evalcore.errors import EvalcoreError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Agreement",
    "AgreementInputError",
    "cohen_kappa",
    "fleiss_kappa",
    "from_long",
    "krippendorff_alpha",
]

Weights = Literal["linear", "quadratic"] | None
Level = Literal["nominal", "ordinal", "interval"]

CI_METHOD = "percentile bootstrap over units"
_SINGLE_CATEGORY = "only one category used; {stat} is undefined, reported as 1.0 for perfect agreement"
_BOOT_BUDGET = 4_000_000  # floats held at once by one bootstrap chunk

# Landis & Koch (1977): upper bounds of each band.
_BANDS = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))


class AgreementInputError(EvalcoreError, ValueError):
    """Ratings that no agreement statistic can be computed from as given (the hint says what to do)."""

    title = "Cannot compute agreement"


@dataclass(frozen=True)
class Agreement:
    """An agreement statistic, its bootstrap confidence interval and what it was computed on."""

    statistic: str
    """One of cohen_kappa, weighted_kappa, fleiss_kappa, krippendorff_alpha_{nominal,ordinal,interval}."""
    value: float | None
    """The estimate; None only when undefined (nothing to compare); `note` says why."""
    low: float | None
    """Lower end of the confidence interval (see `ci_method`); None when no interval could be computed."""
    high: float | None
    """Upper end of the confidence interval; None when no interval could be computed."""
    n_units: int
    """Units (rated outputs) the value was computed on, after dropping unusable ones."""
    n_raters: int
    """Raters in the input (2 for Cohen; columns for Fleiss; rows for Krippendorff)."""
    note: str = ""
    """Anything the reader needs to know: dropped units, degenerate cases, why the CI is missing."""
    confidence: float = 0.95
    """Nominal coverage of [low, high]."""
    ci_method: str = CI_METHOD
    """How [low, high] was computed."""
    n_boot: int = 0
    """Bootstrap resamples behind the interval."""
    seed: int = 0
    """Seed of the bootstrap; the same inputs and seed give the same interval."""

    def interpretation(self) -> str:
        """Landis & Koch (1977) words for the value (and the CI ends), with the caveat that they are conventions."""
        if self.value is None:
            return f"undefined: {self.note}" if self.note else "undefined"
        words = _band(self.value)
        if self.low is not None and self.high is not None:
            lo, hi = _band(self.low), _band(self.high)
            if lo != hi:
                words += f" (the {100 * self.confidence:g}% CI runs from {lo} to {hi})"
        caveat = (
            "Landis & Koch (1977) labels are conventions, not evidence: judge the value and its CI "
            "against what your decision needs"
        )
        if self.statistic.startswith("krippendorff_alpha"):
            caveat += "; Krippendorff suggests alpha >= 0.800 to rely on the labels, >= 0.667 for tentative use"
        text = f"{words}. {caveat}."
        return f"{text} Note: {self.note}." if self.note else text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field, plus `interpretation`."""
        return {**asdict(self), "interpretation": self.interpretation()}


# --------------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------------


def cohen_kappa(
    a: Sequence[Any],
    b: Sequence[Any],
    *,
    weights: Weights = None,
    seed: int = 0,
    n_boot: int = 1000,
    confidence: float = 0.95,
) -> Agreement:
    """Cohen's kappa between two raters who rated the same units (a[i] and b[i] rate unit i).

    `weights=None` is Cohen (1960) on nominal categories (any hashable labels: bools, strings, ints).
    `weights="linear"` or `"quadratic"` is weighted kappa (Cohen 1968) for numeric ordinal ratings
    such as 1-5: kappa_w = 1 - sum(w * observed) / sum(w * expected), with w = |x - y| or (x - y)^2
    on the rating values. Units where either rating is missing are dropped (and counted in `note`).
    """
    _check_boot(seed, n_boot, confidence)
    if weights not in (None, "linear", "quadratic"):
        raise AgreementInputError(
            f"unknown weights {weights!r}.", hint="Use None (nominal), 'linear' or 'quadratic' (ordinal ratings)."
        )
    a, b = _as_list(a, "a"), _as_list(b, "b")
    _check_cells([*((f"a[{i}]", v) for i, v in enumerate(a)), *((f"b[{i}]", v) for i, v in enumerate(b))])
    if len(a) != len(b):
        raise AgreementInputError(
            f"the two raters must rate the same units in the same order: got {len(a)} and {len(b)} ratings.",
            hint="Pair the ratings by unit first, e.g. matrix, raters, units = from_long(...); then rows 0 and 1.",
        )
    statistic = "cohen_kappa" if weights is None else "weighted_kappa"
    meta = {"statistic": statistic, "n_raters": 2, "confidence": confidence, "n_boot": n_boot, "seed": seed}
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not _is_missing(x) and not _is_missing(y)]
    notes = []
    if len(pairs) < len(a):
        notes.append(f"{len(a) - len(pairs)} of {len(a)} units dropped: missing a rating from one rater")
    if not pairs:
        notes.append("no unit was rated by both raters; kappa is undefined")
        return Agreement(value=None, low=None, high=None, n_units=0, note="; ".join(notes), **meta)

    numeric = weights is not None
    codes, cats = _encode([v for pair in pairs for v in pair], numeric=numeric, what=f"{weights} weighted kappa")
    ca, cb = codes[0::2], codes[1::2]
    k = len(cats)
    if weights is None:
        dist = 1.0 - np.eye(k)
    else:
        x = _rescaled(np.asarray(cats, dtype=float))
        diff = np.abs(x[:, None] - x[None, :])
        dist = diff if weights == "linear" else diff**2
    eye = np.eye(k)
    # Per-unit sufficient statistics: disagreement weight, one-hot of rater a, one-hot of rater b.
    unit_stats = np.column_stack([dist[ca, cb], eye[ca], eye[cb]])

    def stat(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sums = f @ unit_stats
        n = f.sum(axis=1)
        observed = sums[:, 0] / n
        row, col = sums[:, 1 : 1 + k] / n[:, None], sums[:, 1 + k :] / n[:, None]
        expected = np.einsum("bi,ij,bj->b", row, dist, col)
        degenerate = expected <= 0.0  # both raters put everything in one and the same category
        safe = np.where(degenerate, 1.0, expected)
        return np.where(degenerate, 1.0, 1.0 - observed / safe), degenerate

    return _finish(stat, n_units=len(pairs), width=1 + 2 * k, notes=notes, meta=meta, stat_name="kappa")


def fleiss_kappa(
    ratings: Sequence[Sequence[Any]],
    *,
    categories: Sequence[Hashable] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    confidence: float = 0.95,
) -> Agreement:
    """Fleiss' (1971) kappa for several raters on nominal categories; `ratings` is units x raters.

    Every unit must carry the same number m >= 2 of ratings (the raters may differ between units).
    Missing cells (None/NaN) are accepted only if every unit still has m ratings; otherwise this raises
    `AgreementInputError` and `krippendorff_alpha` is the statistic to use. `categories`, if given,
    is the allowed label set: a rating outside it is an error (categories nobody used do not change kappa).
    """
    _check_boot(seed, n_boot, confidence)
    rows = [_as_list(r, f"ratings[{i}]") for i, r in enumerate(_as_list(ratings, "ratings"))]
    _check_cells((f"ratings[{u}][{j}]", v) for u, r in enumerate(rows) for j, v in enumerate(r))
    n_raters = max((len(r) for r in rows), default=0)
    meta = {"statistic": "fleiss_kappa", "n_raters": n_raters, "confidence": confidence, "n_boot": n_boot, "seed": seed}
    if not rows:
        return Agreement(value=None, low=None, high=None, n_units=0, note="no units; kappa is undefined", **meta)
    present = [[v for v in r if not _is_missing(v)] for r in rows]
    sizes = np.array([len(p) for p in present])
    if (sizes != sizes[0]).any():
        raise AgreementInputError(
            f"Fleiss' kappa needs the same number of ratings on every unit; got {_describe_sizes(sizes)}.",
            hint="Use krippendorff_alpha(...), which handles missing ratings, "
            "or keep only the units that have every rating.",
        )
    m = int(sizes[0])
    if m < 2:
        note = f"each unit has {m} rating(s); Fleiss' kappa needs at least 2 per unit and is undefined"
        return Agreement(value=None, low=None, high=None, n_units=len(rows), note=note, **meta)

    codes, cats = _encode([v for p in present for v in p], numeric=False, what="Fleiss' kappa", categories=categories)
    k = len(cats)
    n_units = len(rows)
    counts = np.zeros((n_units, k))
    np.add.at(counts, (np.repeat(np.arange(n_units), m), codes), 1.0)
    p_unit = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    unit_stats = np.column_stack([p_unit, counts])
    notes = []
    if n_raters != m:
        notes.append(f"each unit has {m} ratings drawn from {n_raters} rater columns")

    def stat(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sums = f @ unit_stats
        n = f.sum(axis=1)
        p_bar = sums[:, 0] / n
        p_cat = sums[:, 1:] / (n * m)[:, None]
        p_e = (p_cat**2).sum(axis=1)
        degenerate = (sums[:, 1:] > 0).sum(axis=1) <= 1
        safe = np.where(degenerate, 0.0, p_e)
        return np.where(degenerate, 1.0, (p_bar - safe) / (1.0 - safe)), degenerate

    return _finish(stat, n_units=n_units, width=1 + k, notes=notes, meta=meta, stat_name="kappa")


def krippendorff_alpha(
    reliability: Sequence[Sequence[Any]],
    *,
    level: Level = "nominal",
    seed: int = 0,
    n_boot: int = 1000,
    confidence: float = 0.95,
) -> Agreement:
    """Krippendorff's alpha; `reliability` is raters x units, None/NaN for a missing rating.

    Computed from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability"): alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck) over pairable
    values. Metrics: nominal d = [c != k]; interval d = (c - k)^2; ordinal
    d = (sum of n_g for g from c to k - (n_c + n_k) / 2)^2 with n_g the marginal counts of the
    coincidence matrix. Units with fewer than 2 ratings are dropped. Ordinal and interval need
    numeric ratings; the ordinal order is the numeric order.
    """
    _check_boot(seed, n_boot, confidence)
    if level not in ("nominal", "ordinal", "interval"):
        raise AgreementInputError(f"unknown level {level!r}.", hint="Use 'nominal', 'ordinal' or 'interval'.")
    rows = [_as_list(r, f"reliability[{i}]") for i, r in enumerate(_as_list(reliability, "reliability"))]
    _check_cells((f"reliability[{i}][{u}]", v) for i, r in enumerate(rows) for u, v in enumerate(r))
    n_raters = len(rows)
    n_cols = {len(r) for r in rows}
    if len(n_cols) > 1:
        raise AgreementInputError(
            f"every rater row must have one cell per unit; got rows of lengths {sorted(n_cols)}.",
            hint="Pad with None for units a rater did not rate, or build the matrix with from_long(...).",
        )
    n_total = n_cols.pop() if n_cols else 0
    meta = {
        "statistic": f"krippendorff_alpha_{level}",
        "n_raters": n_raters,
        "confidence": confidence,
        "n_boot": n_boot,
        "seed": seed,
    }
    # units x raters, missing cells removed
    per_unit = [[r[u] for r in rows if not _is_missing(r[u])] for u in range(n_total)]
    pairable = [vals for vals in per_unit if len(vals) >= 2]
    notes = []
    if len(pairable) < n_total:
        notes.append(f"{n_total - len(pairable)} of {n_total} units dropped: fewer than 2 ratings")
    if not pairable:
        notes.append("no unit has 2 or more ratings; alpha is undefined")
        return Agreement(value=None, low=None, high=None, n_units=0, note="; ".join(notes), **meta)

    n_units = len(pairable)
    m = np.array([len(v) for v in pairable], dtype=float)
    codes, cats = _encode([v for vals in pairable for v in vals], numeric=level != "nominal", what=f"{level} alpha")
    k = len(cats)
    counts = np.zeros((n_units, k))
    np.add.at(counts, (np.repeat(np.arange(n_units), m.astype(int)), codes), 1.0)

    if level == "nominal":
        # sum over c != k of o_ck for one unit: (m^2 - sum_c n_uc^2) / (m - 1)
        d_unit = (m**2 - (counts**2).sum(axis=1)) / (m - 1)
        unit_stats = np.column_stack([d_unit, counts])

        def stat(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            sums = f @ unit_stats
            n_c = sums[:, 1:]
            n = n_c.sum(axis=1)
            d_e = n**2 - (n_c**2).sum(axis=1)
            degenerate = (n_c > 0).sum(axis=1) <= 1
            safe = np.where(degenerate, 1.0, d_e)
            return np.where(degenerate, 1.0, 1.0 - (n - 1) * sums[:, 0] / safe), degenerate

        width = 1 + k
    else:
        # Ordinal and interval are both "squared distance between positions". Per unit,
        # sum_{i != j} (x_i - x_j)^2 / (m - 1) = 2 (m sum x^2 - (sum x)^2) / (m - 1), and over the pooled
        # values sum_c sum_k n_c n_k (x_c - x_k)^2 = 2 n sum_c n_c (x_c - mean)^2.
        unit_of = np.repeat(np.arange(n_units), m.astype(int))
        starts = np.concatenate([[0], np.cumsum(m.astype(int))[:-1]])
        lowest, highest = np.minimum.reduceat(codes, starts), np.maximum.reduceat(codes, starts)
        w = np.where(lowest == highest, 0.0, 1.0 / (m - 1))  # units whose ratings all agree add exactly 0
        if level == "interval":
            x = _rescaled(np.asarray(cats, dtype=float))[codes]
            x = x - x.mean()
            s1 = np.bincount(unit_of, weights=x, minlength=n_units)
            s2 = np.bincount(unit_of, weights=x**2, minlength=n_units)
            within = np.bincount(unit_of, weights=(x - (s1 / m)[unit_of]) ** 2, minlength=n_units)
            unit_stats = np.column_stack([m, 2 * m * within * w, s1, s2])

            def stat(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                n, d_o, s1_b, s2_b = (f @ unit_stats).T
                d_e = 2 * (n * s2_b - s1_b**2)
                sampled = f > 0
                degenerate = np.where(sampled, lowest, k).min(axis=1) == np.where(sampled, highest, -1).max(axis=1)
                safe = np.where(degenerate, 1.0, d_e)
                return np.where(degenerate, 1.0, 1.0 - (n - 1) * d_o / safe), degenerate

        else:
            # Ordinal positions are mid-cumulative ranks M_c = sum(n_g, g < c) + n_c / 2, because
            # (sum(n_g, g = c..k) - (n_c + n_k) / 2)^2 == (M_k - M_c)^2. They depend on the marginals, so
            # they are recomputed for every bootstrap resample.
            weighted_counts = (w * m)[:, None] * counts

            def stat(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                n_c = f @ counts
                n = n_c.sum(axis=1)
                pos = np.cumsum(n_c, axis=1) - n_c / 2
                pos -= ((n_c * pos).sum(axis=1) / n)[:, None]
                unit_sums = pos @ counts.T  # resamples x units: sum of the positions of each unit's ratings
                d_o = 2 * (((f @ weighted_counts) * pos**2).sum(axis=1) - (f * w * unit_sums**2).sum(axis=1))
                d_e = 2 * n * (n_c * pos**2).sum(axis=1)
                degenerate = (n_c > 0).sum(axis=1) <= 1
                safe = np.where(degenerate, 1.0, d_e)
                return np.where(degenerate, 1.0, 1.0 - (n - 1) * np.maximum(d_o, 0.0) / safe), degenerate

        width = 4 + k

    return _finish(stat, n_units=n_units, width=width, notes=notes, meta=meta, stat_name="alpha")


def from_long(labels: pd.DataFrame, *, unit: str, rater: str, value: str) -> tuple[np.ndarray, list, list]:
    """Pivot long labels (one row per unit, rater, value) into a raters x units matrix.

    Returns (matrix, raters, units): matrix[i, j] is the rating of raters[i] on units[j], NaN where that
    rater did not rate that unit (or the value is empty). Numeric values give a float matrix, anything
    else (strings, bools) an object matrix. Raters and units are sorted when their ids are comparable,
    otherwise kept in order of first appearance. Feed the matrix to `krippendorff_alpha`, its transpose
    to `fleiss_kappa`, two of its rows to `cohen_kappa`. A rater rating a unit twice is an error.
    """
    missing_cols = [c for c in (unit, rater, value) if c not in labels.columns]
    if missing_cols:
        raise AgreementInputError(
            f"labels have no column {', '.join(repr(c) for c in missing_cols)}.",
            hint=f"Columns present: {', '.join(map(repr, labels.columns))}. Pass unit=, rater=, value= by name.",
        )
    unit_ids, rater_ids = list(labels[unit]), list(labels[rater])
    for col, ids in ((unit, unit_ids), (rater, rater_ids)):
        empty = [i + 1 for i, v in enumerate(ids) if _is_missing(v)]
        if empty:
            raise AgreementInputError(
                f"empty on {_rows(empty)}.",
                column=col,
                hint="Every label needs a unit and a rater; fill or drop those rows.",
            )
    seen: dict[tuple, int] = {}
    dupes = []
    for i, key in enumerate(zip(unit_ids, rater_ids, strict=True)):
        if key in seen:
            dupes.append(f"unit {key[0]!r} by rater {key[1]!r} (rows {seen[key] + 1} and {i + 1})")
        else:
            seen[key] = i
    if dupes:
        more = f" and {len(dupes) - 3} more" if len(dupes) > 3 else ""
        raise AgreementInputError(
            f"the same rater rated the same unit twice: {'; '.join(dupes[:3])}{more}.",
            hint="Keep one label per (unit, rater), e.g. the latest, and drop the others.",
        )
    _check_cells((f"row {i + 1}", v) for i, v in enumerate(labels[value]))
    units, raters = _ordered(unit_ids), _ordered(rater_ids)
    u_index = {u: j for j, u in enumerate(units)}
    r_index = {r: i for i, r in enumerate(raters)}
    numeric = labels[value].dtype.kind in "iuf"
    matrix = np.full((len(raters), len(units)), np.nan, dtype=float if numeric else object)
    for u, r, v in zip(unit_ids, rater_ids, labels[value], strict=True):
        if not _is_missing(v):
            matrix[r_index[r], u_index[u]] = v.item() if isinstance(v, np.generic) else v
    return matrix, raters, units


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _finish(
    stat: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    *,
    n_units: int,
    width: int,
    notes: list[str],
    meta: dict[str, Any],
    stat_name: str,
) -> Agreement:
    """Point estimate (every unit once) plus the percentile bootstrap over units."""
    value, degenerate = stat(np.ones((1, n_units)))
    if degenerate[0]:
        notes.append(_SINGLE_CATEGORY.format(stat=stat_name))
    low = high = None
    n_boot, seed, confidence = meta["n_boot"], meta["seed"], meta["confidence"]
    if n_units < 2:
        notes.append(f"{n_units} unit: no confidence interval (needs at least 2 units)")
    elif n_boot == 0:
        notes.append("n_boot=0: no confidence interval")
    else:
        rng = np.random.default_rng(seed)
        chunk = max(1, min(n_boot, _BOOT_BUDGET // (n_units * max(width, 1))))
        boots, n_degenerate = [], 0
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            idx = rng.integers(0, n_units, size=(size, n_units))
            flat = (idx + (np.arange(size) * n_units)[:, None]).ravel()
            f = np.bincount(flat, minlength=size * n_units).reshape(size, n_units).astype(float)
            vals, degen = stat(f)
            boots.append(vals)
            n_degenerate += int(degen.sum())
        boot = np.concatenate(boots)
        alpha = (1.0 - confidence) / 2
        low, high = (float(q) for q in np.quantile(boot, [alpha, 1.0 - alpha]))
        point = float(value[0])
        if not low <= point <= high:
            # With few units a skewed bootstrap can sit wholly to one side of the estimate (seen: kappa -0.008,
            # interval [-0.25, -0.016] at 6 units). An interval that excludes its own estimate misleads: widen it.
            low, high = min(low, point), max(high, point)
            notes.append(f"the bootstrap interval did not contain the estimate ({n_units} units) and was widened "
                         "to include it: treat it as rough")
        if n_degenerate and not degenerate[0]:
            notes.append(f"{n_degenerate} of {n_boot} bootstrap resamples used one category only and counted as 1.0")
    return Agreement(value=float(value[0]), low=low, high=high, n_units=n_units, note="; ".join(notes), **meta)


def _check_boot(seed: int, n_boot: int, confidence: float) -> None:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise AgreementInputError(f"seed must be a non-negative whole number, got {seed!r}.", hint="Pass e.g. seed=0.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 0:
        raise AgreementInputError(
            f"n_boot must be a whole number >= 0, got {n_boot!r}.", hint="Use 1000 or more; 0 skips the interval."
        )
    if not (isinstance(confidence, numbers.Real) and 0.0 < confidence < 1.0):
        raise AgreementInputError(f"confidence must be between 0 and 1, got {confidence!r}.", hint="Use e.g. 0.95.")


def _as_list(x: Any, name: str) -> list:
    if getattr(x, "ndim", 1) == 2 and hasattr(x, "to_numpy"):  # a DataFrame: its rows, not its column names
        x = x.to_numpy()
    if isinstance(x, str | bytes) or not hasattr(x, "__len__"):
        raise AgreementInputError(
            f"{name} must be a sequence of ratings, got {type(x).__name__}.",
            hint="Pass a list or array (for matrices, a list of rows).",
        )
    return list(x)


def _check_cells(cells: Iterable[tuple[str, Any]]) -> None:
    """Ratings of one kind only, finite where numeric. 1 and '1' were two categories and True and 1 one (kappa
    changed either way without a word), and inf was a category of its own."""
    first: dict[str, tuple[str, Any]] = {}
    for where, v in cells:
        if _is_missing(v):
            continue
        v = v.item() if isinstance(v, np.generic) else v
        kind = value_kind(v)
        if kind == "number" and isinstance(v, numbers.Real) and not math.isfinite(v):
            raise AgreementInputError(f"{where} is {v!r}: a numeric rating must be a finite number.",
                                      hint="Fix or drop that rating (None marks a missing one).")
        first.setdefault(kind, (where, v))
        if len(first) > 1:
            other, (w0, v0) = next((k, x) for k, x in first.items() if k != kind)
            why = ("True and 1 would count as one category" if {kind, other} == {"bool", "number"}
                   else f"{v0!r} and {v!r} would count as two categories even where they mean the same")
            raise AgreementInputError(
                f"{where} is {v!r} ({kind}) but {w0} is {v0!r} ({other}): ratings mix {other} and {kind}, so {why}.",
                hint="Give every rating one type: all numbers, all text or all True/False (map them first).")


def value_kind(v: Any) -> str:
    """'bool' (True/False), 'number', 'text' or the type's name: ratings of two kinds are refused. (Kept here, not
    in evalcore.stats._core, so importing agreement stays numpy-only.)"""
    if isinstance(v, bool | np.bool_):
        return "bool"
    if isinstance(v, numbers.Number):
        return "number"
    if isinstance(v, str):
        return "text"
    return type(v).__name__


def _rescaled(x: np.ndarray) -> np.ndarray:
    """Numeric ratings so large (or small) that their squared differences overflow (1e308 gave NaN) or underflow,
    scaled by a power of two: exact, and kappa and alpha do not depend on the unit. Others are left as they are."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0.0 or 2.0**-400 <= top <= 2.0**400:
        return x
    return np.ldexp(x, -math.frexp(top)[1])


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float | np.floating):
        return math.isnan(v)
    return type(v).__name__ in ("NAType", "NaTType")  # pandas missing markers, without importing pandas


def _encode(
    values: list, *, numeric: bool, what: str, categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, list]:
    """Integer codes 0..k-1 for non-missing ratings, and the sorted category list."""
    clean = [v.item() if isinstance(v, np.generic) else v for v in values]
    if numeric:
        bad = [v for v in clean if not isinstance(v, numbers.Real) or not math.isfinite(v)]
        if bad:
            raise AgreementInputError(
                f"{what} needs numeric ratings, got {bad[0]!r}.",
                hint="Map the labels to numbers in order (e.g. {'low': 1, 'mid': 2, 'high': 3}), "
                "or use the nominal statistic.",
            )
    try:
        observed = list(dict.fromkeys(clean))
    except TypeError as exc:
        raise AgreementInputError(
            f"ratings must be single labels (numbers, strings, bools): {exc}.", hint="Flatten or stringify the cells."
        ) from None
    if categories is not None:
        allowed = [c.item() if isinstance(c, np.generic) else c for c in categories]
        unknown = set(observed) - set(allowed)
        if unknown:
            raise AgreementInputError(
                f"ratings outside the given categories: {sorted(map(repr, unknown))[:5]}.",
                hint="Add them to categories= or fix the ratings.",
            )
        cats = list(dict.fromkeys(allowed))
    else:
        cats = _ordered(observed)
    index = {c: i for i, c in enumerate(cats)}
    return np.fromiter((index[v] for v in clean), dtype=np.intp, count=len(clean)), cats


def _ordered(items: list) -> list:
    """Distinct items, sorted when comparable, else in order of first appearance."""
    distinct = list(dict.fromkeys(items))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


def _band(x: float) -> str:
    if x < 0:
        return "poor"
    for upper, word in _BANDS:
        if x <= upper + 1e-12:
            return word
    return "almost perfect"


def _describe_sizes(sizes: np.ndarray) -> str:
    parts = []
    for size in sorted(set(sizes.tolist())):
        where = np.flatnonzero(sizes == size)
        units = ", ".join(str(u) for u in where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        parts.append(f"{size} ratings on unit(s) {units}")
    return "; ".join(parts)


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:5]))
    return f"row(s) {shown}" + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
