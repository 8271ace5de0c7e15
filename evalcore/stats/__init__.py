"""Statistics for choosing a model from a few dozen examples: intervals, paired tests, ranking against the best,
sample sizes, the people's verdict (`human`), and the recommendation.

Pure functions of their inputs (nothing is random), numpy and scipy only; pandas for the functions that take the
long score table. Modules: `intervals` (one candidate), `paired` (two candidates), `ranking` (the leaderboard and
comparisons with the best), `power` (sample size), `decision` (the recommendation). Every public function refuses
NaN, non-numeric, duplicate and mixed-type input with a `StatsInputError` saying what to fix. Nothing returns NaN:
"no data" is None with a note, and every result has `to_dict()` for JSON.
"""

from __future__ import annotations

from evalcore.stats._core import MAX_REQUIRED_N, StatsInputError
from evalcore.stats.decision import (
    DEFAULT_MARGIN,
    DEFAULT_POLICY,
    POLICIES,
    Decision,
    Recommendation,
    as_decision,
    no_pick_text,
    recommend,
)
from evalcore.stats.human import PeopleEvidence, PeopleGap, PeopleRow, compare_people, people_evidence, people_rows
from evalcore.stats.intervals import (
    ClusteredInterval,
    Interval,
    clustered_mean_interval,
    clustered_proportion_interval,
    mean_interval,
    proportion_interval,
)
from evalcore.stats.paired import McNemarResult, PairedResult, holm, mcnemar_exact, paired_difference
from evalcore.stats.power import SampleSizeReport, minimum_detectable_difference, required_n, sample_size_report
from evalcore.stats.ranking import BoardRow, PairRow, TagRow, by_tag, leaderboard, pairwise, vs_leader_confidence

__all__ = [
    "BoardRow",
    "ClusteredInterval",
    "DEFAULT_MARGIN",
    "DEFAULT_POLICY",
    "Decision",
    "Interval",
    "MAX_REQUIRED_N",
    "McNemarResult",
    "POLICIES",
    "PairRow",
    "PairedResult",
    "PeopleEvidence",
    "PeopleGap",
    "PeopleRow",
    "Recommendation",
    "SampleSizeReport",
    "StatsInputError",
    "TagRow",
    "as_decision",
    "by_tag",
    "clustered_mean_interval",
    "clustered_proportion_interval",
    "compare_people",
    "holm",
    "leaderboard",
    "mcnemar_exact",
    "mean_interval",
    "minimum_detectable_difference",
    "no_pick_text",
    "paired_difference",
    "pairwise",
    "people_evidence",
    "people_rows",
    "proportion_interval",
    "recommend",
    "required_n",
    "sample_size_report",
    "vs_leader_confidence",
]
