"""What every statistics module shares: the input error, strict input checks, quantiles and Wilson's interval.

Inputs are checked strictly because a statistic computed from silently coerced data is worse than none: NaN,
None, strings, booleans mixed with numbers, and mixed id types (1 and '1') are refused with a
`StatsInputError` that says where the bad value is and what to do, never dropped or converted quietly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from scipy import special

from evalcore.errors import EvalcoreError

MAX_REQUIRED_N = 100_000
# Counts at or above this (2**53) are not whole numbers a float holds exactly; refused rather than rounded.
MAX_COUNT = 2.0**53
# Values further than this outside `bounds` are an error; closer ones are float noise and are clipped.
BOUND_TOL = 1e-9
# Two per-example scores closer than this (relative to the score range) are a tie.
TIE_TOL = 1e-12


class StatsInputError(EvalcoreError, ValueError):
    """Inputs a statistic cannot be computed from (NaN, non-numbers, mismatched lengths, out-of-bounds...)."""

    title = "Cannot compute statistics"


def opt(x: Any) -> float | None:
    """A plain float for JSON, or None; never NaN."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


class ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (nested results become dicts too)."""
        return asdict(self)  # type: ignore[call-overload]


def is_real(v: Any) -> bool:
    """A finite real number given as a number: int, float or any numpy integer/floating scalar (np.float32 as
    well as np.float64), never a bool, a string or NaN/inf. The one test every scalar argument uses."""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and _finite_float(v)


def check_confidence(confidence: float) -> None:
    if not is_real(confidence) or not 0.0 < float(confidence) < 1.0:
        raise StatsInputError(
            f"confidence must be between 0 and 1, got {confidence!r}.", hint="Use 0.95 for a 95% interval."
        )


def check_alpha(alpha: float, name: str = "alpha") -> None:
    if not is_real(alpha) or not 0.0 < float(alpha) < 1.0:
        raise StatsInputError(f"{name} must be between 0 and 1, got {alpha!r}.", hint="Use 0.05.")


def check_count(v: Any, name: str, *, minimum: int = 0, hint: str | None = None) -> int:
    """A whole number >= `minimum` (ints, numpy ints, or floats that are whole): 1.9, NaN, inf, None, True and
    '3' are refused rather than truncated, read as 0 or as 1."""
    whole = is_real(v) and float(v).is_integer() and abs(float(v)) < MAX_COUNT
    if not whole or int(v) < minimum:
        raise StatsInputError(f"{name} must be a whole number >= {minimum}, got {_describe(v)}.", hint=hint)
    return int(v)


def number_mapping(m: Any, name: str, *, whole: bool = False, allow_none: bool = True) -> dict[Any, Any]:
    """A per-candidate mapping ({candidate: value}) checked value by value: every value a finite number >= 0 (a
    whole one with `whole`), or None for unknown when `allow_none`. NaN, -1, 'x', inf and True are refused, not
    read as unknown; a list is refused (it has no candidate names). None for the mapping itself is empty."""
    if m is None:
        return {}
    if type(m).__name__ == "Series" and hasattr(m, "items"):  # a pandas Series indexed by candidate
        m = dict(m.items())
    if not isinstance(m, Mapping):
        raise StatsInputError(f"{name} must be a mapping of candidate to value, got {_describe_short(m)}.",
                              hint=f"Pass e.g. {name}={{'model-a': 0.002, 'model-b': None}} (None: unknown).")
    out = {}
    for key, v in m.items():
        if v is None and allow_none:
            out[key] = None
            continue
        ok = is_real(v) and float(v) >= 0 and (not whole or float(v).is_integer())
        if not ok:
            what = "a whole number >= 0" if whole else "a finite number >= 0"
            raise StatsInputError(
                f"{name}[{key!r}] is {_describe(v)}: each value must be {what}"
                + (" (or None for unknown)." if allow_none else "."),
                hint=f"Fix {name} for {key!r}" + ("; pass None where it is not known." if allow_none else "."),
            )
        out[key] = int(v) if whole else float(v)
    return out


def check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = float(bounds[0]), float(bounds[1])
    except (TypeError, ValueError, IndexError):
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise StatsInputError(
            f"bounds must be two finite numbers, low < high, got {bounds!r}.",
            hint="Use (0, 1) for automatic scores and (1, 5) for 1-5 ratings.",
        )
    return lo, hi


def _describe(v: Any) -> str:
    return f"{v!r} ({type(v).__name__})"


def _describe_short(v: Any) -> str:
    text = repr(v)
    return f"{text if len(text) <= 60 else text[:57] + '...'} ({type(v).__name__})"


def sequence_items(values: Any, name: str, what: str = "numbers") -> list[Any] | np.ndarray:
    """The items of a 1-d sequence, in order: a list, tuple, 1-d numpy array or pandas Series. Refused, because
    each would silently change what is computed: a string; a mapping (its keys would be the values); a set
    (no order, so pairs would be made by hash order); a masked array (the mask would be ignored); and anything
    2-d or 0-d (it would be flattened). Numpy arrays are returned as they are, everything else as a list."""
    hint_1d = f"Pass a list or a 1-d array of {what}."
    if isinstance(values, (str, bytes)):
        raise StatsInputError(f"{name} must be a list of {what}, got a string.", hint=hint_1d)
    if isinstance(values, Mapping):
        raise StatsInputError(f"{name} must be a list of {what}, got a mapping ({type(values).__name__}).",
                              hint=f"For a mapping, pass its values: list({name}.values()) (keys are not used).")
    if isinstance(values, (set, frozenset)):
        raise StatsInputError(f"{name} must be a list of {what}, got a set, which has no order.",
                              hint=f"{hint_1d} Keep the order that pairs each value with its example.")
    if isinstance(values, np.ma.MaskedArray):
        if np.ma.count_masked(values):
            i = int(np.flatnonzero(np.ma.getmaskarray(values).ravel())[0])
            raise StatsInputError(f"{name}[{i}] is masked: a masked array's mask would be ignored here.",
                                  hint=f"Drop the masked entries first ({name}.compressed()) and say how many.")
        values = np.ma.getdata(values)
    ndim = getattr(values, "ndim", None)
    if ndim == 0:
        raise StatsInputError(f"{name} must be a list of {what}, got a single value {values!r}.", hint=hint_1d)
    if ndim is not None and ndim != 1 and hasattr(values, "shape"):
        raise StatsInputError(f"{name} must be 1-d (one value per example), got shape {tuple(values.shape)}.",
                              hint=f"{hint_1d} A table's column is one value per example; .ravel() only if "
                              "flattening is what you mean.")
    if isinstance(values, np.ndarray):
        return values
    try:
        return list(values)
    except TypeError:
        raise StatsInputError(f"{name} must be a list of {what}, got {_describe_short(values)}.",
                              hint=hint_1d) from None


def check_aligned(a: Any, b: Any, names: tuple[str, str] = ("a", "b")) -> None:
    """Two pandas Series with different indexes are refused: values are paired by position, and Series of the
    same examples in another order (or other examples) would be paired wrongly without a word."""
    if not all(type(x).__module__.startswith("pandas") for x in (a, b)):  # no pandas import for lists and arrays
        return
    import pandas as pd

    if not (isinstance(a, pd.Series) and isinstance(b, pd.Series)):
        return
    if not a.index.equals(b.index):
        x, y = names
        raise StatsInputError(
            f"{x} and {y} are Series with different indexes: values are paired by position, not by index.",
            hint=f"Align them first ({y} = {y}.reindex({x}.index), dropping examples one lacks), or pass "
            ".to_numpy() of each if the positions already match.",
        )


def numbers_array(values: Iterable[Any] | np.ndarray, name: str = "values", *, bools: bool = True) -> np.ndarray:
    """A 1-d float array from numbers only: NaN, None, inf, strings and numbers mixed with booleans are refused
    (all-boolean input is read as 1/0, unless `bools=False` refuses it), and so are mappings, sets, masked
    arrays and 2-d input (`sequence_items`)."""
    seq = sequence_items(values, name)
    if isinstance(seq, np.ndarray):
        arr = seq
        if arr.dtype.kind == "b":
            if not bools and arr.size:
                raise StatsInputError(f"{name}[0] is {arr[0]!r}: {name} must be numbers, not True/False.")
            return arr.astype(float)
        if arr.dtype.kind in "iuf":
            x = arr.astype(float)
            bad = np.flatnonzero(~np.isfinite(x))
            if bad.size:
                raise StatsInputError(
                    f"{name}[{bad[0]}] is {x[bad[0]]!r}: every value must be a finite number.",
                    hint="Drop the missing rows first (and say how many), or fill them with a real score.",
                )
            return x
        items = list(arr)
    else:
        items = seq
    kinds = set()
    for i, v in enumerate(items):
        if isinstance(v, (bool, np.bool_)):
            if not bools:
                raise StatsInputError(f"{name}[{i}] is {v!r}: {name} must be numbers, not True/False.")
            kinds.add("bool")
        elif isinstance(v, numbers.Real) and _finite_float(v):
            kinds.add("number")
        else:
            raise StatsInputError(
                f"{name}[{i}] is {_describe(v)}: every value must be a finite number.",
                hint="Drop the missing rows first (and say how many), or fill them with a real score.",
            )
    if len(kinds) > 1:
        raise StatsInputError(
            f"{name} mixes True/False with numbers.", hint="Pass all booleans (pass/fail) or all numbers."
        )
    return np.asarray([float(v) for v in items], dtype=float)


def _finite_float(v: Any) -> bool:
    """A real number that is a finite float: not NaN or inf, not a timedelta (numpy counts it an integer), not
    an integer too large for a float."""
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, OverflowError):
        return False


def is_missing(v: Any) -> bool:
    """None, NaN of any float type, NaT, pd.NA, Decimal NaN: anything that is not equal to itself."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError, ArithmeticError):  # pd.NA: its comparisons are NA, and NA has no truth value
        return True


