"""Where candidates disagree: a best or worst score several candidates share is reported as a tie, not pinned on
whichever candidate came first."""

from __future__ import annotations

import pandas as pd

from evalcore import explore


def _table(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"example_id": ["e1"] * len(values), "candidate": list(values),
                         "value": list(values.values()), "passed": [v >= 0.5 for v in values.values()],
                         "tags": [["clean"]] * len(values)})


def test_nine_at_zero_are_nine_tied_worst_and_a_lone_best_is_one() -> None:
    d = explore.disagreements(_table({"a": 1.0, **{f"z{i}": 0.0 for i in range(9)}})).iloc[0]
    assert (d["best"], d["best_tied"], d["worst_tied"], d["worst_value"]) == ("a", 1, 9, 0.0)


def test_ties_are_counted_per_example() -> None:
    two = pd.concat([_table({"a": 0.5, "b": 0.5, "c": 0.0}),
                     _table({"a": 1.0, "b": 0.2, "c": 0.3}).assign(example_id="e2")])
    d = explore.disagreements(two).set_index("example_id")
    assert d.loc["e1", ["best_tied", "worst_tied"]].tolist() == [2, 1]
    assert d.loc["e2", ["best_tied", "worst_tied"]].tolist() == [1, 1]


def test_the_tied_candidates_are_listed_the_named_one_first() -> None:
    two = pd.concat([_table({"a": 0.5, "b": 0.5, "c": 0.0}),
                     _table({"a": 0.2, "b": 1.0, "c": 0.2}).assign(example_id="e2")])
    d = explore.disagreements(two).set_index("example_id")
    assert d.loc["e1", "best_names"] == ["a", "b"] and d.loc["e1", "worst_names"] == ["c"]
    assert d.loc["e2", "best_names"] == ["b"] and d.loc["e2", "worst_names"] == ["a", "c"]


def test_examples_where_every_candidate_scores_the_same_are_not_disagreements() -> None:
    """Explore listed h4 and h5, where both candidates scored the same (best - worst 0.000), under "Where the
    candidates disagree most"."""
    three = pd.concat([_table({"a": 1.0, "b": 0.0}), _table({"a": 1.0, "b": 1.0}).assign(example_id="e2"),
                       _table({"a": 0.0, "b": 0.0}).assign(example_id="e3")])
    assert explore.disagreements(three)["example_id"].tolist() == ["e1"]
    assert explore.disagreements(three.iloc[2:]).empty
