"""Pages on workspaces an audit found them mishandling: suites switched under a page's remembered choices,
damaged files, a workspace that is a file, ids written in markdown, a head-to-head of equal candidates."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO
from evalcore.outputs_import import import_outputs
from evalcore.suite import load_suite


def _suite(ws: Path, name: str, ids: list[str], outputs, decision: dict | None = None) -> None:
    """A suite in the workspace's suites folder, with outputs imported (no model called): `outputs(id, candidate)`
    gives (output, error)."""
    folder = ws / "suites" / name
    folder.mkdir(parents=True)
    with open(folder / "examples.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "expected"])
        w.writeheader()
        w.writerows({"id": i, "input": f"question {i}", "expected": "yes"} for i in ids)
    doc = {"name": name, "prompt": "{{ input }}", "dataset": "examples.csv", "scorers": [{"type": "exact"}],
           "candidates": [{"name": c, "model": f"openai/{c}", "api_base": "http://127.0.0.1:9/v1",
                           "input_price_per_mtok": p, "output_price_per_mtok": p} for c, p in (("a", 10.0), ("b", 1.0))],
           **({"decision": decision} if decision else {})}
    (folder / "suite.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with open(folder / "outputs.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["example_id", "candidate", "output", "error", "cost_usd"])
        w.writeheader()
        for i in ids:
            for c in ("a", "b"):
                out, err = outputs(i, c)
                w.writerow({"example_id": i, "candidate": c, "output": out, "error": err,
                            "cost_usd": 0.01 if c == "a" else 0.001})
    import_outputs(folder / "outputs.csv", load_suite(folder / "suite.yaml"), ws)


def _app(ws: Path, monkeypatch: pytest.MonkeyPatch, page: str, query: dict[str, str] | None = None) -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.query_params.update(query or {})  # before the first run: a link opened in a new session
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_takes_each_suites_own_policy_when_the_suite_changes(tmp_path: Path, monkeypatch) -> None:
    """Switching from a suite declaring "cheapest, 0.2" to one declaring "best, 0.01" kept the first suite's
    choice: the second suite's pick then depended on how one got there."""
    good = lambda i, c: ("yes" if c == "a" or int(i[1:]) % 10 else "no", "")  # noqa: E731
    ids = [f"e{k:02d}" for k in range(40)]
    _suite(tmp_path, "s1", ids, good, {"policy": "cheapest", "margin": 0.2})
    _suite(tmp_path, "s2", ids, good, {"policy": "best", "margin": 0.01})
    at = _app(tmp_path, monkeypatch, "overview", {"suite": "s1"})
    assert at.session_state["policy"] == "cheapest" and at.session_state["margin"] == pytest.approx(0.2)
    at.selectbox(key="suite").set_value("s2").run()
    assert at.session_state["policy"] == "best" and at.session_state["margin"] == pytest.approx(0.01)
    direct = _app(tmp_path, monkeypatch, "overview", {"suite": "s2"})
    assert [s.value for s in at.success] == [s.value for s in direct.success]


def test_explore_drops_the_example_of_the_suite_shown_before(tmp_path: Path, monkeypatch) -> None:
    fail = lambda i, c: ("no", "")  # noqa: E731
    _suite(tmp_path, "s1", ["e1", "e2", "only-in-s1"], fail)
    _suite(tmp_path, "s2", ["f1", "f2"], fail)
    at = _app(tmp_path, monkeypatch, "explore", {"suite": "s1", "example": "only-in-s1"})
    assert at.selectbox(key="example").value == "only-in-s1"
    at.selectbox(key="suite").set_value("s2").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="example").value in {"f1", "f2"}
    # a link to an example the suite lacks still says so (a fresh session, nothing remembered)
    at = _app(tmp_path, monkeypatch, "explore", {"suite": "s2", "example": "nope"})
    assert any("nope" in e.value for e in at.error)


def test_an_example_id_in_markdown_is_shown_as_written(tmp_path: Path, monkeypatch) -> None:
    _suite(tmp_path, "s", ["**e0**", "[x](javascript:alert(1))", "\u202eevil"], lambda i, c: ("no", ""))
    for wanted, shown in (("**e0**", "\\*\\*e0\\*\\*"), ("\u202eevil", "\\\\u202eevil")):
        at = _app(tmp_path, monkeypatch, "explore", {"suite": "s", "example": wanted})
        assert f"Example {shown}" in [h.value for h in at.subheader]


