"""The words around the numbers: each interval says its level, p values are the ones the verdicts use, the
headline names the gap, one gap rounds one way everywhere, lists truncate by one rule (audit findings)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from evalcore import analysis
from evalcore import formatting as fmt
from evalcore import report as rep
from evalcore import stats as S
from evalcore.cli import main
from evalcore.demo_build import DEMO_SUITE, build_demo


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plain demo workspace: ten candidates on 52 shared examples."""
    path = tmp_path_factory.mktemp("labels-demo") / "ws"
    build_demo(path)
    return path


@pytest.fixture(scope="module")
def board(demo_ws: Path) -> analysis.Leaderboard:
    return analysis.leaderboard(demo_ws, DEMO_SUITE)


def _line(rec: S.Recommendation, start: str) -> str:
    return next(d for d in rec.details if d.startswith(start))


def test_the_gap_columns_state_their_own_level(demo_ws: Path, board: analysis.Leaderboard) -> None:
    """Both tables were headed "vs the leader (95% CI)"; the leaderboard's is Bonferroni-adjusted, 98.9% here."""
    assert board.vs_leader_confidence == pytest.approx(S.vs_leader_confidence(10))
    assert board.vs_leader_label() == "98.9% CI, adjusted for 9 comparisons"
    md = rep.build_report(demo_ws, DEMO_SUITE, fmt_="md")
    assert "| vs the leader (98.9% CI, adjusted for 9 comparisons) |" in md
    assert "| vs the leader (95% CI, unadjusted) |" in md
    assert "Intervals are 95%." not in md and "the gaps to the leader are 98.9%" in md
    out = CliRunner().invoke(main, ["leaderboard", "-w", str(demo_ws)]).output
    assert "vs leader (98.9% CI, adjusted for 9 comparisons)" in out and "the gaps' intervals are 98.9%" in out


def test_three_candidates_have_95_percent_gaps_and_two_have_90() -> None:
    rows = [{"diff_vs_best": 0.0}, {"diff_vs_best": -0.1}, {"diff_vs_best": -0.2}]
    lb = analysis.Leaderboard("s", "x", rows, [], 10, 1)
    assert lb.vs_leader_label() == "95% CI, adjusted for 2 comparisons"
    assert analysis.Leaderboard("s", "x", rows[:2], [], 10, 1).vs_leader_label() == "90% CI"


def test_the_evidence_prints_the_one_sided_p_its_threshold_is_for(demo_ws: Path, board: analysis.Leaderboard) -> None:
    """delta-2 printed "p = 0.009" (two-sided) beside "0.05/9 = 0.0056" and was credibly worse: it reads wrong."""
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board)
    d2 = next(a for a in rec.evidence if a["candidate"] == "delta-2")
    assert d2["p_worse"] == pytest.approx(d2["p_value"] / 2) and d2["p_worse"] < 0.05 / 9
    assert f"one-sided {fmt.p_value(d2['p_worse'])}:" in _line(rec, "delta-2:")
    assert "one-sided p = 0.0044" in _line(rec, "delta-2:")
    assert "under 0.05/9 = 0.0056 against any candidate, it is credibly worse" in _line(rec, "Below, p is one-sided")
    assert fmt.p_value(0.0045) == "p = 0.0045"


def test_the_headline_names_the_gap_and_labels_its_interval(demo_ws: Path, board: analysis.Leaderboard) -> None:
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board)
    assert rec.headline.startswith("Pick basalt-70b: 0.005 below the leader (95% CI -0.017 to +0.007), inside the "
                                   "0.050 you accept; 1/11 the cost, ")
    words = next(a for a in rec.evidence if a["candidate"] == "delta-2")["verdict"]
    assert "not shown within it of aurora-2" in words and "aurora-2's mean is lower" in words
    assert "a pick must be within it of every candidate" in words


def test_no_pick_says_how_many_are_ruled_out_and_what_would_decide(demo_ws: Path,
                                                                     board: analysis.Leaderboard) -> None:
    """It said "Nothing separates the candidates" beside four candidates credibly worse. Then it promised "about 923
    shared examples could decide" for cirrus-mini, whose observed gap (-0.081) is four times the margin: the number
    assumes the two truly equal, so the card names the two and the gap, and gives no number beyond the margin."""
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board, margin=0.02)
    assert rec.status == "inconclusive" and rec.needed_examples is None
    assert rec.needed_for is not None and rec.needed_for[:2] == ("cirrus-mini", "aurora-1.5")
    assert "To show cirrus-mini loses at most 0.020 to aurora-1.5, if the two are truly equal, would take about " in (
        " ".join(rec.details))
    text = rep.no_pick_text(rec)
    assert text == ("4 of 10 ruled out, credibly worse than another: delta-2, delta-lite, basalt-8b and cirrus-pro-2. "
                    "Among the 6 that could be best, a wider margin (if a larger drop is acceptable) or more examples "
                    "only if cirrus-mini is truly within 0.020 of aurora-1.5 (its observed gap is -0.081) could "
                    "decide.")
    assert text in rep.build_report(demo_ws, DEMO_SUITE, fmt_="md", margin=0.02)


