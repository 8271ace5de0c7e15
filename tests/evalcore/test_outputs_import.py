"""Importing outputs produced elsewhere: every format, every error with file/row/column, and atomicity."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalcore import analysis
from evalcore.errors import IngestError
from evalcore.outputs_import import import_outputs
from evalcore.queries import Queries
from evalcore.store import Workspace
from suite_factory import make_suite, write_csv

INPUTS = ["alpha", "beta", "gamma", "delta"]
NOWHERE = "http://127.0.0.1:9/v1"  # never called: imports make no model calls


@pytest.fixture
def suite(tmp_path: Path):
    return make_suite(tmp_path, NOWHERE, INPUTS, scorers=[{"type": "contains", "value": "says"}])


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its bytes: 'byte-identical' made checkable."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _results(ws: Path, run_id: str) -> list[dict]:
    q = Queries(ws)
    try:
        df = q.current_results("t", run_id)
        return df.astype(object).where(df.notna(), None).to_dict("records")
    finally:
        q.close()


def test_csv_by_example_id_is_stored_as_an_imported_scored_run(suite, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    f = write_csv(tmp_path / "outs.csv", [
        {"example_id": "e000", "candidate": "m0", "output": "m0 says alpha", "latency_ms": "120", "cost_usd": "0.001",
         "input_tokens": "10", "output_tokens": "3"},
        {"example_id": "e001", "candidate": "m0", "output": "nope", "latency_ms": "80", "cost_usd": "",
         "input_tokens": "", "output_tokens": ""},
        {"example_id": "e000", "candidate": "m1", "output": "m1 says alpha", "latency_ms": "", "cost_usd": "",
         "input_tokens": "", "output_tokens": ""},
    ])
    summary = import_outputs(f, suite, ws)

    assert summary.rows == 3 and summary.by_candidate == {"m0": 2, "m1": 1} and summary.scored == ["contains"]
    assert summary.examples == 2 and summary.suite_examples == 4
    assert "Imported 3 outputs from outs.csv" in summary.lines()[0]
    manifest = Workspace(ws).read_manifest("t", summary.run_id)
    assert manifest["status"] == "finished"
    assert manifest["imported"] == {"source": "outs.csv", "format": "rows", "rows": 3}
    rows = {(r["example_id"], r["candidate"]): r for r in _results(ws, summary.run_id)}
    assert rows[("e000", "m0")]["latency_ms"] == 120 and rows[("e000", "m0")]["input_tokens"] == 10
    assert rows[("e000", "m0")]["request_hash"].startswith("import-")  # never served as a cached call
    assert rows[("e000", "m0")]["model"] == "openai/model-0" and rows[("e000", "m0")]["family"] == "fam"
    board = analysis.leaderboard(ws, "t")
    means = {r["candidate"]: r["mean"] for r in board.rows}
    assert means == {"m0": 0.5, "m1": 1.0}
    assert [r["status"] for r in analysis.run_list(ws, "t")] == ["finished"]


def test_input_matching_and_one_candidate_for_the_whole_file(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "prod.csv", [{"input": " beta ", "output": "m says beta"},
                                          {"input": "gamma", "output": "no"}])
    summary = import_outputs(f, suite, tmp_path / "ws", candidate="m1")
    got = {(r["example_id"], r["candidate"]) for r in _results(tmp_path / "ws", summary.run_id)}
    assert got == {("e001", "m1"), ("e002", "m1")}


def test_jsonl_with_errors_and_repeats(suite, tmp_path: Path) -> None:
    f = tmp_path / "outs.jsonl"
    lines = [{"id": "e003", "candidate": "m0", "output": "m0 says delta", "repeat": 0},
             {"id": "e003", "candidate": "m0", "output": "again", "repeat": 1},
             {"id": "e002", "candidate": "m0", "output": None, "error": "timeout after 60 s"}]
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    summary = import_outputs(f, suite, tmp_path / "ws")
    assert summary.errors == 1
    rows = {(r["example_id"], r["repeat"]): r for r in _results(tmp_path / "ws", summary.run_id)}
    assert rows[("e002", 0)]["error_kind"] == "imported" and rows[("e002", 0)]["output"] is None
    assert rows[("e003", 1)]["output"] == "again"


def test_parquet_rows(suite, tmp_path: Path) -> None:
    f = tmp_path / "outs.parquet"
    pq.write_table(pa.table({"example_id": ["e000", "e001"], "candidate": ["m1", "m1"],
                             "output": ["m1 says alpha", "m1 says beta"], "latency_ms": [10.0, None]}), f)
    summary = import_outputs(f, suite, tmp_path / "ws")
    assert summary.rows == 2 and analysis.leaderboard(tmp_path / "ws", "t").rows[0]["mean"] == 1.0


def test_every_problem_is_named_with_row_and_column_and_nothing_is_written(suite, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    good = write_csv(tmp_path / "good.csv", [{"example_id": "e000", "candidate": "m0", "output": "m0 says"}])
    import_outputs(good, suite, ws)  # a workspace that already holds a run
    before = _snapshot(ws)
    bad = write_csv(tmp_path / "bad.csv", [
        {"example_id": "e000", "candidate": "m0", "output": "fine", "latency_ms": "5"},
        {"example_id": "e0001", "candidate": "m0", "output": "x", "latency_ms": ""},
        {"example_id": "e001", "candidate": "m00", "output": "x", "latency_ms": ""},
        {"example_id": "e002", "candidate": "m1", "output": "", "latency_ms": ""},
        {"example_id": "e003", "candidate": "m1", "output": "x", "latency_ms": "fast"},
        {"example_id": "e000", "candidate": "m0", "output": "again", "latency_ms": ""},
    ])
    with pytest.raises(IngestError) as err:
        import_outputs(bad, suite, ws)

    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "example_id"), (3, "candidate"), (4, "output"), (5, "latency_ms"), (6, "example_id")}
    text = str(err.value)
    assert text.startswith("bad.csv, row 2, column 'example_id'")
    assert "Did you mean 'e000'?" in text or "Did you mean 'e001'?" in text
    assert "Did you mean 'm0'?" in text
    assert "rows 1 and 6" in text and "5 problems in all; nothing was imported." in text
    assert _snapshot(ws) == before


def test_misspelt_column_and_missing_output_column(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv", [{"example_id": "e000", "candidate": "m0", "outputs": "x", "latency": "3"}])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    cols = {p.column for p in err.value.problems}
    assert {"outputs", "latency", "output"} <= cols
    assert "Did you mean 'output'?" in str(err.value) and "Did you mean 'latency_ms'?" in str(err.value)
    assert not (tmp_path / "ws").exists()


def test_unknown_input_names_the_closest_example(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv", [{"input": "gama", "candidate": "m0", "output": "x"}])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    assert err.value.row == 1 and err.value.column == "input"
    assert "'gamma' (e002)" in str(err.value)


def test_unknown_cli_candidate_is_refused(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv", [{"input": "alpha", "output": "x"}])
    with pytest.raises(IngestError, match="Did you mean 'm1'"):
        import_outputs(f, suite, tmp_path / "ws", candidate="m11")


def _eval_log(path: Path, model: str, samples: list[dict], header_name: str = "header.json") -> Path:
    """An Inspect AI .eval log as Inspect writes one: a zip of a header and one JSON per sample and epoch."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(header_name, json.dumps({"version": 2, "status": "success",
                                            "eval": {"task": "t", "model": model, "dataset": {"name": "x"}}}))
        for s in samples:
            z.writestr(f"samples/{s['id']}_epoch_{s.get('epoch', 1)}.json", json.dumps(s))
        z.writestr("summaries.json", "[]")
    return path