def test_equal_candidates_score_the_same_in_the_head_to_head(tmp_path: Path, monkeypatch) -> None:
    """The head-to-head read "a scores 0.000 higher than b" for two candidates with equal scores."""
    _suite(tmp_path, "s", [f"e{k}" for k in range(12)], lambda i, c: ("yes", ""))
    at = _app(tmp_path, monkeypatch, "compare")
    text = " ".join(m.value for m in [*at.info, *at.success])
    assert "a and b score the same" in text and "0.000 higher" not in text


def test_a_workspace_that_is_a_file_is_said_on_every_page(tmp_path: Path, monkeypatch) -> None:
    ws = tmp_path / "ws"
    ws.write_text("not a folder")
    for page in ("manage", "run", "overview", "compare", "trends", "explore", "label"):  # not "no results yet"
        at = _app(ws, monkeypatch, page, {"reviewer": "ann"})
        assert any("is a file, not a folder" in e.value for e in at.error), page


def test_a_damaged_scores_file_is_said_not_raised(tmp_path: Path, monkeypatch) -> None:
    _suite(tmp_path, "s", ["e1", "e2"], lambda i, c: ("yes", ""))
    part = sorted((tmp_path / "scores").rglob("*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:100])
    for page in ("overview", "compare", "trends", "explore"):
        at = _app(tmp_path, monkeypatch, page)
        assert any("is broken" in e.value and "doctor" in e.value for e in at.error), page


def test_a_suite_whose_only_results_file_is_damaged_is_listed_and_said(tmp_path: Path, monkeypatch) -> None:
    """With its one results file cut short, suite s2 vanished from every page's picker without a word (the
    listing skipped broken files), and a link to it opened s1 instead."""
    _suite(tmp_path, "s1", ["e1", "e2"], lambda i, c: ("yes", ""))
    _suite(tmp_path, "s2", ["f1", "f2"], lambda i, c: ("yes", ""))
    (part,) = sorted((tmp_path / "results" / "suite=s2").rglob("*.parquet"))
    part.write_bytes(part.read_bytes()[:100])
    for page in ("overview", "compare", "trends", "explore"):
        at = _app(tmp_path, monkeypatch, page)
        assert list(at.selectbox(key="suite").options) == ["s1", "s2"], page
        at.selectbox(key="suite").set_value("s2").run()
        assert any("is broken" in e.value and "suite=s2" in e.value for e in at.error), page


def test_one_candidate_is_not_told_nothing_separates_the_candidates(tmp_path: Path, monkeypatch) -> None:
    _suite(tmp_path, "s", ["e1", "e2", "e3"], lambda i, c: ("yes", ""))
    doc = yaml.safe_load((tmp_path / "suites" / "s" / "suite.yaml").read_text())
    doc["candidates"] = doc["candidates"][:1]
    (tmp_path / "suites" / "s" / "suite.yaml").write_text(yaml.safe_dump(doc))
    shutil.rmtree(tmp_path / "results"), shutil.rmtree(tmp_path / "scores")
    rows = (tmp_path / "suites" / "s" / "outputs.csv").read_text().splitlines()
    (tmp_path / "suites" / "s" / "outputs.csv").write_text("\n".join(r for r in rows if ",b," not in r) + "\n")
    import_outputs(tmp_path / "suites" / "s" / "outputs.csv", load_suite(tmp_path / "suites" / "s" / "suite.yaml"),
                   tmp_path)
    at = _app(tmp_path, monkeypatch, "overview")
    assert "nothing to compare it with" in at.info[0].value
    assert not any("Nothing separates" in c.value for c in at.caption)


def test_what_changed_says_when_a_candidates_runs_share_no_examples(tmp_path: Path, monkeypatch) -> None:
    """After the dataset was replaced, a candidate rerun on the new examples went from 1.000 to 0.000 and "What
    changed" said nothing about it: no move, no "not comparable"."""
    from evalcore import explore

    _suite(tmp_path, "s", ["e1", "e2", "e3"], lambda i, c: ("yes", ""))
    folder = tmp_path / "suites" / "s"
    with open(folder / "examples.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "input", "expected"], *[[i, f"new {i}", "yes"] for i in ("n1", "n2", "n3")]])
    with open(folder / "outputs2.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["example_id", "candidate", "output"], *[[i, "a", "no"] for i in ("n1", "n2", "n3")]])
    time.sleep(1.1)  # run ids are stamped to the second
    import_outputs(folder / "outputs2.csv", load_suite(folder / "suite.yaml"), tmp_path)
    change = explore.changes_since_previous_run(tmp_path, "s")
    assert change.unpaired == [("a", 0)] and change.changes == []
    at = _app(tmp_path, monkeypatch, "overview")
    assert any("Not comparable with the previous run: a (0 examples scored in both runs" in w.value
               for w in at.warning), [w.value for w in at.warning]
    assert not any("Nothing separates" in c.value for c in at.caption)


def test_links_to_a_widgets_first_option_open_it(tmp_path: Path, monkeypatch) -> None:
    """Streamlit drops a URL value equal to a bound widget's own default; pages set their defaults through session
    state instead, so a link to the first option opened the page's default: `?outcome=all` opened Explore on
    'fail', `?b=<the leader>` compared the second candidate, `?margin=` the widget's minimum used the suite's
    declared margin (and a margin of 0, which the page offered, was a traceback: the decision needs one above 0)."""
    fail_b = lambda i, c: ("yes" if c == "a" else "no", "")  # noqa: E731
    _suite(tmp_path, "s", ["e1", "e2", "e3"], fail_b, {"policy": "cheapest", "margin": 0.2})
    at = _app(tmp_path, monkeypatch, "explore", {"outcome": "all"})
    assert at.selectbox(key="outcome").value == "all"
    assert "6 results on 3 examples match." in [c.value for c in at.caption]
    assert _app(tmp_path, monkeypatch, "explore").selectbox(key="outcome").value == "fail"  # the page's default
    at = _app(tmp_path, monkeypatch, "compare", {"a": "b", "b": "a"})
    assert (at.selectbox(key="a").value, at.selectbox(key="b").value) == ("b", "a")
    at = _app(tmp_path, monkeypatch, "overview", {"margin": "0.001", "policy": "best quality"})
    assert at.number_input(key="margin").value == pytest.approx(0.001)
    assert at.number_input(key="margin").min == 0.001
    assert at.session_state["policy"] == "best"
    at = _app(tmp_path, monkeypatch, "overview")
    assert at.number_input(key="margin").value == pytest.approx(0.2) and at.session_state["policy"] == "cheapest"


def test_untagged_examples_are_linked_without_empty_brackets(tmp_path: Path, monkeypatch) -> None:
    _suite(tmp_path, "s", ["e1", "e2", "e3"], lambda i, c: ("yes" if c == "a" else "no", ""))
    at = _app(tmp_path, monkeypatch, "compare")
    labels = [el.proto.label for el in at.get("page_link")]
    assert "e1: a 1.000, b 0.000" in labels and not any(label.endswith("()") for label in labels), labels


def test_compare_says_the_level_of_its_vs_leader_intervals(tmp_path: Path, monkeypatch) -> None:
    """The 'vs leader' column said "95% CI"; with two candidates its intervals are 90% (one-sided 95%), with ten
    98.9%: the level that agrees with 'could be best'."""
    _suite(tmp_path, "s", ["e1", "e2", "e3", "e4"], lambda i, c: ("yes" if c == "a" or i == "e1" else "no", ""))
    at = _app(tmp_path, monkeypatch, "compare")
    [table] = [d for d in at.dataframe if "vs_leader" in d.value.columns]
    config = json.loads(table.proto.columns)
    assert "with its 90% interval: one-sided 95% over the 1 comparison with the leader" in config["vs_leader"]["help"]
    assert config["vs_leader"]["label"] == "vs leader (90%)"  # the level on screen, not only on hover
    assert any("'vs leader': the paired gap with its 90% interval, adjusted for the 1 comparison" in c.value
               for c in at.caption)


def test_overview_keeps_the_figures_a_pick_rests_on_in_view_and_says_what_a_no_pick_leaves_open(
        tmp_path: Path, monkeypatch) -> None:
    """At 1,024 px the evidence table showed candidate, pick and a long verdict, and the cost and latency behind
    "1/11 the cost, 17% faster" sat off screen; a no-pick said "Nothing separates the candidates" while the
    evidence listed candidates credibly worse."""
    _suite(tmp_path, "s", ["e1", "e2", "e3", "e4"], lambda i, c: ("yes" if c == "a" or i in ("e1", "e2") else "no", ""))
    at = _app(tmp_path, monkeypatch, "overview")
    at.session_state["decision_details"] = True
    at.run()
    [table] = [d for d in at.dataframe if "verdict" in d.value.columns]
    cols = [c for c in table.value.columns if c != "pick"]
    assert cols[:4] == ["candidate", "vs leader", "cost per 1,000", "p50 latency"] and cols[-1] == "verdict"
    caption = [c.value for c in at.caption if "could be best" in c.value]
    assert not any("Nothing separates" in c.value for c in at.caption)
    assert caption and caption[0].startswith("None of the 2 is ruled out. Among the 2 that could be best"), caption


def test_data_pages_example_table_keeps_expected_and_tags_on_a_laptop_screen(tmp_path: Path, monkeypatch) -> None:
    """A full-width input column pushed expected and tags off a 1,024 px screen (seen in Chromium)."""
    _suite(tmp_path, "s", ["e1", "e2"], lambda i, c: ("yes", ""))
    at = _app(tmp_path, monkeypatch, "manage")
    [table] = [d for d in at.dataframe if {"input", "expected", "tags"} <= set(d.value.columns)]
    config = json.loads(table.proto.columns)
    assert config["id"]["pinned"] is True and config["input"]["width"] == 240
    assert config["input"]["width"] + config["expected"]["width"] < 560  # the main column's width at 1,024 px


def test_compare_pairs_only_the_examples_unchanged_between_two_suite_versions(tmp_path: Path, monkeypatch) -> None:
    """After the dataset changed, Compare paired a's answer to the new e3 with b's answer to the old e3 without a
    word (the CLI's compare said so; the page did not): now both say it and pair only e1 and e2."""
    _suite(tmp_path, "s", ["e1", "e2", "e3"], lambda i, c: ("yes" if c == "a" else "no", ""))
    folder = tmp_path / "suites" / "s"
    with open(folder / "examples.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "input", "expected"], ["e1", "question e1", "yes"],
                                 ["e2", "question e2", "yes"], ["e3", "a new question", "yes"]])
    with open(folder / "outputs2.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["example_id", "candidate", "output"], *[[i, "a", "yes"] for i in ("e1", "e2", "e3")]])
    time.sleep(1.1)
    import_outputs(folder / "outputs2.csv", load_suite(folder / "suite.yaml"), tmp_path)
    at = _app(tmp_path, monkeypatch, "compare")
    assert any("were made for different versions of suite 's'" in w.value and "Only the 2 examples unchanged"
               in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.info[0].value.startswith("On the 2 examples both have")
    assert [m.value for m in at.metric] == ["2", "0", "0"]


def test_the_data_page_warns_before_a_save_drops_comments(tmp_path: Path, monkeypatch) -> None:
    _suite(tmp_path, "s", ["e1", "e2"], lambda i, c: ("yes", ""))
    path = tmp_path / "suites" / "s" / "suite.yaml"
    path.write_text("# owner: team-x\n" + path.read_text())
    at = _app(tmp_path, monkeypatch, "manage")
    assert any("has 1 comment line: saving here" in w.value and "suite.yaml.bak" in w.value for w in at.warning), \
        [w.value for w in at.warning]


def _judge_suite(ws: Path, name: str, api_base: str, scorers: list[dict], judge: bool) -> None:
    """Suite `name`: candidates a and b, four examples, outputs imported (with the judge when `judge`). Every output
    asks the fake server for the reply "I cannot say.", which no judge can read a rating from."""
    folder = ws / "suites" / name
    folder.mkdir(parents=True)
    with open(folder / "examples.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "expected"])
        w.writeheader()
        w.writerows({"id": f"e{i}", "input": f"question {i}", "expected": "yes"} for i in range(4))
    doc = {"name": name, "prompt": "{{ input }}", "dataset": "examples.csv", "scorers": scorers,
           "candidates": [{"name": c, "model": f"openai/{c}", "api_base": api_base} for c in ("a", "b")]}
    (folder / "suite.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with open(folder / "outputs.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["example_id", "candidate", "output"])
        w.writeheader()
        for i in range(4):
            for c in ("a", "b"):
                said = "yes" if c == "a" or i % 2 else "no"
                w.writerow({"example_id": f"e{i}", "candidate": c, "output": f"{said} [[reply:I cannot say.]]"})
    import_outputs(folder / "outputs.csv", load_suite(folder / "suite.yaml"), ws, judge=judge)


@pytest.fixture(scope="module")
def judge_ws(tmp_path_factory: pytest.TempPathFactory, _server_process) -> Path:
    """`judgemix`: a judge whose every reply is unreadable beside a working `contains`; `noscores`: only an
    llm_judge, the outputs imported without --judge."""
    ws = tmp_path_factory.mktemp("judges")
    judge = {"type": "llm_judge", "model": "openai/judge", "api_base": _server_process.base_url, "rubric": "Right?"}
    _judge_suite(ws, "judgemix", _server_process.base_url, [judge, {"type": "contains", "value": "yes"}], judge=True)
    _judge_suite(ws, "noscores", _server_process.base_url, [judge], judge=False)
    return ws


@pytest.mark.parametrize("page", ["overview", "compare", "trends", "explore"])
def test_a_judge_without_readable_values_leaves_the_other_scorer_readable(judge_ws: Path, monkeypatch, page) -> None:
    """A judge whose replies could not be read put a traceback on Compare, Trends and Overview even with the
    working scorer picked (the chart colours were taken from the primary scorer's leaderboard); picked, the judge
    is said with the scorer that has values."""
    at = _app(judge_ws, monkeypatch, page, {"suite": "judgemix", "scorer": "contains"})
    assert not at.error, [e.value for e in at.error]
    at = _app(judge_ws, monkeypatch, page, {"suite": "judgemix", "scorer": "llm_judge"})
    said = " ".join(e.value for e in [*at.error, *at.warning])
    assert "no readable values" in said and "Scorer 'contains' has values" in said, said


@pytest.mark.parametrize("page", ["overview", "compare", "trends"])
def test_imported_outputs_without_the_judge_name_the_reimport(judge_ws: Path, monkeypatch, page) -> None:
    """Every page said "a run is still going, or scoring failed ... evalcore run again scores what is missing":
    a run sends every imported call again and still does not judge the import. The library's one message names
    the re-import with --judge."""
    at = _app(judge_ws, monkeypatch, page, {"suite": "noscores"})
    said = " ".join(e.value for e in at.error)
    assert "evalcore import outputs FILE --suite SUITE\\_FILE --judge" in said, said
    assert "still going" not in said


def test_explore_lists_outputs_without_scores_as_not_scored(judge_ws: Path, monkeypatch) -> None:
    """Explore refused to show imported outputs that had no scores; it lists them, "not scored", under the reason."""
    at = _app(judge_ws, monkeypatch, "explore", {"suite": "noscores"})
    assert not at.error, [e.value for e in at.error]
    assert "--judge" in at.warning[0].value and "not scored" in at.warning[0].value
    table = at.dataframe[0].value  # the matching results; no disagreement table: nothing to compare
    assert len(table) == 8 and set(table["score"]) == {"not scored"}
    assert any("not scored" in c.value for c in at.caption)
    assert len(at.dataframe) == 1


def test_explore_lists_only_examples_where_the_candidates_do_disagree(tmp_path: Path, monkeypatch) -> None:
    """"Where the candidates disagree most" listed examples both candidates scored the same (best - worst 0.000);
    where none differ it says so instead of an empty table."""
    _suite(tmp_path, "s", ["e1", "e2", "e3"], lambda i, c: ("yes" if c == "a" or i != "e3" else "no", ""))
    _suite(tmp_path, "same", ["f1", "f2"], lambda i, c: ("yes", ""))
    at = _app(tmp_path, monkeypatch, "explore", {"suite": "s", "outcome": "all"})
    assert at.dataframe[1].value["example_id"].tolist() == ["e3"]
    at = _app(tmp_path, monkeypatch, "explore", {"suite": "same", "outcome": "all"})
    assert len(at.dataframe) == 1  # the matching results only
    assert any("Nowhere: on every example these filters match, all candidates have the same score." in c.value
               for c in at.caption)
