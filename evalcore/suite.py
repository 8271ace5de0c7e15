"""The suite file (`suite.yaml`): what to run, on which data, with which models and scorers.

A suite is written by people, so every model rejects unknown keys and the loader turns pydantic's errors
into one message that names the file, the key path and, for a misspelt key, the key that was probably meant.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalcore.errors import SuiteError

DEFAULT_HUMAN_QUESTION = "Would you be comfortable showing this to a user?"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Which dataset columns play which role. Every other column is still available to the prompt."""

    id: str = Field("id", description="Column holding a stable example id; hashed from the input if absent.")
    input: str = Field("input", description="Column holding the model input (required).")
    expected: str = Field("expected", description="Column holding the reference answer (optional).")
    tags: str = Field("tags", description="Column holding tags, as a list or an 'a, b' string (optional).")


class Message(_Strict):
    """One chat message of the prompt template; `content` is a Jinja template over the example's fields."""

    role: Literal["system", "user", "assistant"] = Field(description="Chat role of this message.")
    content: str = Field(description="Jinja template, e.g. 'Extract the items from: {{ input }}'.")

    @field_validator("content")
    @classmethod
    def _content_not_blank(cls, v: str) -> str:
        return _not_blank(v, "the message content")


_SECRET_KEYS = {"api_key", "apikey", "api-key", "x-api-key", "key", "token", "access_token", "authorization",
                "proxy-authorization", "password", "secret", "client_secret", "aws_secret_access_key"}


def _no_secrets(params: dict[str, Any]) -> dict[str, Any]:
    """Call parameters end up in run manifests: a key written there would leak, so refuse it, at any depth
    (an `Authorization` inside `extra_headers` leaks just the same)."""
    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if str(key).lower() in _SECRET_KEYS:
                    raise ValueError(
                        f"'{where}{key}' must not be written in the suite; put the key in an environment variable "
                        "and name it with api_key_env"
                    )
                walk(inner, f"{where}{key}.")
        elif isinstance(value, list):
            for inner in value:
                walk(inner, where)

    walk(params, "")
    return params


def _not_blank(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} is empty; write the text the model should receive, e.g. '{{{{ input }}}}'")
    return value


class Candidate(_Strict):
    """One model configuration to compare."""

    name: str = Field(pattern=NAME_PATTERN, description="Display name, unique in the suite.")
    model: str = Field(min_length=1, description="litellm model string, e.g. 'openai/gpt-4o-mini'.")
    family: str | None = Field(None, description="Model family for trend charts; defaults to the name.")
    release: date | None = Field(None, description="Release date of this model version (YYYY-MM-DD).")
    params: dict[str, Any] = Field(default_factory=dict, description="Call parameters: temperature, max_tokens...")
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible or local server.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key (never the key itself)."
    )
    input_price_per_mtok: float | None = Field(
        None, ge=0, description="USD per million input tokens; overrides litellm's price map."
    )
    output_price_per_mtok: float | None = Field(
        None, ge=0, description="USD per million output tokens; overrides litellm's price map."
    )

    @field_validator("params")
    @classmethod
    def _no_secrets_in_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _no_secrets(v)

    @field_validator("release", mode="before")
    @classmethod
    def _release_is_a_date(cls, v: Any) -> Any:
        # pydantic reads a number as seconds since 1970, so `release: 0` would be 1970-01-01: refuse numbers
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"{v!r} is not a date; write the release date as YYYY-MM-DD, e.g. 2026-02-01")
        return v

    @property
    def family_name(self) -> str:
        return self.family or self.name


class _Scorer(_Strict):
    name: str | None = Field(None, description="Name shown in results; defaults to the scorer type.")

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


class ExactScorer(_Scorer):
    """Output equals the expected answer."""

    type: Literal["exact"]
    case_sensitive: bool = Field(True, description="Compare case-sensitively.")
    strip: bool = Field(True, description="Ignore leading and trailing white space.")


class ContainsScorer(_Scorer):
    """Output contains a value (or the expected answer when `value` is not given)."""

    type: Literal["contains"]
    value: str | None = Field(None, description="Text to look for; defaults to the expected answer.")
    case_sensitive: bool = Field(False, description="Match case-sensitively.")