def _sample(sid, text: str, completion: str | None, *, epoch: int = 1, error: str | None = None) -> dict:
    s = {"id": sid, "epoch": epoch, "input": [{"role": "system", "content": "be brief"},
                                              {"role": "user", "content": text}],
         "target": "x", "messages": [], "scores": {}, "metadata": {}}
    if completion is not None:
        s["output"] = {"model": "model-0", "choices": [{"message": {"role": "assistant", "content": [
            {"type": "text", "text": completion}]}, "stop_reason": "stop"}],
            "usage": {"input_tokens": 7, "output_tokens": 2, "total_tokens": 9}, "time": 0.25}
    else:
        s["output"] = {"model": "model-0", "choices": []}
    if error:
        s["error"] = {"message": error, "traceback": "..."}
    return s


def test_inspect_eval_log_matched_by_id_or_input_and_by_model(suite, tmp_path: Path) -> None:
    log = _eval_log(tmp_path / "run.eval", "openai/model-0", [
        _sample("e000", "alpha", "model-0 says alpha"),
        _sample(2, "beta", "nothing"),  # Inspect's own numbering: matched by input
        _sample(2, "beta", "model-0 says beta", epoch=2),
        _sample("e003", "delta", None, error="RuntimeError: boom"),
    ])
    summary = import_outputs(log, suite, tmp_path / "ws")
    assert summary.format == "Inspect AI log" and summary.by_candidate == {"m0": 4} and summary.errors == 1
    rows = {(r["example_id"], r["repeat"]): r for r in _results(tmp_path / "ws", summary.run_id)}
    assert rows[("e000", 0)]["latency_ms"] == 250 and rows[("e000", 0)]["output_tokens"] == 2
    assert rows[("e001", 1)]["output"] == "model-0 says beta"
    assert rows[("e003", 0)]["error"] == "RuntimeError: boom"


