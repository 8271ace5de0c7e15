"""Tests for evalcore.agreement: known values (statsmodels, Fleiss 1971, Krippendorff 2011, the
`krippendorff` package as an oracle), properties (hypothesis) and degenerate inputs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from evalcore.agreement import (
    Agreement,
    AgreementInputError,
    cohen_kappa,
    fleiss_kappa,
    from_long,
    krippendorff_alpha,
)
from evalcore.errors import EvalcoreError

NAN = np.nan
ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=60, deadline=None)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

# Fleiss (1971) worked example as on Wikipedia ("Fleiss' kappa"): 10 subjects, 14 raters, 5 categories.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def pairs_from_table(table, labels):
    """Expand a contingency table (rater a in rows, rater b in columns) into two rating lists."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [labels[i]] * count
            b += [labels[j]] * count
    return a, b


def contingency(a, b, labels):
    index = {v: i for i, v in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    return table


def assert_well_formed(r: Agreement) -> None:
    for x in (r.value, r.low, r.high):
        assert x is None or (isinstance(x, float) and math.isfinite(x))
    if r.value is not None:
        assert -1.0 - 1e-9 <= r.value <= 1.0 + 1e-9
    if r.low is not None:
        assert -1.0 - 1e-9 <= r.low <= r.high <= 1.0 + 1e-9
    json.dumps(r.to_dict())


# --------------------------------------------------------------------------------------------------
# Known values
# --------------------------------------------------------------------------------------------------


def test_cohen_kappa_textbook_yes_no_example_is_0_4():
    # 50 proposals: both yes 20, a yes / b no 5, a no / b yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4.
    a, b = pairs_from_table([[20, 5], [10, 15]], ["yes", "no"])
    assert cohen_kappa(a, b).value == pytest.approx(0.4)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels_on_1_to_5_ratings(weights):
    rng = np.random.default_rng(7)
    a = rng.integers(1, 6, size=200)
    b = np.clip(a + rng.integers(-1, 2, size=200), 1, 5)
    b[:30] = rng.integers(1, 6, size=30)
    table = contingency(a, b, [1, 2, 3, 4, 5])
    if weights is None:
        expected = sm_cohens_kappa(table).kappa
    else:
        expected = sm_cohens_kappa(table, weights=np.arange(1, 6), wt=weights).kappa
    assert cohen_kappa(a, b, weights=weights).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_uses_rating_distance_even_when_a_middle_rating_is_unused(weights):
    # Nobody used 3: 2 and 4 are still two steps apart (statsmodels with the full 1-5 table agrees).
    a, b = pairs_from_table([[5, 2, 0, 1], [2, 6, 3, 0], [0, 2, 7, 2], [1, 0, 3, 9]], [1, 2, 4, 5])
    table = contingency(a, b, [1, 2, 3, 4, 5])
    expected = sm_cohens_kappa(table, weights=np.arange(1, 6), wt=weights).kappa
    assert cohen_kappa(a, b, weights=weights).value == pytest.approx(expected, abs=1e-12)


@FAST
@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=2, max_size=40),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_kappa_matches_statsmodels_on_random_pairs(pairs, weights):
    a, b = zip(*pairs, strict=True)
    assume(len(set(a) | set(b)) > 1)
    table = contingency(a, b, [1, 2, 3, 4, 5])
    if weights is None:
        expected = sm_cohens_kappa(table, return_results=False)
    else:
        expected = sm_cohens_kappa(table, weights=np.arange(1, 6), wt=weights, return_results=False)
    assert cohen_kappa(a, b, weights=weights, n_boot=0).value == pytest.approx(expected, abs=1e-9)


def test_fleiss_kappa_reproduces_fleiss_1971_worked_example():
    ratings = [[c for c, count in enumerate(row) for _ in range(count)] for row in FLEISS_COUNTS]
    r = fleiss_kappa(ratings)
    assert r.value == pytest.approx(0.20993, abs=1e-5)  # published: 0.210
    assert r.value == pytest.approx(sm_fleiss_kappa(np.array(FLEISS_COUNTS)), abs=1e-12)
    assert (r.n_units, r.n_raters) == (10, 14)