def test_a_no_pick_under_policy_best_is_about_the_leader_not_the_cheapest(demo_ws: Path,
                                                                          board: analysis.Leaderboard) -> None:
    """Under "best" the card gave cirrus-mini's sample size ("the cheapest that could be best"), which that policy
    never asks about; what stands in the way is the leader's possible loss to another candidate."""
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board, margin=0.02, policy="best")
    assert rec.status == "inconclusive" and rec.leader == "aurora-1.5"
    words = " ".join(rec.details)
    assert "cheapest" not in words and "cirrus-mini loses at most" not in words
    assert rec.needed_for is not None and rec.needed_for[0] == "aurora-1.5"
    other = rec.needed_for[1]
    assert f"For aurora-1.5 (the best mean), a loss of up to " in words and f"to {other} cannot be ruled out" in words
    assert rec.needed_examples and f"if aurora-1.5 and {other} are truly equal (observed gap +" in rep.no_pick_text(rec)


def test_one_gap_rounds_one_way_in_the_evidence_and_the_leaderboards(demo_ws: Path,
                                                                      board: analysis.Leaderboard) -> None:
    """cirrus-pro-2's -0.31446 was stored as -0.3145 and printed -0.315 beside the decision's -0.314."""
    assert fmt.diff(analysis._round(-0.3144612660081236)) == "-0.314"
    assert analysis._round(0.91406) == 0.9141
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board)
    gaps = {a["candidate"]: fmt.diff(a["diff"]) for a in rec.evidence}
    for r in board.rows[1:]:
        assert fmt.diff(r["diff_vs_best"]) == gaps[r["candidate"]], r["candidate"]
    out = CliRunner().invoke(main, ["leaderboard", "-w", str(demo_ws)]).output
    assert re.search(r"cirrus-pro-2 .* -0\.314 \[", out)


def test_pass_rate_points_are_the_difference_of_the_percentages_shown(demo_ws: Path,
                                                                       board: analysis.Leaderboard) -> None:
    """delta-2 read "pass rate -8 pts" beside tables showing 92% and 85%."""
    assert fmt.pct_points_between(12 / 13, 11 / 13) == "+7 pts"  # 92% and 85%, not 92.3 - 84.6 = +7.7
    assert fmt.pct_points_between(0.004, 0.0) == "0 pts" and fmt.pct_points_between(None, 0.5) == fmt.MISSING
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board)
    rate = {r["candidate"]: fmt.pct(r["pass_rate"]) for r in board.rows}
    assert (rate["aurora-1.5"], rate["delta-2"]) == ("92%", "85%")
    assert "pass rate -7 pts" in _line(rec, "delta-2:")


def test_report_takes_o_for_out(demo_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = CliRunner().invoke(main, ["report", "-w", str(demo_ws), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("#") or "Pick basalt-70b" in text
    # lists of names truncate by one rule, the Overview's, and never end in "and 1 other"
    assert "No significant move: aurora-1, aurora-1.5, basalt-70b, basalt-8b and 3 others." in text
    assert "and 1 other." not in text


def test_the_evidence_is_plain_text_without_code_spans(demo_ws: Path, board: analysis.Leaderboard) -> None:
    """The report and the pages escape the evidence, so "`evalcore labels import`" showed its backticks."""
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board)
    assert any("evalcore labels import" in d for d in rec.details)
    assert not any("`" in d for d in [rec.headline, *rec.details])
    t = pd.DataFrame({"candidate": ["a", "b"], "example_id": ["1", "1"], "value": [0.0, 0.0]})
    failed = S.recommend(t, calls={"a": 1, "b": 1}, errors={"a": 1, "b": 1})
    assert failed.status == "all_failed" and "`" not in failed.headline


def test_no_pick_text_reads_the_same_from_the_dict_the_pages_get(demo_ws: Path, board: analysis.Leaderboard) -> None:
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=board, margin=0.02)
    assert rep.no_pick_text(rec.to_dict()) == rep.no_pick_text(rec)
