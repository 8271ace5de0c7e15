"""The Data and Run pages under AppTest: suites created and edited through the form, runs started, watched, cancelled."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore import analysis
from evalcore import formatting as fmt
from evalcore.demo_build import DEMO_SUITE
from evalcore.estimate import estimate_run
from evalcore.queries import Queries
from evalcore.store import Workspace
from evalcore.suite import load_suite
from suite_factory import make_suite


def _page(workspace: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(workspace))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, column: str):
    """The first read-only table with this column (st.dataframe keeps no key in AppTest unless it is selectable)."""
    for frame in at.dataframe:
        value = frame.value
        if column in value.columns and frame.key is None:
            return value
    raise AssertionError(f"no table with a column {column!r}")


def _estimate(at: AppTest):
    """The Run page's estimate per candidate (a static table: at 1,024 px the grid cut the model mid-word)."""
    [table] = at.table
    return table.value


def _suite_in(ws: Path, *args, **kwargs):
    """A suite kept in the workspace's suites folder (where the Data page puts them)."""
    folder = ws / "suites" / "t"
    folder.mkdir(parents=True, exist_ok=True)
    return make_suite(folder, *args, **kwargs)


def _edits(rows: dict[int, dict]) -> dict:
    """A data editor's state as Streamlit keeps it: the edits made to its rows."""
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def test_data_page_creates_a_valid_suite_and_refuses_an_invalid_one(tmp_path: Path, monkeypatch) -> None:
    ws = tmp_path / "ws"
    at = _page(ws, monkeypatch, "manage")
    assert "No suites in this workspace yet" in at.info[0].value

    at.text_input(key="new_name").set_value("triage")
    at.session_state["new_candidates"] = _edits({0: {"name": "bad name", "model": "openai/gpt-4o-mini"}})
    at.button(key="create_suite_button").click().run()
    assert not at.exception
    assert "candidates row 1, name" in at.error[0].value and "bad name" in at.error[0].value
    assert not (ws / "suites").exists()

    at.session_state["new_candidates"] = _edits({0: {"name": "small_1", "model": "openai/gpt-4o-mini",
                                                     "params": '{"temperature": 0}'}})
    at.session_state["new_scorers"] = _edits({0: {"type": "contains", "options": '{"value": "ok"}'}})
    at.button(key="create_suite_button").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Created suite triage. Upload its examples below."
    suite = load_suite(ws / "suites" / "triage" / "suite.yaml")
    assert [c.name for c in suite.candidates] == ["small_1"] and suite.scorers[0].value == "ok"
    assert at.selectbox(key="data_suite").value == "triage"
    table = _table(at, "where")
    assert table["name"].tolist() == ["triage"] and table["candidates"].tolist() == [["small_1"]]
    assert any("No usable examples yet" in i.value and "examples.csv" in i.value for i in at.info)


def test_data_page_shows_control_and_bidi_characters_in_examples_as_escapes(tmp_path: Path, monkeypatch) -> None:
    """The examples table draws text on a canvas, where a right-to-left override would reverse the cell and a
    terminal colour code would vanish: they read as escapes there, as in Explore."""
    ws = tmp_path / "ws"
    _suite_in(ws, "http://127.0.0.1:9/v1", ["\u202eevil", "\x1b[31mred", "line one\nline two"])
    table = _table(_page(ws, monkeypatch, "manage"), "expected")
    assert list(table["input"]) == ["\\u202eevil", "\\u001b[31mred", "line one\nline two"]


def test_data_page_refuses_examples_the_suites_prompt_cannot_use(tmp_path: Path, monkeypatch) -> None:
    """A file without a column the prompt names fails every run: an error naming the file, the column and the
    prompt (as `evalcore validate` says), no button to save it, and the stored dataset untouched."""
    ws = tmp_path / "ws"
    suite = _suite_in(ws, "http://127.0.0.1:9/v1", ["a", "b"], extra={"prompt": "Ticket ({{ channel }}): {{ input }}"})
    stored = (suite.dataset_path).read_bytes()
    at = _page(ws, monkeypatch, "manage")
    upload = b"id,input,expected,tags\nt-1,hello,billing,clean\nt-2,world,bug,clean\n"
    at.file_uploader[0].set_value(("tickets.csv", upload, "text/csv")).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "tickets.csv, row 1" in error and "'channel' is undefined" in error and "prompt" in error
    assert "Nothing was saved" in error
    assert not at.success and not any("valid example" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "save_examples"]
    assert suite.dataset_path.read_bytes() == stored

    with_channel = b"id,input,expected,channel\nt-1,hello,billing,email\n"
    at.file_uploader[0].set_value(("tickets.csv", with_channel, "text/csv")).run()
    assert not at.error and "1 valid example" in at.success[0].value
    at.button(key="save_examples").click().run()
    assert suite.dataset_path.read_bytes() != stored and not at.error


