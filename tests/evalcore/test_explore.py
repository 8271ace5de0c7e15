"""What Explore, Compare, Trends and `evalcore show` show: checked on the real demo workspace and on runs
against the local server, and the pure parts with hypothesis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalcore import analysis, explore, stats
from evalcore.demo_build import DEMO_SUITE, build_demo
from evalcore.errors import EvalcoreError
from evalcore.queries import Queries


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "ws"
    build_demo(path)
    return path


# -- clean text -----------------------------------------------------------------------------------------------


def test_clean_text_shows_control_sequences_escaped_and_keeps_layout() -> None:
    """What the model sent stays visible (a reviewer must see that an answer carries a colour code or a bidi
    override), written so no terminal or browser acts on it."""
    raw = "a\x1b[31mred\x1b[0m\tb\r\nc\x1b]0;title\x07d\rend\x00 \u202eevil\u202c \u2067x\u2069"
    assert explore.clean_text(raw) == ("a\\u001b[31mred\\u001b[0m\tb\nc\\u001b]0;title\\u0007d\\u000dend\\u0000 "
                                       "\\u202eevil\\u202c \\u2067x\\u2069")
    assert explore.clean_text(None) == "" and explore.clean_text(float("nan")) == ""
    assert explore.clean_text("<script>x</script> **b**") == "<script>x</script> **b**"  # text, not stripped
    kept = "请求书 🧾👩\u200d👩\u200d👧 می\u200cخواهم שלום"  # joiners and ZWNJ are text
    assert explore.clean_text(kept) == kept
    assert explore.clean_text("a\u200fb\ud800") == "a\\u200fb\\ud800"  # as the report shows them


@given(st.text())
def test_clean_text_never_leaves_an_escape_or_control_character_and_is_idempotent(text: str) -> None:
    out = explore.clean_text(text)
    assert "\x1b" not in out and "\r" not in out and "\x9b" not in out
    assert all(ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) <= 159 or 0x202a <= ord(ch) <= 0x202e
                                     or 0x2066 <= ord(ch) <= 0x2069 or ch in "\u200e\u200f") for ch in out)
    assert explore.clean_text(out) == out


# -- pure table logic ---------------------------------------------------------------------------------------------


def _table() -> pd.DataFrame:
    rows = []
    for ex, tags, vals in [("e1", ["clean"], {"a": 1.0, "b": 1.0, "c": 0.0}),
                           ("e2", ["edge"], {"a": 0.5, "b": 0.0, "c": 0.5}),
                           ("e3", ["edge", "long"], {"a": 0.0, "b": 1.0, "c": 1.0})]:
        for cand, v in vals.items():
            rows.append({"example_id": ex, "candidate": cand, "value": v, "pass_rate": float(v >= 1),
                         "passed": v >= 1, "error_kind": "timeout" if (ex, cand) == ("e2", "b") else None,
                         "repeats": 1, "tags": tags})
    return pd.DataFrame(rows)


def test_filters_combine_tag_candidate_outcome_and_error_kind() -> None:
    t = _table()
    assert len(explore.filter_examples(t)) == 9
    assert set(explore.filter_examples(t, tag="edge")["example_id"]) == {"e2", "e3"}
    fail_a = explore.filter_examples(t, candidates=["a"], outcome="fail")
    assert fail_a["example_id"].tolist() == ["e2", "e3"]
    assert explore.filter_examples(t, outcome="error")[["example_id", "candidate"]].values.tolist() == [["e2", "b"]]
    assert explore.filter_examples(t, error_kind="timeout", tag="long").empty
    with pytest.raises(EvalcoreError, match="unknown outcome"):
        explore.filter_examples(t, outcome="broken")


def test_disagreements_put_the_widest_spread_first() -> None:
    d = explore.disagreements(_table())
    assert d["example_id"].tolist() == ["e1", "e3", "e2"]  # spread 1, 1 (2 passing each: by id), 0.5
    assert d.iloc[1][["best", "worst", "spread", "passed"]].tolist() == ["b", "a", 1.0, 2]


def test_head_to_head_counts_wins_losses_ties_and_orders_by_difference() -> None:
    h = explore.head_to_head(_table(), "a", "b")
    assert (h.wins, h.losses, h.ties) == (1, 1, 1)
    assert h.rows["example_id"].tolist()[0] == "e3" and h.rows["diff"].tolist()[0] == -1.0
    assert h.text == "On 3 shared examples a scores higher on 1, lower on 1, the same on 1."
    with pytest.raises(EvalcoreError, match="two different"):
        explore.head_to_head(_table(), "a", "a")
    with pytest.raises(EvalcoreError, match="no scored results for candidate 'zz'"):
        explore.head_to_head(_table(), "a", "zz")


def test_pareto_frontier_keeps_only_candidates_nothing_cheaper_beats() -> None:
    rows = pd.DataFrame({"candidate": ["cheap", "mid", "dominated", "best", "unpriced"],
                         "mean": [0.6, 0.8, 0.7, 0.9, 0.99],
                         "cost_per_example_usd": [0.001, 0.01, 0.02, 0.1, None]})
    assert explore.pareto_frontier(rows) == ["cheap", "mid", "best"]


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(1e-6, 1)), min_size=1, max_size=12))
def test_no_candidate_on_the_frontier_is_dominated(points: list[tuple[float, float]]) -> None:
    rows = pd.DataFrame({"candidate": [f"c{i}" for i in range(len(points))], "mean": [p[0] for p in points],
                         "cost_per_example_usd": [p[1] for p in points]})
    front = set(explore.pareto_frontier(rows))
    assert front
    for r in rows.itertuples():
        dominated = ((rows["mean"] >= r.mean) & (rows["cost_per_example_usd"] <= r.cost_per_example_usd)
                     & ((rows["mean"] > r.mean) | (rows["cost_per_example_usd"] < r.cost_per_example_usd))).any()
        if r.candidate in front:
            assert not dominated


def test_reference_diff_reindents_json_and_says_when_identical() -> None:
    ref = '{"line_items": [{"q": 1}]}'
    assert explore.reference_diff(ref, "```json\n" + ref + "\n```") == "(identical to the reference)"
    diff = explore.reference_diff(ref, '{"line_items": [{"q": 2}]}')
    assert '-      "q": 1' in diff and '+      "q": 2' in diff
    assert explore.reference_diff(None, "anything") == ""


# -- on the demo workspace ---------------------------------------------------------------------------------------


def test_example_table_has_one_row_per_example_and_candidate_matching_the_leaderboard(demo_ws: Path) -> None:
    t = explore.example_table(demo_ws, DEMO_SUITE)
    lb = analysis.leaderboard(demo_ws, DEMO_SUITE)
    assert len(t) == 52 * 10
    means = t.groupby("candidate")["value"].mean().round(4).to_dict()
    assert means == {r["candidate"]: r["mean"] for r in lb.rows}


def test_example_detail_shows_every_candidate_in_order_with_scores_and_a_diff(demo_ws: Path) -> None:
    order = [r["candidate"] for r in analysis.leaderboard(demo_ws, DEMO_SUITE).rows]
    ex = explore.example_detail(demo_ws, DEMO_SUITE, "inv-040", order)
    assert ex["tags"] == ["adversarial"] and "ignore all previous instructions" in ex["input"]
    assert [c["candidate"] for c in ex["candidates"]] == order
    aurora2 = next(c for c in ex["candidates"] if c["candidate"] == "aurora-2")
    rep = aurora2["repeats"][0]
    assert {s["scorer"] for s in rep["scores"]} == {"line_items_f1", "json_valid", "judge"}
    assert rep["latency_ms"] > 0 and rep["cost_usd"] > 0 and rep["diff"].startswith("--- reference")
    with pytest.raises(EvalcoreError, match="no example 'nope'"):
        explore.example_detail(demo_ws, DEMO_SUITE, "nope")


def test_release_trend_matches_the_leaderboard_and_says_its_basis(demo_ws: Path) -> None:
    tr = explore.trend(demo_ws, DEMO_SUITE)
    lb = {r["candidate"]: r for r in analysis.leaderboard(demo_ws, DEMO_SUITE).rows}
    assert tr["basis"] == "over all 52 examples (one suite version)"
    for r in tr["rows"].to_dict("records"):
        assert round(r["mean"], 4) == lb[r["candidate"]]["mean"]
        assert r["low"] == pytest.approx(lb[r["candidate"]]["low"], abs=1e-4)
    assert set(tr["rows"]["family"]) == {"aurora", "basalt", "cirrus", "delta"}


def test_run_trend_has_a_point_per_run_and_candidate(demo_ws: Path) -> None:
    tr = explore.trend(demo_ws, DEMO_SUITE, x="run", tag="adversarial")
    assert len(tr["rows"]) == 7 + 10  # the demo's first run has the 7 older candidates, the second all 10
    assert (tr["rows"]["n"] == 5).all() and "tagged 'adversarial'" in tr["basis"]


def test_changes_since_the_previous_run_name_the_new_candidates(demo_ws: Path) -> None:
    c = explore.changes_since_previous_run(demo_ws, DEMO_SUITE)
    assert c.previous_run_id is not None and c.run_id > c.previous_run_id
    assert c.new_candidates == ["aurora-2", "cirrus-pro-2", "delta-2"]
    assert len(c.changes) == 7 and not c.regressions  # the older candidates' answers came from the cache


# -- the demo's story -----------------------------------------------------------------------------------------


def test_demo_story_publicly_best_newest_release_is_significantly_worse_on_the_task(demo_ws: Path) -> None:
    pc = analysis.public_comparison(demo_ws, DEMO_SUITE)
    sig = [f for f in pc.flips if f.significant]
    assert {f.benchmark for f in sig} == {"MMLU-Pro", "IFEval"}
    assert {f.public_winner for f in sig} == {"cirrus-pro-2"}  # the newest cirrus, best on both public tables
    assert {"cirrus-pro", "basalt-70b"} <= {f.task_winner for f in sig}  # older, and much cheaper


def test_demo_story_a_family_regresses_on_one_edge_case_tag(demo_ws: Path) -> None:
    cells = {(r["tag"], r["candidate"]): r["mean"] for r in analysis.tag_rows(demo_ws, DEMO_SUITE)}
    assert cells[("adversarial", "aurora-1.5")] - cells[("adversarial", "aurora-2")] > 0.5
    # ... while overall the newest aurora is not credibly worse than the one before: the regression hides in the
    # suite's mean and shows only per tag
    _, low, high = analysis.compare(demo_ws, DEMO_SUITE, "aurora-1.5", "aurora-2").diff
    assert low < 0 < high
    rows = {r["candidate"]: r for r in analysis.leaderboard(demo_ws, DEMO_SUITE).rows}
    assert rows["aurora-2"]["could_be_best"]


def test_demo_story_a_cheap_candidate_is_credibly_as_good_as_the_leader(demo_ws: Path) -> None:
    """The suite's stated trade-off (cheapest, a drop of up to 0.05 is fine) picks a candidate that costs a
    fraction of the leader's, shown by the paired one-sided test to lose at most 0.05 to every other."""
    rows = analysis.leaderboard(demo_ws, DEMO_SUITE).rows
    leader = rows[0]
    rec = analysis.recommendation(demo_ws, DEMO_SUITE)
    assert rec.status == "pick" and rec.policy == "cheapest" and rec.margin == 0.05
    assert rec.pick == "basalt-70b" and rec.leader == leader["candidate"] != rec.pick
    cheap = next(r for r in rows if r["candidate"] == rec.pick)
    assert cheap["could_be_best"] and cheap["cost_per_example_usd"] < leader["cost_per_example_usd"] / 5
    assert rec.headline.startswith("Pick basalt-70b: 0.005 below the leader (95% CI -0.017 to +0.007), inside the "
                                   "0.050 you accept; ")
    assert "the cost" in rec.headline
    _, low, _ = analysis.compare(demo_ws, DEMO_SUITE, rec.pick, rec.leader).diff
    assert low > -0.05  # the headline's interval: credibly within the margin
    assert "cirrus-pro-2" not in rec.could_be_best


