"""Tests for evalcore.suite (the suite.yaml model and loader) and evalcore.scaffold (`evalcore init`)."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from evalcore.errors import EvalcoreError, SuiteError
from evalcore.ingest import load_examples
from evalcore.scaffold import scaffold
from evalcore.suite import Candidate, Message, RegexScorer, load_suite, parse_suite

# The keys a person may write at the top of suite.yaml (base_dir is set by the loader, not the file).
TOP_LEVEL_KEYS = {"name", "description", "prompt", "dataset", "columns", "candidates", "scorers", "repeats",
                  "human", "run"}


def minimal(**overrides: Any) -> dict[str, Any]:
    """The smallest valid suite, as parsed YAML."""
    data: dict[str, Any] = {
        "name": "triage",
        "prompt": "Route this ticket: {{ input }}",
        "dataset": "examples.csv",
        "candidates": [{"name": "small", "model": "openai/gpt-4o-mini"}],
    }
    data.update(overrides)
    return data


def rejected(data: Any) -> str:
    """The message of the SuiteError that parsing `data` raises."""
    with pytest.raises(SuiteError) as info:
        parse_suite(data)
    return str(info.value)


def write_suite(directory: Path, data: dict[str, Any], name: str = "suite.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# -- defaults and shapes ------------------------------------------------------------------------------------

def test_minimal_suite_loads_with_defaults():
    suite = parse_suite(minimal())
    assert suite.name == "triage" and suite.description == ""
    assert (suite.columns.id, suite.columns.input, suite.columns.expected, suite.columns.tags) == (
        "id", "input", "expected", "tags")
    assert suite.human == "Would you be comfortable showing this to a user?"
    assert suite.repeats == 1
    assert suite.scorers == []
    run = suite.run
    assert (run.concurrency, run.per_candidate, run.timeout_s, run.max_attempts, run.backoff_s) == (
        16, 8, 60.0, 5, 0.5)
    c = suite.candidates[0]
    assert c.params == {} and c.release is None and c.api_key_env is None
    assert c.family_name == "small"  # family defaults to the name


def test_prompt_string_becomes_one_user_message():
    suite = parse_suite(minimal(prompt="Q: {{ input }}"))
    assert suite.messages == [Message(role="user", content="Q: {{ input }}")]


def test_prompt_list_of_messages_kept_in_order():
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{ input }}"}]
    suite = parse_suite(minimal(prompt=prompt))
    assert [(m.role, m.content) for m in suite.messages] == [("system", "Be brief."), ("user", "{{ input }}")]


def test_prompt_message_with_unknown_role_rejected():
    message = rejected(minimal(prompt=[{"role": "robot", "content": "x"}]))
    assert message.startswith("suite.yaml: prompt.0.role: Input should be 'system', 'user' or 'assistant'")
    assert "str" not in message.split(":")[1]  # not pydantic's "prompt.str" union branch


def test_prompt_message_without_content_names_the_message():
    message = rejected(minimal(prompt=[{"role": "system", "content": "Be brief."}, {"role": "user"}]))
    assert message.startswith("suite.yaml: prompt.1.content: this key is required and missing.")


@pytest.mark.parametrize("prompt", ["", "   ", [], [{"role": "user", "content": " "}]])
def test_empty_prompt_rejected(prompt):
    assert "empty" in rejected(minimal(prompt=prompt)) or "no messages" in rejected(minimal(prompt=prompt))


def test_dataset_path_resolves_relative_to_the_suite_file(tmp_path, monkeypatch):
    path = write_suite(tmp_path / "suites" / "triage", minimal(dataset="data/examples.csv"))
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    suite = load_suite(path)
    expected = (tmp_path / "suites" / "triage" / "data" / "examples.csv").resolve()
    assert suite.dataset_path.resolve() == expected
    assert suite.base_dir.is_absolute()


def test_absolute_dataset_path_is_kept_inside_an_allowed_data_folder(tmp_path, monkeypatch):
    absolute = tmp_path / "elsewhere" / "examples.jsonl"
    suite = load_suite(write_suite(tmp_path / "s", minimal(dataset=str(absolute))))
    with pytest.raises(SuiteError, match="outside the suite's folder"):
        suite.dataset_path
    monkeypatch.setenv("EVALCORE_DATA_DIRS", str(tmp_path / "elsewhere"))
    assert suite.dataset_path == absolute


def test_base_dir_is_not_written_by_model_dump():
    assert "base_dir" not in parse_suite(minimal()).model_dump()


# -- unknown keys: the path and the key that was probably meant ------------------------------------------

def test_misspelt_top_level_key_suggests_the_close_key():
    data = minimal()
    data["candidate"] = data.pop("candidates")
    message = rejected(data)
    assert "unknown key 'candidate'" in message
    assert "Did you mean 'candidates'?" in message


def test_extra_top_level_key_names_it_and_lists_allowed_keys():
    message = rejected(minimal(zzzz=1))
    assert "unknown key 'zzzz'" in message
    assert "Allowed keys here:" in message and "candidates" in message
    assert "base_dir" not in message


def test_unknown_key_inside_candidate_names_path_and_suggests():
    data = minimal()
    data["candidates"].append({"name": "big", "model": "openai/gpt-4o", "relase": "2024-05-13"})
    message = rejected(data)
    assert "unknown key 'candidates.1.relase'" in message
    assert "Did you mean 'release'?" in message


def test_unknown_key_inside_scorer_names_path_and_suggests():
    message = rejected(minimal(scorers=[{"type": "regex", "patern": "x", "pattern": "x"}]))
    assert "unknown key 'scorers.0.regex.patern'" in message
    assert "Did you mean 'pattern'?" in message


def test_misspelt_required_scorer_key_suggests_the_close_key():
    message = rejected(minimal(scorers=[{"type": "regex", "patern": "x"}]))
    assert "Did you mean 'pattern'?" in message


def test_unknown_key_inside_aliased_scorer_suggests_the_alias():
    message = rejected(minimal(scorers=[{"type": "json_schema", "schema": {}, "shcema": {}}]))
    assert "Did you mean 'schema'?" in message


def test_unknown_key_inside_run_names_path_and_suggests():
    message = rejected(minimal(run={"concurency": 4}))
    assert "unknown key 'run.concurency'" in message
    assert "Did you mean 'concurrency'?" in message


def test_unknown_key_inside_columns_suggests():
    message = rejected(minimal(columns={"inptu": "question"}))
    assert "unknown key 'columns.inptu'" in message
    assert "Did you mean 'input'?" in message


def test_misspelt_key_inside_a_prompt_message_is_named():
    message = rejected(minimal(prompt=[{"role": "user", "contnet": "{{ input }}"}]))
    assert "contnet" in message


def test_base_dir_in_the_file_is_rejected_not_silently_ignored():
    # base_dir is set by the loader; a file that writes it must hear so, not have it silently overwritten.
    message = rejected(minimal(base_dir="/etc"))
    assert "unknown key 'base_dir'" in message


@settings(max_examples=60, deadline=None)
@given(extra=st.dictionaries(
    keys=st.text(min_size=1, max_size=12).filter(lambda k: k not in TOP_LEVEL_KEYS),
    values=st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)),
    min_size=1, max_size=4,
))
@example(extra={"base_dir": "."})
@example(extra={"Name": "x"})
@example(extra={"candidates ": []})
def test_any_extra_top_level_keys_are_rejected(extra):
    with pytest.raises(SuiteError) as info:
        parse_suite({**minimal(), **extra})
    message = str(info.value)
    assert any(f"unknown key '{k}'" in message for k in extra), message


# -- scorers ----------------------------------------------------------------------------------------------

def test_unknown_scorer_type_lists_valid_types():
    message = rejected(minimal(scorers=[{"type": "bleu"}]))
    assert "unknown scorer type 'bleu'" in message
    for kind in ("exact", "contains", "regex", "json_valid", "json_schema", "json_fields", "numeric", "python",
                 "llm_judge"):
        assert kind in message


def test_invalid_regex_rejected_at_load_time():
    message = rejected(minimal(scorers=[{"type": "regex", "pattern": "(["}]))
    assert "scorers.0.regex.pattern" in message
    assert "invalid regular expression" in message


def test_valid_regex_is_kept():
    suite = parse_suite(minimal(scorers=[{"type": "regex", "pattern": r"^\d+$", "ignore_case": True}]))
    assert suite.scorers[0] == RegexScorer(type="regex", pattern=r"^\d+$", ignore_case=True)
    assert suite.scorers[0].label == "regex"


def test_duplicate_scorer_names_rejected():
    message = rejected(minimal(scorers=[{"type": "contains", "value": "a"}, {"type": "contains", "value": "b"}]))
    assert "scorer name 'contains' is used twice" in message


def test_scorer_name_clashing_with_another_scorers_type_rejected():
    message = rejected(minimal(scorers=[{"type": "exact"}, {"type": "contains", "name": "exact"}]))
    assert "scorer name 'exact' is used twice" in message


def test_same_scorer_type_twice_with_distinct_names_accepted():
    suite = parse_suite(minimal(scorers=[{"type": "contains", "value": "a", "name": "has-a"},
                                         {"type": "contains", "value": "b", "name": "has-b"}]))
    assert [s.label for s in suite.scorers] == ["has-a", "has-b"]


# -- candidates -------------------------------------------------------------------------------------------

def test_duplicate_candidate_names_rejected():
    data = minimal()
    data["candidates"].append({"name": "small", "model": "openai/gpt-4o"})
    assert "candidate name 'small' is used twice" in rejected(data)


@pytest.mark.parametrize("key", ["api_key", "key", "token", "Token", "API_KEY", "apikey", "authorization"])
def test_secret_in_candidate_params_rejected_pointing_at_api_key_env(key):
    data = minimal()
    data["candidates"][0]["params"] = {"temperature": 0, key: "sk-secret"}
    message = rejected(data)
    assert "candidates.0.params" in message
    assert f"'{key}'" in message and "api_key_env" in message
    assert "sk-secret" not in message


@pytest.mark.parametrize("params", [
    {"extra_headers": {"Authorization": "Bearer sk-secret"}},
    {"extra_headers": {"x-api-key": "sk-secret"}},
    {"extra_body": {"auth": [{"token": "sk-secret"}]}},
])
def test_secret_nested_in_candidate_params_rejected(params):
    data = minimal()
    data["candidates"][0]["params"] = params
    message = rejected(data)
    assert "candidates.0.params" in message and "api_key_env" in message and "sk-secret" not in message


def test_secret_in_judge_params_rejected_pointing_at_api_key_env():
    # The judge's params are written into the run manifest like the candidates' are.
    judge = {"type": "llm_judge", "model": "openai/gpt-4o", "rubric": "5: perfect; 1: wrong.",
             "params": {"api_key": "sk-secret"}}
    message = rejected(minimal(scorers=[judge]))
    assert "'api_key'" in message and "api_key_env" in message
    assert "sk-secret" not in message


def test_candidate_with_api_key_env_accepted():
    data = minimal()
    data["candidates"][0]["api_key_env"] = "OPENAI_API_KEY"
    assert parse_suite(data).candidates[0].api_key_env == "OPENAI_API_KEY"


def test_candidate_release_parses_iso_date_from_yaml(tmp_path):
    text = yaml.safe_dump(minimal()).replace("name: small", "name: small\n  release: 2024-07-18")
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_suite(path).candidates[0].release == date(2024, 7, 18)


def test_candidate_release_parses_iso_date_string():
    data = minimal()
    data["candidates"][0]["release"] = "2024-10-22"
    assert parse_suite(data).candidates[0].release == date(2024, 10, 22)


@pytest.mark.parametrize("number", [0, 20260201, 1.5])
def test_candidate_release_as_a_number_is_not_read_as_seconds_since_1970(number):
    data = minimal()
    data["candidates"][0]["release"] = number
    assert "is not a date; write the release date as YYYY-MM-DD" in rejected(data)


@pytest.mark.parametrize("garbage", ["soon", "2024-13-01", "2024-02-30", "18/07/2024", ""])
def test_candidate_release_garbage_rejected(garbage):
    data = minimal()
    data["candidates"][0]["release"] = garbage
    assert "candidates.0.release" in rejected(data)


@pytest.mark.parametrize("bad", ["my model", "a/b", "../up", ".hidden", "-dash", "", "x" * 81, "back\\slash"])
def test_candidate_names_that_cannot_be_directory_names_rejected(bad):
    data = minimal()
    data["candidates"][0]["name"] = bad
    assert "candidates.0.name" in rejected(data)


@pytest.mark.parametrize("bad", ["my suite", "team/triage", "..", "tri:age"])
def test_suite_names_that_cannot_be_directory_names_rejected(bad):
    message = rejected(minimal(name=bad))
    assert message.startswith(f"suite.yaml: name: {bad!r} must start with a letter or digit")
    assert "[A-Za-z" not in message  # says what is allowed, not the regular expression


@pytest.mark.parametrize("good", ["gpt-4o-mini", "claude_3.5", "A1", "x" * 80])
def test_candidate_names_made_of_safe_characters_accepted(good):
    data = minimal()
    data["candidates"][0]["name"] = good
    assert parse_suite(data).candidates[0].name == good


def test_candidate_lookup_by_name_lists_known_names_when_missing():
    suite = parse_suite(minimal())
    assert suite.candidate("small").model == "openai/gpt-4o-mini"
    with pytest.raises(SuiteError) as info:
        suite.candidate("large")
    assert "Known candidates: small." in str(info.value)


def test_suite_needs_at_least_one_candidate():
    assert "candidates" in rejected(minimal(candidates=[]))


def test_negative_price_rejected():
    data = minimal()
    data["candidates"][0]["input_price_per_mtok"] = -1
    assert "candidates.0.input_price_per_mtok" in rejected(data)


def test_loaded_candidates_cannot_be_changed():
    c = Candidate(name="a", model="openai/x")
    with pytest.raises(ValidationError):
        c.model = "openai/y"  # type: ignore[misc]


# -- config hash ------------------------------------------------------------------------------------------

def test_config_hash_changes_with_prompt():
    assert parse_suite(minimal()).config_hash() != parse_suite(minimal(prompt="Other: {{ input }}")).config_hash()


def test_config_hash_changes_with_scorers():
    base = parse_suite(minimal(scorers=[{"type": "exact"}])).config_hash()
    assert base != parse_suite(minimal()).config_hash()
    assert base != parse_suite(minimal(scorers=[{"type": "exact", "case_sensitive": False}])).config_hash()
    assert base != parse_suite(minimal(scorers=[{"type": "contains"}])).config_hash()


def test_config_hash_ignores_candidates_and_run_settings():
    base = parse_suite(minimal()).config_hash()
    more = minimal(run={"concurrency": 2}, repeats=3)
    more["candidates"] = [{"name": "big", "model": "openai/gpt-4o", "params": {"temperature": 1}},
                          {"name": "local", "model": "openai/llama", "api_base": "http://127.0.0.1:1/v1"}]
    assert parse_suite(more).config_hash() == base


def test_config_hash_is_stable_across_loads(tmp_path):
    path = write_suite(tmp_path, minimal(scorers=[{"type": "json_schema", "schema": {"type": "object"}}]))
    assert load_suite(path).config_hash() == load_suite(path).config_hash()


# -- loading files ------------------------------------------------------------------------------------------

def test_invalid_yaml_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text("name: triage\nprompt: [unclosed\ndataset: x.csv\n", encoding="utf-8")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(path) in str(info.value)
    assert "not valid YAML" in str(info.value)
    assert f"{path}, line 3: not valid YAML (column 8)" in str(info.value)  # a YAML file has lines, not rows
    assert info.value.line == 3


def test_missing_file_error_hints_evalcore_init(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(path) in str(info.value)
    assert "evalcore init" in str(info.value)


def test_file_that_is_not_a_mapping_rejected(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(path) in str(info.value) and "mapping" in str(info.value)


def test_non_utf8_file_rejected_with_hint(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert "UTF-8" in str(info.value)


def test_validation_error_from_file_names_the_file(tmp_path):
    path = write_suite(tmp_path, minimal(run={"concurency": 4}))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(info.value) == f"{path}, line 8: unknown key 'run.concurency'. Did you mean 'concurrency'?"


# -- evalcore init -------------------------------------------------------------------------------------------

def test_scaffolded_suite_and_dataset_load(tmp_path):
    written = scaffold(tmp_path / "project")
    assert sorted(p.name for p in written) == ["examples.csv", "suite.yaml"]
    suite = load_suite(tmp_path / "project" / "suite.yaml")
    assert [c.name for c in suite.candidates] == ["gpt-4o-mini", "claude-haiku"]
    assert all(c.api_key_env and c.release for c in suite.candidates)
    assert [s.label for s in suite.scorers] == ["exact", "contains"]
    examples = load_examples(suite.dataset_path, suite.columns)
    assert len(examples) == 6
    assert {e.id for e in examples} == {f"t-00{i}" for i in range(1, 7)}
    by_id = {e.id: e for e in examples}
    assert set(by_id["t-004"].tags) == {"ambiguous", "short"}
    assert by_id["t-001"].expected == "billing"
    # the prompt uses the extra column 'channel', which every example has
    assert all("channel" in e.fields for e in examples)


def test_scaffold_twice_without_force_raises_and_keeps_the_file(tmp_path):
    scaffold(tmp_path)
    (tmp_path / "suite.yaml").write_text("name: mine\n", encoding="utf-8")
    with pytest.raises(EvalcoreError) as info:
        scaffold(tmp_path)
    assert "--force" in str(info.value)
    assert (tmp_path / "suite.yaml").read_text(encoding="utf-8") == "name: mine\n"


def test_scaffold_with_force_overwrites(tmp_path):
    scaffold(tmp_path)
    (tmp_path / "suite.yaml").write_text("name: mine\n", encoding="utf-8")
    (tmp_path / "examples.csv").write_text("id,input\n", encoding="utf-8")
    scaffold(tmp_path, force=True)
    assert load_suite(tmp_path / "suite.yaml").name == tmp_path.name
    assert len(load_examples(tmp_path / "examples.csv")) == 6


def test_scaffold_refuses_when_only_the_dataset_exists(tmp_path):
    (tmp_path / "examples.csv").write_text("id,input\nmine,1\n", encoding="utf-8")
    with pytest.raises(EvalcoreError):
        scaffold(tmp_path)
    assert not (tmp_path / "suite.yaml").exists()


# -- every problem of a suite file names where it is (issue 9) ----------------------------------------------------

from evalcore.scaffold import SUITE_YAML  # noqa: E402

_SCAFFOLD_LINES = SUITE_YAML.replace("name: {name}\n", "name: triage\n", 1).splitlines()
_VALUES = st.one_of(
    st.sampled_from(["2025-13-45", "2025-02-30", "10/01/2025", "'1721260800'", "true", "-3", "1e400", "[]", "{}",
                     "null", "exakt", "''", "'{{ chanel }}'", "[a, b", "*alias", "&a x", "!!python/name:os.system",
                     "'\\u0007'", "|", "- x", "{a: 1, a: 2}", "2024-07-18 10:00:00", "sk-0123456789abcdefghij"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
)


@st.composite
def mutated_suite(draw: Any) -> str:
    """The scaffold's suite with a few edits a person (or a fuzzer) makes: a value replaced, a key misspelt,
    a line removed, duplicated or re-indented."""
    lines = list(_SCAFFOLD_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[i]
        kind = draw(st.sampled_from(["value", "key", "drop", "dup", "indent"]))
        key, sep, _ = line.partition(":")
        if kind == "value" and sep:
            lines[i] = f"{key}: {draw(_VALUES)}"
        elif kind == "key" and sep and key.strip():
            at = draw(st.integers(min_value=0, max_value=len(key)))
            lines[i] = key[:at] + draw(st.sampled_from("xz_v")) + key[at:] + line[len(key):]
        elif kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, line)
        elif kind == "indent":
            lines[i] = "  " + line
        if not lines:
            lines = ["x: 1"]
    return "\n".join(lines) + "\n"


@settings(max_examples=int(os.environ.get("EVALCORE_FUZZ_EXAMPLES", "200")), deadline=None)
@given(text=mutated_suite())
def test_every_suite_error_names_the_file_and_a_line_and_field(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "examples.csv").write_text("id,input,expected,tags,channel\n1,hi,bug,clean,chat\n", encoding="utf-8")
    path = folder / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    n_lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))  # YAML's line breaks
    try:
        load_suite(path)
    except SuiteError as err:
        assert err.file == str(path), err
        assert err.line is not None and 1 <= err.line <= n_lines, (err.line, str(err))
        assert str(err).startswith(f"{path}, line {err.line}: "), str(err)
        for problem in err.problems:
            assert problem.line is not None and 1 <= problem.line <= n_lines, (problem, str(err))
            assert problem.field, problem
        if err.problems:
            assert err.field == err.problems[0].field
    # any other exception (a traceback for people) fails the test


# -- a template error names its message in suite.yaml, not "row 1" -------------------------------------------


def test_a_template_error_names_the_prompt_message_and_its_line(tmp_path):
    """It was reported as 'suite.yaml, row 1: prompt template error' whichever message held it."""
    data = minimal(prompt=[{"role": "system", "content": "Be brief."},
                           {"role": "user", "content": "Ticket:\n{{ input | nosuch }}"}])
    with pytest.raises(SuiteError) as info:
        load_suite(write_suite(tmp_path, data))
    text = str(info.value)
    assert "prompt.1.content" in text and "no filter named 'nosuch'" in text and "row 1" not in text
    assert "line 2 of the template" in text and info.value.line is not None
    assert "Unexpected end of template" in rejected(minimal(prompt="{% if x %}{{ input }}"))


@pytest.mark.parametrize("value", ["0.2", "hot", True])
def test_a_quoted_number_in_params_is_refused_saying_how_to_write_it(value):
    """`temperature: "0.2"` passed validation and went to the provider as text."""
    text = rejected(minimal(candidates=[{"name": "small", "model": "openai/gpt-4o-mini",
                                         "params": {"temperature": value, "max_tokens": 5}}]))
    assert "'temperature' must be a number" in text
    assert ("Write it without quotes, e.g. temperature: 0.2" if value == "0.2" else "Write a number") in text
    ok = parse_suite(minimal(candidates=[{"name": "small", "model": "openai/gpt-4o-mini",
                                          "params": {"temperature": 0.2, "max_tokens": None}}]))
    assert ok.candidates[0].params == {"temperature": 0.2, "max_tokens": None}
