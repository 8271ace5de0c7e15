"""The people's verdict in the recommendation (`evalcore.stats.human` and `stats.recommend(people=...)`), on
hand-built label sets: a candidate people rate credibly worse is never picked, and the text says why."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evalcore import stats as S
from evalcore.stats.human import compare_people, people_evidence, people_rows


def people(spec: dict[str, list[tuple[float | None, float | None]]], start: int = 0) -> pd.DataFrame:
    """{candidate: [(rating, ok), ...]} -> the people's table; the i-th entry is example ex{start+i:03d}."""
    rows = [{"candidate": c, "example_id": f"ex{start + i:03d}", "rating": np.nan if r is None else r,
             "ok": np.nan if ok is None else ok} for c, vals in spec.items() for i, (r, ok) in enumerate(vals)]
    return pd.DataFrame(rows, columns=["candidate", "example_id", "rating", "ok"])


def scores(values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame([{"candidate": c, "example_id": f"ex{i:03d}", "repeat": 0, "value": float(v),
                          "passed": bool(v >= 0.5)} for c, arr in values.items() for i, v in enumerate(arr)])


def board() -> pd.DataFrame:
    """Two candidates the automatic scorer cannot tell apart (identical scores), the cheap one and the pricey."""
    base = np.random.default_rng(3).beta(8, 2, 400)
    return scores({"pricey": base, "cheap": base.copy()})


COST = {"pricey": 0.01, "cheap": 0.001}


def test_rows_are_the_library_intervals_and_weighed_from_min_items() -> None:
    t = people({"a": [(4, 1)] * 8 + [(2, 0)] * 2, "b": [(5, 1)] * 3})
    rows = people_rows(t, min_items=10)
    a, b = rows["a"], rows["b"]
    assert a.n == 10 and a.weighed and b.n == 3 and not b.weighed
    assert a.rating == S.mean_interval([4] * 8 + [2] * 2, bounds=(1.0, 5.0))
    assert a.ok == S.proportion_interval(8, 10)
    split = people_rows(people({"a": [(3, 0.5)] + [(4, 1)] * 9}))["a"]  # two reviewers split on one example
    assert split.ok == S.mean_interval([0.5] + [1.0] * 9, bounds=(0.0, 1.0))


def test_a_candidate_nobody_labeled_gets_the_empty_intervals_in_the_order_asked() -> None:
    t = people({"a": [(4, 1)] * 3})
    rows = people_rows(t, candidates=["z", "a", "y"], examples={"z": 5, "a": 3})
    assert list(rows) == ["z", "a", "y"]
    empty = S.mean_interval([], bounds=(1.0, 5.0))
    for c in ("z", "y"):
        assert rows[c].n == 0 and not rows[c].weighed and rows[c].rating == empty
        assert rows[c].ok == S.mean_interval([], bounds=(0.0, 1.0))
    assert rows["z"].examples == 5 and rows["y"].examples is None and rows["a"].n == 3
    assert people_rows(people({}), candidates=["q"])["q"].rating == empty


def test_table_with_two_rows_for_one_example_is_refused() -> None:
    t = pd.concat([people({"a": [(4, 1)]}), people({"a": [(3, 0)]})])
    with pytest.raises(S.StatsInputError, match="two rows"):
        people_rows(t)


def test_paired_gap_on_the_examples_both_have_labels_for() -> None:
    t = people({"cheap": [(2, 0)] * 14 + [(5, 1)] * 6, "pricey": [(5, 1)] * 20})
    g = compare_people(t, "cheap", "pricey", "ok", level=0.01)
    assert g is not None and g.paired and g.n == 20 and g.overlap == 20
    assert g.value == pytest.approx(0.3) and g.other_value == pytest.approx(1.0)
    assert g.diff == pytest.approx(-0.7) and g.high < 0 and g.worse
    assert g.text.startswith("people rated cheap's outputs ok to show 30% vs 100% for pricey (-70 pts [")
    assert "paired on the 20 examples both have labels for" in g.text
    same = compare_people(t, "pricey", "pricey", "rating")
    assert same is not None and not same.worse and same.diff == 0


def test_unpaired_gap_is_newcombe_and_says_it_is_not_paired() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80, hybrid score interval 0.0524 to 0.3339.
    t = pd.concat([people({"a": [(None, 1.0)] * 56 + [(None, 0.0)] * 14}),
                   people({"b": [(None, 1.0)] * 48 + [(None, 0.0)] * 32}, start=100)])
    g = compare_people(t, "a", "b", "ok")
    assert g is not None and not g.paired and g.overlap == 0 and g.n == 150
    assert g.diff == pytest.approx(0.2) and g.low == pytest.approx(0.0524, abs=5e-4)
    assert g.high == pytest.approx(0.3339, abs=5e-4)
    assert not g.worse  # a is better, not worse
    back = compare_people(t, "b", "a", "ok")
    assert back is not None and back.worse and back.p < 0.01
    assert "not paired: only 0 examples have labels for both, so 80 and 70 labeled examples" in back.text


def test_people_veto_a_cheap_candidate_the_scores_call_equivalent() -> None:
    auto = S.recommend(board(), cost_per_example=COST)
    assert auto.pick == "cheap"  # the scores alone pick the cheap one
    t = people({"cheap": [(2, 0)] * 15 + [(4, 1)] * 5, "pricey": [(4, 1)] * 19 + [(3, 0)]})
    ev = people_evidence(t, candidates=["pricey", "cheap"])
    assert ev.is_weighed and set(ev.worse) == {"cheap"} and ev.level == pytest.approx(0.025)
    rec = S.recommend(board(), cost_per_example=COST, people=ev)
    assert rec.status == "pick" and rec.pick == "pricey"
    assert "no cheaper candidate is shown within" not in rec.headline  # one was, and people ruled it out
    assert rec.headline.endswith("Not cheap: people rated cheap's outputs ok to show 25% vs 95% for pricey.")
    assert any(d.startswith("cheap would be the pick on the automatic scores, but people rated") for d in rec.details)
    alt = {a["candidate"]: a for a in rec.alternatives}["cheap"]
    assert alt["human_ok"] == pytest.approx(0.25) and alt["human_n"] == 20 and alt["human_weighed"]
    assert alt["human_rating"] == pytest.approx(ev.rows["cheap"].rating.estimate)
    assert alt["human_ok_low"] == pytest.approx(S.proportion_interval(5, 20).low)
    assert alt["people_worse"] == ev.worse["cheap"].text
    assert rec.people is not None and rec.people["worse"] == {"cheap": ev.worse["cheap"].text}
    assert rec.people["pick"]["human_ok"] == pytest.approx(0.95)
    assert any(d.startswith("People on pricey: mean rating") for d in rec.details)
    json.dumps(rec.to_dict(), allow_nan=False)


def test_people_who_agree_leave_the_pick_alone_and_show_their_numbers() -> None:
    t = people({"cheap": [(4, 1)] * 19 + [(3, 0)], "pricey": [(4, 1)] * 18 + [(3, 0)] * 2})
    rec = S.recommend(board(), cost_per_example=COST, people=people_evidence(t))
    assert rec.pick == "cheap" and rec.people is not None and rec.people["weighed"] and not rec.people["worse"]
    [line] = [d for d in rec.details if d.startswith("People's ratings (mean 1-5, ok to show, labeled examples): ")]
    assert "cheap 3.95 [" in line and "pricey 3.90 [" in line and "ok 95% [" in line and "20 labeled" in line
    assert any(d.startswith("People on cheap: mean rating 3.95") for d in rec.details)


def test_too_few_labels_say_how_many_and_that_they_were_not_weighed() -> None:
    t = people({"cheap": [(1, 0)] * 6, "pricey": [(5, 1)] * 4})
    ev = people_evidence(t, candidates=["pricey", "cheap"], examples={"pricey": 400, "cheap": 400})
    rec = S.recommend(board(), cost_per_example=COST, people=ev)
    assert rec.pick == "cheap"  # 6 bad labels are not enough to overrule the scores
    assert not rec.people["weighed"] and not rec.people["worse"]
    assert ("People's ratings were not weighed: 10 labeled examples over all candidates (cheap 6 of 400, pricey 4 "
            "of 400), and at least two candidates need 10 labeled examples each to be compared.") in rec.details
    none = S.recommend(board(), cost_per_example=COST, people=people_evidence(people({}), candidates=["cheap"]))
    assert any(d.startswith("No output is labeled by people yet") for d in none.details)


def test_unpaired_veto_when_the_labeled_examples_do_not_overlap() -> None:
    t = pd.concat([people({"cheap": [(2, 0)] * 16 + [(4, 1)] * 4}),
                   people({"pricey": [(5, 1)] * 20}, start=200)])
    rec = S.recommend(board(), cost_per_example=COST, people=people_evidence(t))
    assert rec.pick == "pricey"
    assert "not paired: only 0 examples have labels for both" in rec.people["worse"]["cheap"]


def test_no_pick_when_people_rule_out_every_candidate_the_scores_allow() -> None:
    base = np.random.default_rng(5).beta(8, 2, 400)
    rec0 = S.recommend(scores({"a": base, "b": base.copy(), "c": (base - 0.3).clip(0, 1)}),
                       cost_per_example={"a": 0.01, "b": 0.001, "c": 0.0001})
    assert rec0.pick == "b"
    t = people({"a": [(2, 0)] * 20, "b": [(2, 0)] * 20, "c": [(5, 1)] * 20})
    rec = S.recommend(scores({"a": base, "b": base.copy(), "c": (base - 0.3).clip(0, 1)}),
                      cost_per_example={"a": 0.01, "b": 0.001, "c": 0.0001}, people=people_evidence(t))
    assert rec.status == "inconclusive" and rec.pick is None
    assert rec.headline.startswith("No pick: a and b are within 0.020 on the scores, but people rate each credibly "
                                   "worse than another candidate: people rated b's outputs ok to show 0% vs 100% for c")


def test_equal_candidates_are_rarely_vetoed_and_a_clear_gap_usually_is() -> None:
    """The veto's error rate by simulation: 3 truly equal candidates, 20 examples labeled for each by one reviewer
    (paired): a given candidate is vetoed in at most 5% of boards (the guarantee is per candidate, as for "could be
    best": the pick is wrongly ruled out at most that often); a real gap (60% vs 95% ok) is caught most of the time."""
    rng = np.random.default_rng(11)

    def board_of(p_ok: list[float]) -> pd.DataFrame:
        rows = []
        for c, p in zip("abc", p_ok, strict=True):
            ok = rng.random(20) < p
            rating = np.where(ok, rng.integers(4, 6, 20), rng.integers(1, 4, 20))
            rows += [{"candidate": c, "example_id": f"ex{i:02d}", "rating": float(r), "ok": float(o)}
                     for i, (r, o) in enumerate(zip(rating, ok, strict=True))]
        return pd.DataFrame(rows)

    reps = 200
    false = sum("a" in people_evidence(board_of([0.85, 0.85, 0.85])).worse for _ in range(reps))
    assert false / reps <= 0.05
    caught = sum("c" in people_evidence(board_of([0.95, 0.95, 0.6])).worse for _ in range(reps))
    assert caught / reps >= 0.5


def test_people_tables_refuse_mixed_ids_and_text_ratings() -> None:
    """0 and '0' were one example to one check and two to the next, so a label vanished; a text rating and a
    missing candidate were raw TypeErrors (an audit, 7 December)."""
    import pandas as pd
    import pytest

    from evalcore import stats as S

    def table(**cols):
        base = {"candidate": ["A", "A", "B", "B"], "example_id": ["0", "1", "0", "1"], "rating": [3.0, 4.0, 5.0, 1.0],
                "ok": [1.0, 1.0, 0.0, 0.0]}
        return pd.DataFrame({**base, **cols})

    for cols, match in (({"example_id": [0, 1, "0", 0]}, "mixes id types"), ({"rating": ["3", 4.0, 5.0, 1.0]}, "not a number"),
                        ({"candidate": ["A", None, "B", "B"]}, "missing")):
        with pytest.raises(S.StatsInputError, match=match):
            S.compare_people(table(**cols), "B", "A", "rating", min_items=1)
    assert S.compare_people(table(), "B", "A", "rating", min_items=1) is not None


def test_min_items_must_be_a_whole_number_of_at_least_one():
    """min_items=-1 weighed every candidate, even unlabeled ones; 'x' and None were raw TypeErrors."""
    t = people({"A": [(4.0, 1.0)] * 3, "B": [(3.0, 0.0)] * 3})
    for bad in (-1, 0, "x", None, 2.5, True, float("nan")):
        with pytest.raises(S.StatsInputError, match="min_items must be a whole number >= 1"):
            people_rows(t, min_items=bad)
        with pytest.raises(S.StatsInputError, match="min_items must be"):
            people_evidence(t, min_items=bad)
        with pytest.raises(S.StatsInputError, match="min_items must be"):
            compare_people(t, "A", "B", "rating", min_items=bad)
    assert people_rows(t, min_items=np.int64(3))["A"].weighed
    assert people_rows(t, min_items=3.0)["A"].weighed


def test_true_is_not_a_rating_and_ok_does_not_mix_true_with_shares():
    t = people({"A": [(4.0, 1.0), (5.0, 1.0)], "B": [(3.0, 0.0), (2.0, 0.5)]})
    with pytest.raises(S.StatsInputError, match=r"'rating' row 0 is True: a rating must be a number from 1 to 5"):
        people_rows(t.assign(rating=[True, 5.0, 3.0, 2.0]))  # was read as a rating of 1.0
    with pytest.raises(S.StatsInputError, match="not True/False"):
        people_rows(t.assign(rating=pd.Series([True, 5.0, None, 2.0], dtype=object)))
    with pytest.raises(S.StatsInputError, match="'ok to show' mixes True/False with numbers"):
        people_rows(t.assign(ok=pd.Series([True, 1.0, 0.0, 0.5], dtype=object)))
    # all True/False (missing allowed) is a yes/no answer per example, as before
    yes_no = people_rows(t.assign(ok=pd.Series([True, True, False, None], dtype=object)))
    assert yes_no["A"].ok.estimate == 1.0
    with pytest.raises(S.StatsInputError, match="'example_id' is missing on row 0"):
        people_rows(t.assign(example_id=[None, "ex001", "ex000", "ex001"]))