# -- evalcore show -----------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evalcore.cli", *args], capture_output=True, text=True, timeout=120)


def test_show_prints_failing_outputs_of_one_candidate_as_text(demo_ws: Path) -> None:
    proc = _cli("show", "--suite", DEMO_SUITE, "--workspace", str(demo_ws), "--failing", "--tag", "adversarial",
                "--candidate", "aurora-2", "--limit", "10")
    assert proc.returncode == 0, proc.stderr
    blocks = [b for b in proc.stdout.split("=== ") if b.strip()]
    scores = Queries(demo_ws).score_table(DEMO_SUITE, "line_items_f1")
    failing = scores[(scores.candidate == "aurora-2") & ~scores.passed.astype(bool)
                     & scores.tags.map(lambda t: "adversarial" in list(t))]
    assert len(blocks) == len(failing) >= 4  # aurora-2 obeys the injection in most adversarial invoices
    assert all("--- aurora-2: " in b and "line_items_f1" in b for b in blocks)
    assert "--- cirrus-pro:" not in proc.stdout and "APPROVED" in proc.stdout


def test_show_one_example_as_json_has_every_candidate(demo_ws: Path) -> None:
    proc = _cli("show", "--suite", DEMO_SUITE, "--workspace", str(demo_ws), "--example", "inv-001", "--format",
                "json")
    assert proc.returncode == 0, proc.stderr
    [ex] = json.loads(proc.stdout)
    assert ex["example_id"] == "inv-001" and len(ex["candidates"]) == 10


