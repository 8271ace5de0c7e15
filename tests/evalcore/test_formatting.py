"""Every number reads the same everywhere: the formatting module's contract."""

import math

from hypothesis import given
from hypothesis import strategies as st

from evalcore import formatting as f


def test_missing_values_read_as_a_dash():
    for fn in (f.score, f.diff, f.pct, f.money, f.latency, f.p_value, f.pct_points):
        assert fn(None) == "-"
        assert fn(float("nan")) == "-"
        assert fn("not a number") == "-"


def test_scores_have_three_decimals():
    assert f.score(0.94234) == "0.942"
    assert f.score(0) == "0.000"
    assert f.score(-0.0001) == "0.000"


@given(st.floats(min_value=-1, max_value=1, allow_nan=False))
def test_a_difference_never_reads_minus_zero(x):
    text = f.diff(x)
    assert text != "-0.000"
    if float(text) != 0:
        assert text[0] in "+-"
        assert (text[0] == "+") == (x > 0)


def test_rates_are_whole_percents_unless_that_would_say_none_or_all():
    assert f.pct(0.9423) == "94%"
    assert f.pct(1.0) == "100%"
    assert f.pct(0.0) == "0%"
    assert f.pct(0.996) == "99.6%"
    assert f.pct(0.004) == "0.4%"
    assert f.pct(0.99999) == ">99.9%"


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_rate_reads_100_or_0_only_when_it_is(x):
    text = f.pct(x)
    if text == "100%":
        assert x == 1.0
    if text == "0%":
        assert x == 0.0


def test_money_never_uses_scientific_notation():
    assert f.money(0.000028342) == "$0.0000283"
    assert f.money(0.001274) == "$0.00127"
    assert f.money(1.274) == "$1.27"
    assert f.money(1234.5) == "$1,234"
    assert f.money(0) == "$0"
    assert f.cost_per_1k(0.00127) == "$1.27 per 1,000 examples"
    assert f.cost_per_1k(None) == "unknown price"


@given(st.floats(min_value=1e-9, max_value=1e6, allow_nan=False))
def test_money_is_plain_decimal(x):
    text = f.money(x)
    assert "e" not in text and text.startswith("$")


def test_latency_units():
    assert f.latency(850.4) == "850 ms"
    assert f.latency(1234) == "1.2 s"
    assert f.latency(14_200) == "14 s"
    assert f.latency(210_000) == "3.5 min"


def test_words():
    assert f.count(1, "other") == "1 other"
    assert f.count(2, "other") == "2 others"
    assert f.names(["a"]) == "a"
    assert f.names(["a", "b", "c"]) == "a, b and c"
    assert f.names(["a", "b", "c", "d"]) == "a, b, c and d"  # never "and 1 other": the name takes no more room
    assert f.names(["a", "b", "c", "d", "e"]) == "a, b, c and 2 others"
    assert f.steady_names(list("abcde")) == "a, b, c, d and e" and f.steady_names(list("abcdef")).endswith(
        "d and 2 others")
    assert f.csv_list(["a", "b"]) == "a; b"
    assert f.p_value(0.0002) == "p < 0.001"
    assert f.p_value(0.0213) == "p = 0.021"
    assert f.ratio_phrase(1, 9) == "1/9 the cost"
    assert f.speed_phrase(45, 100) == "55% faster"
    assert f.diff_interval(-0.041, 0.012) == "[-0.041, +0.012]"
    assert math.isclose(float(f.score(0.5)), 0.5)


def test_whole_numbers_and_file_sizes_read_like_the_rest() -> None:
    from evalcore import formatting as f

    assert [f.whole(v) for v in (0, 52, 1507, 1_234_567.4, None, float("nan"))] == [
        "0", "52", "1,507", "1,234,567", "-", "-"]
    assert [f.size(v) for v in (0, 812, 1000, 41_200, 234_174, 999_600, 1_234_567, 27e9, None)] == [
        "0 bytes", "812 bytes", "1.0 KB", "41 KB", "234 KB", "1.0 MB", "1.2 MB", "27 GB", "-"]


def test_tied_names_both_of_two_and_counts_the_rest_from_three() -> None:
    """"basalt-8b + 1 other" hid a name that took no more room than "1 other"."""
    assert f.tied(["a"]) == "a"
    assert f.tied(["basalt-8b", "cirrus-mini"]) == "basalt-8b and cirrus-mini"
    assert f.tied(["a", "b", "c"]) == "a + 2 others"
    assert f.tied(["a", *"bcdefghi"]) == "a + 8 others"
    assert "1 other" not in f.tied(["a", "b"])