def test_inspect_log_of_an_unknown_model_names_the_candidates(suite, tmp_path: Path) -> None:
    log = _eval_log(tmp_path / "run.eval", "openai/model-9", [_sample("e000", "alpha", "x")], "_journal/start.json")
    with pytest.raises(IngestError) as err:
        import_outputs(log, suite, tmp_path / "ws")
    assert err.value.column == "eval.model" and "openai/model-9" in str(err.value)
    summary = import_outputs(log, suite, tmp_path / "ws", candidate="m1")  # or say which candidate it was
    assert summary.by_candidate == {"m1": 1}


def test_a_file_that_is_not_a_zip_is_refused(suite, tmp_path: Path) -> None:
    f = tmp_path / "broken.eval"
    f.write_text("not a zip")
    with pytest.raises(IngestError, match="not an Inspect AI .eval log"):
        import_outputs(f, suite, tmp_path / "ws")


def _promptfoo(path: Path, results: list[dict]) -> Path:
    path.write_text(json.dumps({"evalId": "eval-1", "results": {"version": 3, "timestamp": "2026-01-01T00:00:00Z",
                                                                 "results": results, "stats": {}}}))
    return path


def _pf(vars_: dict, provider: str, output, **extra) -> dict:
    return {"promptIdx": 0, "testIdx": 0, "vars": vars_, "provider": {"id": provider, "label": provider},
            "response": {"output": output, "tokenUsage": {"prompt": 5, "completion": 2, "total": 7}},
            "latencyMs": 33, "cost": 0.0002, "success": True, "score": 1, **extra}


def test_promptfoo_results(suite, tmp_path: Path) -> None:
    f = _promptfoo(tmp_path / "out.json", [
        _pf({"input": "alpha"}, "m0", "m0 says alpha"),
        _pf({"id": "e001", "input": "beta"}, "openai/model-1", {"label": "bug"}),  # matched by model; JSON output
        _pf({"input": "gamma"}, "m0", None, failureReason=2, error="API error 500", success=False),
        _pf({"input": "delta"}, "m0", "wrong", failureReason=1, error="assertion failed", success=False),
    ])
    summary = import_outputs(f, suite, tmp_path / "ws")
    assert summary.format == "promptfoo results" and summary.by_candidate == {"m0": 3, "m1": 1}
    rows = {(r["example_id"], r["candidate"]): r for r in _results(tmp_path / "ws", summary.run_id)}
    assert json.loads(rows[("e001", "m1")]["output"]) == {"label": "bug"}
    assert rows[("e002", "m0")]["error"] == "API error 500"
    assert rows[("e003", "m0")]["error"] is None and rows[("e003", "m0")]["output"] == "wrong"
    assert rows[("e000", "m0")]["cost_usd"] == 0.0002 and rows[("e000", "m0")]["input_tokens"] == 5


def test_promptfoo_errors_name_the_result_and_field(suite, tmp_path: Path) -> None:
    f = _promptfoo(tmp_path / "out.json", [_pf({"input": "alpha"}, "m0", "x"), _pf({"input": "zzz"}, "gpt-9", "y")])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "vars.input"), (2, "provider")}