@FAST
@given(st.integers(2, 6), st.integers(2, 4), st.integers(2, 30), st.integers(0, 2**32 - 1))
def test_fleiss_kappa_matches_statsmodels_on_random_data(n_raters, n_categories, n_units, seed):
    data = np.random.default_rng(seed).integers(0, n_categories, size=(n_units, n_raters))
    assume(len(np.unique(data)) > 1)
    expected = sm_fleiss_kappa(aggregate_raters(data)[0])
    assert fleiss_kappa(data, n_boot=0).value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_alpha_reproduces_krippendorff_2011_example(level, published):
    r = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    assert round(r.value, 3) == published
    assert r.value == pytest.approx(
        krippendorff.alpha(KRIPPENDORFF_2011, level_of_measurement=level), abs=1e-12
    )
    assert (r.n_units, r.n_raters) == (11, 4)  # unit 12 has a single rating and is dropped
    assert "1 of 12 units dropped" in r.note


def test_krippendorff_alpha_nominal_on_string_labels_matches_numbers():
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    as_text = [[None if math.isnan(v) else names[int(v)] for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(as_text).value == pytest.approx(0.743421052631579, abs=1e-12)


@st.composite
def reliability_matrices(draw):
    n_raters = draw(st.integers(2, 5))
    n_units = draw(st.integers(1, 12))
    n_values = draw(st.integers(2, 5))
    cell = st.one_of(st.none(), st.integers(1, n_values))
    rows = draw(st.lists(st.lists(cell, min_size=n_units, max_size=n_units), min_size=n_raters, max_size=n_raters))
    return np.array([[NAN if v is None else float(v) for v in row] for row in rows])


@settings(max_examples=150, deadline=None)
@given(reliability_matrices(), st.sampled_from(["nominal", "ordinal", "interval"]), st.booleans())
def test_krippendorff_alpha_matches_krippendorff_package_on_random_data(data, level, spread):
    if spread:  # non-integer, unevenly spaced values for the interval metric
        data = data**1.7 / 3
    pairable = ~np.isnan(data) & ((~np.isnan(data)).sum(axis=0) >= 2)
    assume(len(np.unique(data[pairable])) > 1)
    expected = krippendorff.alpha(data, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level, n_boot=0).value == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

labels = st.sampled_from([1, 2, 3, 4, 5])


@FAST
@given(st.lists(labels, min_size=1, max_size=40))
def test_identical_raters_agree_perfectly(ratings):
    assume(len(set(ratings)) > 1)
    matrix = [ratings, ratings, ratings]
    for r in (
        cohen_kappa(ratings, ratings, n_boot=50),
        cohen_kappa(ratings, ratings, weights="quadratic", n_boot=50),
        fleiss_kappa(np.array(matrix).T, n_boot=50),
        *(krippendorff_alpha(matrix, level=level, n_boot=50) for level in ("nominal", "ordinal", "interval")),
    ):
        assert r.value == pytest.approx(1.0)
        assert "only one category used" not in r.note


@FAST
@given(st.lists(st.tuples(labels, labels, labels), min_size=0, max_size=30), st.integers(0, 1000))
def test_values_are_finite_within_bounds_and_ci_contains_estimate(triples, seed):
    a, b, c = (list(x) for x in zip(*triples, strict=True)) if triples else ([], [], [])
    results = [
        cohen_kappa(a, b, seed=seed, n_boot=200),
        cohen_kappa(a, b, weights="linear", seed=seed, n_boot=200),
        cohen_kappa(a, b, weights="quadratic", seed=seed, n_boot=200),
        fleiss_kappa(triples, seed=seed, n_boot=200),
        *(
            krippendorff_alpha([a, b, c], level=level, seed=seed, n_boot=200)
            for level in ("nominal", "ordinal", "interval")
        ),
    ]
    for r in results:
        assert_well_formed(r)
        if r.low is not None:
            assert r.low - 1e-9 <= r.value <= r.high + 1e-9


@FAST
@given(st.lists(st.tuples(labels, labels, st.one_of(st.none(), labels)), min_size=2, max_size=30))
def test_statistics_do_not_depend_on_rater_order(triples):
    a, b, c = (list(x) for x in zip(*triples, strict=True))
    for weights in (None, "linear", "quadratic"):
        ab, ba = cohen_kappa(a, b, weights=weights, n_boot=100), cohen_kappa(b, a, weights=weights, n_boot=100)
        assert (ab.value, ab.low, ab.high) == pytest.approx((ba.value, ba.low, ba.high), abs=1e-9)
    for level in ("nominal", "ordinal", "interval"):
        abc = krippendorff_alpha([a, b, c], level=level, n_boot=100)
        cab = krippendorff_alpha([c, a, b], level=level, n_boot=100)
        assert (abc.value, abc.low, abc.high) == pytest.approx((cab.value, cab.low, cab.high), abs=1e-9)
    full = [(x, y, x) for x, y, _ in triples]
    f1, f2 = fleiss_kappa(full, n_boot=100), fleiss_kappa([t[::-1] for t in full], n_boot=100)
    assert (f1.value, f1.low, f1.high) == pytest.approx((f2.value, f2.low, f2.high), abs=1e-9)


def test_bootstrap_is_reproducible_from_the_seed():
    rng = np.random.default_rng(3)
    a = rng.integers(1, 6, 80)
    b = np.where(rng.random(80) < 0.5, a, rng.integers(1, 6, 80))
    first, again, other = (cohen_kappa(a, b, seed=s) for s in (11, 11, 12))
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.value == other.value
    assert first.seed == 11 and first.n_boot == 1000 and first.ci_method == "percentile bootstrap over units"


def test_wider_confidence_gives_wider_interval():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, 60)
    b = np.where(rng.random(60) < 0.6, a, rng.integers(0, 3, 60))
    narrow, wide = cohen_kappa(a, b, confidence=0.8), cohen_kappa(a, b, confidence=0.99)
    assert wide.low <= narrow.low <= narrow.value <= narrow.high <= wide.high


# --------------------------------------------------------------------------------------------------
# Degenerate inputs: a defined value and a note, never NaN, never a crash
# --------------------------------------------------------------------------------------------------


def test_single_category_perfect_agreement_is_reported_as_one_with_note():
    r = cohen_kappa(["yes"] * 10, ["yes"] * 10)
    assert r.value == 1.0
    assert "only one category used; kappa is undefined, reported as 1.0 for perfect agreement" in r.note
    assert (r.low, r.high) == (1.0, 1.0)
    assert_well_formed(r)
    for other in (
        cohen_kappa([3] * 5, [3] * 5, weights="quadratic"),
        fleiss_kappa([[True, True, True]] * 4),
        krippendorff_alpha([[2, 2, 2], [2, 2, None]], level="interval"),
    ):
        assert other.value == 1.0
        assert "only one category used" in other.note
        assert "undefined" in other.interpretation()


@pytest.mark.parametrize(
    "compute",
    [
        lambda: cohen_kappa([], []),
        lambda: cohen_kappa([None, 1], [2, None]),
        lambda: fleiss_kappa([]),
        lambda: fleiss_kappa([[1], [2]]),
        lambda: krippendorff_alpha([]),
        lambda: krippendorff_alpha([[1, 2, None], [None, None, 3]]),
        lambda: krippendorff_alpha([[], []]),
    ],
)
def test_nothing_to_compare_gives_none_with_reason(compute):
    r = compute()
    assert r.value is None and r.low is None and r.high is None
    assert "undefined" in r.note
    assert r.interpretation().startswith("undefined")
    assert_well_formed(r)


@pytest.mark.parametrize(
    "compute",
    [
        lambda: cohen_kappa([1], [2]),
        lambda: cohen_kappa([1], [1], weights="linear"),
        lambda: fleiss_kappa([["a", "b", "a"]]),
        lambda: krippendorff_alpha([[1, None], [2, None]], level="ordinal"),
    ],
)
def test_one_unit_gives_a_value_but_no_interval(compute):
    r = compute()
    assert r.value is not None and r.n_units == 1
    assert r.low is None and r.high is None
    assert "no confidence interval" in r.note
    assert_well_formed(r)


def test_n_boot_zero_skips_the_interval():
    r = cohen_kappa([1, 2, 1, 2], [1, 2, 2, 2], n_boot=0)
    assert r.low is None and "n_boot=0" in r.note


def test_cohen_kappa_drops_units_missing_a_rating():
    r = cohen_kappa([1, 2, None, 1, float("nan")], [1, 2, 2, pd.NA, 1])
    assert r.n_units == 2 and r.value == 1.0
    assert "3 of 5 units dropped" in r.note


def test_bools_and_strings_work_as_categories():
    assert cohen_kappa([True, False, True, True], [True, False, False, True]).value == pytest.approx(0.5)
    assert cohen_kappa(["ok", "bad", "ok", "ok"], ["ok", "bad", "bad", "ok"]).value == pytest.approx(0.5)
    assert fleiss_kappa([[True, True], [False, False], [True, False]]).value == pytest.approx(
        sm_fleiss_kappa([[0, 2], [2, 0], [1, 1]])
    )


# --------------------------------------------------------------------------------------------------
# Input errors say how to fix the problem
# --------------------------------------------------------------------------------------------------


def test_fleiss_rejects_units_with_different_numbers_of_ratings():
    with pytest.raises(ValueError, match="same number of ratings") as err:
        fleiss_kappa([[1, 2, 1], [1, None, 2], [2, 2, 2]])
    assert isinstance(err.value, EvalcoreError)
    assert "krippendorff_alpha" in str(err.value)
    assert "2 ratings on unit(s) 1" in str(err.value)


def test_fleiss_accepts_missing_cells_when_every_unit_has_the_same_count():
    r = fleiss_kappa([[1, 1, None], [None, 2, 2], [1, None, 2]])
    assert r.value == pytest.approx(sm_fleiss_kappa([[2, 0], [0, 2], [1, 1]]))
    assert "2 ratings drawn from 3 rater columns" in r.note


def test_fleiss_rejects_ratings_outside_declared_categories():
    with pytest.raises(AgreementInputError, match="outside the given categories"):
        fleiss_kappa([[1, 2], [3, 1]], categories=[1, 2])
    assert fleiss_kappa([[1, 2], [2, 1]], categories=[1, 2, 3]).value == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        (lambda: cohen_kappa([1, 2], [1]), "same units in the same order"),
        (lambda: cohen_kappa([1, 2], [1, 2], weights="cubic"), "unknown weights"),
        (lambda: cohen_kappa(["low", "high"], ["low", "low"], weights="linear"), "needs numeric ratings"),
        (lambda: krippendorff_alpha([["a", "b"], ["a", "a"]], level="ordinal"), "needs numeric ratings"),
        (lambda: krippendorff_alpha([[1, 2], [1]]), "one cell per unit"),
        (lambda: krippendorff_alpha([[1, 2], [1, 2]], level="ratio"), "unknown level"),
        (lambda: krippendorff_alpha("12"), "sequence of ratings"),
        (lambda: cohen_kappa([1, 2], [1, 2], n_boot=-1), "n_boot"),
        (lambda: cohen_kappa([1, 2], [1, 2], confidence=95), "confidence"),
        (lambda: cohen_kappa([1, 2], [1, 2], seed=1.5), "seed"),
    ],
)
def test_bad_input_raises_a_clear_error(compute, message):
    with pytest.raises(AgreementInputError, match=message) as err:
        compute()
    assert err.value.hint


