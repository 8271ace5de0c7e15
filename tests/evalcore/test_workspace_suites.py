"""Suites kept in a workspace: created and edited through the suite model, examples replaced atomically."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from evalcore.errors import IngestError, SuiteError
from evalcore.suite import load_suite
from evalcore.workspace_suites import (apply_form, candidate_rows, comment_lines, examples_change, list_suites,
                                       load_document, preview_examples, save_examples, save_suite, scorer_rows)
from suite_factory import make_suite

GOOD_CSV = b"id,input,expected,tags\na1,hello,hi,clean\na2,bye,ciao,\"edge, long\"\n"
BAD_CSV = b"id,input,expected\na1,hello,hi\na1,again,x\na3,,y\n"


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _new(ws: Path, name: str = "triage"):
    doc = apply_form({}, name=name, description="Route tickets.", prompt="Ticket: {{ input }}",
                     dataset="examples.csv",
                     candidates=[{"name": "small", "model": "openai/gpt-4o-mini", "release": "2024-07-18",
                                  "params": '{"temperature": 0}', "input_price_per_mtok": float("nan")},
                                 {"name": "", "model": None}],  # an empty row of the table is dropped
                     scorers=[{"type": "exact", "name": "", "options": '{"case_sensitive": false}'}])
    return save_suite(ws, doc)


def test_a_suite_made_in_the_form_is_a_valid_suite_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    suite = _new(ws)
    path = ws / "suites" / "triage" / "suite.yaml"
    assert load_suite(path) == suite
    assert suite.candidates[0].params == {"temperature": 0} and suite.candidates[0].input_price_per_mtok is None
    assert suite.scorers[0].case_sensitive is False
    doc = load_document(ws, "triage")
    assert candidate_rows(doc)[0]["params"] == '{"temperature": 0}'
    assert scorer_rows(doc) == [{"type": "exact", "name": None, "options": '{"case_sensitive": false}'}]
    entry = list_suites(ws)[0]
    assert (entry.name, entry.where, entry.candidates, entry.scorers) == ("triage", "workspace", ["small"], ["exact"])


def test_invalid_edits_name_the_problem_and_write_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _new(ws)
    before = _snapshot(ws)
    doc = load_document(ws, "triage")
    with pytest.raises(SuiteError, match=r"candidates row 1, column 'params': not valid JSON"):
        apply_form(doc, candidates=[{"name": "x", "model": "m", "params": "{temperature: 0"}], scorers=[])
    bad = apply_form(doc, candidates=[{"name": "has space", "model": "m"}], scorers=scorer_rows(doc))
    with pytest.raises(SuiteError, match=r"candidates row 1, name: 'has space' must start with a letter"):
        save_suite(ws, bad, replace="triage")
    with pytest.raises(SuiteError, match="unknown scorer type"):
        save_suite(ws, apply_form(doc, candidates=candidate_rows(doc), scorers=[{"type": "exactly"}]),
                   replace="triage")
    with pytest.raises(SuiteError, match="already exists"):
        save_suite(ws, doc)
    assert _snapshot(ws) == before


def test_examples_upload_is_validated_then_replaces_the_dataset(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _new(ws)
    before = _snapshot(ws)
    with pytest.raises(IngestError) as err:
        save_examples(ws, "triage", BAD_CSV, "mine.csv")
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "id"), (3, "input")}
    assert str(err.value).startswith("mine.csv, row 2, column 'id'")
    assert _snapshot(ws) == before

    examples = save_examples(ws, "triage", GOOD_CSV, "mine.csv")
    assert [e.id for e in examples] == ["a1", "a2"] and examples[1].tags == ("edge", "long")
    assert (ws / "suites" / "triage" / "examples.csv").read_bytes() == GOOD_CSV

    jsonl = b'{"id": "j1", "input": "caf\xc3\xa9"}\n'
    save_examples(ws, "triage", jsonl, "more.jsonl")
    assert load_suite(ws / "suites" / "triage" / "suite.yaml").dataset == "examples.jsonl"


def test_excel_encoding_is_stored_as_utf8(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _new(ws)
    data = "id,input\nc1,café\n".encode("cp1252")
    with pytest.raises(IngestError, match="--encoding cp1252"):
        preview_examples(data, "x.csv")
    save_examples(ws, "triage", data, "x.csv", encoding="cp1252")
    assert "café" in (ws / "suites" / "triage" / "examples.csv").read_text(encoding="utf-8")


def test_suites_known_only_from_runs_are_listed(tmp_path: Path) -> None:
    from evalcore.outputs_import import import_outputs
    from suite_factory import write_csv

    suite = make_suite(tmp_path, "http://127.0.0.1:9/v1", ["a", "b"])
    f = write_csv(tmp_path / "o.csv", [{"input": "a", "candidate": "m0", "output": "x"}])
    import_outputs(f, suite, tmp_path / "ws")
    entries = list_suites(tmp_path / "ws")
    assert [(e.name, e.where, e.runs, e.candidates) for e in entries] == [("t", "runs only", 1, ["m0", "m1"])]


def test_the_form_cannot_add_code_to_a_suite(tmp_path: Path) -> None:
    """A python scorer made in the form ran `shutil:rmtree` on a path sent as an output when outputs were
    imported: the Data page would run any installed function on the dashboard's machine."""
    doc = load_document(tmp_path, _new(tmp_path).name)
    evil = apply_form(doc, candidates=candidate_rows(doc),
                      scorers=[{"type": "python", "options": '{"function": "shutil:rmtree"}'}])
    before = _snapshot(tmp_path)
    with pytest.raises(SuiteError, match=r"scorers row 1: a python scorer \('shutil:rmtree'\) runs code"):
        save_suite(tmp_path, evil, replace="triage")
    with pytest.raises(SuiteError, match="runs code"):
        save_suite(tmp_path, dict(evil, name="other"))
    assert _snapshot(tmp_path) == before