def test_data_page_edits_candidates_and_scorers(tmp_path: Path, monkeypatch) -> None:
    ws = tmp_path / "ws"
    _suite_in(ws, "http://127.0.0.1:9/v1", ["a", "b", "c"])
    at = _page(ws, monkeypatch, "manage")
    assert at.selectbox(key="data_suite").value == "t"
    assert len(_table(at, "expected")) == 3

    at.session_state["edit_scorers_t"] = {"edited_rows": {}, "deleted_rows": [],
                                          "added_rows": [{"type": "regex", "options": '{"pattern": "[("}'}]}
    at.button(key="save_suite_button").click().run()
    assert "invalid regular expression" in at.error[0].value
    before = (ws / "suites" / "t" / "suite.yaml").read_bytes()

    at.session_state["edit_scorers_t"] = {"edited_rows": {}, "deleted_rows": [],
                                          "added_rows": [{"type": "regex", "name": "has_says",
                                                          "options": '{"pattern": "says"}'}]}
    at.session_state["edit_candidates_t"] = _edits({1: {"family": "other"}})
    at.button(key="save_suite_button").click().run()
    assert not at.exception and at.success[0].value == "Saved suite t."
    after = load_suite(ws / "suites" / "t" / "suite.yaml")
    assert [s.label for s in after.scorers] == ["contains", "has_says"]
    assert after.candidates[1].family == "other" and after.candidates[0].family == "fam"
    assert (ws / "suites" / "t" / "suite.yaml").read_bytes() != before


def test_data_page_shows_the_demo_suite_read_only(demo_workspace: Path, monkeypatch) -> None:
    at = _page(demo_workspace, monkeypatch, "manage")
    assert at.selectbox(key="data_suite").value == DEMO_SUITE
    assert any("read-only" in i.value for i in at.info)
    assert len(_table(at, "expected")) == 52
    assert at.button(key="save_suite_button").disabled
    names = _table(at, "where")["name"].tolist()
    assert names == [DEMO_SUITE]
    listing = next(f for f in at.dataframe if "where" in f.value.columns)
    # ten candidates' chips come last: they pushed scorers, dataset and runs off a 1,024 px screen
    assert list(listing.proto.column_order) == ["name", "where", "runs", "scorers", "dataset", "candidates"]