# --------------------------------------------------------------------------------------------------
# from_long
# --------------------------------------------------------------------------------------------------


def test_from_long_pivots_to_raters_by_units_with_nan_for_missing():
    long = pd.DataFrame(
        {
            "output": ["u2", "u1", "u1", "u2", "u3", "u3"],
            "reviewer": ["bo", "al", "bo", "al", "al", "cy"],
            "rating": [4, 5, 5, 3, 1, None],
        }
    )
    matrix, raters, units = from_long(long, unit="output", rater="reviewer", value="rating")
    assert raters == ["al", "bo", "cy"] and units == ["u1", "u2", "u3"]
    np.testing.assert_array_equal(matrix, [[5, 3, 1], [5, 4, NAN], [NAN, NAN, NAN]])
    assert matrix.dtype == float


def test_from_long_feeds_krippendorff_alpha_like_the_wide_matrix():
    rows = [
        {"unit": u, "rater": f"r{i}", "value": v}
        for i, row in enumerate(KRIPPENDORFF_2011)
        for u, v in enumerate(row)
        if not math.isnan(v)
    ]
    matrix, raters, units = from_long(pd.DataFrame(rows), unit="unit", rater="rater", value="value")
    assert raters == ["r0", "r1", "r2", "r3"] and units == list(range(12))
    assert krippendorff_alpha(matrix, level="ordinal").value == pytest.approx(0.8153875, abs=1e-6)


