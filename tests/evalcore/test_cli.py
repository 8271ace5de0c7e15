"""The `evalcore` command: help everywhere, light imports, people's errors, and the run -> read loop.

Most tests drive the click group in-process with `CliRunner`; a few run real subprocesses, because import
side effects and tracebacks only show up in a fresh interpreter.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from suite_factory import make_suite

from evalcore.cli import main

HEAVY = ("streamlit", "litellm", "pandas", "duckdb")
_SCRIPT = Path(sys.executable).with_name("evalcore")  # the installed console script
EVALCORE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "evalcore.cli"]


def _invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def _walk(group: click.Group, path: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, (*path, name))


ALL_COMMANDS = list(_walk(main))


def _words(text: str) -> str:
    return " ".join(text.split())


def _people_error(result, *needles: str) -> str:
    """Exit 2, the message on stderr, no traceback; returns stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return result.stderr


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    """`run` reads .streamlit/secrets.toml from the working directory: keep it out of the tests."""
    monkeypatch.chdir(tmp_path)


# -- help ---------------------------------------------------------------------------------------------------


def test_command_tree_includes_the_public_group():
    names = {" ".join(path) for path, _ in ALL_COMMANDS}
    assert {"init", "validate", "run", "runs", "leaderboard", "compare", "decide", "demo", "public",
            "public import", "public compare"} <= names


def test_top_level_help_lists_every_command():
    result = _invoke("--help")
    assert result.exit_code == 0
    assert "measure candidate LLMs on your own task" in result.output
    for name in main.commands:
        assert name in result.output


