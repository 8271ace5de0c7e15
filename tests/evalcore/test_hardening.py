"""Attacks on the CLI and the library, each written as the attack: plant the module, paste the key, point the
dataset elsewhere, corrupt the workspace, send the hostile output. Each asserts the clear message, exit code 2
for the CLI, and that nothing leaked, ran or changed.

The hypothesis fuzz runs a few hundred cases by default; set EVALCORE_FUZZ_EXAMPLES for more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from evalcore.cli import main
from evalcore.errors import EvalcoreError, SuiteError
from evalcore.suite import load_suite, parse_suite

_SCRIPT = Path(sys.executable).with_name("evalcore")
EVALCORE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "evalcore.cli"]
FUZZ = int(os.environ.get("EVALCORE_FUZZ_EXAMPLES", "300"))
KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"


def _cli(*args: Any, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a fresh process (import side effects only show there)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*EVALCORE, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=full_env,
                          timeout=timeout)


def _invoke(*args: Any):
    return CliRunner().invoke(main, [str(a) for a in args])


def _people_error(result: Any, *needles: str) -> str:
    """Exit 2, the message on stderr, no traceback."""
    out = result.stderr if hasattr(result, "stderr") else ""
    code = result.returncode if hasattr(result, "returncode") else result.exit_code
    assert code == 2, (code, getattr(result, "stdout", ""), out)
    assert "Traceback" not in out, out
    assert out.startswith("Error: "), out
    for needle in needles:
        assert needle in out, (needle, out)
    return out


def _suite_dir(tmp_path: Path, *, rows: str = "id,input,expected,tags\ne1,hello,x,clean\ne2,world,x,edge\n",
               **overrides: Any) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "examples.csv").write_text(rows, encoding="utf-8")
    data: dict[str, Any] = {
        "name": "t", "prompt": "Q: {{ input }}", "dataset": "examples.csv",
        "candidates": [{"name": "m0", "model": "openai/model-0", "api_base": "http://127.0.0.1:9/v1"}],
        "scorers": [{"type": "contains", "value": "says"}],
        "run": {"timeout_s": 5, "max_attempts": 1, "backoff_s": 0.01},
    }
    data.update(overrides)
    (folder / "suite.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()) if root.exists() else b""


# -- High: code next to a suite runs ---------------------------------------------------------------------------

PLANTED = "import pathlib\npathlib.Path({marker!r}).write_text('ran')\n"


def test_modules_planted_beside_the_suite_never_run_during_a_real_run(tmp_path: Path, server: Any) -> None:
    folder = _suite_dir(tmp_path, candidates=[
        {"name": "m0", "model": "openai/model-0", "api_base": server.base_url}])
    markers = []
    for name in ("pytz", "numexpr", "bottleneck", "yaml", "jinja2", "orjson", "uvloop"):
        marker = tmp_path / f"ran-{name}"
        (folder / f"{name}.py").write_text(PLANTED.format(marker=str(marker)))
        markers.append(marker)
    out = _cli("run", folder / "suite.yaml", "--workspace", tmp_path / "ws", "--workers", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not [m for m in markers if m.exists()], "a planted module ran"
    # and the leaderboard (pandas, duckdb: pytz and numexpr are optional imports there) does not run them either
    out = _cli("leaderboard", "--suite", "t", "--workspace", tmp_path / "ws", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert not [m for m in markers if m.exists()]


def test_python_scorer_loads_only_its_own_module_from_the_suite_folder(tmp_path: Path, server: Any) -> None:
    marker = tmp_path / "ran-helper"
    folder = _suite_dir(tmp_path, candidates=[{"name": "m0", "model": "openai/model-0", "api_base": server.base_url}],
                        scorers=[{"type": "python", "function": "myscorer:check"}])
    (folder / "helper.py").write_text(PLANTED.format(marker=str(marker)))
    (folder / "myscorer.py").write_text(
        "import sys\n"
        "def check(output, example):\n"
        "    try:\n        import helper  # a sibling file: the folder is not on sys.path\n"
        "    except ImportError:\n        return {'value': 1.0, 'detail': {'path_clean': True}}\n"
        "    return 0.0\n")
    out = _cli("run", folder / "suite.yaml", "--workspace", tmp_path / "ws", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    board = _cli("leaderboard", "--suite", "t", "--workspace", tmp_path / "ws", "--format", "json", cwd=tmp_path)
    assert '"mean": 1.0' in board.stdout, board.stdout


def test_two_suites_with_their_own_scorer_module_in_one_process_each_use_their_own(tmp_path: Path) -> None:
    from evalcore.example import Example
    from evalcore.scoring import score

    scorers = []
    for value in ("0.25", "0.75"):
        folder = tmp_path / f"s{value}"
        folder.mkdir()
        (folder / "examples.csv").write_text("input\nhi\n")
        (folder / "myscorer.py").write_text(f"def check(output, example):\n    return {value}\n")
        (folder / "suite.yaml").write_text(yaml.safe_dump({
            "name": "s", "prompt": "{{ input }}", "dataset": "examples.csv",
            "candidates": [{"name": "a", "model": "openai/x"}],
            "scorers": [{"type": "python", "function": "myscorer:check"}]}))
        scorers.append(load_suite(folder / "suite.yaml").scorers[0])
    ex = Example(id="e", input="hi")
    assert [score(s, "out", ex).value for s in scorers] == [0.25, 0.75]
    assert "myscorer" not in sys.modules


def test_missing_python_scorer_module_fails_validate_before_any_call(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path, scorers=[{"type": "python", "function": "not_written_yet:check"}])
    result = _invoke("validate", folder / "suite.yaml")
    _people_error(result, "module 'not_written_yet' not found", "not_written_yet.py")


# -- High: keys reach files and terminals -----------------------------------------------------------------------


def test_key_in_api_base_userinfo_is_refused_and_never_stored(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path, candidates=[
        {"name": "m0", "model": "openai/model-0", "api_base": f"http://user:{KEY}@127.0.0.1:9/v1"}])
    ws = tmp_path / "ws"
    for args in (("validate", folder / "suite.yaml"), ("run", folder / "suite.yaml", "--workspace", ws)):
        result = _invoke(*args)
        err = _people_error(result, "api_base", "must not carry credentials", "api_key_env")
        assert KEY not in err and KEY not in result.output
    assert KEY.encode() not in _all_bytes(ws)


@pytest.mark.parametrize(("params", "named"), [
    ({"aws_session_token": KEY}, "aws_session_token"),
    ({"azure_ad_token": KEY}, "azure_ad_token"),
    ({"vertex_credentials": "{\"private_key\": \"x\"}"}, "vertex_credentials"),
    ({"openai_api_key": KEY}, "openai_api_key"),
    ({"api_token": KEY}, "api_token"),
    ({"extra_headers": {"X-Goog-Api-Key": KEY}}, "X-Goog-Api-Key"),
    ({"extra_headers": {"X-Custom-Thing": "harmless?"}}, "X-Custom-Thing"),  # allow-list: unknown headers refused
    ({"extra_body": {"nested": {"accessToken": KEY}}}, "accessToken"),
    ({"extra_body": {"anything": KEY}}, "shaped like an API key"),  # a key-shaped value under any name
    ({"stop": [KEY]}, "shaped like an API key"),
])
def test_credentials_in_params_or_headers_are_refused_without_echoing_them(
        tmp_path: Path, params: dict[str, Any], named: str) -> None:
    folder = _suite_dir(tmp_path, candidates=[{"name": "m0", "model": "openai/model-0", "params": params}])
    result = _invoke("validate", folder / "suite.yaml")
    err = _people_error(result, "candidates.0.params", named)
    assert KEY not in err and KEY not in result.output


def test_unknown_param_is_refused_with_the_allowed_list_and_a_guess() -> None:
    data = {"name": "t", "prompt": "x", "dataset": "d.csv",
            "candidates": [{"name": "a", "model": "openai/x", "params": {"temprature": 0}}]}
    with pytest.raises(SuiteError, match="Did you mean 'temperature'"):
        parse_suite(data)
    data["candidates"][0]["params"] = {"temperature": 0, "max_tokens": 5,
                                       "response_format": {"type": "json_schema", "json_schema": {
                                           "schema": {"properties": {"token_count": {"type": "integer"}}}}}}
    assert parse_suite(data).candidates[0].params["max_tokens"] == 5  # schemas may name fields 'token...'


@pytest.mark.parametrize("value", [KEY, "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"])
def test_key_pasted_as_api_key_env_is_a_mistake_with_a_message_and_never_printed(tmp_path: Path, value: str) -> None:
    folder = _suite_dir(tmp_path, candidates=[{"name": "m0", "model": "openai/model-0", "api_key_env": value}])
    result = _invoke("validate", folder / "suite.yaml")
    err = _people_error(result, "api_key_env", "NAME of an environment variable", "not shown")
    assert value not in err and value not in result.output
    run = _invoke("run", folder / "suite.yaml", "--workspace", tmp_path / "ws")
    assert run.exit_code == 2 and value not in run.output
    assert value.encode() not in _all_bytes(tmp_path / "ws")


def test_a_variable_name_is_still_a_fine_api_key_env() -> None:
    data = {"name": "t", "prompt": "x", "dataset": "d.csv",
            "candidates": [{"name": "a", "model": "openai/x", "api_key_env": "MY_PROVIDER_API_KEY_2"}]}
    assert parse_suite(data).candidates[0].api_key_env == "MY_PROVIDER_API_KEY_2"


# -- High: files outside the suite are read and printed ---------------------------------------------------------


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/shadow", "/etc/passwd"])
def test_dataset_symlinked_outside_the_suite_is_refused_and_nothing_is_printed(tmp_path: Path, target: str) -> None:
    folder = _suite_dir(tmp_path)
    (folder / "examples.csv").unlink()
    (folder / "examples.csv").symlink_to(target)
    secret = "planted-secret-value-0123456789"
    out = _cli("validate", folder / "suite.yaml", cwd=tmp_path, env={"PLANTED_SECRET": secret})
    err = _people_error(out, "outside the suite's folder", "EVALCORE_DATA_DIRS")
    assert secret not in err and secret not in out.stdout
    assert "root:" not in err  # /etc/passwd's or /etc/shadow's first line


def test_dataset_given_as_an_absolute_path_elsewhere_is_refused(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path, dataset="/etc/passwd")
    _people_error(_invoke("validate", folder / "suite.yaml"), "outside the suite's folder")


def test_fifo_dataset_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path)
    (folder / "examples.csv").unlink()
    os.mkfifo(folder / "examples.csv")
    out = _cli("validate", folder / "suite.yaml", cwd=tmp_path, timeout=60)
    _people_error(out, "not a regular file")


def test_fifo_is_refused_by_the_reader_too(tmp_path: Path) -> None:
    from evalcore.ingest import load_examples

    os.mkfifo(tmp_path / "data.jsonl")
    with pytest.raises(EvalcoreError, match="not a regular file"):
        load_examples(tmp_path / "data.jsonl")


def test_a_file_that_is_no_table_is_quoted_only_as_a_short_escaped_header(tmp_path: Path) -> None:
    secret = "s3cr3t-" + "x" * 40
    dump = ",".join(f"VAR{i}=value{i}" for i in range(40)) + f",\x1b]52;c;{secret}\x07\n"
    folder = _suite_dir(tmp_path, rows=dump)
    err = _people_error(_invoke("validate", folder / "suite.yaml"), "not found")
    assert secret not in err and "\x1b" not in err and "VAR39" not in err
    assert len(err) < 1200


# -- Medium: one corrupted file breaks every command -----------------------------------------------------------


def _two_suites(tmp_path: Path, server: Any) -> Path:
    """A workspace with runs of suites 'a' and 'b', through the real CLI and the local server."""
    ws = tmp_path / "ws"
    for name in ("a", "b"):
        folder = _suite_dir(tmp_path / name, name=name, candidates=[
            {"name": f"m{k}", "model": f"openai/model-{k}", "api_base": server.base_url} for k in range(2)])
        result = _invoke("run", folder / "suite.yaml", "--workspace", ws)
        assert result.exit_code == 0, result.output
    return ws


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "random": lambda data: os.urandom(len(data)),
}


@pytest.mark.parametrize("table", ["results", "scores", "examples"])
@pytest.mark.parametrize("how", list(CORRUPTIONS))
def test_a_corrupted_parquet_file_is_named_with_the_fix_and_other_suites_keep_working(
        tmp_path: Path, server: Any, table: str, how: str) -> None:
    ws = _two_suites(tmp_path, server)
    [part, *_] = sorted((ws / table / "suite=a").rglob("*.parquet"))
    part.write_bytes(CORRUPTIONS[how](part.read_bytes()))
    manifests_before = sorted((ws / "runs").rglob("*.json"))
    for args in (("leaderboard", "--suite", "a"), ("decide", "--suite", "a"), ("tags", "--suite", "a"),
                 ("compare", "--suite", "a", "m0", "m1")):
        err = _people_error(_invoke(*args, "--workspace", ws), part.name, "evalcore doctor")
        assert "duckdb" not in err.lower()
    for args in (("leaderboard", "--suite", "b"), ("runs",), ("compare", "--suite", "b", "m0", "m1")):
        result = _invoke(*args, "--workspace", ws)
        assert result.exit_code == 0, result.output
    # a rerun of the broken suite works (what the broken part held is redone) and leaves no orphan manifest
    rerun = _invoke("run", tmp_path / "a" / "suite" / "suite.yaml", "--workspace", ws)
    assert rerun.exit_code == 0, rerun.output
    assert len(sorted((ws / "runs").rglob("*.json"))) <= len(manifests_before) + 1

    # doctor lists it (exit 1), quarantines it (nothing deleted), and then every command works again
    listed = _invoke("doctor", "--workspace", ws)
    assert listed.exit_code == 1 and part.name in listed.output, listed.output
    fixed = _invoke("doctor", "--workspace", ws, "--quarantine")
    assert fixed.exit_code == 0 and "moved" in fixed.output, fixed.output
    assert not part.exists() and list((ws / "quarantine").rglob(part.name))
    assert _invoke("doctor", "--workspace", ws).exit_code == 0
    assert _invoke("leaderboard", "--suite", "a", "--workspace", ws).exit_code == 0


@pytest.mark.parametrize("content", ["[1, 2]", '"text"', '{"suite": 5, "run_id": []}', '{"suite": "a", "run_id": "x", "config": []}'])
def test_a_manifest_of_the_wrong_type_is_skipped_and_listed_by_doctor(tmp_path: Path, server: Any, content: str) -> None:
    ws = _two_suites(tmp_path, server)
    bad = ws / "runs" / "a" / "20991231T000000-ffffff.json"
    bad.write_text(content)
    for args in (("runs",), ("leaderboard", "--suite", "a")):
        result = _invoke(*args, "--workspace", ws)
        assert result.exit_code == 0, result.output
    listed = _invoke("doctor", "--workspace", ws)
    assert listed.exit_code == 1 and bad.name in listed.output


@pytest.mark.parametrize("content", ["[]", '"1"', '{"schema_version": [1]}', '{"schema_version": "x"}', "{"])
def test_workspace_json_of_the_wrong_type_is_a_clear_error_that_doctor_fixes(tmp_path: Path, server: Any,
                                                                            content: str) -> None:
    ws = _two_suites(tmp_path, server)
    (ws / "workspace.json").write_text(content)
    _people_error(_invoke("runs", "--workspace", ws), "workspace.json is broken", "evalcore doctor")
    assert _invoke("doctor", "--workspace", ws, "--quarantine").exit_code == 0
    assert _invoke("run", tmp_path / "a" / "suite" / "suite.yaml", "--workspace", ws).exit_code == 0
    assert _invoke("runs", "--workspace", ws).exit_code == 0


def test_doctor_on_a_healthy_workspace_says_so(tmp_path: Path, server: Any) -> None:
    ws = _two_suites(tmp_path, server)
    result = _invoke("doctor", "--workspace", ws)
    assert result.exit_code == 0 and "every file is readable" in result.output


# -- Medium: templates fail with tracebacks; hangs -------------------------------------------------------------


@pytest.mark.parametrize(("template", "needle"), [
    ("{{ input + 1 }}", "TypeError"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{% include 'other.txt' %}", "no loader"),
    ("{% import 'macros.j2' as m %}{{ input }}", "no loader"),
    ("{{ input.__class__.__mro__ }}", "SecurityError"),
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "RecursionError"),
    ("{{ 'a' * 1000000000 }}", "too large"),
    ("{{ 2 ** 100000000 }}", "too large"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{{ input }}", "longer than"),
    ("{{ notes }}", "renders empty"),
])
def test_hostile_or_broken_templates_fail_validate_naming_the_row_and_the_error(
        tmp_path: Path, template: str, needle: str) -> None:
    folder = _suite_dir(tmp_path, rows="id,input,notes\ne1,hello,\ne2,world,\n", prompt=template)
    started = time.monotonic()
    out = _cli("validate", folder / "suite.yaml", cwd=tmp_path, timeout=120)
    _people_error(out, "row 1", needle)
    assert time.monotonic() - started < 60  # bounded, not minutes


def test_yaml_anchor_bomb_under_a_json_schema_scorer_is_refused_quickly(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path)
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 9)]
    base = (folder / "suite.yaml").read_text()
    bomb = base.replace("scorers:\n- type: contains\n  value: says\n",
                        "scorers:\n- type: json_schema\n  schema:\n    bomb:\n" +
                        "".join(f"      {line}\n" for line in lines))
    assert bomb != base
    (folder / "suite.yaml").write_text(bomb)
    for args in (("validate", folder / "suite.yaml"), ("run", folder / "suite.yaml", "--workspace", tmp_path / "ws")):
        out = _cli(*args, cwd=tmp_path, timeout=60)
        _people_error(out, "anchors and aliases")


def test_yaml_anchor_bomb_under_candidate_params_is_refused_quickly(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path)
    text = (folder / "suite.yaml").read_text()
    refs = "\n".join(f"x{i}: &x{i} [" + ", ".join([f"*x{i-1}"] * 9) + "]" for i in range(1, 9))
    (folder / "suite.yaml").write_text('x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + refs + "\n"
                                       + text.replace("  name: m0\n", "  name: m0\n  params: {metadata: *x8}\n"))
    out = _cli("validate", folder / "suite.yaml", cwd=tmp_path, timeout=60)
    _people_error(out, "anchors and aliases")


def test_deeply_nested_yaml_is_refused_with_a_message(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path)
    (folder / "suite.yaml").write_text((folder / "suite.yaml").read_text() + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    _people_error(_invoke("validate", folder / "suite.yaml"), "nested")


def test_catastrophic_regex_on_a_hostile_output_is_cut_off_and_scored(tmp_path: Path) -> None:
    from evalcore.example import Example
    from evalcore.scoring import score
    from pydantic import TypeAdapter

    from evalcore.suite import Scorer

    # `^(a+)+$` itself is optimised by the engine; this one backtracks exponentially in any backtracking engine
    scorer = TypeAdapter(Scorer).validate_python({"type": "regex", "pattern": r"(x+x+)+y"})
    assert score(TypeAdapter(Scorer).validate_python({"type": "regex", "pattern": r"^(a+)+$"}),
                 "a" * 33 + "!", Example(id="e", input="x")).value == 0.0
    started = time.monotonic()
    result = score(scorer, "x" * 5000, Example(id="e", input="x"))
    assert time.monotonic() - started < 30
    assert result.value == 0.0 and "longer than" in result.detail["reason"]
    schema = TypeAdapter(Scorer).validate_python(
        {"type": "json_schema", "schema": {"type": "object", "properties": {"s": {"pattern": r"(x+x+)+y"}}}})
    result = score(schema, '{"s": "' + "x" * 5000 + '"}', Example(id="e", input="x"))
    assert result.value == 0.0 and "longer than" in str(result.detail)


def test_python_scorer_that_never_returns_is_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalcore import scoring
    from evalcore.example import Example

    monkeypatch.setattr(scoring, "PYTHON_SCORER_TIMEOUT_S", 0.5)
    folder = _suite_dir(tmp_path, scorers=[{"type": "python", "function": "slow:check"}])
    (folder / "slow.py").write_text("import time\ndef check(output, example):\n    time.sleep(5)\n    return 1.0\n")
    scorer = load_suite(folder / "suite.yaml").scorers[0]
    result = scoring.score(scorer, "out", Example(id="e", input="x"))
    assert result.value == 0.0 and "did not return" in result.detail["error"]


# -- Medium: terminal escapes ------------------------------------------------------------------------------------

OSC = "\x1b]52;c;cGF3bmVk\x07"  # writes the clipboard in some terminals
CSI = "\x1b[2J\x9b31m"


def test_terminal_escapes_in_tags_scorer_names_and_public_fields_are_shown_escaped(tmp_path: Path, server: Any) -> None:
    folder = _suite_dir(tmp_path, rows=f"id,input,expected,tags\ne1,hello,x,\"clean{OSC}\"\ne2,world,x,edge{CSI}\n",
                        candidates=[{"name": "m0", "model": "openai/model-0", "api_base": server.base_url}],
                        scorers=[{"type": "contains", "value": "says", "name": f"says{OSC}"}])
    ws = tmp_path / "ws"
    outputs = [_invoke("validate", folder / "suite.yaml"), _invoke("run", folder / "suite.yaml", "--workspace", ws)]
    (tmp_path / "public.csv").write_text(f"model,benchmark,score,source\nm0,mmlu{CSI},0.8,https://x{OSC}\n")
    outputs.append(_invoke("public", "import", tmp_path / "public.csv", "--workspace", ws))
    for args in (("leaderboard",), ("tags",), ("decide",), ("public", "compare"), ("leaderboard", "--format", "csv"),
                 ("leaderboard", "--format", "json")):
        outputs.append(_invoke(*args, "--suite", "t", "--workspace", ws))
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    assert "\\u001b" in outputs[0].output  # shown, escaped: the person sees something odd is there


# -- Low: tracebacks and silent surprises ----------------------------------------------------------------------


def _ingest_error(path: Path, *needles: str, **kwargs: Any) -> str:
    from evalcore.errors import IngestError
    from evalcore.ingest import load_examples

    with pytest.raises(IngestError) as info:
        load_examples(path, **kwargs)
    message = str(info.value)
    for needle in needles:
        assert needle in message, (needle, message)
    return message


def test_jsonl_integer_of_five_thousand_digits_is_a_row_error(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('{"input": "a"}\n{"input": "b", "n": ' + "9" * 5000 + "}\n")
    _ingest_error(tmp_path / "d.jsonl", "row 2", "long numbers as strings")


def test_tags_cell_of_a_hundred_thousand_brackets_does_not_crash(tmp_path: Path) -> None:
    from evalcore.ingest import load_examples

    (tmp_path / "d.csv").write_text("input,tags\nhello," + "[" * 100_000 + "\n")
    try:
        load_examples(tmp_path / "d.csv")
    except EvalcoreError:
        pass


def test_lone_surrogate_in_a_tag_is_refused_instead_of_crashing_validate(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path, rows='id,input,tags\ne1,hello,"[""\\ud800""]"\n')
    result = _invoke("validate", folder / "suite.yaml")
    _people_error(result, "row 1", "surrogate")
    assert "valid." not in result.output


def test_parquet_dates_outside_pythons_range_are_a_clear_error(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    day = pa.array([-1_000_000_000], type=pa.int32()).cast(pa.date32())
    pq.write_table(pa.table({"input": ["a"], "when": day}), tmp_path / "d.parquet")
    _ingest_error(tmp_path / "d.parquet", "cannot be read as Parquet", "years 1-9999")


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib"])
def test_non_text_codecs_are_refused_by_name(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "d.csv").write_text("input\nhello\n")
    _ingest_error(tmp_path / "d.csv", "not a text encoding", encoding=encoding)


def test_utf16_le_with_a_bom_keeps_the_id_header(tmp_path: Path) -> None:
    from evalcore.ingest import load_examples

    (tmp_path / "d.csv").write_bytes(b"\xff\xfe" + "id,input\nx1,hello\n".encode("utf-16-le"))
    [example] = load_examples(tmp_path / "d.csv", encoding="utf-16-le")
    assert example.id == "x1"


def test_duplicate_yaml_keys_are_refused_with_the_line(tmp_path: Path) -> None:
    folder = _suite_dir(tmp_path)
    (folder / "suite.yaml").write_text((folder / "suite.yaml").read_text() + "name: other\n")
    _people_error(_invoke("validate", folder / "suite.yaml"), "the key 'name' appears twice", "line")


@pytest.mark.parametrize(("candidate", "top", "needle"), [
    ({"release": "1721260800"}, {}, "not a date"),
    ({"release": 1721260800}, {}, "not a date"),
    ({}, {"repeats": True}, "true is not a number"),
    ({}, {"run": {"concurrency": True}}, "true is not a number"),
])
def test_values_yaml_or_pydantic_would_silently_convert_are_refused(
        tmp_path: Path, candidate: dict[str, Any], top: dict[str, Any], needle: str) -> None:
    folder = _suite_dir(tmp_path, candidates=[{"name": "m0", "model": "openai/model-0", **candidate}], **top)
    _people_error(_invoke("validate", folder / "suite.yaml"), needle)


@pytest.mark.parametrize("other", ["caf\u0065\u0301", "cafe\u200b", "\uff43\uff41\uff46\uff45"])
def test_ids_that_only_look_different_are_refused(tmp_path: Path, other: str) -> None:
    first = "café" if "\u0301" in other else "cafe"
    (tmp_path / "d.csv").write_text(f"id,input\n{first},one\n{other},two\n", encoding="utf-8")
    _ingest_error(tmp_path / "d.csv", "rows 1 and 2", "look-alike")


def test_header_level_csv_errors_say_header(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text('id,"input\nx,y\n')
    _ingest_error(tmp_path / "d.csv", "the header")


# -- fuzz: nothing but EvalcoreError escapes a public entry point ----------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FRAGMENTS = ["id,input,expected,tags\n", "input\n", "1,", "a", '"', '""', "\n", "\r\n", ",", ";", "\t", "|",
              "[" * 60, "]", "9" * 4400, '{"input": ', '"x"', "}", '"\\ud800"', "\\udc00", "\ufeff", "sep=;\n",
              "\x00", "é", '["a", "b"]', "['a']", "null", "1e999", "NaN", "\u202e", "\x1b[2J", "𝔘", "{}", "[]",
              '{"input": "a", "input": "b"}', '{"input": "a", "tags": [[]]}', '{"input": 1}', " ", "'"]
_SUFFIXES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".parquet", ".json", ""]
_ENCODINGS = [None, None, None, "utf-8", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32", "rot13", "nope"]
_DATA = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map(lambda parts: "".join(parts).encode("utf-16", "surrogatepass")),
    st.sampled_from([b"PAR1", b"PAR1" + b"\x00" * 40 + b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b""]),
)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(data=_DATA, suffix=st.sampled_from(_SUFFIXES), encoding=st.sampled_from(_ENCODINGS),
       id_col=st.sampled_from(["id", "ID", "\u200bid"]))
def test_fuzzed_datasets_raise_nothing_but_evalcore_errors(tmp_path: Path, data: bytes, suffix: str,
                                                           encoding: str | None, id_col: str) -> None:
    from evalcore.ingest import load_examples
    from evalcore.suite import Columns

    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        examples = load_examples(path, Columns(id=id_col) if id_col != "id" else Columns(), encoding=encoding)
    except EvalcoreError as err:
        str(err).encode("utf-8")  # the message itself is printable
        return
    assert examples and all(e.input.strip() for e in examples)


_YAML_FRAGMENTS = ["name: t\n", "prompt: '{{ input }}'\n", "dataset: examples.csv\n", "candidates:\n",
                   "  - {name: a, model: openai/x}\n", "scorers:\n", "  - {type: regex, pattern: '(a'}\n",
                   "  - {type: json_schema, schema: {type: object}}\n", "  - {type: python, function: 'x:y'}\n",
                   "repeats: true\n", "release: 1\n", "&a ", "*a ", "<<: *a\n", "!!python/object:os.system\n",
                   "[", "]", "{", "}", "\t", ": ", "- ", "'", '"', "\n", "x: &b [*b]\n", "name: t\n", "\ufeff",
                   "prompt: '{{ 1/0 }}'\n", "prompt: '{% include \"x\" %}'\n", "run: {concurrency: 0}\n",
                   "params: {api_key: k}\n", "api_key_env: sk-abcdefghijklmnopqrstuvwxyz\n"]


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(_YAML_FRAGMENTS), max_size=20) | st.text(max_size=200).map(lambda t: [t]))
def test_fuzzed_suite_files_raise_nothing_but_evalcore_errors(tmp_path: Path, parts: list[str]) -> None:
    from evalcore.example import Example
    from evalcore.runner import render_messages

    (tmp_path / "examples.csv").write_text("input\nhello\n")
    path = tmp_path / "suite.yaml"
    path.write_text("".join(parts), encoding="utf-8", errors="surrogatepass")
    try:
        suite = load_suite(path)
        render_messages(suite, [Example(id="e", input="hello", row=1)])
    except EvalcoreError as err:
        str(err).encode("utf-8")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from([KEY, "http://u:p@h/v1", "1721260800", "{{ 1/0 }}", "(a", "x:y", "a" * 100]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=12,
)
_SLOTS = [("name",), ("prompt",), ("dataset",), ("columns",), ("candidates",), ("candidates", 0),
          ("candidates", 0, "params"), ("candidates", 0, "api_base"), ("candidates", 0, "api_key_env"),
          ("candidates", 0, "release"), ("scorers",), ("scorers", 0), ("scorers", 0, "pattern"), ("repeats",),
          ("run",), ("run", "timeout_s"), ("human",)]


@settings(max_examples=FUZZ, deadline=None)
@given(slot=st.sampled_from(_SLOTS), value=_JSON)
def test_fuzzed_suite_values_raise_nothing_but_evalcore_errors(slot: tuple[Any, ...], value: Any) -> None:
    data: dict[str, Any] = {"name": "t", "prompt": "{{ input }}", "dataset": "d.csv",
                            "candidates": [{"name": "a", "model": "openai/x"}],
                            "scorers": [{"type": "regex", "pattern": "x"}], "run": {}}
    target: Any = data
    for part in slot[:-1]:
        target = target[part]
    target[slot[-1]] = value
    try:
        suite = parse_suite(data)
    except EvalcoreError as err:
        assert KEY not in str(err)  # a key is never echoed back, wherever it was put
        return
    suite.config_hash()  # what a run hashes and dumps into its manifest
    suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"})


def test_a_key_pasted_as_the_release_date_is_not_echoed() -> None:
    """Found by the fuzz test above: the release field's "is not a date" message quoted the value."""
    data = {"name": "t", "prompt": "{{ input }}", "dataset": "d.csv",
            "candidates": [{"name": "a", "model": "openai/x", "release": KEY}],
            "scorers": [{"type": "regex", "pattern": "x"}]}
    with pytest.raises(EvalcoreError) as err:
        parse_suite(data)
    assert KEY not in str(err.value) and "not a date" in str(err.value) and "candidates.0.release" in str(err.value)