class RegexScorer(_Scorer):
    """Output matches a regular expression."""

    type: Literal["regex"]
    pattern: str = Field(description="Python regular expression searched in the output.")
    ignore_case: bool = Field(False, description="Match case-insensitively.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
        return v


class JsonValidScorer(_Scorer):
    """Output parses as JSON (a fenced ```json block is accepted)."""

    type: Literal["json_valid"]


class JsonSchemaScorer(_Scorer):
    """Output parses as JSON and validates against a JSON Schema."""

    type: Literal["json_schema"]
    json_schema: dict[str, Any] = Field(alias="schema", description="The JSON Schema, inline.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class JsonFieldsScorer(_Scorer):
    """Field-level precision, recall and F1 of the output JSON against the expected JSON."""

    type: Literal["json_fields"]
    items_key: str | None = Field(
        None, description="Key of the list of records to match (e.g. 'line_items'); whole object if absent."
    )
    numeric_tolerance: float = Field(0.01, ge=0, description="Absolute tolerance when comparing numbers.")
    pass_threshold: float = Field(0.8, ge=0, le=1, description="F1 at or above which the output passes.")


class NumericScorer(_Scorer):
    """The first number in the output is within tolerance of the expected number."""

    type: Literal["numeric"]
    tolerance: float = Field(1e-6, ge=0, description="Allowed difference.")
    relative: bool = Field(False, description="Tolerance is relative to the expected value.")


class PythonScorer(_Scorer):
    """A function of yours, `module:function`, called with (output, example) -> float | bool | dict."""

    type: Literal["python"]
    function: str = Field(pattern=r"^[\w.]+:\w+$", description="'package.module:function'.")


class LlmJudgeScorer(_Scorer):
    """A judge model rates the output 1-5 against a rubric; mapped to [0, 1], reasoning kept."""

    type: Literal["llm_judge"]
    model: str = Field(description="litellm model string of the judge.")
    rubric: str = Field(min_length=1, description="What a 5 and a 1 look like for this task.")
    params: dict[str, Any] = Field(default_factory=dict, description="Judge call parameters.")
    api_base: str | None = Field(None, description="Base URL for the judge model.")
    api_key_env: str | None = Field(None, description="Environment variable holding the judge's API key.")
    pass_threshold: int = Field(4, ge=1, le=5, description="Rating at or above which the output passes.")

    @field_validator("params")
    @classmethod
    def _no_secrets_in_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _no_secrets(v)


Scorer = Annotated[
    Union[
        ExactScorer,
        ContainsScorer,
        RegexScorer,
        JsonValidScorer,
        JsonSchemaScorer,
        JsonFieldsScorer,
        NumericScorer,
        PythonScorer,
        LlmJudgeScorer,
    ],
    Field(discriminator="type"),
]


class RunSettings(_Strict):
    """How hard to push the providers."""

    concurrency: int = Field(16, ge=1, le=1024, description="Calls in flight at once, overall.")
    per_candidate: int = Field(8, ge=1, le=1024, description="Calls in flight at once per candidate.")
    timeout_s: float = Field(60.0, gt=0, description="Per-call timeout in seconds.")
    max_attempts: int = Field(5, ge=1, le=20, description="Attempts per call (429, 5xx and timeouts retry).")
    backoff_s: float = Field(
        0.5, ge=0, le=60, description="First backoff step; doubles per attempt, full jitter; Retry-After wins."
    )


class DecisionPolicy(_Strict):
    """How `evalcore decide` picks: the policy, and the practical margin (a drop of up to `margin` is acceptable)."""

    policy: Literal["cheapest", "best", "fastest"] = Field(
        "cheapest", description="Pick the cheapest, the fastest or the best-scoring candidate shown within margin.")
    margin: float = Field(0.02, gt=0, lt=1, description="Largest acceptable loss in the primary score (0-1 scale).")


class Suite(_Strict):
    """A task-specific evaluation: examples, prompt, candidates, scorers, and the human question."""

    name: str = Field(pattern=NAME_PATTERN, description="Suite name, used in the workspace layout.")
    description: str = Field("", description="What this suite measures and why.")
    prompt: str | list[Message] = Field(description="A user-message template, or a list of messages.")
    dataset: str = Field(description="Path to the examples (CSV, JSONL or Parquet), relative to the suite file.")
    columns: Columns = Field(default_factory=Columns, description="Which columns are id, input, expected, tags.")
    candidates: list[Candidate] = Field(min_length=1, description="The models to compare.")
    scorers: list[Scorer] = Field(default_factory=list, description="Automatic scorers; the first is primary.")
    repeats: int = Field(1, ge=1, le=100, description="Calls per (example, candidate), for variable outputs.")
    human: str = Field(DEFAULT_HUMAN_QUESTION, description="The question reviewers answer yes/no.")
    run: RunSettings = Field(default_factory=RunSettings, description="Concurrency, timeout, retries.")
    decision: DecisionPolicy = Field(default_factory=DecisionPolicy,
                                     description="Policy and margin for the recommendation (evalcore decide).")

    # Where the suite file lives; set by `load_suite`, not part of the file.
    base_dir: Path = Field(default=Path("."), exclude=True, description="Directory of the suite file.")

    @field_validator("prompt")
    @classmethod
    def _prompt_not_empty(cls, v: str | list[Message]) -> str | list[Message]:
        if isinstance(v, str):
            return _not_blank(v, "the prompt")
        if not v:
            raise ValueError("the prompt has no messages; give a template string or a list of {role, content}")
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> Suite:
        seen: set[str] = set()
        for c in self.candidates:
            if c.name in seen:
                raise ValueError(f"candidate name '{c.name}' is used twice; names must be unique")
            seen.add(c.name)
        labels = [s.label for s in self.scorers]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"scorer name {dupes[0]!r} is used twice; give each scorer a distinct 'name'")
        return self

    @property
    def dataset_path(self) -> Path:
        p = Path(self.dataset)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def messages(self) -> list[Message]:
        if isinstance(self.prompt, str):
            return [Message(role="user", content=self.prompt)]
        return list(self.prompt)

    def candidate(self, name: str) -> Candidate:
        for c in self.candidates:
            if c.name == name:
                return c
        raise SuiteError(
            f"no candidate named '{name}'",
            hint=f"Known candidates: {', '.join(c.name for c in self.candidates)}.",
        )

    def config_hash(self) -> str:
        """Hash of prompt and scorers (not candidates): part of the suite version."""
        payload = self.model_dump(mode="json", include={"prompt", "scorers", "columns"}, by_alias=True)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _all_fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if name != "base_dir"]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk a pydantic error location to the model whose key was unknown, for the 'did you mean' hint."""
    model: Any = Suite
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            ann = model.model_fields[part].annotation
            nested = {
                "columns": Columns,
                "candidates": Candidate,
                "prompt": Message,
                "run": RunSettings,
            }.get(part)
            model = nested or ann
        elif part in _SCORER_TYPES:
            model = _SCORER_TYPES[part]
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_SCORER_TYPES: dict[str, type[BaseModel]] = {
    "exact": ExactScorer,
    "contains": ContainsScorer,
    "regex": RegexScorer,
    "json_valid": JsonValidScorer,
    "json_schema": JsonSchemaScorer,
    "json_fields": JsonFieldsScorer,
    "numeric": NumericScorer,
    "python": PythonScorer,
    "llm_judge": LlmJudgeScorer,
}


_PATTERN_MEANING = {
    NAME_PATTERN: "must start with a letter or digit and use only letters, digits, '.', '_' and '-' "
                  "(at most 80 characters), because it names folders in the workspace",
    r"^[\w.]+:\w+$": "must look like 'package.module:function'",
}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch label ('str', 'list[Message]') after `prompt`: people wrote a path."""
    if len(loc) > 1 and loc[0] == "prompt" and loc[1] in ("str", "list[Message]"):
        return (loc[0], *loc[2:])
    return loc