def test_a_python_scorer_written_by_hand_survives_edits_in_the_form(tmp_path: Path) -> None:
    _new(tmp_path)
    folder = tmp_path / "suites" / "triage"
    (folder / "grade.py").write_text("def score(output, example):\n    return 1.0\n")
    text = (folder / "suite.yaml").read_text()
    hand_written = "scorers:\n- type: python\n  function: grade:score\n"
    (folder / "suite.yaml").write_text(text.replace("scorers:\n", hand_written))
    doc = load_document(tmp_path, "triage")
    rows = scorer_rows(doc)
    assert [r["type"] for r in rows] == ["python", "exact"]
    kept = save_suite(tmp_path, apply_form(doc, candidates=candidate_rows(doc), scorers=rows, description="New."),
                      replace="triage")
    assert kept.scorers[0].type == "python" and kept.description == "New."
    rows[0]["options"] = '{"function": "os:remove"}'
    with pytest.raises(SuiteError, match="'os:remove'"):
        save_suite(tmp_path, apply_form(doc, candidates=candidate_rows(doc), scorers=rows), replace="triage")


def test_a_name_that_differs_only_in_case_is_refused(tmp_path: Path) -> None:
    """'T' beside 't' is one folder on macOS and Windows: the new suite would overwrite the other (audit)."""
    _new(tmp_path, "triage")
    doc = load_document(tmp_path, "triage")
    with pytest.raises(SuiteError, match="'triage' already exists; 'Triage' differs only in case"):
        save_suite(tmp_path, dict(doc, name="Triage"))
    assert not (tmp_path / "suites" / "Triage").exists()


def test_form_errors_number_rows_as_the_tables_do(tmp_path: Path) -> None:
    """'candidates.1.name' (0-based) named the second row, beside the form's own 'candidates row 1' (1-based);
    an empty candidates table read 'List should have at least 1 item after validation, not 0' (audit)."""
    doc = load_document(tmp_path, _new(tmp_path).name)
    twice = apply_form(doc, candidates=[{"name": "a", "model": "openai/x"}, {"name": "a", "model": "openai/y"}],
                       scorers=scorer_rows(doc))
    with pytest.raises(SuiteError, match=r"candidates row 2, name: .*'a'") as info:
        save_suite(tmp_path, twice, replace="triage")
    assert "candidates.1" not in str(info.value)
    with pytest.raises(SuiteError, match="candidates: add at least one row"):
        save_suite(tmp_path, apply_form(doc, candidates=[], scorers=scorer_rows(doc)), replace="triage")


def test_saving_from_the_form_keeps_the_commented_file_as_a_backup(tmp_path: Path) -> None:
    """The form writes the suite model back, which drops every comment (audit); the previous file is kept."""
    _new(tmp_path)
    path = tmp_path / "suites" / "triage" / "suite.yaml"
    original = "# owner: team-x, do not remove\n" + path.read_text()
    path.write_text(original)
    assert comment_lines(path) == 1
    doc = load_document(tmp_path, "triage")
    save_suite(tmp_path, apply_form(doc, candidates=candidate_rows(doc), scorers=scorer_rows(doc),
                                    description="Edited."), replace="triage")
    assert (path.parent / "suite.yaml.bak").read_text() == original
    assert comment_lines(path) == 0 and "Edited." in path.read_text()


def test_a_prompt_the_uploaded_examples_cannot_fill_is_said_at_upload(tmp_path: Path) -> None:
    from evalcore.workspace_suites import prompt_problem

    made = _new(tmp_path)
    path = tmp_path / "suites" / "triage" / "suite.yaml"
    examples = preview_examples(GOOD_CSV, "examples.csv", made.columns)
    assert prompt_problem(path, examples) is None
    path.write_text(path.read_text().replace("Ticket: {{ input }}", "Ticket: {{ input }} for {{ nosuchcol }}"))
    problem = prompt_problem(path, examples)
    assert problem is not None and "nosuchcol" in problem and "row 1" in problem, problem