@pytest.mark.parametrize("path,cmd", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_command_has_help_with_a_description(path, cmd):
    assert cmd.help and cmd.help.strip(), f"`evalcore {' '.join(path)}` has no docstring"
    result = _invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    first_paragraph = cmd.help.strip().split("\n\n")[0]
    assert _words(first_paragraph) in _words(result.output)


def test_version_option():
    result = _invoke("--version")
    assert result.exit_code == 0 and "0.1.0" in result.output


# -- imports stay light ---------------------------------------------------------------------------------------


def _imported_after(statement: str) -> list[str]:
    code = f"{statement}; import sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert _imported_after("import evalcore, evalcore.cli") == []


@pytest.mark.parametrize("module", ["evalcore.analysis", "evalcore.runner", "evalcore.failures", "evalcore.preflight"])
def test_library_modules_do_not_import_litellm_or_streamlit(module):
    loaded = _imported_after(f"import {module}")
    assert "litellm" not in loaded and "streamlit" not in loaded


def test_help_in_a_real_process_exits_zero():
    out = subprocess.run([*EVALCORE, "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Typical loop" in out.stdout


def test_people_error_in_a_real_process_has_no_traceback(tmp_path):
    out = subprocess.run([*EVALCORE, "validate", str(tmp_path / "missing.yaml")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert "missing.yaml: file not found" in out.stderr and "evalcore init" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


# -- people's errors --------------------------------------------------------------------------------------------


def test_validate_missing_suite_file_exits_2_with_the_path(tmp_path):
    _people_error(_invoke("validate", tmp_path / "nope.yaml"), "nope.yaml", "file not found")


def test_leaderboard_unknown_suite_lists_known_suites(tmp_path, server):
    make_suite(tmp_path, server.base_url, ["a", "b"])
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws").exit_code == 0
    err = _people_error(_invoke("leaderboard", "--suite", "nope", "--workspace", tmp_path / "ws"))
    assert err == "Error: this workspace has no suite 'nope'. Known suites: t.\n"


def test_leaderboard_on_missing_workspace_does_not_create_it(tmp_path):
    ws = tmp_path / "no-such-workspace"
    _people_error(_invoke("leaderboard", "--suite", "t", "--workspace", ws), "does not exist", "evalcore demo")
    assert not ws.exists()


def test_run_with_dataset_lacking_the_input_column_names_file_and_column(tmp_path):
    (tmp_path / "examples.csv").write_text("id,text\n1,hello\n", encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(
        "name: t\nprompt: 'Q: {{ input }}'\ndataset: examples.csv\n"
        "candidates:\n  - {name: m0, model: openai/m0, api_base: 'http://127.0.0.1:9/v1'}\n"
        "scorers:\n  - {type: exact}\n", encoding="utf-8")
    err = _people_error(_invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws"),
                        "examples.csv", "column 'input'")
    assert "columns: {input: text}" in err  # the hint says how to map the column that is there
    assert not list((tmp_path / "ws").rglob("*.parquet"))


def test_init_refuses_to_overwrite_without_force(tmp_path):
    assert _invoke("init", tmp_path / "proj").exit_code == 0
    _people_error(_invoke("init", tmp_path / "proj"), "already exists", "--force")
    assert _invoke("init", tmp_path / "proj", "--force").exit_code == 0


# -- init and validate --------------------------------------------------------------------------------------------


def test_init_then_validate_reports_examples_and_warns_about_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    init = _invoke("init", tmp_path / "proj")
    assert init.exit_code == 0
    assert "suite.yaml" in init.stdout and "examples.csv" in init.stdout
    result = _invoke("validate", tmp_path / "proj" / "suite.yaml")
    assert result.exit_code == 0, result.output
    assert "Suite 'proj' is valid." in result.stdout  # named after its folder, as the printed commands assume
    assert "(6 examples)" in result.stdout
    assert "12 (6 examples x 2 candidates x 1 repeat)" in result.stdout
    # a warning, not an error: validate never calls a model; each on a line of its own, in order
    lines = result.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == ["dataset", "tags", "candidates", "scorers", "calls", "warning",
                                                   "note"]
    warning = next(ln for ln in lines if ln.startswith("  warning "))
    assert "OPENAI_API_KEY" in warning and "ANTHROPIC_API_KEY" in warning and "--allow-missing-keys" in warning
    assert lines[lines.index(warning) - 1].endswith("1 repeat)")
    assert "few" in lines[-1]


def test_validate_lines_stay_apart_in_a_real_terminal(tmp_path, monkeypatch):
    """stdout and stderr both on one pty, as in a terminal: the warning starts its own line."""
    import os
    import pty

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert _invoke("init", tmp_path / "proj").exit_code == 0
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*EVALCORE, "validate", str(tmp_path / "proj" / "suite.yaml")], stdout=follower,
                            stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=30)
    lines = out.decode().replace("\r\n", "\n").splitlines()
    assert any(ln.startswith("  warning     environment variable(s) not set: ") for ln in lines), lines
    assert any(ln.startswith("  calls       12 (") and ln.endswith("1 repeat)") for ln in lines), lines


def test_validate_counts_judge_calls(tmp_path, server):
    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    make_suite(tmp_path, server.base_url, ["a", "b", "c"], scorers=[{"type": "contains", "value": "x"}, judge])
    result = _invoke("validate", tmp_path / "suite.yaml")
    assert result.exit_code == 0, result.output
    assert "  calls       6 (3 examples x 2 candidates x 1 repeat)" in result.stdout
    assert "  judge calls 6 (one per output for each llm_judge scorer: judge); 12 calls in all" in result.stdout


# -- the run -> read loop against the local server -----------------------------------------------------------------

SCORERS = [{"type": "contains", "value": "says", "name": "says"},
           {"type": "contains", "value": "model-0", "name": "is_m0"}]


@pytest.fixture
def ran(tmp_path, server):
    """A workspace holding one finished CLI run of suite 't': m0 and m1 on 8 examples, two scorers."""
    make_suite(tmp_path, server.base_url, [f"question {i}" for i in range(8)], scorers=SCORERS)
    ws = tmp_path / "ws"
    result = _invoke("run", tmp_path / "suite.yaml", "--workspace", ws)
    assert result.exit_code == 0, result.output
    assert "Finished run" in result.stdout and "16 results" in result.stdout and "0 errors" in result.stdout
    assert "Next: evalcore leaderboard --suite t" in result.stdout
    assert "16/16 done" in result.stderr  # progress goes to stderr, not into pipeable output
    assert "0/16 done, 0 sent, 0 cached, 0 errors, $0.0000 - sending 16 calls" in result.stderr  # before any answer
    assert server.stats()["requests"] == 16
    return ws


def test_runs_lists_the_run_as_table_and_json(ran):
    table = _invoke("runs", "--workspace", ran)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["run", "suite", "status"]
    assert len(lines) == 3 and " t " in lines[2] and "finished" in lines[2]
    rows = json.loads(_invoke("runs", "--workspace", ran, "--format", "json").stdout)
    assert len(rows) == 1
    assert rows[0]["suite"] == "t" and rows[0]["status"] == "finished"
    assert (rows[0]["results"], rows[0]["errors"], rows[0]["candidates"]) == (16, 0, 2)
    assert lines[2].startswith(rows[0]["run_id"])


def test_runs_on_an_empty_workspace_says_how_to_start(tmp_path):
    (tmp_path / "ws").mkdir()
    result = _invoke("runs", "--workspace", tmp_path / "ws")
    assert result.exit_code == 0 and "No runs yet" in result.stdout


def test_leaderboard_json_is_a_list_of_complete_rows(ran):
    result = _invoke("leaderboard", "--suite", "t", "--workspace", ran, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and {r["candidate"] for r in rows} == {"m0", "m1"}
    keys = {"candidate", "n", "mean", "low", "high", "pass_rate", "rank", "rank_low", "rank_high", "could_be_best",
            "diff_vs_best", "diff_low", "diff_high", "cost_per_example_usd", "latency_p50_ms"}
    for r in rows:
        assert keys <= set(r), keys - set(r)
        assert r["n"] == 8 and r["mean"] == 1.0 and r["could_be_best"] and (r["rank_low"], r["rank_high"]) == (1, 2)
        assert r["cost_per_example_usd"] > 0 and r["latency_p50_ms"] > 0
    assert [r["rank"] for r in rows] == [1, 2]  # equal means: positions by name, the range says they may swap


def test_leaderboard_csv_has_a_header_row(ran):
    result = _invoke("leaderboard", "--suite", "t", "--workspace", ran, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["rank", "candidate", "mean"] and "could_be_best" in rows[0]
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"m0", "m1"}


def test_leaderboard_table_names_the_scorer_and_explains_the_columns(ran):
    result = _invoke("leaderboard", "--suite", "t", "--workspace", ran)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split()[:3] == ["rank", "candidate", "says"]
    assert "Scorer 'says', 8 examples, 1 repeat." in result.stdout
    assert "Note: Only 8 examples" in result.stdout
    assert "'could be best': no candidate is credibly better" in result.stdout


def test_scorer_option_selects_the_scorer(ran):
    result = _invoke("leaderboard", "--suite", "t", "--workspace", ran, "--scorer", "is_m0", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["candidate"]: r for r in json.loads(result.stdout)}
    assert rows["m0"]["mean"] == 1.0 and rows["m1"]["mean"] == 0.0
    assert rows["m0"]["rank"] == 1 and rows["m1"]["rank"] == 2


def test_unknown_scorer_exits_2_listing_the_scorers(ran):
    err = _people_error(_invoke("leaderboard", "--suite", "t", "--workspace", ran, "--scorer", "bogus"))
    assert err == "Error: suite 't' has no scorer 'bogus'. Known scorers: says, is_m0.\n"
    err = _people_error(_invoke("leaderboard", "--suite", "t", "--workspace", ran, "--scorer", "say"))
    assert err == "Error: suite 't' has no scorer 'say'. Did you mean 'says'? Known scorers: says, is_m0.\n"


def test_compare_prints_plain_words_with_a_confidence_interval(ran):
    result = _invoke("compare", "--suite", "t", "m0", "m1", "--workspace", ran, "--scorer", "is_m0")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "95% CI" in text
    assert "On the 8 examples both have, m0 scores 1.000 higher than m1 on 'is_m0'" in text
    assert "Per example: m0 better on 8, worse on 0, equal on 0." in text
    as_json = json.loads(_invoke("compare", "--suite", "t", "m1", "m0", "--workspace", ran, "--scorer", "is_m0",
                                 "--format", "json").stdout)
    assert as_json["diff"] == -1.0 and as_json["n"] == 8


def test_compare_across_suite_versions_says_so_and_compares_only_unchanged_examples(ran, tmp_path):
    """m0 reran after the dataset changed, m1 not: compare paired e000 of one dataset with e000 of another."""
    from suite_factory import write_csv

    def rewrite(changed: int) -> None:
        write_csv(tmp_path / "examples.csv", [
            {"id": f"e{i:03d}", "input": f"question {i}" + (" (new)" * changed if i < changed else ""),
             "expected": "x", "tags": "clean" if i % 2 else "edge, long"} for i in range(8)])
        assert _invoke("run", tmp_path / "suite.yaml", "--workspace", ran, "--candidates", "m0").exit_code == 0

    rewrite(3)
    result = _invoke("compare", "--suite", "t", "m0", "m1", "--workspace", ran, "--scorer", "is_m0")
    assert result.exit_code == 0, result.output
    text = _words(result.stdout)
    assert "were made for different versions of suite 't'" in text and "Only the 5 examples unchanged" in text
    assert "3 changed examples" in text and "On the 5 examples both have" in text
    assert "are left out. To compare on all examples, run both on the current suite: evalcore run SUITE_FILE " \
           "--candidates m0,m1" in text  # it read "To compare on all: Run both ...", a capital mid-sentence
    as_json = json.loads(_invoke("compare", "--suite", "t", "m0", "m1", "--workspace", ran, "--scorer", "is_m0",
                                 "--format", "json").stdout)
    assert as_json["n"] == 5 and as_json["different_suite_versions"]["examples_unchanged"] == 5
    rewrite(8)
    _people_error(_invoke("compare", "--suite", "t", "m0", "m1", "--workspace", ran),
                  "no example is the same in both", "Run both on the current suite: evalcore run SUITE_FILE "
                  "--candidates m0,m1")


def test_compare_unknown_candidate_lists_candidates(ran):
    err = _people_error(_invoke("compare", "--suite", "t", "m0", "gpt-9", "--workspace", ran))
    assert err == "Error: suite 't' has no candidate 'gpt-9'. Known candidates: m0, m1.\n"
    err = _people_error(_invoke("compare", "--suite", "t", "m0", "m00", "--workspace", ran))
    assert err == "Error: suite 't' has no candidate 'm00'. Did you mean 'm0'? Known candidates: m0, m1.\n"


def test_decide_names_a_candidate(ran):
    result = _invoke("decide", "--suite", "t", "--workspace", ran, "--scorer", "is_m0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Pick m0: the best score, 1.000 [") and "credibly ahead" in lines[0]
    assert lines[1] == "  - Computed on the 8 examples all 2 candidates share."
    tied = _invoke("decide", "--suite", "t", "--workspace", ran)
    assert tied.exit_code == 0
    first = tied.stdout.splitlines()[0]
    assert first == "Nothing separates the 2 candidates yet on the 8 examples they share: no pick."
    d = json.loads(_invoke("decide", "--suite", "t", "--workspace", ran, "--scorer", "is_m0",
                           "--format", "json").stdout)
    assert d["status"] == "pick" and d["pick"] == "m0" and d["policy"] == "cheapest" and d["margin"] == 0.02
    best = _invoke("decide", "--suite", "t", "--workspace", ran, "--scorer", "is_m0", "--policy", "best",
                   "--margin", "0.05", "--format", "json")
    assert json.loads(best.stdout)["policy"] == "best" and json.loads(best.stdout)["margin"] == 0.05
    bad = _invoke("decide", "--suite", "t", "--workspace", ran, "--margin", "2")
    assert bad.exit_code == 2


def test_rerun_through_the_cli_uses_the_cache(ran, tmp_path, server):
    server.reset()
    result = _invoke("run", tmp_path / "suite.yaml", "--workspace", ran)
    assert result.exit_code == 0
    assert "0 sent, 16 from cache" in result.stdout and "$0.0000 spent" in result.stdout
    assert server.stats()["requests"] == 0
    assert len(json.loads(_invoke("runs", "--workspace", ran, "--format", "json").stdout)) == 2


def test_public_import_and_compare_through_the_cli(ran, tmp_path):
    path = tmp_path / "public.csv"
    path.write_text("model,benchmark,score,source\nmodel-0,Bench,50,https://example.org/a\n"
                    "model-1,Bench,60,https://example.org/a\n", encoding="utf-8")
    result = _invoke("public", "import", path, "--workspace", ran)
    assert result.exit_code == 0 and "Imported 2 public scores" in result.stdout
    cmp = _invoke("public", "compare", "--suite", "t", "--workspace", ran, "--scorer", "is_m0")
    assert cmp.exit_code == 0, cmp.output
    assert "1 rank flip, 1 of them significant on your data." in cmp.stdout
    # rows are named by candidate, matched to the public table through the model string (openai/model-1)
    assert "Bench: m1 is ahead publicly (+10 on Bench), but m0 is ahead on your task (+1.000 mean score, significant)." in cmp.stdout


# -- the commands people copy ------------------------------------------------------------------------------------


def _readme_steps() -> list[list[str]]:
    """The `evalcore ...` lines of the README's "Your own task in five steps", comments dropped."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Your own task in five steps", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].split() for line in block.splitlines() if line.startswith("evalcore ")]


def test_readme_and_help_commands_run_as_written_on_a_scaffolded_suite(tmp_path, server):
    import yaml

    steps = _readme_steps()
    assert [s[1] for s in steps] == ["init", "validate", "run", "leaderboard", "decide"]
    help_text = _invoke("--help").stdout
    for step in steps:  # --help's typical loop is the same loop
        assert " ".join(step) in _words(help_text), step
    assert _invoke(*steps[0][1:]).exit_code == 0
    suite = tmp_path / "my-task" / "suite.yaml"
    data = yaml.safe_load(suite.read_text(encoding="utf-8"))
    data["candidates"] = [  # the scaffold's real providers need keys: point them at the local server instead
        {"name": n, "model": f"openai/{n}", "api_base": server.base_url, "input_price_per_mtok": 1.0,
         "output_price_per_mtok": 2.0} for n in ("cand-a", "cand-b")
    ]
    data["run"]["backoff_s"] = 0.01
    suite.write_text(yaml.safe_dump(data), encoding="utf-8")
    for step in steps[1:]:
        result = _invoke(*step[1:])
        assert result.exit_code == 0, (step, result.output)
    assert "cand-a" in _invoke(*steps[3][1:]).stdout


def test_a_cached_rerun_says_so_and_spent_nothing(ran):
    assert _invoke("run", Path("suite.yaml").resolve(), "--workspace", ran, "--new").exit_code == 0
    rows = json.loads(_invoke("runs", "--workspace", ran, "--format", "json").stdout)
    by_status = {r["status"]: r for r in rows}  # run ids sort by the second they started: both may share it
    assert sorted(by_status) == ["cached rerun", "finished"]
    assert (by_status["cached rerun"]["sent"], by_status["cached rerun"]["spent_usd"]) == (0, 0.0)
    assert by_status["finished"]["sent"] == 16
    table = _invoke("runs", "--workspace", ran).stdout
    assert "cached rerun" in table and " $0 " in table + " "


def test_tables_read_numbers_the_way_the_dashboard_does():
    from evalcore.cli import render_rows

    rows = [{"candidate": "a", "mean": 0.0, "pass_rate": 0.9423, "cost_per_example_usd": 0.000028342,
             "diff": -0.00001, "latency_p50_ms": 1234.0, "tied_with": ["b", "c"]}]
    cols = [(k, k) for k in rows[0]]
    table = render_rows(rows, cols, "table").splitlines()[2]
    assert table.split() == ["a", "0.000", "94%", "$0.0000283", "0.000", "1.2", "s", "b,", "c"]
    assert "b; c" in render_rows(rows, cols, "csv") and "['b'" not in render_rows(rows, cols, "csv")
    assert json.loads(render_rows(rows, cols, "json"))[0]["tied_with"] == ["b", "c"]



# -- failures a user must see at once -----------------------------------------------------------------------------


def test_run_with_a_missing_key_exits_2_before_sending_and_names_the_variable(tmp_path, server, monkeypatch):
    monkeypatch.delenv("EVALCORE_CLI_ABSENT", raising=False)
    make_suite(tmp_path, server.base_url, ["a", "b"], candidate_extra={"api_key_env": "EVALCORE_CLI_ABSENT"})
    result = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    _people_error(result, "EVALCORE_CLI_ABSENT", "candidate 'm0'", "candidate 'm1'", "--allow-missing-keys")
    assert server.stats()["requests"] == 0


def test_run_with_a_broken_secrets_file_stops_before_sending_and_names_its_line(tmp_path, server):
    """A typo in .streamlit/secrets.toml was ignored: every key in it stayed unset and the calls failed on "no API
    key" with the file never named. Its value never reaches the message."""
    make_suite(tmp_path, server.base_url, ["a", "b"])
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('OPENAI_API_KEY = "sk-secret-123"\nANTHROPIC_API_KEY = sk-ant\n')
    result = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    err = _people_error(result, ".streamlit/secrets.toml", "not valid TOML", "line 2", "environment variables")
    assert "sk-secret" not in err and "sk-ant" not in err and "sk-secret" not in result.output
    assert server.stats()["requests"] == 0
    (tmp_path / ".streamlit" / "secrets.toml").write_bytes(b'OPENAI_API_KEY = "ok"\n# caf\xe9\n')
    _people_error(_invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws"),
                  "secrets.toml, line 2: not UTF-8 text (byte 0xe9)")


def test_run_summary_says_what_was_really_sent_and_what_to_do_per_kind(tmp_path, server, monkeypatch):
    monkeypatch.delenv("EVALCORE_CLI_ABSENT", raising=False)
    make_suite(tmp_path, server.base_url, ["fine", "huge [[ctx]]"], candidates=1,
               candidate_extra={"api_key_env": "EVALCORE_CLI_ABSENT"})
    skipped = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws", "--allow-missing-keys")
    assert skipped.exit_code == 1, skipped.output  # every result is an error
    assert "(0 sent, 0 from cache, 0 already done, 2 not sent)" in skipped.stdout
    assert "Stopped candidate 'm0'" in skipped.stderr and "EVALCORE_CLI_ABSENT" in skipped.stderr
    assert server.stats()["requests"] == 0

    monkeypatch.setenv("EVALCORE_CLI_ABSENT", "sk-fine-0000")
    ran = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert ran.exit_code == 0, ran.output
    assert "(2 sent, 0 from cache, 0 already done), 1 errors" in ran.stdout
    assert "context_window" in ran.stderr and "context window" in ran.stderr and "--retry-errors" in ran.stderr
    assert server.stats()["requests"] == 2

    again = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert "(0 sent, 2 from cache" in again.stdout and server.stats()["requests"] == 2  # final: not resent
    retried = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws", "--retry-errors")
    assert "(1 sent, 1 from cache" in retried.stdout and server.stats()["requests"] == 3


def test_run_summary_says_whose_cost_is_unknown_not_only_the_known_dollars(tmp_path, server):
    """"$0.0000 spent" read as free although m1's 2 answers have no known price (unknown is said, never $0)."""
    make_suite(tmp_path, server.base_url, ["one", "two"])
    data = yaml.safe_load((tmp_path / "suite.yaml").read_text(encoding="utf-8"))
    data["candidates"][1].update(input_price_per_mtok=None, output_price_per_mtok=None)
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    ran = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert ran.exit_code == 0, ran.output
    assert " spent plus an unknown amount for m1 (2 answers, no price known), " in ran.stdout, ran.stdout
    assert "4/4 done" in ran.stderr and "+ unknown for 2 answers with no known price" in ran.stderr  # progress too
    again = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert "unknown" not in again.stdout  # cached answers cost nothing


def test_run_reports_judge_calls_and_judge_failures(tmp_path, server):
    judge = {"type": "llm_judge", "name": "judge", "model": "openai/missing-judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    make_suite(tmp_path, server.base_url, ["a", "b"], candidates=1, scorers=[judge])
    result = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert "2 judge calls (2 failed)" in result.stdout
    assert "Judge failures: 2 (not_found: 2)" in result.stderr and "missing-judge" in result.stderr


# -- mistakes in the files people write: the exact message, exit 2, nothing written (issue 9) -------------------------


def _scaffold_with(tmp_path, old: str, new: str, count: int = 1) -> tuple[Path, int]:
    """The scaffolded suite with `old` replaced by `new` (`count` times); returns the file and the line of the
    first replacement."""
    assert _invoke("init", tmp_path / "proj").exit_code == 0
    path = tmp_path / "proj" / "suite.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path, line


def _nothing_written(tmp_path) -> None:
    assert not (tmp_path / "ws").exists() and not (tmp_path / "data").exists()


@pytest.mark.parametrize("written,why", [
    ("2025-13-45", " (month must be in 1..12)"),
    ("2025-02-30", " (day is out of range for month)"),
    ("10/01/2025", ""),
    ('"1721260800"', ""),  # a string of digits is not seconds since 1970
    ("1721260800", ""),
])
def test_an_impossible_release_date_names_file_line_candidate_and_the_format(tmp_path, written, why):
    path, line = _scaffold_with(tmp_path, "release: 2024-07-18", f"release: {written}")
    err = _people_error(_invoke("validate", path))
    shown = written.strip('"') if written.startswith('"') or "/" in written or "-" in written else int(written)
    assert err == (f"Error: {path}, line {line}: candidates.0.release (candidate 'gpt-4o-mini'): {shown!r} is not a "
                   f"date{why}; write the release date as YYYY-MM-DD, e.g. 2026-02-01.\n")
    _nothing_written(tmp_path)


def test_repeats_true_is_not_read_as_one(tmp_path):
    path, line = _scaffold_with(tmp_path, "repeats: 1 ", "repeats: true ")
    assert _people_error(_invoke("validate", path)) == (
        f"Error: {path}, line {line}: repeats: true is not a number; write a number.\n")


def test_every_typo_of_a_suite_file_is_reported_at_once_with_its_line(tmp_path):
    (tmp_path / "examples.csv").write_text("id,input\n1,hello\n", encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text(
        "name: t\n"
        "prompt: 'Q: {{ input }}'\n"
        "dataset: examples.csv\n"
        "candidates:\n"
        "  - name: a\n"
        "    model: openai/a\n"
        "    api_key_envv: A_KEY\n"
        "  - name: b\n"
        "    model: openai/b\n"
        "    api_key_envv: B_KEY\n"
        "  - name: c\n"
        "    model: openai/c\n"
        "    api_key_envv: C_KEY\n", encoding="utf-8")
    assert _people_error(_invoke("validate", path)) == (
        f"Error: {path}, line 7: unknown key 'candidates.0.api_key_envv' (candidate 'a'). Did you mean 'api_key_env'? "
        "(3 problems in all)\n"
        "  - line 10: unknown key 'candidates.1.api_key_envv' (candidate 'b'). Did you mean 'api_key_env'?\n"
        "  - line 13: unknown key 'candidates.2.api_key_envv' (candidate 'c'). Did you mean 'api_key_env'?\n")
    _nothing_written(tmp_path)


def test_a_misspelt_scorer_type_suggests_the_one_meant(tmp_path):
    path, line = _scaffold_with(tmp_path, "type: exact", "type: exakt")
    assert _people_error(_invoke("validate", path)) == (
        f"Error: {path}, line {line}: scorers.0: unknown scorer type 'exakt'. Did you mean 'exact'? Use one of: exact, "
        "contains, regex, json_valid, json_schema, json_fields, numeric, python, llm_judge.\n")


def test_a_misspelt_candidate_name_suggests_the_closest_and_writes_nothing(tmp_path):
    path, _ = _scaffold_with(tmp_path, "name: claude-haiku", "name: claude-haiku")
    err = _people_error(_invoke("run", path, "--workspace", tmp_path / "ws", "--candidates", "gpt-4o-mni"))
    assert err == ("Error: suite 'proj' has no candidate named 'gpt-4o-mni'. Did you mean 'gpt-4o-mini'? Known "
                   "candidates: gpt-4o-mini, claude-haiku.\n")
    _nothing_written(tmp_path)


def test_a_wrong_template_variable_lists_each_variable_once_and_suggests_one(tmp_path):
    path, _ = _scaffold_with(tmp_path, "{{ channel }}", "{{ chanel }}")
    assert _people_error(_invoke("validate", path)) == (
        f"Error: {tmp_path / 'proj' / 'examples.csv'}, row 1: the prompt uses a variable the dataset does not have "
        "('chanel' is undefined). Did you mean 'channel'? Variables available: channel, expected, id, input, tags.\n")


def _suite_with_an_empty_input(tmp_path, *, tags: str = "clean", allow: bool = False) -> Path:
    (tmp_path / "examples.csv").write_text(f"id,input,tags\ne1,hello,clean\ne2,,{tags}\n", encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text("name: t\nprompt: '{{ input }}'\ndataset: examples.csv\n"
                    "candidates:\n  - {name: a, model: openai/a}\n" + ("allow_empty_input: true\n" if allow else ""),
                    encoding="utf-8")
    return path


def test_an_empty_input_is_refused_by_default_naming_the_ways_to_allow_it(tmp_path):
    path = _suite_with_an_empty_input(tmp_path)
    assert _people_error(_invoke("validate", path)) == (
        "Error: examples.csv, row 2, column 'input': the input is empty. Fill it in or delete the row; to test an "
        "empty input on purpose, tag the row 'empty-input' or set `allow_empty_input: true` in the suite. Nothing was loaded.\n")
    _nothing_written(tmp_path)


@pytest.mark.parametrize("how", ["tag", "suite"])
def test_an_empty_input_is_accepted_when_the_suite_or_its_tag_says_so(tmp_path, server, how):
    path = _suite_with_an_empty_input(tmp_path, tags="empty-input" if how == "tag" else "clean",
                                      allow=how == "suite")
    result = _invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "(2 examples)" in result.stdout
    text = path.read_text(encoding="utf-8").replace("{name: a, model: openai/a}",
                                                    f"{{name: a, model: openai/a, api_base: '{server.base_url}'}}")
    path.write_text(text, encoding="utf-8")
    ran = _invoke("run", path, "--workspace", tmp_path / "ws")
    assert ran.exit_code == 0, ran.output
    assert server.stats()["requests"] == 2  # the empty message was sent, as the suite asked


def test_leaderboard_of_an_unknown_run_is_an_error_not_an_empty_table(ran):
    run_id = json.loads(_invoke("runs", "--workspace", ran, "--format", "json").stdout)[0]["run_id"]
    err = _people_error(_invoke("leaderboard", "--suite", "t", "--workspace", ran, "--run", "2026XXXX"))
    assert err == f"Error: suite 't' has no run '2026XXXX'. Known runs: {run_id}.\n"
    typo = run_id[:-1]
    err = _people_error(_invoke("leaderboard", "--suite", "t", "--workspace", ran, "--run", typo))
    assert err == f"Error: suite 't' has no run '{typo}'. Did you mean '{run_id}'? Known runs: {run_id}.\n"


@pytest.mark.parametrize("command", [
    ["leaderboard"], ["decide"], ["tags"], ["runs"], ["show"], ["compare", "m0", "m1"], ["public", "compare"],
    ["labels", "agreement"], ["labels", "import", "labels.csv"], ["gate", "--candidate", "m0", "--baseline", "m1"],
])
def test_every_read_command_names_the_closest_suite_for_a_typo(ran, command):
    err = _people_error(_invoke(*command, "--suite", "tt", "--workspace", ran))
    assert err == "Error: this workspace has no suite 'tt'. Did you mean 't'? Known suites: t.\n"


@pytest.mark.parametrize("command", [
    ["leaderboard"], ["decide"], ["tags"], ["show"], ["compare", "m0", "m1"], ["labels", "agreement"],
    ["gate", "--candidate", "m0", "--baseline", "m1"],
])
def test_the_suite_may_be_left_out_when_the_workspace_has_one(ran, command):
    named = _invoke(*command, "--suite", "t", "--workspace", ran)
    implied = _invoke(*command, "--workspace", ran)
    assert (implied.exit_code, implied.stdout) == (named.exit_code, named.stdout)
    assert implied.stdout.strip()


def test_a_workspace_with_several_suites_asks_which(ran, tmp_path, server):
    other = tmp_path / "other"
    other.mkdir()
    make_suite(other, server.base_url, ["a"], extra={"name": "u"})
    assert _invoke("run", other / "suite.yaml", "--workspace", ran).exit_code == 0
    err = _people_error(_invoke("leaderboard", "--workspace", ran))
    assert err == "Error: this workspace has 2 suites: name one with --suite. Suites: t, u.\n"
    assert _invoke("leaderboard", "--workspace", ran, "--suite", "u").exit_code == 0


def test_a_workspace_with_no_results_says_there_is_no_suite_yet(tmp_path):
    (tmp_path / "ws").mkdir()
    _people_error(_invoke("decide", "--workspace", tmp_path / "ws"), "no results yet", "evalcore run")


def test_labels_export_of_an_unknown_suite_writes_no_file(ran, tmp_path):
    err = _people_error(_invoke("labels", "export", tmp_path / "out.csv", "--suite", "tt", "--workspace", ran))
    assert err == "Error: this workspace has no suite 'tt'. Did you mean 't'? Known suites: t.\n"
    assert not (tmp_path / "out.csv").exists()


def test_show_and_gate_suggest_the_closest_candidate(ran):
    known = "Known candidates: m0, m1.\n"
    assert _people_error(_invoke("show", "--suite", "t", "--workspace", ran, "--candidate", "m00")) == (
        f"Error: suite 't' has no candidate 'm00'. Did you mean 'm0'? {known}")
    assert _people_error(_invoke("gate", "--suite", "t", "--workspace", ran, "--candidate", "m00", "--baseline",
                                 "m1")) == f"Error: suite 't' has no candidate 'm00'. Did you mean 'm0'? {known}"


def test_a_scorer_with_no_readable_values_says_why_instead_of_an_empty_table(tmp_path, server):
    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    # the server answers the directive verbatim, to the candidate and to the judge (whose prompt quotes it)
    make_suite(tmp_path, server.base_url, ["[[reply:no verdict here]] a", "[[reply:no verdict here]] b"],
               candidates=1, scorers=[{"type": "contains", "value": "verdict"}, judge])
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws").exit_code == 0
    for command in ("leaderboard", "decide", "tags"):
        err = _people_error(_invoke(command, "--suite", "t", "--scorer", "judge", "--workspace", tmp_path / "ws"))
        assert err == (
            "Error: scorer 'judge' of suite 't' has no readable values in the candidates' latest runs: all 2 of its "
            "scores are missing: 2 judge reply unreadable (e.g. judge reply has no rating 1-5; expected JSON like "
            "{\"reasoning\": \"...\", \"rating\": 4}, got: 'no verdict here'). Scorer 'contains' has values: pick it "
            "in the Scorer box or with --scorer contains. Or: fix the cause (for a judge: its model, "
            "key, or a rubric that asks for one rating) and run the suite again: missing scores are retried, stored "
            "answers are not sent again.\n")
    assert _invoke("leaderboard", "--suite", "t", "--workspace", tmp_path / "ws").exit_code == 0  # the other scorer


def test_gate_with_a_mistyped_baseline_run_suggests_the_run(ran):
    run_id = json.loads(_invoke("runs", "--workspace", ran, "--format", "json").stdout)[0]["run_id"]
    err = _people_error(_invoke("gate", "--suite", "t", "--workspace", ran, "--candidate", "m0", "--baseline",
                                run_id[:-1]))
    assert err == (f"Error: --baseline '{run_id[:-1]}' is neither a run of suite 't' nor one of its candidates. Did you "
                   f"mean '{run_id}'? Candidates: m0 and m1; runs: `evalcore runs --suite t`.\n")


def test_a_scorer_the_latest_runs_did_not_use_is_said_not_an_empty_table(tmp_path, server):
    make_suite(tmp_path, server.base_url, ["a", "b"], scorers=[{"type": "contains", "value": "says", "name": "old"}])
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws").exit_code == 0
    import time

    time.sleep(1.05)  # run ids sort by the second they started in (then a random suffix)
    make_suite(tmp_path, server.base_url, ["a", "b"], scorers=[{"type": "contains", "value": "says", "name": "new"}])
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws").exit_code == 0
    err = _people_error(_invoke("leaderboard", "--suite", "t", "--scorer", "old", "--workspace", tmp_path / "ws"))
    assert err == ("Error: scorer 'old' has no scores in the candidates' latest runs of suite 't' (they did not use it, "
                   "or an import left it unscored). Pick another --scorer, or add it to the suite and run again (stored "
                   "answers are not sent again); --run RUN_ID reads an older run.\n")


def test_show_with_an_unknown_tag_is_an_error_listing_the_tags(ran):
    """It printed "No results match" and exited 0, as if the tag existed and nothing failed."""
    _people_error(_invoke("show", "--suite", "t", "--tag", "nope", "--workspace", ran),
                  "suite 't' has no tag 'nope'", "Known tags: clean, edge, long")
    ok = _invoke("show", "--suite", "t", "--tag", "edge", "--workspace", ran, "--limit", "1")
    assert ok.exit_code == 0 and "tags: edge, long" in ok.stdout


def test_show_says_an_output_is_for_another_version_once_per_candidate_not_per_repeat(tmp_path, server):
    from suite_factory import write_csv

    make_suite(tmp_path, server.base_url, ["hello", "world"], repeats=3)
    ws = tmp_path / "ws"
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", ws).exit_code == 0
    write_csv(tmp_path / "examples.csv", [{"id": "e000", "input": "changed", "expected": "x", "tags": ""},
                                          {"id": "e001", "input": "world", "expected": "x", "tags": ""}])
    assert _invoke("run", tmp_path / "suite.yaml", "--workspace", ws, "--candidates", "m0").exit_code == 0
    out = _invoke("show", "--suite", "t", "--example", "e000", "--workspace", ws)
    assert out.exit_code == 0, out.output
    assert out.stdout.count("made for an older version") == 1
    assert "--- m1: made for an older version" in out.stdout and out.stdout.count("--- m1 repeat") == 3


def test_validate_warns_of_a_nul_character_naming_row_and_column(tmp_path):
    """A NUL byte in a dataset cell was accepted without a word ("Suite 's1' is valid.")."""
    assert _invoke("init", tmp_path / "s1").exit_code == 0
    data = tmp_path / "s1" / "examples.csv"
    lines = data.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("export", "exp\x00ort")
    data.write_text("".join(lines))
    out = _invoke("validate", tmp_path / "s1" / "suite.yaml")
    assert out.exit_code == 0, out.output
    assert "1 cell(s) of examples.csv hold a NUL character (\\x00): row 2, column 'input'" in _words(out.stdout)


def test_run_warns_of_a_nul_character_before_sending(tmp_path, server):
    """`validate` warned of a NUL byte in a cell but `run` sent it to every candidate without a word."""
    make_suite(tmp_path, server.base_url, ["fine", "exp\x00ort"], candidates=1)
    out = _invoke("run", tmp_path / "suite.yaml", "--workspace", tmp_path / "ws")
    assert out.exit_code == 0, out.output
    err = _words(out.stderr)
    warning = "1 cell(s) of examples.csv hold a NUL character (\\x00): row 2, column 'input'"
    assert warning in err, out.stderr
    assert err.index(warning) < err.index(" done, "), out.stderr  # before the first call is counted
    assert server.stats()["requests"] == 2


def test_show_lists_outputs_imported_without_their_judge_as_not_scored(tmp_path, server):
    """Audit 5: `show` exited 2 on outputs imported without --judge, so nobody could read what was imported."""
    import csv

    from evalcore.outputs_import import import_outputs

    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    suite = make_suite(tmp_path, server.base_url, ["a", "b"], scorers=[judge])
    with open(tmp_path / "out.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["example_id", "candidate", "output"])
        w.writeheader()
        w.writerows({"example_id": e, "candidate": c, "output": f"answer of {c} to {e}"}
                    for e in ("e000", "e001") for c in ("m0", "m1"))
    import_outputs(tmp_path / "out.csv", suite, tmp_path / "ws")
    res = _invoke("show", "--suite", "t", "--workspace", tmp_path / "ws")
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith("Note: ") and "--judge" in res.stderr
    assert "answer of m1 to e001" in res.stdout and "--- m0: no scores" in res.stdout
    one = _invoke("show", "--suite", "t", "--workspace", tmp_path / "ws", "--example", "e000", "--candidate", "m1")
    assert one.exit_code == 0 and "answer of m1 to e000" in one.stdout and "answer of m0" not in one.stdout
    failing = _invoke("show", "--suite", "t", "--workspace", tmp_path / "ws", "--failing")
    assert failing.exit_code == 0 and "No failing results match" in failing.stdout  # no call failed; none scored