def test_from_long_keeps_text_labels_and_bools():
    long = pd.DataFrame({"u": [1, 1, 2, 2], "r": ["a", "b", "a", "b"], "ok": [True, True, False, True]})
    matrix, _, _ = from_long(long, unit="u", rater="r", value="ok")
    assert matrix.dtype == object and matrix[0, 0] is True
    assert cohen_kappa(matrix[0], matrix[1]).value == pytest.approx(0.0)


def test_from_long_rejects_a_rater_labelling_a_unit_twice_with_row_numbers():
    long = pd.DataFrame({"u": [1, 1, 1], "r": ["a", "b", "a"], "v": [1, 2, 3]})
    with pytest.raises(AgreementInputError, match=r"unit 1 by rater 'a' \(rows 1 and 3\)"):
        from_long(long, unit="u", rater="r", value="v")


def test_from_long_names_missing_columns():
    with pytest.raises(AgreementInputError, match="no column 'score'") as err:
        from_long(pd.DataFrame({"u": [1], "r": ["a"], "v": [1]}), unit="u", rater="r", value="score")
    assert "'v'" in err.value.hint


# --------------------------------------------------------------------------------------------------
# Result object and speed
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.35, "fair"), (0.5, "moderate"), (0.7, "substantial"),
     (0.81, "almost perfect"), (1.0, "almost perfect")],
)
def test_interpretation_uses_landis_koch_words_and_says_they_are_conventions(value, words):
    r = Agreement("cohen_kappa", value, None, None, n_units=10, n_raters=2)
    assert r.interpretation().startswith(words + ".")
    assert "conventions" in r.interpretation()


