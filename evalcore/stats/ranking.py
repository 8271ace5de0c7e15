"""The leaderboard: each candidate's interval, ordered by the estimate, and comparisons with the best.

The question a leaderboard answers is "which candidates could be the best, and how much worse is each than the
best?", not "which of the 45 pairs differ?". So:

* **Rows are ordered by the estimate** and `rank` is that position (1 = best mean): a higher mean is never shown
  at a worse rank.
* **Rank ranges** say how sure the order is: `rank_low` is 1 + the candidates credibly better, `rank_high` is k -
  the candidates credibly worse. "Credibly better" is a one-sided paired test on the examples both ran (exact
  where the t test is not trustworthy, see `evalcore.stats.paired`) at alpha / (k - 1): Bonferroni over each
  candidate's k - 1 comparisons, so each candidate's range holds its true rank with at least 95% confidence.
* **could_be_best** is `rank_low == 1`: nobody is credibly better. This is Hsu's multiple comparisons with the
  best in its subset-selection form: the true best is left out only if a candidate that is not better beats it
  in a one-sided test, which (union bound over k - 1 tests at alpha / (k - 1)) happens at most alpha of the
  time; simulated containment is in the tests.
* **diff_vs_best** is each candidate minus the leader on their shared examples. Its interval is two-sided at
  1 - 2 alpha / (k - 1), so its upper end is the one-sided bound the test uses: a candidate whose interval is
  entirely below 0 is credibly worse than the leader (90% for two candidates, 98.9% for ten).

Holm over all pairs and "tie groups" are gone: a tie group read as "equivalent" while a paired test showed a
large gap, and ranks computed from significance ran against the means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from evalcore.stats._core import (
    TIE_TOL,
    ToDict,
    check_alpha,
    check_bounds,
    check_confidence,
    check_count,
)
from evalcore.stats.intervals import (
    ClusteredInterval,
    Interval,
    MeanMethod,
    clustered_from_means,
    clustered_pass_from_fracs,
)
from evalcore.stats.paired import TEST_NAMES, PairMethod, _check_method, paired_rows, sign_test_p
from evalcore.stats.table import Table, prepare

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class PairRow(ToDict):
    """One pair of candidates. `a` has the higher overall mean.

    `p` is the two-sided paired test on per-example means (`test` names it); `p_adjusted` is the one-sided p in the
    direction of the gap, Bonferroni over the k - 1 comparisons each candidate takes part in (min(1, p (k-1) / 2)),
    and `significant` is p_adjusted < alpha: "credibly different" as the leaderboard's rank ranges read it. `diff`
    is the 95% interval of a - b on their common examples. `mcnemar_p` is the exact McNemar test on pass/fail (with repeats: the sign test on per-example pass fractions); unadjusted.
    """

    a: str
    b: str
    n: int
    diff: Interval
    p: float | None
    p_adjusted: float | None
    significant: bool
    mcnemar_p: float | None
    wins: int
    losses: int
    ties: int
    test: str = ""


@dataclass(frozen=True)
class BoardRow(ToDict):
    """One candidate on the leaderboard (module docstring says how each field is computed).

    `rank` is the position by mean (None without scored examples); `better_than` / `worse_than` list the
    candidates this one is credibly better / worse than at the rank ranges' level; `not_compared` those sharing
    fewer than two examples with it. `diff_vs_best` is None for candidates without data.
    """

    candidate: str
    n: int
    n_obs: int
    mean: ClusteredInterval
    pass_rate: ClusteredInterval | None
    within_sd: float | None
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    could_be_best: bool
    diff_vs_best: Interval | None
    better_than: list[str] = field(default_factory=list)
    worse_than: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TagRow(ToDict):
    """One candidate on the examples carrying one tag. `too_small`: fewer than `min_n` examples."""

    tag: str
    candidate: str
    n: int
    n_obs: int
    mean: ClusteredInterval
    pass_rate: ClusteredInterval | None
    too_small: bool
    note: str = ""


def candidate_intervals(
    t: Table, i: int, cols: np.ndarray | None, lo: float, hi: float, confidence: float, method: MeanMethod
) -> tuple[ClusteredInterval, ClusteredInterval | None]:
    """Mean and pass-rate intervals for candidate i, over all its examples or those in `cols`."""
    count, mean, wss = t.count[i], t.mean[i], t.wss[i]
    sel = count > 0 if cols is None else (count > 0) & cols
    wdf = int((count[sel] - 1).sum())
    mean_iv = clustered_from_means(mean[sel], count[sel], float(wss[sel].sum()), wdf, lo, hi, confidence, method)
    pass_iv = None
    if t.pass_frac is not None and t.pass_count is not None and t.pass_wss is not None:
        pc = t.pass_count[i]
        psel = pc > 0 if cols is None else (pc > 0) & cols
        pass_iv = clustered_pass_from_fracs(
            t.pass_frac[i][psel], pc[psel], float(t.pass_wss[i][psel].sum()), int((pc[psel] - 1).sum()), confidence
        )
    return mean_iv, pass_iv


def order_by_mean(t: Table, intervals: list[ClusteredInterval]) -> list[int]:
    """Candidates by mean, best first; candidates without data last; name breaks ties."""
    return sorted(
        range(len(t.candidates)),
        key=lambda i: (intervals[i].estimate is None, -(intervals[i].estimate or 0.0), t.candidates[i]),
    )


@dataclass(frozen=True)
class _Pair:
    diff: Interval
    p: float | None
    wins: int
    losses: int
    test: str


def pair_results(t: Table, pairs: list[tuple[int, int]], span: float, confidence: float) -> dict[tuple[int, int],
                                                                                                  _Pair]:
    """a - b on the common examples of each pair; pairs sharing the same common examples are one batch."""
    tol = TIE_TOL * span
    has = t.count > 0
    groups: dict[bytes, list[tuple[int, int]]] = {}
    for ia, ib in pairs:
        groups.setdefault((has[ia] & has[ib]).tobytes(), []).append((ia, ib))
    found: dict[tuple[int, int], _Pair] = {}
    for members in groups.values():
        common = has[members[0][0]] & has[members[0][1]]
        n = int(common.sum())
        a_idx = np.array([m[0] for m in members])
        b_idx = np.array([m[1] for m in members])
        d = t.mean[a_idx][:, common] - t.mean[b_idx][:, common]
        if n < 2:
            for k, pair in enumerate(members):
                w, lo_ = int((d[k] > tol).sum()), int((d[k] < -tol).sum())
                if n == 0:
                    found[pair] = _Pair(Interval(None, None, None, 0, "paired", "no common examples"), None, 0, 0, "")
                else:
                    iv = Interval(float(d[k][0]), -span, span, 1, "paired", "one common example: no estimate of spread")
                    found[pair] = _Pair(iv, None, w, lo_, "")
            continue
        r = paired_rows(d, span, confidence)
        for k, pair in enumerate(members):
            note = "identical differences on every example: exact sign test, rule-of-three share" if r.const[k] else ""
            iv = Interval(float(r.est[k]), float(r.low[k]), float(r.high[k]), n, "paired", note)
            found[pair] = _Pair(iv, float(r.p[k]), int(r.wins[k]), int(r.losses[k]), TEST_NAMES[int(r.test[k])])
    return found


def _mcnemar(t: Table, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    if t.pass_frac is None or t.pass_count is None:
        return {}
    has_pass = t.pass_count > 0
    sign = {}
    for ia, ib in pairs:
        common = has_pass[ia] & has_pass[ib]
        if common.any():
            pdiff = t.pass_frac[ia][common] - t.pass_frac[ib][common]
            sign[(ia, ib)] = (int((pdiff > TIE_TOL).sum()), int((pdiff < -TIE_TOL).sum()))
    if not sign:
        return {}
    w, l_ = np.array(list(sign.values())).T
    return dict(zip(sign, (float(v) for v in sign_test_p(w, l_)), strict=True))


@dataclass(frozen=True)
class BoardParts:
    table: Table
    order: list[int]  # every candidate, best mean first, no-data last
    with_data: list[int]
    means: list[ClusteredInterval]
    passes: list[ClusteredInterval | None]
    pairs: list[PairRow]
    found: dict[tuple[int, int], _Pair]
    alpha: float
    adjusted_alpha: float


def board_parts(scores: pd.DataFrame | None, *, confidence: float, bounds: tuple[float, float], alpha: float,
                method: str, table: Table | None = None) -> BoardParts:
    check_confidence(confidence)
    check_alpha(alpha)
    _check_method(method)
    lo, hi = check_bounds(bounds)
    t = table if table is not None else prepare(scores, lo, hi)
    ivs = [candidate_intervals(t, i, None, lo, hi, confidence, "score") for i in range(len(t.candidates))]
    means = [m for m, _ in ivs]
    order = order_by_mean(t, means)
    with_data = [i for i in order if means[i].estimate is not None]
    k = len(with_data)
    adjusted = alpha / max(k - 1, 1)  # one-sided level of each comparison
    pairs = [(with_data[x], with_data[y]) for x in range(k) for y in range(x + 1, k)]
    found = pair_results(t, pairs, hi - lo, confidence)
    mc = _mcnemar(t, pairs)
    rows = []
    for pair in pairs:
        f = found[pair]
        p_adj = None if f.p is None else min(1.0, f.p * max(k - 1, 1) / 2)
        rows.append(PairRow(
            a=t.candidates[pair[0]], b=t.candidates[pair[1]], n=f.diff.n, diff=f.diff, p=f.p, p_adjusted=p_adj,
            significant=p_adj is not None and p_adj < alpha, mcnemar_p=mc.get(pair), wins=f.wins, losses=f.losses,
            ties=f.diff.n - f.wins - f.losses, test=f.test,
        ))
    return BoardParts(t, order, with_data, means, [p for _, p in ivs], rows, found, alpha, adjusted)


def pairwise(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
) -> list[PairRow]:
    """Every pair of candidates compared on the examples both have (per-example means), best-first.

    A pair with fewer than two common examples has p None. Candidates with no scored value are left out.
    `seed` is accepted for a stable signature; nothing is random.
    """
    del seed
    return board_parts(scores, confidence=confidence, bounds=bounds, alpha=alpha, method=method).pairs


def leaderboard(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
    alpha: float = 0.05,
    method: PairMethod = "t",
) -> list[BoardRow]:
    """Candidates ordered by mean (best first) with rank ranges, "could be best" and the gap to the leader.

    Each row's mean and pass rate are clustered intervals over that candidate's own examples; every comparison
    uses the examples the two candidates share (module docstring). `seed` is accepted for a stable signature.
    """
    del seed
    parts = board_parts(scores, confidence=confidence, bounds=bounds, alpha=alpha, method=method)
    return board_rows(parts, bounds)


def board_rows(parts: BoardParts, bounds: tuple[float, float]) -> list[BoardRow]:
    t, means = parts.table, parts.means
    lo, hi = check_bounds(bounds)
    k = len(parts.with_data)
    better: dict[int, list[int]] = {i: [] for i in range(len(t.candidates))}
    worse: dict[int, list[int]] = {i: [] for i in range(len(t.candidates))}
    unknown: dict[int, list[int]] = {i: [] for i in range(len(t.candidates))}
    for (ia, ib), f in parts.found.items():
        if f.p is None:
            unknown[ia].append(ib)
            unknown[ib].append(ia)
        elif f.p / 2 < parts.adjusted_alpha and (f.diff.estimate or 0.0) > 0:
            better[ia].append(ib)
            worse[ib].append(ia)
        elif f.p / 2 < parts.adjusted_alpha and (f.diff.estimate or 0.0) < 0:
            better[ib].append(ia)
            worse[ia].append(ib)
    leader = parts.with_data[0] if parts.with_data else None
    vs_best = _vs_leader(parts, hi - lo)
    out = []
    position = {i: r + 1 for r, i in enumerate(parts.with_data)}
    for i in parts.order:
        name = t.candidates[i]
        has_data = i in position
        rank = position.get(i)
        rank_low = rank_high = None
        if rank is not None:
            rank_low = min(rank, 1 + len(worse[i]))
            rank_high = max(rank, k - len(better[i]))
        out.append(BoardRow(
            candidate=name, n=means[i].n, n_obs=means[i].n_obs, mean=means[i], pass_rate=parts.passes[i],
            within_sd=means[i].within_sd, rank=rank, rank_low=rank_low, rank_high=rank_high,
            could_be_best=has_data and not worse[i],
            diff_vs_best=(Interval(0.0, 0.0, 0.0, means[i].n, "paired", "the leader") if i == leader else
                          vs_best.get(i)) if has_data else None,
            better_than=[t.candidates[j] for j in parts.order if j in better[i]],
            worse_than=[t.candidates[j] for j in parts.order if j in worse[i]],
            not_compared=[t.candidates[j] for j in parts.order if j in unknown[i]] if has_data else
            [c for c in t.candidates if c != name],
        ))
    return out


def vs_leader_confidence(k: int, alpha: float = 0.05) -> float:
    """The level of each `diff_vs_best` interval on a board of k candidates with data: two-sided
    1 - 2 alpha / (k - 1), so its upper end is the one-sided bound "could be best" tests (90% for two candidates,
    95% for three, 98.9% for ten). A page that labels these intervals "95%" misstates all but k = 3."""
    check_alpha(alpha)
    return 1 - 2 * alpha / max(int(k) - 1, 1)


def _vs_leader(parts: BoardParts, span: float) -> dict[int, Interval]:
    """Each candidate minus the leader, two-sided at 1 - 2 alpha / (k - 1) (module docstring)."""
    if len(parts.with_data) < 2:
        return {}
    leader = parts.with_data[0]
    others = parts.with_data[1:]
    level = vs_leader_confidence(len(parts.with_data), parts.alpha)
    found = pair_results(parts.table, [(i, leader) for i in others], span, level)
    out = {}
    for i in others:
        iv = found[(i, leader)].diff
        note = f"{level:.1%} interval: one-sided 95% over {len(others)} comparisons with the leader"
        out[i] = Interval(iv.estimate, iv.low, iv.high, iv.n, iv.method, iv.note or note)
    return out


def could_be_best_rows(means: np.ndarray, span: float, alpha: float = 0.05, confidence: float = 0.95) -> np.ndarray:
    """`could_be_best` for many boards at once: means (boards, k, n) of k candidates on the same n examples.

    The rule of `leaderboard` (nobody credibly better at alpha / (k - 1)), vectorised for the validation
    simulations; `leaderboard` itself also handles candidates that ran different examples.
    """
    boards, k, n = means.shape
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    d = np.concatenate([means[:, i] - means[:, j] for i, j in pairs])  # pair-major
    r = paired_rows(d, span, confidence)
    credible = (r.p / 2 < alpha / max(k - 1, 1)).reshape(len(pairs), boards)
    sign = r.est.reshape(len(pairs), boards)
    beaten = np.zeros((boards, k), dtype=bool)
    for x, (i, j) in enumerate(pairs):
        beaten[:, i] |= credible[x] & (sign[x] < 0)
        beaten[:, j] |= credible[x] & (sign[x] > 0)
    return ~beaten


def by_tag(
    scores: pd.DataFrame,
    *,
    seed: int = 0,
    min_n: int = 10,
    confidence: float = 0.95,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> list[TagRow]:
    """Each candidate's mean and pass rate on the examples carrying each tag (clustered intervals).

    Rows with n < `min_n` are flagged `too_small` rather than hidden. Tags come from the first row of each
    example. A table without tags gives an empty list. Rows are sorted by tag, then mean (best first).
    """
    del seed
    check_confidence(confidence)
    lo, hi = check_bounds(bounds)
    min_n = check_count(min_n, "min_n", minimum=1, hint="The examples a tag needs before its rows count, e.g. 10.")
    t = prepare(scores, lo, hi, with_tags=True)
    if not t.tags:
        return []
    columns: dict[str, np.ndarray] = {}
    for j, tags in enumerate(t.tags):
        for tag in set(tags):
            columns.setdefault(tag, np.zeros(len(t.examples), dtype=bool))[j] = True
    out: list[TagRow] = []
    for tag in sorted(columns):
        rows = []
        for i, name in enumerate(t.candidates):
            if not (t.count[i][columns[tag]] > 0).any():
                continue
            mean_iv, pass_iv = candidate_intervals(t, i, columns[tag], lo, hi, confidence, "score")
            n = mean_iv.n
            small = n < min_n
            rows.append(TagRow(tag=tag, candidate=name, n=n, n_obs=mean_iv.n_obs, mean=mean_iv, pass_rate=pass_iv,
                               too_small=small,
                               note=f"{n} example{'s' if n != 1 else ''}: too small to conclude from" if small else ""))
        rows.sort(key=lambda r: (r.mean.estimate is None, -(r.mean.estimate or 0.0), r.candidate))
        out.extend(rows)
    return out
