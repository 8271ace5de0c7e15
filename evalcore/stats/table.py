"""The long score table (candidate, example_id, repeat, value, passed, tags) reduced to candidate x example
matrices, after checks that refuse what would silently change the numbers: missing or non-numeric values,
duplicate (candidate, example, repeat) rows, and ids of mixed types (1 and '1')."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evalcore.stats._core import BOUND_TOL, StatsInputError, is_missing

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("candidate", "example_id", "value")


@dataclass(frozen=True)
class Table:
    """Candidate x example matrices (NaN / 0 where a candidate did not run an example)."""

    candidates: list[str]
    examples: list[str]
    mean: np.ndarray  # per-example mean value
    count: np.ndarray  # values per (candidate, example)
    wss: np.ndarray  # within-example sum of squares per (candidate, example)
    pass_frac: np.ndarray | None
    pass_count: np.ndarray | None
    pass_wss: np.ndarray | None
    tags: list[tuple[str, ...]] | None

    def subset(self, rows: list[int], cols: np.ndarray) -> Table:
        """The same table for some candidates (`rows`) on some examples (boolean `cols`)."""
        r = np.asarray(rows, dtype=int)

        def cut(m: np.ndarray | None) -> np.ndarray | None:
            return None if m is None else m[r][:, cols]

        return Table([self.candidates[i] for i in rows], [e for e, k in zip(self.examples, cols, strict=True) if k],
                     cut(self.mean), cut(self.count), cut(self.wss), cut(self.pass_frac), cut(self.pass_count),
                     cut(self.pass_wss), None if self.tags is None else
                     [t for t, k in zip(self.tags, cols, strict=True) if k])  # type: ignore[arg-type]


def _tags_of(value: Any, example: Any = None) -> tuple[str, ...]:
    """An example's tags: a string, or a list (array) of strings. Other tags are refused, not str()-ed: 1 and '1'
    became one tag."""
    where = "" if example is None else f" (example {example!r})"
    hint = 'Write tags as text, e.g. ["easy", "2024"].'
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    try:
        items = list(value)
    except TypeError:
        raise StatsInputError(f"column 'tags' holds {value!r}{where}: tags must be a string or a list of strings.",
                              column="tags", hint=hint) from None
    bad = next((t for t in items if t is not None and not isinstance(t, str)), None)
    if bad is not None:
        raise StatsInputError(f"column 'tags' holds the tag {bad!r} ({type(bad).__name__}){where}: tags must be "
                              "strings (1 and '1' would be one tag).", column="tags", hint=hint)
    return tuple(t for t in items if t is not None and t.strip())


def _cell_stats(key: np.ndarray, x: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count = np.bincount(key, minlength=cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, weights=x, minlength=cells) / count
    wss = np.bincount(key, weights=np.square(x - mean[key]), minlength=cells)
    return mean, count, wss


def _ids(col: pd.Series, name: str, hint: str = "Every row needs a candidate and an example id.") -> None:
    import pandas as pd

    missing = col.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise StatsInputError(f"column '{name}' is missing on row {row}.", row=row, column=name, hint=hint)
    values = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col  # a categorical's type
    inferred = pd.api.types.infer_dtype(values, skipna=False)  # is "categorical": look at its categories
    if inferred.startswith("mixed"):
        kinds = sorted({type(v).__name__ for v in pd.Series(values).to_numpy(dtype=object)})
        raise StatsInputError(
            f"column '{name}' mixes id types ({', '.join(kinds)}): 1 and '1' would be different rows.",
            column=name, hint="Use one type for ids (strings are safest).",
        )


def _numeric(col: pd.Series, name: str, *, binary: bool = False) -> np.ndarray:
    import pandas as pd

    raw = col.to_numpy(dtype=object)
    if col.dtype.kind == "b":  # numpy or nullable booleans: a missing one (pd.NA) is caught below, not a NaN mean
        x = col.to_numpy(dtype=float, na_value=np.nan)
    else:
        bad_type = [] if col.dtype.kind in "iuf" else [
            i for i, v in enumerate(raw)
            if isinstance(v, (str, bytes)) or (v is not None and not isinstance(v, (int, float, np.number, bool))
                                               and not pd.isna(v))]
        if bad_type:
            i = bad_type[0]
            raise StatsInputError(f"column '{name}' row {i} is {raw[i]!r}, not a number.", row=i, column=name,
                                  hint="Convert the column to numbers first; nothing is dropped silently.")
        flags = [isinstance(v, (bool, np.bool_)) for v in raw] if col.dtype == object else []
        if any(flags) and not all(flags[i] or is_missing(v) for i, v in enumerate(raw)):
            i = next(i for i, v in enumerate(raw) if not flags[i] and not is_missing(v))
            raise StatsInputError(f"column '{name}' mixes True/False with numbers (row {i} is {raw[i]!r}).", row=i,
                                  column=name, hint="Pass all booleans (pass/fail) or all numbers.")
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        i = int(bad[0])
        raise StatsInputError(
            f"column '{name}' is missing (or not finite) on {bad.size} row(s), first row {i}.", row=i, column=name,
            hint="Drop unscored rows first and report how many (evalcore.analysis does), or fill them in.",
        )
    if binary and np.any((x != 0) & (x != 1)):
        i = int(np.flatnonzero((x != 0) & (x != 1))[0])
        raise StatsInputError(f"column '{name}' row {i} is {raw[i]!r}: pass/fail must be True/False or 1/0.",
                              row=i, column=name)
    return x


def prepare(scores: pd.DataFrame, lo: float, hi: float, *, with_tags: bool = False) -> Table:
    import pandas as pd

    if not isinstance(scores, pd.DataFrame):
        raise StatsInputError("scores must be a pandas DataFrame in long format.")
    missing = [c for c in REQUIRED if c not in scores.columns]
    if missing:
        raise StatsInputError(
            f"scores is missing column(s) {', '.join(missing)}.",
            hint="Expected long format: candidate, example_id, repeat, value, passed, optional tags.",
        )
    twice = [c for c in (*REQUIRED, "repeat", "passed", "tags") if int((scores.columns == c).sum()) > 1]
    if twice:  # scores['value'] is then a DataFrame: an AttributeError deep inside
        raise StatsInputError(f"scores has {len([c for c in scores.columns if c == twice[0]])} columns named "
                              f"'{twice[0]}'.", column=twice[0],
                              hint="Keep one column of each name (drop or rename the others) before computing.")
    scores = scores.reset_index(drop=True)
    for name in ("candidate", "example_id"):
        _ids(scores[name], name)
    cand_codes, cands = pd.factorize(scores["candidate"], sort=True)
    ex_codes, exs = pd.factorize(scores["example_id"], sort=True)
    c, e = len(cands), len(exs)
    key = cand_codes.astype(np.int64) * e + ex_codes
    if "repeat" in scores.columns:
        _ids(scores["repeat"], "repeat", hint="Number every row's repeat (0 when each example ran once).")
        rep_codes, reps = pd.factorize(scores["repeat"])
        full = key * max(len(reps), 1) + rep_codes
        if np.unique(full).size < full.size:
            dup = scores.duplicated(["candidate", "example_id", "repeat"], keep="first").to_numpy()
            i = int(np.flatnonzero(dup)[0])
            r = scores.iloc[i]
            raise StatsInputError(
                f"row {i} repeats (candidate '{r['candidate']}', example '{r['example_id']}', repeat {r['repeat']}).",
                row=i, hint="Each (candidate, example, repeat) must appear once: drop the duplicate rows.",
            )
    elif np.unique(key).size < key.size:  # without a repeat column a second row is a duplicate, not a repeat
        i = int(np.flatnonzero(scores.duplicated(["candidate", "example_id"], keep="first").to_numpy())[0])
        r = scores.iloc[i]
        raise StatsInputError(
            f"row {i} repeats (candidate '{r['candidate']}', example '{r['example_id']}') and there is no 'repeat' "
            "column.", row=i, hint="Add a 'repeat' column numbering the runs of an example, or drop the duplicates.",
        )
    values = _numeric(scores["value"], "value")
    if values.size and (values.min() < lo - BOUND_TOL or values.max() > hi + BOUND_TOL):
        bad = values[(values < lo - BOUND_TOL) | (values > hi + BOUND_TOL)][0]
        raise StatsInputError(
            f"column 'value' has {bad!r}, outside the bounds ({lo:g}, {hi:g}).", column="value",
            hint="Pass bounds=(1, 5) for 1-5 ratings.",
        )
    values = np.clip(values, lo, hi)
    mean, count, wss = _cell_stats(key, values, c * e)
    pass_frac = pass_count = pass_wss = None
    if "passed" in scores.columns:
        passed = _numeric(scores["passed"], "passed", binary=True)
        pf, pc, pw = _cell_stats(key, passed, c * e)
        pass_frac, pass_count, pass_wss = pf.reshape(c, e), pc.reshape(c, e), pw.reshape(c, e)
    tags = None
    if with_tags and "tags" in scores.columns:
        first = pd.Series(scores["tags"].to_numpy(dtype=object)).groupby(ex_codes).first()
        tags = [_tags_of(first.get(i), exs[i]) for i in range(e)]
    return Table(
        candidates=[str(x) for x in cands],
        examples=[str(x) for x in exs],
        mean=mean.reshape(c, e),
        count=count.reshape(c, e),
        wss=wss.reshape(c, e),
        pass_frac=pass_frac,
        pass_count=pass_count,
        pass_wss=pass_wss,
        tags=tags,
    )