def test_show_unknown_candidate_or_example_is_a_clear_error(demo_ws: Path) -> None:
    proc = _cli("show", "--suite", DEMO_SUITE, "--workspace", str(demo_ws), "--candidate", "gpt-9")
    assert proc.returncode == 2 and "no candidate 'gpt-9'" in proc.stderr and "cirrus-pro" in proc.stderr
    proc = _cli("show", "--suite", DEMO_SUITE, "--workspace", str(demo_ws), "--example", "inv-999")
    assert proc.returncode == 2 and "no example 'inv-999'" in proc.stderr


def test_show_writes_terminal_escapes_from_real_model_output_as_text(server, tmp_path: Path) -> None:
    from suite_factory import make_suite

    from evalcore.runner import run_suite

    hostile = "[[reply:\x1b[2J\x1b[31mRED\x1b[0m <script>alert(1)</script>\x07]]"
    suite = make_suite(tmp_path, server.base_url, [hostile, "plain"], candidates=1)
    ws = tmp_path / "ws"
    run_suite(suite, ws)
    proc = _cli("show", "--suite", "t", "--workspace", str(ws), "--example", "e000")
    assert proc.returncode == 0, proc.stderr
    assert "\\u001b[2J\\u001b[31mRED\\u001b[0m <script>alert(1)</script>\\u0007" in proc.stdout  # seen, not obeyed
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout


