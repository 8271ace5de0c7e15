"""The Label page in-process with Streamlit's AppTest, on a private copy of the demo workspace."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore import labels
from evalcore.demo_build import DEMO_SUITE
from evalcore.explore import clean_text
from evalcore.queries import Queries


@pytest.fixture
def ws(demo_workspace: Path, tmp_path: Path) -> Path:  # noqa: F811
    """Labels are written: every test gets its own copy of the shared demo workspace."""
    dest = tmp_path / "ws"
    shutil.copytree(demo_workspace, dest)
    return dest


def _page(ws: Path, monkeypatch: pytest.MonkeyPatch, reviewer: str | None = "ann") -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    if reviewer:
        at.session_state["reviewer"] = reviewer
    at.run()
    at.switch_page("views/label.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _item(at: AppTest) -> tuple[int, str]:
    """(position, output-hash prefix) of the item on screen, from its caption."""
    for c in at.caption:
        m = re.match(r"Item (\d+) of \d+ · ref (\w+)", c.value)
        if m:
            return int(m.group(1)), m.group(2)
    raise AssertionError([c.value for c in at.caption])


def _press(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _total(ws: Path) -> int:
    """How many distinct outputs the demo gives a new reviewer (from the library, not a number that changes
    whenever the demo does)."""
    return labels.rating_queue(Queries(ws), DEMO_SUITE, "someone-new")["total"]


def _answers(ws: Path, kind: str = "rating") -> list[dict]:
    return labels.answers(Queries(ws), DEMO_SUITE, kind)


def test_asks_who_is_reviewing_once(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch, reviewer=None)
    assert at.text_input(key="reviewer_input") is not None and not at.get("progress")
    at.text_input(key="reviewer_input").input("   ")
    at.button[0].click().run()
    assert "no reviewer name" in at.error[0].value
    at.text_input(key="reviewer_input").input("Ann Expert")
    at.button[0].click().run()
    assert at.session_state["reviewer"] == "Ann Expert"
    assert _item(at)[0] == 1
    assert f"Item 1 of {_total(ws)}" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("given,kept", [("a" * 500, None), ("   ", None), (" Bo ", "Bo")])
def test_a_reviewer_from_the_url_gets_the_forms_check(ws: Path, monkeypatch: pytest.MonkeyPatch, given, kept) -> None:
    """?reviewer= skipped the name form's check: 500 characters or blanks left the page at an error, with no
    form to correct it (an audit, 7 December). A bad one is dropped and the form asks."""
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.query_params["reviewer"] = given
    at.run()
    at.switch_page("views/label.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    if kept is None:
        assert at.text_input(key="reviewer_input") is not None and "reviewer" not in at.query_params
    else:
        assert at.session_state["reviewer"] == kept and _item(at)[0] == 1


def test_rating_and_yes_store_an_answer_and_advance(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    pos, ref = _item(at)
    texts = " ".join(t.value for t in at.text)
    assert "Output" in texts and "·" not in texts  # blind: no candidate beside "Output"
    _press(at, "lab_rate_4")
    assert _item(at) == (pos, ref) and len(_answers(ws)) == 1  # half an answer is stored at once
    _press(at, "lab_yes")
    assert _item(at)[0] == pos + 1
    got = _answers(ws)
    assert len(got) == 1 and got[0]["output_hash"].startswith(ref)
    assert (got[0]["rating"], got[0]["ok"], got[0]["reviewer"], got[0]["blind"]) == (4, True, "ann", True)
    assert f"1 of {_total(ws)} answered" in at.get("progress")[0].proto.text


def test_rating_buttons_say_a_word_beside_their_number_key(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A digit label beside the digit's own key hint read "1 1"; the suite's yes/no question stands above
    its two buttons, not above the 1-5 rating."""
    at = _page(ws, monkeypatch)
    rates = [at.button(key=f"lab_rate_{r}") for r in range(1, 6)]
    assert [b.label for b in rates] == ["Bad", "Poor", "Fair", "Good", "Great"]
    assert [b.proto.shortcut for b in rates] == ["1", "2", "3", "4", "5"]
    md = [m.value for m in at.markdown]
    question = next(i for i, m in enumerate(md) if "comfortable showing this to a user" in m)
    assert "1 (bad) to 5 (great)" in md[question - 1]


