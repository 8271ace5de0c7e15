"""The recommendation: which candidate to use under a stated policy and practical margin, in plain words.

The rule: among candidates shown *non-inferior* to every other within the margin Δ ("a drop of up to 0.02 is
acceptable") by a paired one-sided test, pick the cheapest (policy "cheapest"), the fastest ("fastest") or the
best-scoring ("best"). Non-inferiority to every other candidate is an intersection-union test: the pick loses
more than Δ to the true best with probability at most the test's level, with no multiplicity penalty. The test
is one-sided at alpha / 2 (2.5%), so it agrees with the printed 95% interval: non-inferior exactly when the
interval's lower end is above -Δ. A candidate a paired test shows worse by more than Δ is never picked, and
when nothing is shown the text says so and names no leader.

Everything is computed on the examples all candidates share, and the text says how many.

People's ratings, when given (`people=`, from `stats.human.people_evidence`), have a veto: a candidate people rate
credibly worse than another is never picked (the next one under the policy is, or none), the headline names the
candidate passed over and why, and every alternative carries its human rating and "ok to show" rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evalcore import formatting as fmt
from evalcore.stats._core import StatsInputError, ToDict, check_alpha, check_bounds, is_real, number_mapping
from evalcore.stats.human import PeopleEvidence, compact, row_fields, row_summary
from evalcore.stats.intervals import mean_interval_clean
from evalcore.stats.paired import one_sided_p, paired_rows
from evalcore.stats.power import SampleSizeReport, report_from_table, required_n
from evalcore.stats.ranking import board_parts, board_rows
from evalcore.stats.table import prepare

if TYPE_CHECKING:
    import pandas as pd

Policy = Literal["cheapest", "best", "fastest"]
POLICIES: tuple[str, ...] = ("cheapest", "best", "fastest")
DEFAULT_POLICY: Policy = "cheapest"
DEFAULT_MARGIN = 0.02


@dataclass(frozen=True)
class Recommendation(ToDict):
    """What to do, and why. `status`: "pick", "no_scores", "all_failed", "single" or "inconclusive".

    `headline` is one sentence to act on; `details` the evidence in short sentences. `pick` is None unless status
    is "pick"; `leader` is the best mean on the shared examples (None when nothing was compared).
    `alternatives` holds one dict per candidate other than the pick (diff from the leader with its 95% CI,
    pass-rate difference, two-sided p, one-sided non-inferiority p against the leader, verdict words,
    could_be_best, non_inferior, cost and latency; with people's ratings also human_rating, human_ok with their
    _low/_high, human_n, human_examples, human_weighed and people_worse, the reason people rule it out, or None).
    """

    status: str
    headline: str
    details: list[str]
    pick: str | None
    leader: str | None
    policy: str
    margin: float
    shared_examples: int
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    could_be_best: list[str] = field(default_factory=list)
    sample: SampleSizeReport | None = None
    people: dict[str, Any] | None = None
    """What people said, when labels were given (`stats.human`): weighed, note, level, the pick's numbers
    (`pick`), and the candidates people rate credibly worse (`worse`: candidate -> reason)."""
    warnings: list[str] = field(default_factory=list)
    """Reasons to distrust the recommendation, e.g. it rests on an LLM judge that people disagree with."""
    needed_examples: int | None = None
    """With no pick: about how many shared examples would show the policy's candidate (the cheapest or fastest that
    could be best; under "best" the leader) within the margin of the one it is compared with, if the two are truly
    equal (the evidence's "would take about N shared examples"). None when its observed gap is already beyond the
    margin: then no number is a fair promise."""
    needed_for: tuple[str, str, float] | None = None
    """(candidate, the one it is compared with, the observed gap between them) behind `needed_examples`, so the
    no-pick text can name the two and the assumption."""
    pick_row: dict[str, Any] | None = None
    """The pick's numbers in the shape of an alternative (its verdict starts "the pick"), so a table of the evidence
    can show the pick's own gap, cost and latency beside the others'."""

    @property
    def evidence(self) -> list[dict[str, Any]]:
        """Every compared candidate's row, the pick's first: what a table of the evidence lists."""
        return [*([self.pick_row] if self.pick_row else []), *self.alternatives]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision(ToDict):
    """The older summary shape (winner, text, lines), derived from a `Recommendation` for existing callers."""

    winner: str | None
    confident: bool
    text: str
    lines: list[str] = field(default_factory=list)
    tied_with: list[str] = field(default_factory=list)


def as_decision(rec: Recommendation) -> Decision:
    if not isinstance(rec, Recommendation):
        raise StatsInputError(f"as_decision needs a Recommendation, got {type(rec).__name__}.",
                              hint="Pass what recommend(...) returned.")
    return Decision(rec.pick, rec.status == "pick" and len(rec.could_be_best) <= 1, rec.headline, list(rec.details),
                    [c for c in rec.could_be_best if c != rec.pick])


def _known(d: Mapping[str, Any], name: str) -> float | None:
    v = fmt._num(d.get(name))
    return v if v is not None and v >= 0 else None


def check_policy(policy: str, margin: float, span: float = 1.0) -> None:
    if policy not in POLICIES:
        raise StatsInputError(f"unknown policy {policy!r}.", hint=f"Use one of: {', '.join(POLICIES)}.")
    if not is_real(margin) or not 0 < float(margin) < span:  # np.float32 as well as float; never True
        raise StatsInputError(f"margin must be a number between 0 and {span:g}, got {margin!r}.",
                              hint="A margin of 0.02 reads 'a drop of up to 0.02 is acceptable'.")


def _verdict(diff: float, low: float, high: float, margin: float, could_be_best: bool, non_inferior: bool,
             blocker: tuple[str, float, bool] | None = None, leader: str = "the leader") -> str:
    """`blocker`: the other candidate this one is not shown within `margin` of, and the loss to it that cannot be
    ruled out; named when the gap to the leader alone would pass, so the text never reads as a contradiction."""
    if non_inferior and -margin < low and high < margin:
        return "practically equivalent"
    if non_inferior:
        return f"non-inferior within {fmt.score(margin)}"
    if high < -margin:
        return f"worse by at least {fmt.score(-high)}"
    if could_be_best:
        if high < 0:  # the printed (unadjusted) interval excludes 0, yet the adjusted comparison does not
            return "could be best (the gap is not significant once adjusted for the comparisons with the best)"
        return "could be best"
    # here no candidate could be best but for a credibly better one: say that first, as the evidence's rule and the
    # chart do (the demo's delta-2 at p = 0.0044 read "within 0.050 of aurora-1.5" and nothing about it)
    if low > -margin and blocker is not None:
        other, loss, lower = blocker
        why = f"; {other}'s mean is lower, but the gap to it varies too much across examples" if lower else ""
        return (f"credibly worse than {leader}, though within {fmt.score(margin)} of it; not shown within it of "
                f"{other} (a loss of up to {fmt.score(loss)} cannot be ruled out{why}), and a pick must be within "
                "it of every candidate")
    return f"credibly worse than {leader}; cannot rule out a loss of up to {fmt.score(-low)}"


def _blockers(stacked: np.ndarray, order: list[str], margin: float, span: float,
              alpha: float) -> dict[str, tuple[str, float, bool]]:
    """For each candidate not shown non-inferior to every other: the one it is least clearly within `margin` of
    (highest one-sided p), the lower end of its interval against it, as a loss, and whether that one's mean is
    lower (which reads as a bug unless the text says why)."""
    out: dict[str, tuple[str, float, bool]] = {}
    k = len(order)
    for x in range(k):
        others = [j for j in range(k) if j != x]
        if not others:
            continue
        d = np.stack([stacked[x] - stacked[j] for j in others])
        p = one_sided_p(d, -margin, span, 1 - alpha)
        worst = int(np.argmax(p))
        if p[worst] >= alpha / 2:
            rows = paired_rows(d[worst][None], span, 1 - alpha)
            out[order[x]] = (order[others[worst]], max(0.0, -float(rows.low[0])), bool(d[worst].mean() > 0))
    return out


def noninferior_rows(means: np.ndarray, margin: float, span: float, alpha: float = 0.05) -> np.ndarray:
    """For boards (boards, k, n) of k candidates on the same examples: is each candidate shown to lose at most
    `margin` to every other (one-sided paired tests at alpha / 2, intersection-union)? Shape (boards, k)."""
    boards, k, n = means.shape
    pairs = [(c, j) for c in range(k) for j in range(k) if c != j]
    d = np.concatenate([means[:, c] - means[:, j] for c, j in pairs])
    p = one_sided_p(d, -margin, span, 1 - alpha).reshape(len(pairs), boards)
    ok = np.ones((boards, k), dtype=bool)
    for x, (c, _) in enumerate(pairs):
        ok[:, c] &= p[x] < alpha / 2
    return ok


def recommend(
    scores: pd.DataFrame,
    *,
    cost_per_example: Mapping[str, float | None] | None = None,
    latency_ms: Mapping[str, float | None] | None = None,
    calls: Mapping[str, int] | None = None,
    errors: Mapping[str, int] | None = None,
    policy: str = DEFAULT_POLICY,
    margin: float = DEFAULT_MARGIN,
    alpha: float = 0.05,
    power: float = 0.8,
    bounds: tuple[float, float] = (0.0, 1.0),
    people: PeopleEvidence | None = None,
) -> Recommendation:
    """The recommendation for a long score table (module docstring); `calls`/`errors` per candidate let it say
    "every call failed" instead of ranking a table of zeros. With `people` (`stats.human.people_evidence`), a
    candidate people rate credibly worse than another is never picked, and every alternative carries the
    people's numbers."""
    lo, hi = check_bounds(bounds)
    check_alpha(alpha)
    check_policy(policy, margin, hi - lo)
    margin = float(margin)
    # Checked value by value: NaN, -1, 'x' or inf for a cost read as "unknown" without a word, 1.9 calls as 1.
    cost = number_mapping(cost_per_example, "cost_per_example")
    lat = number_mapping(latency_ms, "latency_ms")
    calls_ = number_mapping(calls, "calls", whole=True)
    errors_ = number_mapping(errors, "errors", whole=True)

    def empty(status: str, headline: str, details: list[str] | None = None, **kw: Any) -> Recommendation:
        return Recommendation(status, headline, details or [], None, kw.pop("leader", None), policy, margin,
                              kw.pop("shared", 0), **kw)

    if calls_ and all(int(calls_.get(c) or 0) > 0 and int(errors_.get(c) or 0) >= int(calls_[c]) for c in calls_):
        return empty("all_failed", f"Every call failed for all {fmt.count(len(calls_), 'candidate')}: there is "
                     "nothing to compare. Fix the errors (see evalcore runs) and run again.")
    t = prepare(scores, lo, hi)
    has = t.count > 0
    # A candidate whose every call failed has no answer to compare: its zeros are not a model's quality, and
    # ranking it called a misspelt model name "credibly worse" (audit 5). It is named, not compared.
    dead = [c for c in t.candidates
            if int(calls_.get(c) or 0) > 0 and int(errors_.get(c) or 0) >= int(calls_[c])]
    has_ = "it has" if len(dead) == 1 else "they have"
    dead_note = (f"Not compared: every call of {fmt.names(dead, 5)} failed, so {has_} no answer to score; fix the "
                 "errors (Explore shows them) and run again.") if dead else ""
    with_data = [i for i in range(len(t.candidates)) if has[i].any() and t.candidates[i] not in dead]
    if not with_data:
        return empty("no_scores", "No scored results yet: run the suite first (evalcore run SUITE_FILE).",
                     [dead_note] if dead else None)
    if len(with_data) == 1:
        i = with_data[0]
        iv = mean_interval_clean(t.mean[i][has[i]], lo, hi, 0.95, "score")
        name = t.candidates[i]
        return empty("single", f"Only {name} has scores ({fmt.score(iv.estimate)} "
                     f"{fmt.interval(iv.low, iv.high)}): nothing to compare it with.",
                     [dead_note] if dead else None, shared=int(has[i].sum()))
    names_all = [t.candidates[i] for i in with_data]
    shared = np.logical_and.reduce([has[i] for i in with_data])
    n = int(shared.sum())
    k = len(with_data)
    if n < 2:
        return empty("inconclusive", f"Cannot compare: the {k} candidates share {fmt.count(n, 'example')}. Run them "
                     "all on the same examples.", shared=n)
    sub = t.subset(with_data, shared)
    parts = board_parts(None, confidence=0.95, bounds=bounds, alpha=alpha, method="t", table=sub)
    board = board_rows(parts, bounds)
    bt = parts.table
    idx = {c: i for i, c in enumerate(bt.candidates)}
    order = [bt.candidates[i] for i in parts.with_data]
    leader = order[0]
    span = hi - lo
    M = bt.mean  # every candidate has every (shared) example here
    # non-inferiority of c to every other candidate (intersection-union), one-sided at alpha / 2
    stacked = np.stack([M[idx[c]] for c in order])
    ni = noninferior_rows(stacked[None], margin, span, alpha)[0]
    non_inferior = {c: bool(ni[x]) for x, c in enumerate(order)}
    blockers = _blockers(stacked, order, margin, span, alpha)
    # the non-inferiority p against the leader (one-sided: "loses at most `margin`")
    p_ni = {c: float(one_sided_p((stacked[x] - stacked[0])[None], -margin, span, 1 - alpha)[0])
            for x, c in enumerate(order) if x > 0}
    rows_by = {r.candidate: r for r in board}
    could = [c for c in order if rows_by[c].could_be_best]
    vs = paired_rows(np.stack([M[idx[c]] - M[idx[leader]] for c in order[1:]]), span, 1 - alpha)
    comp = {c: (float(vs.est[x]), float(vs.low[x]), float(vs.high[x]), float(vs.p[x]))
            for x, c in enumerate(order[1:])}
    key = cost if policy == "cheapest" else lat  # what "cheapest" / "fastest" minimise ("best" uses neither)
    pass_mean: dict[str, float] = {}
    if bt.pass_frac is not None and bt.pass_count is not None and (bt.pass_count > 0).all():
        pass_mean = {c: float(bt.pass_frac[idx[c]].mean()) for c in order}

    def choose(eligible: list[str]) -> str | None:
        if not eligible:
            return None
        if policy == "best":
            return eligible[0]
        known = [c for c in eligible if _known(key, c) is not None]
        pool = known or eligible
        return min(pool, key=lambda c: (_known(key, c) if known else 0.0, order.index(c)))

    vetoed = people.worse if people is not None and people.is_weighed else {}
    allowed = [c for c in order if non_inferior[c]]  # by the automatic scores
    auto_pick = choose(allowed)
    pick = choose([c for c in allowed if c not in vetoed])

    sample = report_from_table(sub, alpha=alpha, power=power, lo=lo, hi=hi, margin=margin)
    lead_iv = mean_interval_clean(M[idx[leader]], lo, hi, 0.95, "score")
    details = [f"Computed on the {fmt.count(n, 'example')} all {k} candidates share."]
    own = {c: int(has[t.candidates.index(c)].sum()) for c in names_all}
    more = [c for c in names_all if own[c] > n]
    if more:
        details[0] = details[0][:-1] + (f"; {fmt.names(more)} ran more, which the leaderboard's means include, so "
                                        "its numbers can differ from these.")
    details.append(f"{leader} has the best mean on them: {fmt.score(lead_iv.estimate)} "
                   f"{fmt.interval(lead_iv.low, lead_iv.high)}.")
    if k >= 2:
        details.append(f"Below, p is one-sided (is it worse than {leader}?): under {alpha:g}/{k - 1} = "
                       f"{alpha / (k - 1):.2g} against any candidate, it is credibly worse and cannot be best.")
    alternatives = []
    pick_row: dict[str, Any] | None = None
    for c in order:
        if c == leader:
            diff, low, high, p = 0.0, 0.0, 0.0, None
        else:
            diff, low, high, p = comp[c]
        verdict = "the leader (best mean)" if c == leader else _verdict(diff, low, high, margin, c in could,
                                                                        non_inferior[c], blockers.get(c), leader)
        if c == pick:
            verdict = f"the pick; {verdict}"
        pr = None if not pass_mean else pass_mean[c] - pass_mean[leader]  # the numbers; the words use the shown %
        entry = {
            "candidate": c, "diff": diff, "diff_low": low, "diff_high": high, "pass_rate_diff": pr, "p_value": p,
            "p_value_test": "two-sided paired, exact where the t test is not trustworthy",
            "p_noninferiority": p_ni.get(c), "p_worse": _p_worse(diff, p),
            "verdict": verdict, "could_be_best": c in could, "non_inferior": non_inferior[c],
            "cost_per_example_usd": _known(cost, c), "latency_p50_ms": _known(lat, c),
            **row_fields(people.rows.get(c) if people is not None else None),
            "people_worse": vetoed[c].text if c in vetoed else None,
        }
        if c == pick:
            pick_row = entry
            continue
        alternatives.append(entry)
        if c != leader:
            details.append(f"{c}: {fmt.diff(diff)} vs {leader} ({fmt.ci_words(low, high)})"
                           + (f", pass rate {fmt.pct_points_between(pass_mean[c], pass_mean[leader])}"
                              if pr is not None else "")
                           + f", one-sided {fmt.p_value(_p_worse(diff, p))}: {verdict}"
                           + (f"; {vetoed[c].text}" if c in vetoed else "") + ".")
        elif c in vetoed:
            details.append(f"{c} (the leader): {vetoed[c].text}.")
    if pick is not None:
        status = "pick"
        if pick == leader:
            if could == [leader]:
                headline = (f"Pick {leader}: the best score, {fmt.score(lead_iv.estimate)} "
                            f"{fmt.interval(lead_iv.low, lead_iv.high)}, credibly ahead of every other candidate.")
            else:
                headline = (f"Pick {leader}: the best score ({fmt.score(lead_iv.estimate)}), and no other candidate "
                            f"is more than {fmt.score(margin)} better.")
            base = _known(key, leader)
            if policy != "best" and base is not None and auto_pick == pick and any(
                    (v := _known(key, c)) is not None and v < base for c in order if c != leader):
                headline = headline[:-1] + f"; no {'cheaper' if policy == 'cheapest' else 'faster'} candidate is " \
                                           f"shown within {fmt.score(margin)} of it."
        else:
            diff, low, high, _ = comp[pick]
            trade = []
            if _known(cost, pick) is not None and _known(cost, leader) is not None:
                trade.append(fmt.ratio_phrase(cost[pick], cost[leader]))
            if _known(lat, pick) is not None and _known(lat, leader) is not None:
                trade.append(fmt.speed_phrase(lat[pick], lat[leader]))
            gap = f"{fmt.score(-diff)} below the leader" if fmt.diff(diff) != fmt.diff(0) else "level with the leader"
            headline = (f"Pick {pick}: {gap} ({fmt.ci_words(low, high)}), inside the {fmt.score(margin)} you accept"
                        + ("; " + ", ".join(trade) if trade else "") + ".")
        if auto_pick is not None and auto_pick != pick and auto_pick in vetoed:
            headline += f" Not {auto_pick}: {_first_clause(vetoed[auto_pick].text)}."
    elif auto_pick is not None:
        status = "inconclusive"
        cheap = None
        headline = (f"No pick: {fmt.names(allowed)} {'is' if len(allowed) == 1 else 'are'} within "
                    f"{fmt.score(margin)} on the scores, but people rate "
                    f"{'it' if len(allowed) == 1 else 'each'} credibly worse than another candidate: "
                    f"{_first_clause(vetoed[auto_pick].text)}.")
    else:
        status = "inconclusive"
        cheap = _no_pick_target(policy, order, could, leader, key, blockers)
        if len(could) == k:
            headline = f"Nothing separates the {k} candidates yet on the {fmt.count(n, 'example')} they share: no pick."
        else:
            headline = (f"No pick yet: {fmt.names(could)} could be best, and none is shown to lose at most "
                        f"{fmt.score(margin)} to the others.")
        if cheap is not None and cheap in comp:
            which = (f" (the {'cheapest' if policy == 'cheapest' else 'fastest'} that could be best)"
                     if policy != "best" and cheap in could and _known(key, cheap) is not None else "")
            details.append(f"For {cheap}{which}, a loss of "
                           f"up to {fmt.score(max(0.0, -comp[cheap][1]))} cannot be ruled out.")
        elif cheap == leader and leader in blockers:
            other, loss, _ = blockers[leader]
            details.append(f"For {leader} (the best mean), a loss of up to {fmt.score(loss)} to {other} cannot be "
                           "ruled out.")
    details.append(f"Policy '{policy}', margin {fmt.score(margin)}: the {policy} candidate shown to lose at most "
                   f"{fmt.score(margin)} to every other (paired one-sided test at {alpha / 2:g}, i.e. its 95% "
                   f"interval's lower end above {fmt.diff(-margin)}).")
    if k >= 3:
        details.append(f"{leader}'s own interval is optimistic: it was picked for scoring highest of {k}, so expect "
                       "it to score somewhat lower on new examples.")
    if sample.mdd is not None and sample.mdd >= hi - lo:  # "a gap smaller than about 4.096" on a 0-1 score
        details.append(f"With {fmt.count(sample.n, 'shared example')}, no gap between {sample.leader} and "
                       f"{sample.runner_up} that the scores can hold would reliably show: add examples.")
    elif sample.mdd is not None:
        details.append(f"With {fmt.count(sample.n, 'shared example')}, a true gap smaller than about "
                       f"{fmt.score(sample.mdd)} between {sample.leader} and {sample.runner_up} would usually go "
                       "unseen "
                       f"({sample.power:.0%} power, one-sided at {sample.alpha:g}/{max(k - 1, 1)} = "
                       f"{sample.alpha_adjusted:.2g} for {fmt.count(k - 1, 'comparison')} with the leader).")
    needed: int | None = None
    needed_for: tuple[str, str, float] | None = None
    if status == "inconclusive" and auto_pick is None and sample.sd_diff:
        target = cheap or sample.runner_up
        against = blockers[leader][0] if target == leader and leader in blockers else leader
        gap_d = M[idx[target]] - M[idx[against]]
        sd = float(np.std(gap_d, ddof=1)) if target != against else 0.0
        need = required_n(margin, sd, alpha=alpha / 2, power=power, one_sided=True) if sd > 0 else None
        observed = float(gap_d.mean())
        if need is not None:
            needed_for = (target, against, observed)
            needed = need if observed > -margin else None  # beyond the margin already: no fair number
            details.append(f"To show {target} loses at most {fmt.score(margin)} to {against}, if the two are truly "
                           f"equal, would take about {need:,} shared examples ({power:.0%} power, one-sided at "
                           f"{alpha / 2:g}, assuming the SD of per-example differences stays at {sd:.3f}); if {target} "
                           f"is truly worse, more are needed, and if it is worse by more than {fmt.score(margin)}, "
                           "no number of examples will show it.")
    people_dict = None
    if people is not None:
        people_dict, lines = _people_details(people, pick, auto_pick, vetoed, order)
        details.extend(_plain(x) for x in lines)
    if dead:
        details.append(dead_note)
    unknown = [c for c in order if _known(cost, c) is None]
    if unknown and cost_per_example is not None:
        details.append(f"Cost unknown for {fmt.names(unknown, 5)}.")
    return Recommendation(status, headline, details, pick, leader, policy, margin, n, alternatives, could, sample,
                          people_dict, needed_examples=needed, needed_for=needed_for, pick_row=pick_row)


def _no_pick_target(policy: str, order: list[str], could: list[str], leader: str, key: Mapping[str, float],
                    blockers: Mapping[str, tuple[str, float, bool]]) -> str | None:
    """The candidate a no-pick's advice is about, by the policy: the cheapest (or fastest) that could be best, else
    the cheapest (fastest) other; under "best" the leader itself, whose loss to its blocker is what stands in the
    way (the demo's "best" card gave the cheapest candidate's sample size, which that policy never asks about)."""
    if policy == "best":
        return leader if leader in blockers else next((c for c in order if c != leader), None)
    by_key = sorted(order, key=lambda c: (_known(key, c) is None, _known(key, c) or 0.0, order.index(c)))
    return next((c for c in by_key if c != leader and c in could), None) or next(
        (c for c in by_key if c != leader), None)


def no_pick_text(rec: Recommendation | Mapping[str, Any]) -> str:
    """What a no-pick decision leaves open, under its headline: how many candidates the tests rule out and what
    would decide among the rest. Takes the Recommendation or its to_dict(), so the pages show the same words."""
    d = rec.to_dict() if isinstance(rec, Recommendation) else rec
    rows = [*([d["pick_row"]] if d.get("pick_row") else []), *d.get("alternatives", [])]
    out = [a["candidate"] for a in rows if not a["could_be_best"]]
    head = (f"{len(out)} of {len(rows)} ruled out, credibly worse than another: {fmt.names(out, 4)}. " if out else
            f"None of the {len(rows)} is ruled out. ")
    need, n, who = d.get("needed_examples"), int(d.get("shared_examples") or 0), d.get("needed_for")
    more = "more examples"
    if need and who:
        more = (f"about {need:,} shared examples (there are {n:,}), if {who[0]} and {who[1]} are truly equal "
                f"(observed gap {fmt.diff(who[2])}; more if {who[0]} is worse)")
    elif who and d.get("margin") is not None:
        more = (f"more examples only if {who[0]} is truly within {fmt.score(d['margin'])} of {who[1]} (its observed "
                f"gap is {fmt.diff(who[2])})")
    return (head + f"Among the {len(rows) - len(out)} that could be best, a wider margin (if a larger drop is "
            f"acceptable) or {more} could decide.")


def _p_worse(diff: float, p: float | None) -> float | None:
    """The one-sided p that `diff` (candidate minus leader) is below 0, from the two-sided p: the p that "could
    be best" compares with alpha / (k - 1), so the evidence can be checked against the threshold it prints."""
    if p is None:
        return None
    return p / 2 if diff < 0 else 1 - p / 2


def _plain(text: str) -> str:
    """Evidence is plain text (the report and the pages escape it), so a code span's backticks would show."""
    return text.replace("`", "")


def _first_clause(text: str) -> str:
    """A gap's text without its parenthesised evidence: "people rated X's outputs ok to show 71% vs 93% for Y"."""
    return text.split(" (", 1)[0] if " (" in text else text


def _people_details(people: PeopleEvidence, pick: str | None, auto_pick: str | None, vetoed: dict[str, Any],
                    order: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The people's part of the recommendation: a dict for JSON and pages, and the lines for the evidence."""
    lines = []
    if not people.is_weighed:
        lines.append(people.note)
    else:
        k = len(people.weighed)
        lines.append(f"People's ratings weighed for {fmt.count(k, 'candidate')} with at least {people.min_items} "
                     f"labeled examples: a candidate people rate credibly worse than another (mean rating 1-5 or "
                     f"'ok to show', one-sided at {people.level:.2g} = 5%/(2 x {k - 1})) is never picked.")
        if auto_pick is not None and auto_pick != pick and auto_pick in vetoed:
            lines.append(f"{auto_pick} would be the pick on the automatic scores, but {vetoed[auto_pick].text}.")
        lines.append("People's ratings (mean 1-5, ok to show, labeled examples): " + "; ".join(
            f"{c} {compact(people.rows[c])}" for c in order if c in people.weighed) + ".")
        few = [f"{c} ({people.rows[c].n})" for c in order if c in people.rows and 0 < people.rows[c].n
               and not people.rows[c].weighed]
        none = [c for c in order if c in people.rows and not people.rows[c].n]
        if few or none:
            lines.append("Not weighed, too few labeled examples (fewer than "
                         f"{people.min_items}): {fmt.names(few + none, 6)}"
                         + (f"; {fmt.count(len(none), 'candidate')} not labeled at all" if none else "") + ".")
    target = pick or auto_pick
    if target is not None and target in people.rows and people.rows[target].n:
        lines.append(f"People on {target}: {row_summary(people.rows[target])}.")
    d = {"weighed": people.is_weighed, "note": people.note, "level": people.level, "min_items": people.min_items,
         "labeled": people.labeled, "candidates": list(people.weighed),
         "pick": row_fields(people.rows.get(pick)) if pick is not None else None,
         "auto_pick": auto_pick, "worse": {c: g.text for c, g in vetoed.items()}}
    return d, lines