@settings(max_examples=200, deadline=None)
@given(groups=st.integers(1, 6), n=st.integers(1, 8), ragged=st.booleans(), repeats=st.booleans(),
       seed=st.integers(0, 2**31 - 1), missing_family=st.booleans(), at_bound=st.floats(0.0, 1.0))
def test_trend_intervals_at_once_equal_the_clustered_interval_of_each_group(groups, n, ragged, repeats, seed,
                                                                           missing_family, at_bound) -> None:
    """The vectorised trend intervals give exactly what `clustered_mean_interval` gives per group, and step aside
    (to the per-group loop) for ragged groups, repeats of an example and groups of one."""
    import numpy as np
    import pandas as pd

    from evalcore.explore import _interval_rows, _interval_rows_one_by_one

    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        size = n + (g if ragged else 0)
        for i in range(size):
            value = 1.0 if rng.random() < at_bound else float(rng.random())
            fam = None if (missing_family and g == 0) else f"f{g % 2}"
            rows.append({"run_id": f"r{g // 2}", "candidate": f"c{g}", "family": fam, "example_id": f"e{i}",
                         "value": value})
            if repeats and i == 0:
                rows.append({**rows[-1], "value": float(rng.random())})
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=seed % 1000)  # any row order
    keys = ["run_id", "candidate", "family"]
    got = sorted(_interval_rows(df, keys), key=lambda r: r["candidate"])
    want = sorted(_interval_rows_one_by_one(df, keys), key=lambda r: r["candidate"])
    assert [r["candidate"] for r in got] == [r["candidate"] for r in want]
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys() and a["n"] == b["n"]
        for k in ("mean", "low", "high"):
            assert (a[k] is None and b[k] is None) or abs(a[k] - b[k]) < 1e-12, (k, a, b)