def test_the_item_is_shown_as_plain_text(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Input and output are st.text, verbatim (never markdown, HTML or the code element, whose highlighter is
    1.5 MB of JavaScript), on this item and the next."""
    at = _page(ws, monkeypatch)
    queue = {i["output_hash"][:8]: i for i in labels.rating_queue(Queries(ws), DEMO_SUITE, "ann")["todo"]}
    for _ in range(2):
        item = queue[_item(at)[1][:8]]
        texts = [t.value for t in at.text]
        assert clean_text(item["output"]) in texts and clean_text(item["input"]) in texts
        assert not at.code and not any(item["output"] in m.value for m in at.markdown)
        _press(at, "lab_rate_3")
        _press(at, "lab_yes")


def test_undo_clears_the_answer_and_goes_back(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    first = _item(at)
    _press(at, "lab_rate_2")
    _press(at, "lab_no")
    assert _item(at)[0] == 2
    _press(at, "lab_undo")  # undoes "no": back on item 1 with only the rating
    assert _item(at) == first
    assert [(a["rating"], a["ok"]) for a in _answers(ws)] == [(2, None)]
    _press(at, "lab_undo")
    assert _answers(ws) == []
    assert len(labels.history(Queries(ws), DEMO_SUITE)) == 4  # history keeps all of it


def test_resume_starts_at_the_first_unanswered_item(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    refs = []
    for _ in range(3):
        refs.append(_item(at)[1])
        _press(at, "lab_rate_5")
        _press(at, "lab_yes")
    fourth = _item(at)[1]
    again = _page(ws, monkeypatch)  # a new browser session of the same reviewer
    assert _item(again) == (4, fourth)
    assert f"3 of {_total(ws)} answered" in again.get("progress")[0].proto.text
    _press(again, "lab_back")
    assert _item(again) == (3, refs[2])
    assert again.button(key="lab_rate_5").proto.type == "primary"  # the stored answer is shown


def test_skip_next_back_and_note(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    _press(at, "lab_skip")
    assert _item(at)[0] == 2
    _press(at, "lab_back")
    pos, ref = _item(at)
    assert pos == 1
    at.text_input(key=f"note_{at.session_state['lab']['keys'][0]}").input("total is wrong").run()
    got = _answers(ws)
    assert got[0]["note"] == "total is wrong" and got[0]["rating"] is None
    _press(at, "lab_next")
    assert _item(at)[0] == 2


def test_reveal_only_after_rating(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    assert at.button(key="lab_reveal").proto.disabled
    _press(at, "lab_rate_3")
    _press(at, "lab_reveal")
    item = at.session_state["lab"]["items"][0]
    assert any(t.value.startswith("Output · ") and item["candidates"][0] in t.value for t in at.text)


def test_every_key_has_a_shortcut_and_a_cheat_sheet(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    shortcuts = {b.proto.shortcut.lower() for b in at.button}
    assert {"1", "2", "3", "4", "5", "y", "n", "enter", "backspace", "s", "u", "v"} <= shortcuts
    assert any("**Backspace** back" in c.value for c in at.caption)


def test_pairwise_mode_stores_the_choice(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _page(ws, monkeypatch)
    at.segmented_control(key="label_mode").set_value("pairwise").run()
    assert not at.exception
    pair = at.session_state["lab"]["items"][0]
    buttons = [at.button(key=f"lab_pair_{v}") for v in (1, 2, 0)]  # a word beside each key hint, never "1 ... 1"
    assert [(b.label, b.proto.shortcut) for b in buttons] == [("Left is better", "1"), ("Right is better", "2"),
                                                              ("Tie", "0")]
    assert {"Left output", "Right output"} <= {t.value for t in at.text}
    _press(at, "lab_pair_2")
    assert _item(at)[0] == 2
    got = _answers(ws, "pairwise")
    assert len(got) == 1
    right = pair["right"]["output_hash"]
    better = got[0]["output_hash"] if got[0]["choice"] == 1 else got[0]["output_hash_b"]
    assert better == right
    at.toggle(key="label_blind").set_value(False).run()  # blind, the ranking waits for the queue's end
    at.toggle(key="label_stats").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    bt = at.dataframe[-1].value
    assert set(bt.candidate) == set(pair["left"]["candidates"][:1] + pair["right"]["candidates"][:1])
    assert bt.iloc[0].candidate == pair["right"]["candidates"][0]


def test_overlap_and_other_reviewers(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    q = labels.rating_queue(Queries(ws), DEMO_SUITE, "bob")
    item = q["todo"][0]
    labels.record_rating(ws, DEMO_SUITE, "bob", example_id=item["example_id"], output_hash=item["output_hash"],
                         rating=1, ok=False)
    at = _page(ws, monkeypatch)
    assert item["output_hash"] not in at.session_state["lab"]["keys"]  # overlap 1: bob's answer is enough
    at.number_input(key="label_overlap").set_value(2).run()
    assert item["output_hash"] in at.session_state["lab"]["keys"]
    at.toggle(key="label_blind").set_value(False).run()
    at.toggle(key="label_stats").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) == 2  # progress and people's ratings; ann answered nothing, so no disagreements
    assert list(at.dataframe[0].value.reviewer) == ["bob"]


def test_no_outputs_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    at = _page(tmp_path / "empty", monkeypatch)
    assert "No outputs to label" in at.info[0].value


def test_blind_labeling_hides_the_per_candidate_numbers_until_the_queue_is_done(ws: Path, monkeypatch) -> None:
    """With Blind on, 'Show progress and agreement' listed per-candidate counts and means that moved with each
    answer: the row that moved named the candidate just rated (audit)."""
    at = _page(ws, monkeypatch)
    at.toggle(key="label_stats").set_value(True).run()
    assert not any("candidate" in d.value.columns for d in at.dataframe)
    assert any("hidden while you label blind" in c.value for c in at.caption)
    at.toggle(key="label_blind").set_value(False).run()
    assert any("candidate" in d.value.columns for d in at.dataframe)


# -- links and empty queues (audit 5) ---------------------------------------------------------------------------


def _suite(ws: Path, name: str, outputs: dict[str, tuple[str, str]]) -> None:
    """A suite in the workspace's suites folder with candidates a and b, outputs imported (no model called):
    `outputs[example id] = (a's output, b's output)`; an output of "" is a failed call."""
    import csv

    import yaml

    from evalcore.outputs_import import import_outputs
    from evalcore.suite import load_suite

    folder = ws / "suites" / name
    folder.mkdir(parents=True)
    with open(folder / "examples.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "expected"])
        w.writeheader()
        w.writerows({"id": i, "input": f"question {i}", "expected": "yes"} for i in outputs)
    doc = {"name": name, "prompt": "{{ input }}", "dataset": "examples.csv", "scorers": [{"type": "exact"}],
           "candidates": [{"name": c, "model": f"openai/{c}", "api_base": "http://127.0.0.1:9/v1"} for c in "ab"]}
    (folder / "suite.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with open(folder / "outputs.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["example_id", "candidate", "output", "error"])
        w.writeheader()
        for i, pair in outputs.items():
            for c, out in zip("ab", pair):
                w.writerow({"example_id": i, "candidate": c, "output": out, "error": "" if out else "refused"})
    import_outputs(folder / "outputs.csv", load_suite(folder / "suite.yaml"), ws)


@pytest.fixture
def two_suites(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    _suite(ws, "allfail", {f"e{k}": ("", "") for k in range(3)})  # first in the list: what a lost link opened
    _suite(ws, "good", {f"e{k}": (f"a says {k}", f"b says {k}") for k in range(4)})
    return ws


def _linked(ws: Path, monkeypatch: pytest.MonkeyPatch, query: dict[str, str]) -> AppTest:
    """The Label page opened from a link in a new session (the reviewer named in it)."""
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.query_params.update({"reviewer": "auditor5", **query})
    at.run()
    at.switch_page("views/label.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_opens_the_suite_and_filters_it_names(two_suites: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """?suite=hostile opened the first suite (allfail) while the address bar kept suite=hostile (audit 5)."""
    at = _linked(two_suites, monkeypatch, {"suite": "good", "label_candidates": "b", "label_overlap": "2",
                                           "label_mode": "rate"})
    assert at.selectbox(key="suite").value == "good"
    assert at.multiselect(key="label_candidates").value == ["b"] and at.number_input(key="label_overlap").value == 2
    assert _item(at)[0] == 1 and "Item 1 of 4" in " ".join(c.value for c in at.caption)  # b's 4 outputs only
    assert at.query_params["suite"] == "good" and at.query_params["label_candidates"] == "b"
    assert not at.warning

    at.segmented_control(key="label_mode").set_value("pairwise").run()  # one candidate: no pairs
    [said] = [i.value for i in at.info if "Nothing to compare in pairs" in i.value]
    assert "with these filters (candidates)" in said and not at.success
    at.multiselect(key="label_candidates").set_value([]).run()
    assert not at.exception and "Which output is better" in " ".join(m.value for m in at.markdown)
    at.switch_page("views/explore.py").run()  # the suite is the one every page shares
    assert at.selectbox(key="suite").value == "good"


def test_a_link_naming_what_the_suite_lacks_says_so(two_suites: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _linked(two_suites, monkeypatch, {"suite": "good", "label_candidates": "zed", "label_mode": "pairwise"})
    assert at.segmented_control(key="label_mode").value == "pairwise"  # the value, as suite.yaml spells it
    [note] = [w.value for w in at.warning if "zed" in w.value]
    assert "no such candidate" in note and "all candidates are shown" in note
    assert at.multiselect(key="label_candidates").value == []


def test_a_suite_whose_every_call_failed_has_nothing_to_label(two_suites: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """It showed a full bar, "0 of 0 answered" and a green "All 0 items answered. Thank you!" (audit 5)."""
    at = _linked(two_suites, monkeypatch, {"suite": "allfail"})
    assert not at.success and not at.get("progress")
    [said] = [w.value for w in at.warning if "Nothing to label" in w.value]
    assert "suite 'allfail'" in said and "every call of its latest runs failed" in said and "Explore" in said
    [link] = at.get("page_link")
    assert link.proto.label == "Read the errors in Explore"


def test_filters_that_match_nothing_say_so(two_suites: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _linked(two_suites, monkeypatch, {"suite": "good", "label_disagree": "true"})  # one scorer: never
    assert at.checkbox(key="label_disagree").value is True
    assert not at.success
    [said] = [w.value for w in at.warning if "Nothing to label" in w.value]
    assert "no outputs match the filters (only where scorers disagree)" in said and "Clear the filters" in said


def test_a_queue_others_have_answered_enough_says_so(two_suites: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    q = labels.rating_queue(Queries(two_suites), "good", "bo")
    for item in q["todo"]:
        labels.record_rating(two_suites, "good", "bo", example_id=item["example_id"],
                             output_hash=item["output_hash"], candidate=item["candidates"][0],
                             run_id=item["run_id"], rating=4, ok=True, note=None, blind=True, source="page")
    at = _linked(two_suites, monkeypatch, {"suite": "good"})
    assert not at.success
    [said] = [i.value for i in at.info if "Nothing left" in i.value]
    assert "all 8 items already have 1 answer from other reviewers" in said and "Ratings needed per item" in said
