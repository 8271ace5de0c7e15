"""Issue #7, the audit's open findings: input of the wrong shape or type is a clear EvalcoreError naming what was
wrong and where, never a raw exception, a silent coercion or a misleading number."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from evalcore import stats
from evalcore.stats import StatsInputError
from evalcore.stats.power import minimum_detectable_difference, required_n


def _scores() -> pd.DataFrame:
    return pd.DataFrame({"candidate": ["A"] * 4 + ["B"] * 4, "example_id": list("wxyz") * 2,
                         "value": [0.5, 0.6, 0.7, 0.8, 0.4, 0.6, 0.6, 0.8]})


# --- recommend: per-candidate mappings and scalar arguments ------------------------------------------------

@pytest.mark.parametrize(("kw", "match"), [
    ({"calls": {"A": "x"}}, r"calls\['A'\] is 'x'"),
    ({"calls": {"A": math.nan}}, r"calls\['A'\] is nan"),
    ({"calls": {"A": 1.9, "B": 2}, "errors": {"A": 1, "B": 2}}, r"calls\['A'\] is 1.9"),  # was truncated to 1
    ({"calls": {"A": -1}}, r"calls\['A'\] is -1"),  # was ignored
    ({"calls": {"A": 3}, "errors": {"A": math.inf}}, r"errors\['A'\] is inf"),  # was OverflowError
    ({"cost_per_example": [0.1, 0.2]}, "must be a mapping of candidate to value"),  # was TypeError
    ({"cost_per_example": {"A": math.nan}}, r"cost_per_example\['A'\] is nan"),  # were "cost unknown"
    ({"cost_per_example": {"A": -1}}, r"cost_per_example\['A'\] is -1"),
    ({"cost_per_example": {"A": "x"}}, r"cost_per_example\['A'\] is 'x'"),
    ({"cost_per_example": {"A": math.inf}}, r"cost_per_example\['A'\] is inf"),
    ({"latency_ms": {"A": True}}, r"latency_ms\['A'\] is True"),
    ({"margin": True}, "margin must be a number"),
])
def test_recommend_refuses_bad_mappings(kw, match):
    with pytest.raises(StatsInputError, match=match):
        stats.recommend(_scores(), **kw)


def test_recommend_none_cost_is_unknown_and_numpy_margins_are_numbers():
    rec = stats.recommend(_scores(), cost_per_example={"A": None, "B": 0.1}, calls={"A": np.int64(4), "B": 4.0})
    assert rec.status in ("pick", "inconclusive")
    assert rec.alternatives or rec.pick_row
    # np.float32 was refused while np.float64 was accepted; both are the same decision as the float
    base = stats.recommend(_scores(), margin=0.25).to_dict()
    for m in (np.float32(0.25), np.float64(0.25)):
        got = stats.recommend(_scores(), margin=m).to_dict()
        assert got["pick"] == base["pick"] and got["status"] == base["status"]


def test_power_functions_accept_numpy_float_alpha_not_bools():
    assert required_n(0.1, 0.3, alpha=np.float32(0.05)) == required_n(0.1, 0.3, alpha=float(np.float32(0.05)))
    assert minimum_detectable_difference(0.3, 50, alpha=np.float32(0.05), power=np.float64(0.8)) is not None
    with pytest.raises(StatsInputError, match="alpha must be"):
        required_n(0.1, 0.3, alpha=True)
    assert stats.mean_interval([0.1, 0.2], confidence=np.float32(0.95)).low is not None


def test_as_decision_refuses_what_is_not_a_recommendation():
    with pytest.raises(StatsInputError, match="as_decision needs a Recommendation, got NoneType"):
        stats.as_decision(None)


# --- shapes: mappings, sets, masked arrays, 2-d arrays, misaligned Series, booleans as p-values -------------

@pytest.mark.parametrize(("call", "match"), [
    (lambda: stats.mean_interval({0.2: 1, 0.4: 2}), r"got a mapping.*pass its values"),
    (lambda: stats.mean_interval({0.2, 0.4}), "got a set, which has no order"),
    (lambda: stats.paired_difference({0.1, 0.5, 0.9}, {0.2, 0.3, 0.4}), "got a set"),
    (lambda: stats.mean_interval(np.ma.masked_array([0.1, 0.2, 0.9], mask=[0, 0, 1])), r"values\[2\] is masked"),
    (lambda: stats.mean_interval(np.array([[0.1, 0.2], [0.3, 0.4]])), r"must be 1-d .* shape \(2, 2\)"),
    (lambda: stats.mean_interval(np.float64(0.3)), "got a single value"),
    (lambda: stats.paired_difference(np.ones((2, 2)) / 2, np.ones((2, 2)) / 2), "a must be 1-d"),
    (lambda: stats.mcnemar_exact(np.array([[1, 0], [1, 1]]), np.array([[1, 0], [0, 1]])), "a_pass must be 1-d"),
    (lambda: stats.holm(np.array([[0.1, 0.2], [0.3, 0.4]])), "p_values must be 1-d"),
    (lambda: stats.holm([True, False]), r"p_values\[0\] is True.*not True/False"),
    (lambda: stats.holm(np.array([True, False])), "not True/False"),
    (lambda: stats.clustered_mean_interval([0.1, 0.2, 0.3, 0.4], np.array([[1, 1], [2, 2]])), "clusters must be 1-d"),
    (lambda: stats.clustered_mean_interval([0.1, 0.2], {1: 0, 2: 0}), "clusters must be a list of ids"),
    (lambda: stats.paired_difference(pd.DataFrame({"x": [0.1, 0.2]}), [0.1, 0.2]), "a must be 1-d"),
])
def test_wrong_shapes_are_refused(call, match):
    with pytest.raises(StatsInputError, match=match):
        call()


def test_paired_series_with_different_indexes_are_refused_not_paired_by_position():
    a = pd.Series([0.1, 0.2, 0.3, 0.9], index=[0, 1, 2, 3])
    b = pd.Series([0.9, 0.3, 0.2, 0.1], index=[3, 2, 1, 0])  # the same values per example as a
    with pytest.raises(StatsInputError, match="different indexes: values are paired by position"):
        stats.paired_difference(a, b)
    assert stats.paired_difference(a, b.reindex(a.index)).diff.estimate == 0.0
    with pytest.raises(StatsInputError, match="different indexes"):
        stats.mcnemar_exact(pd.Series([True, False], index=["x", "y"]), pd.Series([True, False], index=["y", "x"]))
    # same index, or plain arrays: as before
    same = stats.paired_difference(a, a * 0.5)
    assert same.n == 4
    unmasked = stats.mean_interval(np.ma.masked_array([0.1, 0.2, 0.9], mask=[0, 0, 0]))
    assert unmasked.to_dict() == stats.mean_interval([0.1, 0.2, 0.9]).to_dict()


def test_proportion_interval_refuses_counts_no_float_holds():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it was an overflow warning, then an answer
        with pytest.raises(StatsInputError, match="too large to count exactly"):
            stats.proportion_interval(1e300, 1e300)
        with pytest.raises(StatsInputError, match="too large"):
            stats.proportion_interval(3, 10**300)
    assert stats.proportion_interval(5.0, 10.0).to_dict() == stats.proportion_interval(5, 10).to_dict()


# --- the long score table: tags and duplicate columns ----------------------------------------------------

def test_by_tag_refuses_tags_that_are_not_strings():
    sc = _scores()
    with pytest.raises(StatsInputError, match=r"holds 5 \(example 'w'\): tags must be a string or a list"):
        stats.by_tag(sc.assign(tags=[5] * 8))
    # [1] and ['1'] were merged into one tag '1' by str()
    with pytest.raises(StatsInputError, match=r"the tag 1 \(int\) \(example 'w'\): tags must be strings"):
        stats.by_tag(sc.assign(tags=[[1], ["1"], [1], ["1"]] * 2))
    ok = stats.by_tag(sc.assign(tags=[np.array(["a", " "], dtype=object), ["a", None], "b", []] * 2), min_n=1)
    assert sorted({r.tag for r in ok}) == ["a", "b"]


def test_two_columns_of_one_name_are_refused_by_name():
    sc = _scores()
    twice = pd.concat([sc, sc[["value"]]], axis=1)  # was AttributeError: 'DataFrame' object has no attribute 'dtype'
    for call in (stats.leaderboard, stats.pairwise, stats.recommend, stats.by_tag):
        with pytest.raises(StatsInputError, match="scores has 2 columns named 'value'"):
            call(twice)
    with pytest.raises(StatsInputError, match="columns named 'example_id'"):
        stats.leaderboard(pd.concat([sc, sc[["example_id"]]], axis=1))


def test_bradley_terry_refuses_unordered_comparisons():
    from evalcore.pairwise import bradley_terry

    rows = [("a", "b", 1), ("a", "b", 2), ("b", "c", 1), ("a", "c", 0)]
    for bad in (set(rows), {"x": rows[0]}, "abc"):
        with pytest.raises(StatsInputError, match="comparisons must be a list of"):
            bradley_terry(bad, n_boot=10)
    assert bradley_terry(tuple(rows), n_boot=10) == bradley_terry(rows, n_boot=10)


def test_recommend_takes_a_series_of_costs_like_a_dict():
    as_dict = stats.recommend(_scores(), cost_per_example={"A": 0.1, "B": 0.2}).to_dict()
    assert stats.recommend(_scores(), cost_per_example=pd.Series({"A": 0.1, "B": 0.2})).to_dict() == as_dict


def test_by_tag_min_n_is_any_whole_number_of_at_least_one():
    sc = _scores().assign(tags=["a"] * 8)
    assert stats.by_tag(sc, min_n=np.int64(2)) == stats.by_tag(sc, min_n=2)  # numpy ints were refused
    for bad in (0, 2.5, True, None, "10"):
        with pytest.raises(StatsInputError, match="min_n must be a whole number >= 1"):
            stats.by_tag(sc, min_n=bad)