def test_data_page_lists_a_broken_suite_with_its_problem(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "suites" / "broken"
    folder.mkdir(parents=True)
    (folder / "suite.yaml").write_text("name: broken\ncandidates: [\n", encoding="utf-8")
    at = _page(tmp_path, monkeypatch, "manage")
    listing = next(f for f in at.dataframe if "where" in f.value.columns)
    assert "problem" in listing.proto.column_order and listing.proto.column_order[-1] == "candidates"
    row = listing.value.set_index("name").loc["broken"]
    assert "suite.yaml, line 3: not valid YAML" in row["problem"], row
    # said once, with its line, where a parser's traceback ended the page
    assert [e.value for e in at.error if "not valid YAML" in e.value] == [at.error[0].value]
    assert "line 3" in at.error[0].value


def _wait(at: AppTest, done, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, [m.value for m in at.markdown] + [e.value for e in at.error]
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]


def test_run_page_estimates_then_runs_to_the_end(tmp_path: Path, monkeypatch, server) -> None:
    ws = tmp_path / "ws"
    suite = _suite_in(ws, server.base_url, [f"question {i}" for i in range(6)], candidates=2)
    at = _page(ws, monkeypatch, "run")
    assert at.multiselect(key="run_candidates_t").value == ["m0", "m1"]
    expected = estimate_run(suite, ws)
    table = _estimate(at)
    assert table["calls"].tolist() == [c.calls for c in expected.candidates] == [6, 6]
    assert table["to send"].tolist() == [6, 6]
    assert table["estimate"].tolist() == [fmt.money(c.cost_usd) for c in expected.candidates]
    assert at.info[-1].value.startswith("12 calls: 6 examples x 2 candidates.")

    at.button(key="run_start").click().run()
    _wait(at, lambda a: any(s.value.startswith("Finished: 12 results") for s in a.success))
    runs = analysis.run_list(ws, "t")
    assert [r["status"] for r in runs] == ["finished"] and runs[0]["results"] == 12
    assert server.stats()["requests"] == 12
    at.run()  # the page redrawn after the run: everything is in the cache now
    assert _estimate(at)["cached"].tolist() == [6, 6]


def test_run_page_cancel_stops_the_run_and_keeps_what_is_done(tmp_path: Path, monkeypatch, server) -> None:
    ws = tmp_path / "ws"
    _suite_in(ws, server.base_url, [f"q{i} [[sleep:400]]" for i in range(40)], candidates=1,
               run={"concurrency": 2, "per_candidate": 2})
    at = _page(ws, monkeypatch, "run")
    at.button(key="run_start").click().run()
    _wait(at, lambda a: any(b.key and b.key.startswith("cancel_") for b in a.button))
    _wait(at, lambda a: any(re.search(r"[1-9][\d,]* sent", p.proto.text) for p in a.get("progress")))
    cancel = next(b for b in at.button if b.key and b.key.startswith("cancel_"))
    cancel.click().run()
    _wait(at, lambda a: any(w.value.startswith("Cancelled.") for w in a.warning))
    [run] = analysis.run_list(ws, "t")
    assert run["status"] == "interrupted" and run["results"] < 40


def test_a_run_started_from_the_cli_shows_up(tmp_path: Path, monkeypatch, server) -> None:
    ws = tmp_path / "ws"
    (tmp_path / "elsewhere").mkdir()
    make_suite(tmp_path / "elsewhere", server.base_url, [f"q{i} [[sleep:300]]" for i in range(30)], candidates=1,
               run={"concurrency": 2, "per_candidate": 2})
    env = {**os.environ, "EVALCORE_WORKSPACE": str(ws), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "evalcore.cli", "run", str(tmp_path / "elsewhere" / "suite.yaml")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(m.get("status") == "running" for m in Workspace(ws).manifests()):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
        at = _page(ws, monkeypatch, "run")
        shown = [m.value for m in at.markdown]
        assert any("started outside this dashboard" in text for text in shown), shown
        assert any("/30 results so far" in p.proto.text for p in at.get("progress"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_run_page_never_loads_litellm_into_the_dashboard_process(tmp_path: Path, server) -> None:
    """A fresh process (this one may have imported litellm in other tests) runs the app and a whole run."""
    ws = tmp_path / "ws"
    _suite_in(ws, server.base_url, ["one", "two", "three"], candidates=2)
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(DASHBOARD)!r})
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(DASHBOARD / "app.py")!r}, default_timeout=60)
        at.run()
        at.switch_page("views/run.py").run()
        at.button(key="run_start").click().run()
        deadline = time.monotonic() + 90
        while not any(s.value.startswith("Finished") for s in at.success):
            assert time.monotonic() < deadline
            time.sleep(0.3)
            at.run()
        at.switch_page("views/manage.py").run()
        print("LITELLM", "litellm" in sys.modules)
    """)
    env = {**os.environ, "EVALCORE_WORKSPACE": str(ws), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LITELLM False" in out.stdout
    assert [r["status"] for r in analysis.run_list(ws, "t")] == ["finished"]


def test_a_run_whose_calls_all_fail_says_so_with_the_errors(tmp_path: Path, monkeypatch) -> None:
    with __import__("socket").socket() as s:  # a port nobody listens on: every call is refused
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    ws = tmp_path / "ws"
    _suite_in(ws, f"http://127.0.0.1:{closed}/v1", ["a", "b"], candidates=1, run={"max_attempts": 1})
    at = _page(ws, monkeypatch, "run")
    at.button(key="run_start").click().run()
    _wait(at, lambda a: any(e.value.startswith("Every call failed") for e in a.error))
    codes = [c.value for c in at.code]
    assert codes and "connection" in codes[0]
    assert "(2 calls)" in at.error[0].value and not at.success  # a run with no answer is no success


def test_a_candidate_whose_every_call_failed_is_a_warning_with_the_runners_diagnosis(tmp_path: Path, monkeypatch,
                                                                                     server) -> None:
    """A run where m1's model does not exist was a green "Finished", the runner's stop message (who, why, the fix)
    was nowhere on the page, the same 404 line was listed seven times, and "$0 spent" hid m0's unknown price."""
    ws = tmp_path / "ws"
    _suite_in(ws, server.base_url, [f"q{i} [[sleep:50]]" for i in range(8)], candidates=2,
              run={"concurrency": 8, "per_candidate": 8})
    path = ws / "suites" / "t" / "suite.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["candidates"][0].update(input_price_per_mtok=None, output_price_per_mtok=None)
    data["candidates"][1]["model"] = "openai/missing-x"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    at = _page(ws, monkeypatch, "run")
    assert _estimate(at).columns.tolist()[-2:] == ["price from", "model"]  # a static table: its cells wrap
    at.button(key="run_start").click().run()
    _wait(at, lambda a: any(w.value.startswith("Finished: 16 results, 8 errors.") for w in a.warning))
    assert not at.success  # a candidate that never answered is no success
    [run] = analysis.run_list(ws, "t")
    manifest = Workspace(ws).read_manifest("t", run["run_id"])
    assert "Every call of m1 (8 of 8) failed" in at.warning[0].value
    stop = [e.value.replace("\\", "") for e in at.error]  # markdown-escaped on the page
    assert stop == [manifest["stopped"]["m1"][:1].upper() + manifest["stopped"]["m1"][1:]]
    assert stop[0].startswith("Candidate 'm1' (openai/missing-x at ") and "Fix:" in stop[0]
    df = Queries(ws).current_results("t", run["run_id"])
    failed = df[df.candidate == "m1"]
    sent, skipped = int((failed["attempts"] > 0).sum()), int((failed["attempts"] == 0).sum())
    assert f"{sent} of its calls failed" in stop[0]
    [listed] = [c.value for c in at.code]
    lines = listed.splitlines()
    counted = {line.split(" x ", 1)[1]: int(line.split(" x ", 1)[0]) for line in lines}
    assert len(lines) == len(set(failed["error"])) == len(counted)  # each message once
    assert sorted(counted.values()) == sorted(failed["error"].value_counts().tolist())
    [bar] = [p.proto.text for p in at.get("progress")]
    assert f"{sent + 8} sent, 0 cached, {skipped} not sent" in bar if skipped else f"{sent + 8} sent" in bar
    assert bar.endswith("cost unknown: m0 (8 answers, no price known)"), bar