def _format_validation_error(err: ValidationError, file: str) -> SuiteError:
    errors = err.errors()
    # `prompt` is a string or a list of messages: when a list was written, the string branch's complaint
    # ("should be a valid string") is noise, so errors about the list come first.
    branch = [e for e in errors if len(e["loc"]) > 1 and e["loc"][0] == "prompt" and e["loc"][1] != "str"]
    if branch:
        errors = branch + [e for e in errors if e not in branch and e["loc"][:1] != ("prompt",)]
    # A misspelt required key shows up as "missing" and "extra": report the extra one, it carries the hint.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _clean_loc(tuple(first["loc"]))
    path = ".".join(str(p) for p in loc) or "(top level)"
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc)
        hint = "Remove it."
        if model is not None:
            close = difflib.get_close_matches(key, _all_fields(model), n=1, cutoff=0.6)
            allowed = ", ".join(_all_fields(model))
            hint = f"Did you mean '{close[0]}'?" if close else f"Allowed keys here: {allowed}."
        return SuiteError(f"unknown key '{path}'.", file=file, hint=hint)
    if first["type"] == "union_tag_invalid":
        return SuiteError(
            f"{path}: unknown scorer type {first.get('input', {}).get('type')!r}.",
            file=file,
            hint=f"Use one of: {', '.join(_SCORER_TYPES)}.",
        )
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "string_pattern_mismatch":
        pattern = (first.get("ctx") or {}).get("pattern")
        msg = f"{first.get('input')!r} {_PATTERN_MEANING.get(pattern, f'does not match {pattern!r}')}"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return SuiteError(f"{path}: {msg}{more}.", file=file)


def parse_suite(data: Any, *, file: str = "suite.yaml", base_dir: Path | None = None) -> Suite:
    """Validate a suite from already-parsed YAML/JSON data."""
    if not isinstance(data, dict):
        raise SuiteError("expected a mapping of keys (name, prompt, dataset, candidates...)", file=file)
    if "base_dir" in data:  # a field of the model, but set by the loader: the file must not set it
        raise SuiteError("unknown key 'base_dir'.", file=file,
                         hint="Remove it; the dataset path is already relative to the suite file.")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as err:
        raise _format_validation_error(err, file) from None
    return suite.model_copy(update={"base_dir": base_dir or Path(".")})


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; dataset paths resolve relative to the file."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise SuiteError("file not found.", file=str(path), hint="Create one with `evalcore init`.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SuiteError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}.", file=str(path),
                         hint="Check the indentation and quoting there.") from None
    except UnicodeDecodeError:
        raise SuiteError("not UTF-8 text.", file=str(path), hint="Save the file as UTF-8.") from None
    return parse_suite(data, file=str(path), base_dir=path.resolve().parent)