def test_interpretation_mentions_ci_spanning_bands_and_krippendorff_thresholds():
    r = Agreement("krippendorff_alpha_ordinal", 0.55, 0.35, 0.72, n_units=30, n_raters=3)
    text = r.interpretation()
    assert text.startswith("moderate (the 95% CI runs from fair to substantial)")
    assert "0.667" in text and "0.800" in text


def test_to_dict_is_json_ready_and_complete():
    r = krippendorff_alpha(KRIPPENDORFF_2011, level="interval", n_boot=200)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["statistic"] == "krippendorff_alpha_interval"
    assert set(d) >= {"value", "low", "high", "n_units", "n_raters", "note", "confidence", "ci_method",
                      "n_boot", "seed", "interpretation"}
    with pytest.raises(AttributeError):
        r.value = 0.0  # frozen


def test_three_raters_500_units_1000_resamples_well_under_a_second():
    rng = np.random.default_rng(5)
    truth = rng.integers(1, 6, 500)
    data = np.array([np.where(rng.random(500) < 0.7, truth, rng.integers(1, 6, 500)) for _ in range(3)])
    data = data.astype(float)
    data[rng.random(data.shape) < 0.1] = NAN
    full = np.array([np.where(rng.random(500) < 0.7, truth, rng.integers(1, 6, 500)) for _ in range(3)])
    calls = [
        lambda: cohen_kappa(full[0], full[1], weights="quadratic"),
        lambda: fleiss_kappa(full.T),
        *(lambda level=level: krippendorff_alpha(data, level=level) for level in ("nominal", "ordinal", "interval")),
    ]
    for call in calls:  # their speed at this size is measured in bench/bench_small.py
        r = call()
        assert r.low < r.value < r.high


def test_importing_agreement_stays_light():
    heavy = ["krippendorff", "litellm", "pandas", "scipy", "statsmodels", "streamlit"]
    code = f"import sys, evalcore.agreement; print(sorted(set(sys.modules) & set({heavy!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_an_interval_that_missed_its_estimate_is_widened_and_says_so():
    """Found by hypothesis: at 6 units the percentile bootstrap of Fleiss' kappa sat wholly below the estimate."""
    triples = [(2, 2, 4), (1, 3, 5), (2, 2, 4), (3, 4, 4), (1, 3, 5), (1, 4, 4)]
    r = fleiss_kappa(triples, seed=302, n_boot=200)
    assert r.low <= r.value <= r.high
    assert "widened to include it" in r.note