def test_data_page_saves_blank_cells_as_unset(tmp_path: Path, monkeypatch) -> None:
    """The editors show unset cells blank (they read as a grey 'None' in every row): saving the tables unchanged
    writes no empty keys (no `api_key_env: ''`), the suite file stays what it was."""
    import yaml

    ws = tmp_path / "ws"
    _suite_in(ws, "http://127.0.0.1:9/v1", ["a", "b"])
    at = _page(ws, monkeypatch, "manage")
    path = ws / "suites" / "t" / "suite.yaml"
    before = yaml.safe_load(path.read_text())
    at.button(key="save_suite_button").click().run()
    assert not at.exception and at.success[0].value == "Saved suite t."
    after = yaml.safe_load(path.read_text())
    assert after["candidates"] == before["candidates"] and after["scorers"] == before["scorers"]


def test_every_problem_of_a_suite_is_shown_not_only_the_first(tmp_path: Path, monkeypatch) -> None:
    """'(2 problems in all)' was shown with one of them: the judge's missing rubric appeared only after the model
    was fixed and the form sent again (audit)."""
    at = _page(tmp_path, monkeypatch, "manage")
    at.text_input(key="new_name").set_value("judged")
    at.session_state["new_candidates"] = _edits({0: {"name": "small", "model": "openai/gpt-4o-mini"}})
    at.session_state["new_scorers"] = _edits({0: {"type": "llm_judge", "options": "{}"}})
    at.button(key="create_suite_button").click().run()
    [error] = at.error
    assert "2 problems in all" in error.value and "model" in error.value and "rubric" in error.value, error.value


def test_the_run_page_says_why_a_suite_cannot_run(tmp_path: Path, monkeypatch) -> None:
    """A suite with a broken file was dropped from the picker and the page said 'No suite to run yet: create one'
    to the person who had one (audit)."""
    folder = tmp_path / "suites" / "broken"
    folder.mkdir(parents=True)
    (folder / "suite.yaml").write_text("name: broken\ncandidates: [\n", encoding="utf-8")
    at = _page(tmp_path, monkeypatch, "run")
    assert any("Suite broken cannot run until its file is fixed" in w.value and "line 3" in w.value
               for w in at.warning), [w.value for w in at.warning]
    assert not any("No suite to run yet" in i.value for i in at.info)


def test_the_data_pages_messages_name_its_boxes_not_the_clis_flags() -> None:
    """The library's hints say 'pass --candidate' and 'pass --encoding cp1252'; the page has boxes for both. Each
    phrase the page rewords must still be what the library says, or the rewording silently stops."""
    sys.path.insert(0, str(DASHBOARD))
    import feedback
    from evalcore import ingest, outputs_import

    sources = Path(ingest.__file__).read_text() + Path(outputs_import.__file__).read_text()
    for phrase in feedback.PAGE_WORDS:
        assert phrase in sources, phrase