def test_llm_judge_is_reported_as_not_scored(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, NOWHERE, INPUTS, scorers=[
        {"type": "contains", "value": "says"}, {"type": "llm_judge", "model": "openai/j", "rubric": "good?"}])
    f = write_csv(tmp_path / "o.csv", [{"example_id": "e000", "candidate": "m0", "output": "says"}])
    summary = import_outputs(f, suite, tmp_path / "ws")
    assert summary.scored == ["contains"] and list(summary.not_scored) == ["llm_judge"]
    assert any("--judge" in line for line in summary.lines())


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalcore.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})


def test_cli_import_outputs_prints_what_was_imported_and_exits_2_on_errors(suite, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [{"example_id": "e000", "candidate": "m0", "output": "m0 says"}])
    bad = write_csv(tmp_path / "bad.csv", [{"example_id": "e000", "candidate": "m0", "output": "a"},
                                           {"example_id": "e9", "candidate": "m0", "output": "b"}])
    ws = tmp_path / "ws"
    ok = _cli("import", "outputs", str(good), "--suite", str(tmp_path / "suite.yaml"), "--workspace", str(ws),
              cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Imported 1 output from good.csv" in ok.stdout and "Candidates: m0 (1)." in ok.stdout
    before = _snapshot(ws)
    fail = _cli("import", "outputs", str(bad), "--suite", str(tmp_path / "suite.yaml"), "--workspace", str(ws),
                cwd=tmp_path)
    assert fail.returncode == 2 and fail.stdout == ""
    assert fail.stderr.startswith("Error: bad.csv, row 2, column 'example_id': no example of suite 't' has the id")
    assert _snapshot(ws) == before
    helped = _cli("import", "outputs", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--candidate" in helped.stdout


def test_judge_rates_imported_outputs_through_the_runner(tmp_path: Path, server) -> None:
    suite = make_suite(tmp_path, NOWHERE, INPUTS, scorers=[
        {"type": "contains", "value": "says"},
        {"type": "llm_judge", "model": "openai/judge", "api_base": server.base_url, "rubric": "5 if it says"}])
    reply = '[[reply:{"reasoning": "it says", "rating": 5}]]'
    f = write_csv(tmp_path / "o.csv", [{"example_id": "e000", "candidate": "m0", "output": f"m0 says {reply}"},
                                       {"example_id": "e001", "candidate": "m0", "output": "no rating here"}])
    summary = import_outputs(f, suite, tmp_path / "ws", judge=True)
    assert summary.scored == ["contains", "llm_judge"] and summary.not_scored == {}
    assert server.stats()["requests"] == 2
    q = Queries(tmp_path / "ws")
    try:
        rows = {r["example_id"]: r for r in q.score_table("t", "llm_judge").to_dict("records")}
    finally:
        q.close()
    assert rows["e000"]["value"] == 1.0 and rows["e000"]["passed"]
    assert rows["e001"]["value"] != rows["e001"]["value"]  # NaN: the judge's reply was unreadable, not a 0

    again = import_outputs(f, suite, tmp_path / "ws", judge=True)  # the same judgement is not asked twice
    assert again.scored == ["contains", "llm_judge"] and server.stats()["requests"] == 3


def test_cli_judged_import_exits_without_an_unclosed_connection_report(tmp_path: Path, server) -> None:
    """`import outputs --judge` left its judge connections open when its event loop ended: aiohttp reported an
    unclosed session on stderr as the process exited."""
    make_suite(tmp_path, NOWHERE, INPUTS, scorers=[
        {"type": "llm_judge", "model": "openai/judge", "api_base": server.base_url, "rubric": "5 if it says"}])
    f = write_csv(tmp_path / "o.csv", [{"example_id": "e000", "candidate": "m0",
                                        "output": 'm0 says [[reply:{"reasoning": "ok", "rating": 5}]]'}])
    done = _cli("import", "outputs", str(f), "--suite", str(tmp_path / "suite.yaml"), "--workspace",
                str(tmp_path / "ws"), "--judge", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert server.stats()["requests"] == 1
    assert "Unclosed" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


# ------------------------------------------------------------------------------- bad input: refused, never a crash


def _workspace_with_a_run(suite, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ws = tmp_path / "ws"
    good = write_csv(tmp_path / "good.csv", [{"example_id": "e000", "candidate": "m0", "output": "m0 says"}])
    import_outputs(good, suite, ws)
    return ws, _snapshot(ws)


def test_promptfoo_fields_of_the_wrong_type_are_named_with_row_and_field(suite, tmp_path: Path) -> None:
    ws, before = _workspace_with_a_run(suite, tmp_path)
    f = _promptfoo(tmp_path / "out.json", [
        _pf({"input": "alpha"}, "m0", "m0 says alpha"),
        {"promptIdx": 0, "testCase": {"vars": ["a"]}, "provider": {"id": "m0"}, "response": {"output": "x"}},
        {"promptIdx": [0], "vars": {"id": "e001"}, "provider": "m0", "response": {"output": "x"}},
        {"promptIdx": 0, "vars": ["a"], "provider": "m0", "response": {"output": "x"}},
        {"promptIdx": 0, "testCase": "t", "vars": {"id": "e002"}, "provider": ["m0"], "response": "x"},
        {"promptIdx": 0, "vars": {"id": "e003"}, "provider": {"id": {"name": "m0"}}, "response": {"output": "x"}},
    ])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, ws)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "testCase.vars"), (3, "promptIdx"), (4, "vars"), (5, "testCase"), (5, "provider"),
                     (5, "response"), (6, "provider")}
    text = str(err.value)
    assert text.startswith("out.json, row 2, column 'testCase.vars': expected 'testCase.vars' to be a JSON object, "
                           "got a list.")
    assert "nothing was imported" in text
    assert _snapshot(ws) == before


def test_inspect_eval_sample_that_is_not_an_object_or_has_a_bad_epoch_is_refused(suite, tmp_path: Path) -> None:
    ws, before = _workspace_with_a_run(suite, tmp_path)
    log = _eval_log(tmp_path / "run.eval", "openai/model-0", [_sample("e000", "alpha", "model-0 says alpha")])
    with zipfile.ZipFile(log, "a") as z:
        z.writestr("samples/e001_epoch_1.json", "[1, 2]")
        z.writestr("samples/e002_epoch_1.json", json.dumps({**_sample("e002", "gamma", "x"), "epoch": "two"}))
        z.writestr("samples/e003_epoch_1.json", json.dumps({**_sample("e003", "delta", "x"), "epoch": 0}))
        bad_text = _sample("e000", "alpha", None, epoch=2)  # a text part that is not text: no output, no crash
        bad_text["output"]["choices"] = [{"message": {"content": [{"type": "text", "text": 5}]}}]
        z.writestr("samples/e000_epoch_2.json", json.dumps(bad_text))
    with pytest.raises(IngestError) as err:
        import_outputs(log, suite, ws)
    problems = {(p.row, p.column): p.message for p in err.value.problems}
    # rows count the archive's samples/*.json in name order: e000_1, e000_2, e001, e002, e003
    assert set(problems) == {(2, "output.completion"), (3, None), (4, "epoch"), (5, "epoch")}
    assert problems[(3, None)] == "is not a JSON object (samples/e001_epoch_1.json holds a list)."
    assert problems[(4, "epoch")] == "expected the epoch as a whole number, 1 or more, got 'two'."
    assert _snapshot(ws) == before


def test_inspect_eval_member_that_unpacks_past_the_limit_is_refused(suite, tmp_path: Path, monkeypatch) -> None:
    import struct

    from evalcore import outputs_import

    monkeypatch.setattr(outputs_import, "MAX_MEMBER_BYTES", 10_000)
    ws, before = _workspace_with_a_run(suite, tmp_path)
    big = {**_sample("e000", "alpha", "model-0 says alpha"), "metadata": {"pad": "a" * 50_000}}
    log = _eval_log(tmp_path / "bomb.eval", "openai/model-0", [big])
    assert log.stat().st_size < 10_000  # small on disk, big unpacked
    with pytest.raises(IngestError) as err:
        import_outputs(log, suite, ws)
    assert str(err.value).startswith("bomb.eval:samples/e000_epoch_1.json: unpacks to more than 10,000 bytes, "
                                     "the limit for one file of an Inspect log.")
    # a header that lies about the size is not believed: the read is bounded whatever it claims
    data = bytearray(log.read_bytes())
    with zipfile.ZipFile(log) as z:
        info = z.getinfo("samples/e000_epoch_1.json")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header's uncompressed size
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_len]) == info.filename.encode():
            struct.pack_into("<I", data, central + 24, 100)  # central directory's uncompressed size
        central = data.find(b"PK\x01\x02", central + 4)
    liar = tmp_path / "liar.eval"
    liar.write_bytes(bytes(data))
    with zipfile.ZipFile(liar) as z:
        assert z.getinfo("samples/e000_epoch_1.json").file_size == 100
    with pytest.raises(IngestError, match="liar.eval:samples/e000_epoch_1.json: "):
        import_outputs(liar, suite, ws)
    assert _snapshot(ws) == before