def bools_array(values: Iterable[Any] | np.ndarray, name: str) -> np.ndarray:
    """A 1-d bool array from True/False or 0/1 only (no NaN, no strings such as 'False')."""
    x = numbers_array(values, name)
    bad = np.flatnonzero((x != 0) & (x != 1))
    if bad.size:
        raise StatsInputError(
            f"{name}[{bad[0]}] is {x[bad[0]]!r}: pass/fail must be True/False (or 1/0).",
            hint="Check the 'passed' column.",
        )
    return x.astype(bool)


def in_bounds(x: np.ndarray, lo: float, hi: float, name: str = "score") -> np.ndarray:
    """Refuse values outside the bounds; clip float noise just outside them."""
    if x.size and (x.min() < lo - BOUND_TOL or x.max() > hi + BOUND_TOL):
        bad = x[(x < lo - BOUND_TOL) | (x > hi + BOUND_TOL)][0]
        raise StatsInputError(
            f"{name} {bad!r} is outside the bounds ({lo:g}, {hi:g}).",
            hint="Pass bounds=(1, 5) for 1-5 ratings, or rescale the scores.",
        )
    return np.clip(x, lo, hi)


def id_codes(ids: Sequence[Any] | np.ndarray, size: int, name: str = "clusters") -> tuple[np.ndarray, int]:
    """Integer codes for ids (example ids, cluster ids). None/NaN and mixed types (1 and '1') are refused:
    merging or splitting examples by accident changes n."""
    c = list(sequence_items(ids, name, "ids, one per value"))
    if len(c) != size:
        raise StatsInputError(
            f"values and {name} differ in length ({size} vs {len(c)}).",
            hint=f"Pass one {name[:-1] if name.endswith('s') else name} per value.",
        )
    kinds = set()
    for i, v in enumerate(c):
        if is_missing(v):
            raise StatsInputError(f"{name}[{i}] is missing ({v!r}).", hint="Give every row an id.")
        if not isinstance(v, (str, bool, np.bool_, numbers.Real)):
            raise StatsInputError(f"{name}[{i}] is {_describe(v)}: an id must be a string or a number.",
                                  hint="Use one type for ids (strings are safest).")
        kinds.add("str" if isinstance(v, str) else "bool" if isinstance(v, (bool, np.bool_)) else "number")
    if len(kinds) > 1:
        raise StatsInputError(
            f"{name} mixes id types ({', '.join(sorted(kinds))}): 1 and '1' (or True and 1) would be different "
            "examples, or the same one.", hint="Use one type for ids (strings are safest).",
        )
    codes: dict[Any, int] = {}  # equal ids share a code (1 and 1.0 alike)
    first = np.fromiter((codes.setdefault(v, len(codes)) for v in c), dtype=int, count=size)
    rank = np.empty(len(codes), dtype=int)  # codes in sorted id order, as np.unique numbered them
    rank[[codes[v] for v in sorted(codes)]] = np.arange(len(codes))
    return rank[first], len(codes)