def test_the_form_cannot_point_a_candidate_at_a_new_server(tmp_path: Path) -> None:
    """A call sends the candidate's API key to its api_base: an editor could have sent the dashboard's
    OPENAI_API_KEY to a server of theirs by setting it in the form."""
    doc = load_document(tmp_path, _new(tmp_path).name)
    rows = candidate_rows(doc)
    rows[0]["api_base"] = "https://collector.example.com/v1"
    with pytest.raises(SuiteError, match=r"candidates row 1, api_base: 'https://collector.example.com/v1' is a new"):
        save_suite(tmp_path, apply_form(doc, candidates=rows, scorers=scorer_rows(doc)), replace="triage")
    rows[0]["api_base"] = "http://127.0.0.1:8000/v1"  # a server on this machine is fine
    save_suite(tmp_path, apply_form(doc, candidates=rows, scorers=scorer_rows(doc)), replace="triage")
    # one already in the file, written by hand, stays through edits
    path = tmp_path / "suites" / "triage" / "suite.yaml"
    path.write_text(path.read_text().replace("http://127.0.0.1:8000/v1", "https://llm.internal.example/v1"))
    doc = load_document(tmp_path, "triage")
    save_suite(tmp_path, apply_form(doc, candidates=candidate_rows(doc), scorers=scorer_rows(doc),
                                    description="Kept."), replace="triage")
    assert "https://llm.internal.example/v1" in path.read_text()


TWELVE = ("id,input\n" + "".join(f"q{i},question {i}\n" for i in range(1, 13))).encode()
THREE = b"id,input\nq1,question 1\nq2,question two reworded\nn1,a new one\n"


def test_the_change_an_upload_makes_is_named_by_id_before_it_is_saved(tmp_path: Path) -> None:
    """Audit 5: a 3-row file replaced 12 curated examples with no word of the 9 ids dropped."""
    ws = tmp_path / "ws"
    _new(ws)
    new = preview_examples(THREE, "three.csv")
    first = examples_change(ws, "triage", new)  # the suite has no dataset file yet
    assert (first.current, first.replaces, first.backup) == (0, False, None)
    assert first.button() == "Use these 3 examples"
    save_examples(ws, "triage", TWELVE, "twelve.csv")
    before = _snapshot(ws)

    change = examples_change(ws, "triage", new)
    assert (change.current, change.new) == (12, 3)
    assert change.kept == ["q1", "q2"] and change.added == ["n1"] and change.input_changed == ["q2"]
    assert change.removed == [f"q{i}" for i in range(3, 13)]
    assert change.replaces and change.backup == "examples.csv.bak"
    assert change.button() == "Replace the 12 examples with these 3"
    lines = change.lines()
    assert lines[0] == "Replaces the suite's 12 examples with 3 examples: 2 kept, 10 removed, 1 new; 1 input changed."
    assert "'q3', 'q4'" in lines[1] and "and 2 more" in lines[1]
    assert any("kept as examples.csv.bak" in line for line in lines)
    assert _snapshot(ws) == before  # comparing writes nothing


def test_replacing_examples_keeps_the_previous_dataset_as_a_backup(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _new(ws)
    folder = ws / "suites" / "triage"
    save_examples(ws, "triage", TWELVE, "twelve.csv")
    assert not (folder / "examples.csv.bak").exists()  # there was nothing to keep
    save_examples(ws, "triage", THREE, "three.csv")
    assert (folder / "examples.csv").read_bytes() == THREE
    assert (folder / "examples.csv.bak").read_bytes() == TWELVE
    save_examples(ws, "triage", b'{"id": "j1", "input": "x"}\n', "more.jsonl")  # another format: the CSV is kept
    assert (folder / "examples.csv.bak").read_bytes() == THREE
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]


def test_results_of_an_earlier_dataset_say_so_after_the_examples_are_replaced(tmp_path: Path) -> None:
    """Audit 5: after the Data page replaced a suite's 6 examples with 3, Overview still decided on the 6 and
    said nothing about it."""
    from evalcore import analysis
    from evalcore.outputs_import import import_outputs
    from evalcore.workspace_suites import current_version

    ws = tmp_path / "ws"
    _new(ws)
    save_examples(ws, "triage", GOOD_CSV, "mine.csv")
    (tmp_path / "out.csv").write_text("example_id,candidate,output\na1,small,hi\na2,small,ciao\n", encoding="utf-8")
    import_outputs(tmp_path / "out.csv", load_suite(ws / "suites" / "triage" / "suite.yaml"), ws)
    assert current_version(ws, "triage") is not None and current_version(ws, "elsewhere") is None
    assert not any("earlier version" in n for n in analysis.leaderboard(ws, "triage").notes)
    save_examples(ws, "triage", b"id,input,expected\na1,hello,hi\n", "fewer.csv")
    notes = analysis.leaderboard(ws, "triage").notes
    assert any(n.startswith("These results were measured on an earlier version of suite 'triage'") for n in notes)