def test_jsonl_nan_is_refused_as_csv_nan_is(suite, tmp_path: Path) -> None:
    ws, before = _workspace_with_a_run(suite, tmp_path)
    f = tmp_path / "outs.jsonl"
    f.write_text('{"id": "e000", "candidate": "m0", "output": "x", "latency_ms": NaN, "cost_usd": NaN}\n'
                 '{"id": "e001", "candidate": "m0", "output": "x", "latency_ms": Infinity}\n', encoding="utf-8")
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, ws)
    assert {(p.row, p.column) for p in err.value.problems} == {(1, "latency_ms"), (1, "cost_usd"), (2, "latency_ms")}
    assert str(err.value).startswith("outs.jsonl, row 1, column 'latency_ms': expected a number, 0 or more, got 'nan'.")
    c = write_csv(tmp_path / "outs.csv", [{"id": "e000", "candidate": "m0", "output": "x", "latency_ms": "nan"}])
    with pytest.raises(IngestError, match="outs.csv, row 1, column 'latency_ms': expected a number, 0 or more, "
                                          "got 'nan'"):
        import_outputs(c, suite, ws)
    assert _snapshot(ws) == before


def test_numbers_too_big_to_store_are_refused(suite, tmp_path: Path) -> None:
    ws, before = _workspace_with_a_run(suite, tmp_path)
    f = tmp_path / "outs.jsonl"
    f.write_text('{"id": "e000", "candidate": "m0", "output": "x", "input_tokens": 1' + "0" * 400 + '}\n'
                 '{"id": "e001", "candidate": "m0", "output": "x", "output_tokens": 1e300}\n'
                 '{"id": "e002", "candidate": "m0", "output": "x", "repeat": 1e18}\n', encoding="utf-8")
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, ws)
    problems = {(p.row, p.column): p.message for p in err.value.problems}
    assert set(problems) == {(1, "input_tokens"), (2, "output_tokens"), (3, "repeat")}
    assert problems[(3, "repeat")] == "expected a whole number of at most 2,147,483,647, got '1e+18'."
    assert _snapshot(ws) == before


