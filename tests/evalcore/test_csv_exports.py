"""CSV exports: real line endings, terminal-safe cells, spreadsheet formula guard, numbers untouched, and the
labels export -> import round trip."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evalcore import labels
from evalcore.cli import main, render_rows
from evalcore.formatting import spreadsheet_cell, unspreadsheet_cell
from evalcore.queries import Queries
from evalcore.store import RESULTS_SCHEMA, SCHEMA_VERSION, SCORES_SCHEMA, Workspace, write_results

SUITE = "s"
RUN = "20261123T120000-aaaaaa"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ESC_NAME = "evil\x1b]0;pwned\x07\x1b[2J"
FORMULA_NAME = '=HYPERLINK("http://evil","x")'
FORMULAS = ['=HYPERLINK("http://evil","x")', "=cmd|x", "+1", "-1+1", "@SUM(1)", "\t=1"]


def _invoke(*args: Any):
    return CliRunner().invoke(main, [str(a) for a in args])


def _dicts(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _clean(s: str) -> bool:
    """No raw control character and no escaped line ending left over from the old sanitiser."""
    return "\\u000d" not in s and not any(ord(c) < 32 and c not in "\n\t" for c in s) and "\x1b" not in s


# -- the demo workspace -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from evalcore.demo_build import build_demo

    root = tmp_path_factory.mktemp("demo") / "demo"
    build_demo(str(root))
    return root


@pytest.mark.parametrize("command", [["runs"], ["leaderboard"], ["tags"], ["public", "compare"]])
def test_csv_output_has_real_line_endings_and_clean_columns(demo: Path, command: list[str]) -> None:
    result = _invoke(*command, "-w", demo, "--format", "csv")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\\u000d" not in out and "\r" not in out
    rows = _dicts(out)
    assert rows, out
    assert all(_clean(k) and k == k.strip() for k in rows[0])
    assert all(_clean(v) for r in rows for v in r.values())
    as_json = json.loads(_invoke(*command, "-w", demo, "--format", "json").stdout)
    assert len(as_json) == len(rows)
    assert set(rows[0]) <= set(as_json[0])  # the CSV's columns are fields of the JSON rows


def test_runs_csv_matches_json(demo: Path) -> None:
    rows = _dicts(_invoke("runs", "-w", demo, "--format", "csv").stdout)
    js = json.loads(_invoke("runs", "-w", demo, "--format", "json").stdout)
    assert list(rows[0]) == ["run_id", "suite", "status", "candidates", "results", "sent", "cached", "errors",
                             "spent_usd", "started_at"]
    for r, j in zip(rows, js):
        assert r["run_id"] == j["run_id"] and int(r["results"]) == j["results"]
        assert float(r["spent_usd"]) == pytest.approx(j["spent_usd"])
        assert r["started_at"] == str(j["started_at"])


def test_leaderboard_csv_keeps_negative_numbers_as_numbers(demo: Path) -> None:
    rows = _dicts(_invoke("leaderboard", "-w", demo, "--format", "csv").stdout)
    js = json.loads(_invoke("leaderboard", "-w", demo, "--format", "json").stdout)
    negatives = [r["diff_vs_best"] for r in rows if r["diff_vs_best"].startswith("-")]
    assert negatives, "the demo has candidates behind the leader"
    assert not any(v.startswith("'") for r in rows for v in r.values())
    for r, j in zip(rows, js):
        assert r["candidate"] == j["candidate"]
        assert float(r["mean"]) == pytest.approx(j["mean"])
        if j["diff_vs_best"] is not None:
            assert float(r["diff_vs_best"]) == pytest.approx(j["diff_vs_best"])


def test_table_output_is_still_a_table(demo: Path) -> None:
    lines = _invoke("leaderboard", "-w", demo).stdout.splitlines()
    assert lines[0].split()[:2] == ["rank", "candidate"] and set(lines[1].replace(" ", "")) == {"-"}
    assert "\\u000d" not in "\n".join(lines)


# -- render_rows directly -----------------------------------------------------------------------------------


def test_render_rows_csv_neutralises_control_characters_and_formulas() -> None:
    rows = [{"name": ESC_NAME, "x": -0.05, "n": -3, "tags": ["=a", "b"], "note": "two\nlines"}]
    rows += [{"name": f, "x": 1.5, "n": 2, "tags": [], "note": None} for f in FORMULAS]
    cols = [("name", "name"), ("x", "x"), ("n", "n"), ("tags", "tags"), ("note", "note")]
    out = render_rows(rows, cols, "csv")
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    got = _dicts(out)
    assert got[0]["name"] == "evil\\u001b]0;pwned\\u0007\\u001b[2J"
    assert got[0]["x"] == "-0.05" and got[0]["n"] == "-3"  # numbers are never prefixed
    assert got[0]["tags"] == "'=a; b" and got[0]["note"] == "two\nlines"
    assert [r["name"] for r in got[1:]] == ["'" + f for f in FORMULAS]
    assert all(r["note"] == "" for r in got[1:])


def test_render_rows_json_and_table_unchanged() -> None:
    rows = [{"name": ESC_NAME, "x": -0.05}]
    cols = [("name", "name"), ("x", "x")]
    js = render_rows(rows, cols, "json")
    assert "\x1b" not in js and json.loads(js) == [{"name": ESC_NAME, "x": -0.05}]  # escapes are valid JSON
    table = render_rows(rows, cols, "table")
    assert "\x1b" not in table and "\\u001b" in table and "=" not in table.splitlines()[2][:1]


def test_spreadsheet_cell_rules() -> None:
    for f in FORMULAS + ["\r=1"]:
        assert spreadsheet_cell(f) == "'" + f and unspreadsheet_cell(spreadsheet_cell(f)) == f
    for v in ["plain", "", "'quoted", "a=b", "1-2"]:
        assert spreadsheet_cell(v) == v and unspreadsheet_cell(v) == v
    for v in [-0.05, -1, 0, None, True]:
        assert spreadsheet_cell(v) is v


# -- a workspace with hostile names -------------------------------------------------------------------------


def _result(example_id: str, candidate: str, output: str) -> dict[str, Any]:
    row = {name: None for name in RESULTS_SCHEMA.names}
    row.update(run_id=RUN, suite=SUITE, suite_version="v1", example_id=example_id, candidate=candidate,
               model=f"demo/{candidate}", family="fam", release=date(2026, 1, 1), repeat=0,
               request_hash=f"{candidate}-{example_id}", output=output, finish_reason="stop", latency_ms=100.0,
               cost_usd=0.0, cached=False, attempts=1, created_at=T0, schema_version=SCHEMA_VERSION)
    return row


def _score(r: dict[str, Any], value: float) -> dict[str, Any]:
    row = {name: None for name in SCORES_SCHEMA.names}
    row.update(run_id=RUN, suite=SUITE, example_id=r["example_id"], candidate=r["candidate"], repeat=0,
               scorer="exact", value=value, passed=value >= 0.5, detail="{}", created_at=T0,
               schema_version=SCHEMA_VERSION)
    return row


@pytest.fixture
def hostile(tmp_path: Path) -> Workspace:
    """Candidates named with ESC sequences and a formula, on 12 examples."""
    ws = Workspace(tmp_path / "ws")
    n = 12
    ws.write_examples(SUITE, "v1", [
        {"suite": SUITE, "suite_version": "v1", "example_id": f"e{i}", "input": f"input {i}",
         "expected": f"answer {i}", "tags": [], "fields": "{}", "row": i, "schema_version": SCHEMA_VERSION}
        for i in range(n)])
    results, scores = [], []
    for i in range(n):
        for cand, good in (("plain", True), (ESC_NAME, i % 2 == 0), (FORMULA_NAME, i % 3 == 0)):
            r = _result(f"e{i}", cand, f"answer {i}" if good else f"{cand} {i}")
            results.append(r)
            scores.append(_score(r, float(good)))
    write_results(ws, SUITE, RUN, "w1", results, scores)
    ws.write_manifest({"suite": SUITE, "run_id": RUN, "status": "finished",
                       "config": {"human": "Ship it?", "scorers": [{"type": "exact", "name": None}]}})
    return ws


def test_leaderboard_csv_with_hostile_candidate_names(hostile: Workspace) -> None:
    result = _invoke("leaderboard", "-w", hostile.root, "--suite", SUITE, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\\u000d" not in result.stdout
    rows = _dicts(result.stdout)
    names = {r["candidate"] for r in rows}
    assert names == {"plain", "evil\\u001b]0;pwned\\u0007\\u001b[2J", "'" + FORMULA_NAME}
    behind = [r for r in rows if r["candidate"] != "plain"]
    assert all(float(r["diff_vs_best"]) < 0 and not r["diff_vs_best"].startswith("'") for r in behind)


def test_labels_export_guards_formulas_and_round_trips(hostile: Workspace, tmp_path: Path) -> None:
    notes = {"e1": "=HYPERLINK(\"http://evil\",\"x\")", "e2": "+1", "e3": "-1+1", "e4": "@SUM(1)",
             "e5": "=cmd|x", "e6": "fine", "e7": "'kept as typed"}
    f = tmp_path / "ratings.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["example_id", "candidate", "reviewer", "rating", "ok", "note"])
    for eid, note in notes.items():
        w.writerow([eid, "plain", "=ann", 4, "yes", note])
    w.writerow(["e8", FORMULA_NAME, "bob", 2, "no", "-0.05 off"])
    f.write_text(buf.getvalue())
    assert labels.import_labels(hostile.root, SUITE, f) == len(notes) + 1

    out = tmp_path / "labels.csv"
    assert labels.export_labels(Queries(hostile), SUITE, out) == len(notes) + 1
    rows = _dicts(out.read_text())
    by_eid = {r["example_id"]: r for r in rows}
    for eid, note in notes.items():
        want = "'" + note if note[0] in "=+-@" else note
        assert by_eid[eid]["note"] == want
        assert by_eid[eid]["reviewer"] == "'=ann"
    assert by_eid["e8"]["candidate"] == "'" + FORMULA_NAME and by_eid["e8"]["note"] == "'-0.05 off"
    assert by_eid["e1"]["rating"] in ("4", "4.0") and by_eid["e8"]["rating"] in ("2", "2.0")  # numbers as-is

    # labels import reads back what labels export wrote: every note, reviewer and candidate as it was
    ws2 = Workspace(tmp_path / "ws2")
    for p in (hostile.root / "examples", hostile.root / "results", hostile.root / "scores", hostile.root / "runs"):
        if p.exists():
            import shutil

            shutil.copytree(p, ws2.root / p.name, dirs_exist_ok=True)
    assert labels.import_labels(ws2.root, SUITE, out) == len(notes) + 1
    back = Queries(ws2).label_answers(SUITE, labels.RATING).to_dict("records")
    got = {(r["example_id"], r["candidate"], r["reviewer"]): r["note"] for r in back}
    want = {(eid, "plain", "=ann"): note for eid, note in notes.items()}
    want[("e8", FORMULA_NAME, "bob")] = "-0.05 off"
    assert got == want


def test_labels_import_keeps_a_quote_from_parquet(hostile: Workspace, tmp_path: Path) -> None:
    """Only CSV files carry the guard: a note that starts with '= in Parquet is imported as it is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "ratings.parquet"
    pq.write_table(pa.table({"example_id": ["e1"], "candidate": ["plain"], "reviewer": ["ann"], "rating": [3],
                             "note": ["'=1"]}), f)
    assert labels.import_labels(hostile.root, SUITE, f) == 1
    assert Queries(hostile).label_answers(SUITE, labels.RATING)["note"].tolist() == ["'=1"]


def test_cli_labels_export_writes_guarded_csv(hostile: Workspace, tmp_path: Path) -> None:
    labels.record_rating(hostile, SUITE, "ann", example_id="e1", output_hash=labels.output_hash("e1", "answer 1"),
                         candidate="plain", rating=5, ok=True, note="=cmd|' /C calc'!A0")
    out = tmp_path / "x.csv"
    result = _invoke("labels", "export", out, "--suite", SUITE, "-w", hostile.root)
    assert result.exit_code == 0, result.output
    rows = _dicts(out.read_text())
    assert rows[0]["note"] == "'=cmd|' /C calc'!A0" and rows[0]["rating"] in ("5", "5.0")