def test_changes_pair_each_candidate_with_its_own_previous_run(tmp_path: Path) -> None:
    """The newest run against each candidate's own previous run (not the store's previous run): one join for all
    candidates gives what pairing each candidate by hand gives."""
    from test_queries_listing import _write_run

    from evalcore import store

    ws = store.Workspace(tmp_path / "ws")
    _write_run(ws, "s", "20260101T000000-aaaaaa", {"a": [0.1, 0.2, 0.3, 0.4] * 2, "b": [0.5, 0.6, 0.7, 0.8] * 2,
                                                   "c": [1.0] * 8})
    _write_run(ws, "s", "20260102T000000-bbbbbb", {"a": [0.9, 0.9, 0.8, 0.7] * 2}, hours=24)
    _write_run(ws, "s", "20260103T000000-cccccc", {"a": [0.2, 0.1, 0.3, 0.2] * 2, "b": [0.5, 0.7, 0.6, 0.9] * 2,
                                                   "d": [0.4] * 8}, hours=48)
    c = explore.changes_since_previous_run(ws.root, "s")
    assert (c.run_id, c.previous_run_id) == ("20260103T000000-cccccc", "20260102T000000-bbbbbb")
    assert c.new_candidates == ["d"]
    by = {ch.candidate: ch for ch in c.changes}
    assert set(by) == {"a", "b"}  # c is not in the newest run
    for cand, after, before in (("a", [0.2, 0.1, 0.3, 0.2] * 2, [0.9, 0.9, 0.8, 0.7] * 2),
                                ("b", [0.5, 0.7, 0.6, 0.9] * 2, [0.5, 0.6, 0.7, 0.8] * 2)):
        ref = stats.paired_difference(after, before)
        ch = by[cand]
        assert (ch.before, ch.after, ch.n) == (pytest.approx(np.mean(before)), pytest.approx(np.mean(after)), 8)
        assert (ch.diff, ch.low, ch.high) == pytest.approx((ref.diff.estimate, ref.diff.low, ref.diff.high))
        assert ch.significant == ref.significant
    assert by["a"].regression and not by["b"].regression
    assert [ch.candidate for ch in c.changes] == ["a", "b"]  # biggest drop first


def test_an_example_is_shown_as_the_newest_run_saw_it_and_older_outputs_say_so(tmp_path, server) -> None:
    """`show` printed the old version's input and reference beside outputs made for the new one: the version was
    picked by sorting its hash. An output made for another version is now marked (an audit, 7 December)."""
    from suite_factory import make_suite, write_csv

    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    suite = make_suite(tmp_path, server.base_url, ["hello", "world"])
    run_suite(suite, tmp_path / "ws")
    write_csv(tmp_path / "examples.csv", [{"id": "e000", "input": "totally different", "expected": "x", "tags": ""},
                                          {"id": "e001", "input": "world", "expected": "x", "tags": ""}])
    run_suite(load_suite(tmp_path / "suite.yaml"), tmp_path / "ws", candidates=["m0"], new_run=True)
    ex = explore.example_detail(tmp_path / "ws", "t", "e000")
    assert ex["input"] == "totally different"
    marks = {c["candidate"]: c["other_version"] for c in ex["candidates"]}
    assert marks == {"m0": False, "m1": True}
    assert "totally different" in {c["candidate"]: c["repeats"][0]["output"] for c in ex["candidates"]}["m0"]


def test_outputs_without_scores_are_listed_not_scored(tmp_path: Path, server) -> None:
    """Explore and `show` refused to show outputs imported without --judge (the suite's only scorer a judge): the
    table of them has every (example, candidate), value missing and `scored` False, with its failed calls' kind."""
    import csv

    from suite_factory import make_suite

    from evalcore.analysis import NoScoresError
    from evalcore.outputs_import import import_outputs

    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    suite = make_suite(tmp_path, server.base_url, ["a", "b"], scorers=[judge])
    with open(tmp_path / "out.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["example_id", "candidate", "output", "error"])
        w.writeheader()
        w.writerows({"example_id": e, "candidate": c, "output": "x", "error": "timeout" if c == "m1" and e == "e001"
                     else ""} for e in ("e000", "e001") for c in ("m0", "m1"))
    import_outputs(tmp_path / "out.csv", suite, tmp_path / "ws")
    with pytest.raises(NoScoresError):
        explore.example_table(tmp_path / "ws", "t")
    t = explore.unscored_table(tmp_path / "ws", "t")
    assert t[["example_id", "candidate"]].values.tolist() == [["e000", "m0"], ["e000", "m1"], ["e001", "m0"],
                                                               ["e001", "m1"]]
    assert t["value"].isna().all() and not t["scored"].any() and not t["passed"].any()
    assert t["error_kind"].notna().tolist() == [False, False, False, True]
    assert t["tags"].tolist()[0] == ["edge", "long"]
    assert len(explore.filter_examples(t, outcome="error")) == 1
    detail = explore.example_detail(tmp_path / "ws", "t", "e000")
    assert [c["repeats"][0]["scores"] for c in detail["candidates"]] == [[], []]