def test_a_key_in_an_imported_error_or_output_is_never_stored(tmp_path: Path, monkeypatch) -> None:
    """Runs redact the candidate's key from their errors; an import stored "401 Incorrect API key provided:
    sk-proj-..." verbatim in Parquet and `show` printed it (an audit, 7 December)."""
    key = "sk-proj-SECRET-0123456789abcdef"
    monkeypatch.setenv("EVALCORE_IMPORT_KEY", key)
    s = make_suite(tmp_path, NOWHERE, INPUTS, candidate_extra={"api_key_env": "EVALCORE_IMPORT_KEY"})
    f = write_csv(tmp_path / "outs.csv", [
        {"example_id": "e000", "candidate": "m0", "output": "", "error": f"401 Incorrect API key provided: {key}"},
        {"example_id": "e001", "candidate": "m0", "output": f"your key is {key}", "error": ""},
    ])
    summary = import_outputs(f, s, tmp_path / "ws")
    rows = _results(tmp_path / "ws", summary.run_id)
    assert {r["example_id"]: (r["output"] or r["error"]) for r in rows}["e000"].endswith("***")
    written = b"".join(p.read_bytes() for p in (tmp_path / "ws").rglob("*") if p.is_file())
    assert key.encode() not in written and b"SECRET-0123456789" not in written


def test_candidate_option_refuses_a_file_that_names_another_suite_candidate(suite, tmp_path: Path) -> None:
    """`--candidate m1` stored rows the file attributes to m0 as m1, without a word (an audit, 7 December); a
    name that is not one of the suite's candidates (a model string from a log) is still mapped."""
    f = write_csv(tmp_path / "outs.csv", [{"example_id": "e000", "candidate": "m0", "output": "m0 says alpha"},
                                          {"example_id": "e001", "candidate": "gpt-x", "output": "says"}])
    before = _snapshot(tmp_path)
    with pytest.raises(IngestError, match="the file says candidate 'm0', but --candidate says 'm1'"):
        import_outputs(f, suite, tmp_path / "ws", candidate="m1")
    assert _snapshot(tmp_path) == before
    g = write_csv(tmp_path / "outs2.csv", [{"example_id": "e000", "candidate": "gpt-x", "output": "says"}])
    assert import_outputs(g, suite, tmp_path / "ws", candidate="m1").by_candidate == {"m1": 1}