@pytest.mark.parametrize(("call", "match"), [
    (lambda: cohen_kappa([1, "1", 2, 2], [1, 1, 2, 2]), r"a\[1\] is '1' \(text\) but a\[0\] is 1 \(number\)"),
    (lambda: cohen_kappa([True, 1, 0, 0], [1, 1, 0, 0]), r"a\[1\] is 1 \(number\) but a\[0\] is True \(bool\).*one "
                                                        "category"),
    (lambda: cohen_kappa(["a", "b"], [1, 2]), r"b\[0\] is 1 \(number\) but a\[0\] is 'a' \(text\)"),
    (lambda: cohen_kappa([1.0, np.int64(2), "3"], [1, 2, 3], weights="linear"), r"a\[2\] is '3'"),
    (lambda: fleiss_kappa([[1, "1"], [2, 2]]), r"ratings\[0\]\[1\] is '1' \(text\)"),
    (lambda: fleiss_kappa([[True, 1], [0, 0]]), r"ratings\[0\]\[1\] is 1"),
    (lambda: krippendorff_alpha([[1, 2, None], ["1", 2, 3]]), r"reliability\[1\]\[0\] is '1'"),
    (lambda: krippendorff_alpha([[math.inf, 1, 0], [math.inf, 1, 1]]), r"reliability\[0\]\[0\] is inf: a numeric "
                                                                      "rating must be a finite number"),
    (lambda: cohen_kappa([-math.inf, 1, 0], [1, 1, 0]), r"a\[0\] is -inf"),
    (lambda: from_long(pd.DataFrame({"u": [1, 1, 2], "r": ["x", "y", "x"], "v": [1, "1", 2]}), unit="u", rater="r",
                       value="v"), r"row 2 is '1' \(text\) but row 1 is 1 \(number\)"),
    (lambda: from_long(pd.DataFrame({"u": [1, 2], "r": ["x", "x"], "v": [1.0, math.inf]}), unit="u", rater="r",
                       value="v"), "row 2 is inf"),
])
def test_mixed_types_and_infinite_ratings_are_refused_by_position(call, match):
    with pytest.raises(AgreementInputError, match=match):
        call()
    assert issubclass(AgreementInputError, EvalcoreError)


def test_numpy_scalars_and_missing_cells_do_not_count_as_another_type():
    a = cohen_kappa(np.array([1, 2, 2, 1]), [1.0, 2.0, None, np.float32(1)])
    assert a.value == cohen_kappa([1, 2, 2, 1], [1, 2, None, 1]).value
    assert fleiss_kappa([[True, False], [np.bool_(True), True]]).value is not None
    assert krippendorff_alpha([["a", "b", NAN], ["a", None, "b"]]).n_units == 1


def test_huge_or_tiny_numeric_ratings_give_the_value_of_the_same_ratings_in_small_units():
    """(1e308 - -1e308)^2 overflowed: interval alpha and weighted kappa were NaN (or 0.0 with a warning)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = krippendorff_alpha([[1e308, -1e308, 0, 5e307], [1e308, 1e308, 0, 5e307]], level="interval", n_boot=50)
        small = krippendorff_alpha([[2, -2, 0, 1], [2, 2, 0, 1]], level="interval", n_boot=50)
        assert big.value == pytest.approx(small.value, abs=1e-12)
        assert big.low == pytest.approx(small.low, abs=1e-12) and big.high == pytest.approx(small.high, abs=1e-12)
        for w in ("linear", "quadratic"):
            kb = cohen_kappa([1e308, -1e308, 0, 5e307], [1e308, 1e308, 0, 5e307], weights=w, n_boot=50)
            ks = cohen_kappa([2, -2, 0, 1], [2, 2, 0, 1], weights=w, n_boot=50)
            assert kb.value == pytest.approx(ks.value, abs=1e-12)
        tiny = krippendorff_alpha([[1e-300, 2e-300, 3e-300], [1e-300, 3e-300, 3e-300]], level="interval", n_boot=0)
        assert tiny.value == pytest.approx(krippendorff_alpha([[1, 2, 3], [1, 3, 3]], level="interval").value)