def z_quantile(confidence: float) -> float:
    return float(special.ndtri(0.5 + confidence / 2))


def t_quantile(confidence: float, df: int | float) -> float:
    """Two-sided t quantile (scipy.special directly: scipy.stats adds ~0.3 ms per call)."""
    return float(special.stdtrit(df, 0.5 + confidence / 2))


def wilson_rows(p: np.ndarray, n_eff: np.ndarray, q: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportion(s) `p` at (effective) sample size `n_eff`, quantile `q`."""
    q2 = np.square(q)
    denom = 1.0 + q2 / n_eff
    centre = (p + q2 / (2 * n_eff)) / denom
    half = q / denom * np.sqrt(np.maximum(p * (1 - p), 0.0) / n_eff + q2 / (4 * np.square(n_eff)))
    # Clip float noise so the interval always holds p and stays in [0, 1].
    low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
    high = np.clip(np.maximum(centre + half, p), 0.0, 1.0)
    return low, high


def rule_of_three_share(n: int | np.ndarray, confidence: float) -> np.ndarray | float:
    """Wilson's upper bound for 0 events in n (about 3.8/n at 95%): how large a share of the task could behave
    differently from everything we saw."""
    z = z_quantile(confidence)
    return z * z / (np.asarray(n, dtype=float) + z * z)


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