# ------------------------------------------------------------------ an id and an input that disagree (F15, F5)


def test_an_id_and_an_input_that_disagree_are_refused_not_stored_under_one_of_them(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv", [
        {"example_id": "e0TYPO", "input": "gamma", "candidate": "m0", "output": "x"},  # was stored as e002
        {"example_id": "e000", "input": "beta", "candidate": "m0", "output": "x"},  # was stored as e000
        {"example_id": "e001", "input": "no such input", "candidate": "m0", "output": "x"},
        {"example_id": "e003", "input": " delta ", "candidate": "m0", "output": "x"},  # agrees: fine
    ])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    by_row = {p.row: p for p in err.value.problems}
    assert set(by_row) == {1, 2, 3} and {p.column for p in by_row.values()} == {"example_id"}
    assert "'e0TYPO'" in by_row[1].message and "example 'e002'" in by_row[1].message
    assert "columns 'example_id' and 'input' disagree" in by_row[2].message and "'e001'" in by_row[2].message
    assert "'no such input'" in by_row[3].message and "'beta'" in by_row[3].message
    assert not (tmp_path / "ws").exists()


def test_an_inspect_sample_with_an_unknown_id_and_input_names_both(suite, tmp_path: Path) -> None:
    log = _eval_log(tmp_path / "run.eval", "openai/model-0", [_sample(2, "x", "y"), _sample("e000", "gamma", "y")])
    with pytest.raises(IngestError) as err:
        import_outputs(log, suite, tmp_path / "ws")
    messages = sorted(p.message for p in err.value.problems)
    assert len(messages) == 2
    assert "disagree" in messages[0] and "'e002'" in messages[0] and "another version" in messages[0]
    assert "the id '2', nor this input ('x')" in messages[1]


def test_absurd_latency_and_cost_are_refused_with_the_accepted_range(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv", [
        {"example_id": "e000", "candidate": "m0", "output": "x", "latency_ms": "1e308", "cost_usd": "1e308"},
        {"example_id": "e001", "candidate": "m0", "output": "x", "latency_ms": "86400000", "cost_usd": "10000"},
    ])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    found = {(p.row, p.column): p.message for p in err.value.problems}
    assert set(found) == {(1, "latency_ms"), (1, "cost_usd")}  # the limits themselves are accepted
    assert "0 to 86,400,000 milliseconds (one day)" in found[(1, "latency_ms")]
    assert "0 to 10,000 US dollars" in found[(1, "cost_usd")]
    assert not (tmp_path / "ws").exists()


def test_a_misspelt_column_is_reported_with_every_row_problem_at_once(suite, tmp_path: Path) -> None:
    """Audit 5: 'latency' stopped the import at that error; the unknown id and candidate came one upload later."""
    f = write_csv(tmp_path / "outs_bad.csv", [
        {"example_id": "e000", "candidate": "m0", "output": "m0 says alpha", "latency": "100"},
        {"example_id": "e009", "candidate": "m0", "output": "says", "latency": "100"},
        {"example_id": "e001", "candidate": "m9", "output": "says", "latency": "100"},
    ])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(None, "latency"), (2, "example_id"), (3, "candidate")}
    text = str(err.value)
    assert text.startswith("outs_bad.csv") and "Did you mean 'latency_ms'?" in text
    assert "'e009'" in text and "'m9' is not a candidate" in text
    assert "3 problems in all; nothing was imported." in text
    assert not (tmp_path / "ws").exists()


def test_a_misspelt_column_alone_still_imports_nothing(suite, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "o.csv",
                  [{"example_id": "e000", "candidate": "m0", "output": "m0 says", "latncy_ms": "3"}])
    with pytest.raises(IngestError) as err:
        import_outputs(f, suite, tmp_path / "ws")
    assert err.value.column == "latncy_ms" and "Nothing was imported." in str(err.value)
    assert not (tmp_path / "ws").exists()
