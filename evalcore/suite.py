"""The suite file (`suite.yaml`): what to run, on which data, with which models and scorers.

A suite is written by people, so every model rejects unknown keys and the loader turns pydantic's errors
into one message that names the file, the key path and, for a misspelt key, the key that was probably meant.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import math
import os
import re
import stat
from datetime import date, datetime
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from evalcore.errors import SuiteError, SuiteProblem, closest, did_you_mean

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
        v = _not_blank(v, "the message content")
        _check_template(v)
        return v


def _check_template(text: str) -> None:
    """Parse a prompt template as the runner will, so that a syntax error or an unknown filter is reported at
    this message's place in suite.yaml (it was reported as 'suite.yaml, row 1' whichever message held it).
    Parsed, not compiled: compiling folds constants, so `{{ 'x' | center(10**9) }}` would be computed here."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    many = "\n" in text
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        where = f" (line {exc.lineno} of the template)" if many and exc.lineno else ""
        raise ValueError(f"template error{where}: {(exc.message or 'unreadable').rstrip('.')}. Check the {{{{ }}}} "
                         "and {% %} brackets") from None
    except (RecursionError, MemoryError):
        raise ValueError("the template is nested too deeply to compile") from None
    for kind, known, node_type in (("filter", env.filters, nodes.Filter), ("test", env.tests, nodes.Test)):
        for node in tree.find_all(node_type):
            if node.name not in known:
                where = f" (line {node.lineno} of the template)" if many and node.lineno else ""
                close = difflib.get_close_matches(node.name, sorted(known), n=1, cutoff=0.6)
                guess = f" Did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"template error{where}: no {kind} named '{node.name}'.{guess} Jinja's own "
                                 f"{kind}s work, e.g. {{{{ input | upper }}}}" if kind == "filter" else
                                 f"template error{where}: no test named '{node.name}'.{guess}")


# Call parameters end up in run manifests and cache keys, so only parameters known to be harmless pass
# (an allow-list: a deny-list of secret names always misses one, e.g. aws_session_token or vertex_credentials).
_SAFE_PARAMS = frozenset({
    "temperature", "top_p", "top_k", "min_p", "max_tokens", "max_completion_tokens", "max_output_tokens", "stop",
    "seed", "n", "presence_penalty", "frequency_penalty", "repetition_penalty", "logit_bias", "logprobs",
    "top_logprobs", "response_format", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
    "reasoning_effort", "thinking", "verbosity", "modalities", "audio", "prediction", "web_search_options",
    "service_tier", "user", "metadata", "store", "api_version", "num_ctx", "keep_alive", "format", "options",
    "extra_headers", "extra_body",
})
# HTTP headers that carry no credential (compared case-insensitively); any other header is refused.
_SAFE_HEADERS = frozenset({
    "accept", "accept-language", "content-type", "user-agent", "anthropic-version", "anthropic-beta",
    "openai-organization", "openai-project", "openai-beta", "http-referer", "x-title", "x-request-id",
    "x-client-request-id", "api-version",
})
# Words of a name that suggest a credential, wherever it appears inside params (extra_body, metadata, ...):
# 'aws_session_token', 'vertex_credentials', 'X-Goog-Api-Key', 'accessToken', but not 'max_tokens'.
_CREDENTIAL_WORDS = frozenset({"key", "token", "secret", "password", "passwd", "pwd", "credential", "credentials",
                               "auth", "authorization", "session", "signature", "sig", "cookie", "bearer", "private"})
_CREDENTIAL_ENDINGS = ("key", "token", "secret", "password", "credentials", "auth")


def _credential_name(name: str) -> bool:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("-", "_").split("_")
    return any(w in _CREDENTIAL_WORDS or w.endswith(_CREDENTIAL_ENDINGS) for w in words if w)


# Values shaped like well-known API keys and tokens (OpenAI, Anthropic, Google, GitHub, Slack, AWS, HF, Groq...).
_KEY_SHAPED = re.compile(
    r"^\s*(?:(?:bearer|basic)\s+\S{8}|(?:sk|rk|pk|sess)[-_][A-Za-z0-9_-]{16}|(?:ghp|gho|ghs|ghu|github_pat|gsk|hf)_"
    r"[A-Za-z0-9_]{20}|xox[abprs]-[A-Za-z0-9-]{10}|glpat-[A-Za-z0-9_-]{16}|AIza[0-9A-Za-z_-]{30}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|ya29\.[A-Za-z0-9_-]{16}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
    re.IGNORECASE,
)
# Parameters holding JSON Schemas or content, whose keys are field names (a 'token_count' property is no secret).
_SCHEMA_PARAMS = frozenset({"tools", "functions", "response_format", "prediction"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KEY_HINT = "put the key in an environment variable and name it with api_key_env"


def looks_like_key(value: str) -> bool:
    """Whether a string is shaped like an API key or token (a known prefix, or a long opaque token)."""
    text = value.strip()
    if _KEY_SHAPED.match(text):
        return True
    # A long run of letters and digits with no word separator is a token, not a variable or parameter name.
    return (len(text) >= 24 and " " not in text and "_" not in text and any(c.isdigit() for c in text)
            and any(c.isalpha() for c in text))


# Call parameters that are numbers: a quoted one ("0.2") reaches the provider as text.
_NUMBER_PARAMS = frozenset({
    "temperature", "top_p", "top_k", "min_p", "max_tokens", "max_completion_tokens", "max_output_tokens", "seed",
    "n", "presence_penalty", "frequency_penalty", "repetition_penalty", "top_logprobs",
})


def _number_example(name: str, value: Any) -> tuple[str, bool]:
    """How to write the parameter, and whether the value was a number in quotes."""
    try:
        if isinstance(value, str) and math.isfinite(float(value.strip())):
            return value.strip(), True
    except ValueError:
        pass
    return "1" if name in ("n", "seed", "top_k", "top_logprobs") or name.startswith("max_") else "0.2", False


def _no_secrets(params: dict[str, Any]) -> dict[str, Any]:
    """Call parameters end up in run manifests: a key written there would leak, so refuse anything that may
    hold one, at any depth (an `Authorization` inside `extra_headers` leaks just the same). Values are never
    echoed in the message."""
    def refuse(where: str) -> ValueError:
        return ValueError(f"'{where}' must not be written in the suite; {_KEY_HINT}")

    def walk(value: Any, where: str, names: bool) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = str(key)
                if names and _credential_name(name):
                    raise refuse(f"{where}{name}")
                walk(inner, f"{where}{name}.", names)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, where, names)
        elif isinstance(value, str) and _KEY_SHAPED.match(value):
            raise ValueError(f"'{where.rstrip('.')}' holds a value shaped like an API key; {_KEY_HINT}")

    for key, value in params.items():
        name = str(key)
        if _credential_name(name):
            raise refuse(name)
        if name not in _SAFE_PARAMS:
            close = difflib.get_close_matches(name, sorted(_SAFE_PARAMS), n=1, cutoff=0.7)
            guess = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"'{name}' is not a call parameter evalcore passes on.{guess} Allowed: {', '.join(sorted(_SAFE_PARAMS))}"
                " (anything a provider needs beyond these goes under extra_body)"
            )
        if name in _NUMBER_PARAMS and value is not None and not (isinstance(value, (int, float))
                                                                  and not isinstance(value, bool)):
            # pydantic reads `repeats: "2"` as 2, but params go to the provider as written: "0.2" is text there,
            # which providers reject (or a proxy reads differently) in the middle of a run
            said = f"the text {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
            example, quoted = _number_example(name, value)
            how = "Write it without quotes" if quoted else "Write a number"
            raise ValueError(f"'{name}' must be a number, got {said}. {how}, e.g. {name}: {example}")
        if name == "extra_headers":
            if not isinstance(value, dict):
                raise ValueError("'extra_headers' must be a mapping of header names to values")
            for header in value:
                if str(header).lower() not in _SAFE_HEADERS:
                    if _credential_name(str(header)):
                        raise refuse(f"extra_headers.{header}")
                    raise ValueError(
                        f"header 'extra_headers.{header}' is not one evalcore sends (it may carry a credential). "
                        f"Allowed headers: {', '.join(sorted(_SAFE_HEADERS))}; {_KEY_HINT}"
                    )
        walk(value, f"{name}.", name not in _SCHEMA_PARAMS)
    return params


def _check_api_base(value: str | None) -> str | None:
    """A base URL is stored in manifests and cache keys: it must not carry a credential."""
    if value is None:
        return value
    from urllib.parse import parse_qsl, urlsplit

    try:
        url = urlsplit(value.strip())
        has_userinfo = url.username is not None or url.password is not None
    except ValueError:
        raise ValueError("is not a URL; write it like http://127.0.0.1:11434/v1") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError("must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1")
    if has_userinfo:
        raise ValueError(f"must not carry credentials (user:password@host); {_KEY_HINT}")
    for name, val in parse_qsl(url.query, keep_blank_values=True):
        if _credential_name(name) or looks_like_key(val):
            raise ValueError(f"must not carry a credential in its query string ('{name}=...'); {_KEY_HINT}")
    return value


def _check_api_key_env(value: str | None) -> str | None:
    """A key pasted where its variable's name belongs would be printed and stored: refuse it, unshown."""
    if value is None:
        return value
    if looks_like_key(value) or not _ENV_NAME.match(value):
        raise ValueError(
            "must be the NAME of an environment variable (like OPENAI_API_KEY), not the key itself; the value "
            "given looks like a key (it is not shown here). Put the key in the environment (or "
            ".streamlit/secrets.toml) and write the variable's name here"
        )
    return value


def _no_bool(v: Any) -> Any:
    """YAML reads `yes`/`true` as a boolean, which pydantic would quietly take as 1: a number must be a number."""
    if isinstance(v, bool):
        raise ValueError(f"{str(v).lower()} is not a number; write a number")
    return v


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
        # pydantic reads a number (or a string of digits) as seconds since 1970, so `release: 0` or
        # `release: "1721260800"` would be a date nobody meant: only YYYY-MM-DD (or a YAML date) is a date.
        # The loader keeps an impossible YAML date (2025-13-45) as its text, so it is said here, with the reason.
        if isinstance(v, (bool, int, float, datetime)) or (isinstance(v, str) and not _ISO_DATE.match(v.strip())):
            shown = repr(v.isoformat(sep=" ") if isinstance(v, datetime) else v)
            if isinstance(v, str) and looks_like_key(v):  # a key pasted in the wrong field is never echoed
                shown = "the value (shaped like an API key, not shown)"
            raise ValueError(f"{shown} is not a date; write the release date as YYYY-MM-DD, e.g. 2026-02-01")
        if isinstance(v, str):
            try:
                return date.fromisoformat(v.strip())
            except ValueError as exc:
                raise ValueError(f"{v!r} is not a date ({exc}); write the release date as YYYY-MM-DD, "
                                 "e.g. 2026-02-01") from None
        return v

    @field_validator("api_base")
    @classmethod
    def _api_base_without_credentials(cls, v: str | None) -> str | None:
        return _check_api_base(v)

    @field_validator("api_key_env")
    @classmethod
    def _api_key_env_is_a_name(cls, v: str | None) -> str | None:
        return _check_api_key_env(v)

    @field_validator("input_price_per_mtok", "output_price_per_mtok", mode="before")
    @classmethod
    def _price_not_bool(cls, v: Any) -> Any:
        return _no_bool(v)

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
    pattern: str = Field(description="Python regular expression searched in the output (time-limited per output).")
    ignore_case: bool = Field(False, description="Match case-insensitively.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        import regex  # the engine scoring uses: Python's syntax, with a time limit per search

        try:
            regex.compile(v, regex.VERSION0)
        except (regex.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"invalid regular expression {v[:200]!r}: {exc}") from None
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

    # The folder of the suite file, set by `parse_suite`: the module is loaded from there by path (never by
    # putting the folder on sys.path, which would let any file there shadow a library module).
    _suite_dir: Path | None = PrivateAttr(None)

    @property
    def suite_dir(self) -> Path | None:
        return self._suite_dir

    def module_file(self) -> Path | None:
        """The module's file next to the suite ('pkg.mod' -> pkg/mod.py or pkg/mod/__init__.py), if there is one."""
        if self._suite_dir is None:
            return None
        parts = self.function.partition(":")[0].split(".")
        base = self._suite_dir.joinpath(*parts)
        for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None


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

    @field_validator("api_base")
    @classmethod
    def _api_base_without_credentials(cls, v: str | None) -> str | None:
        return _check_api_base(v)

    @field_validator("api_key_env")
    @classmethod
    def _api_key_env_is_a_name(cls, v: str | None) -> str | None:
        return _check_api_key_env(v)

    @field_validator("pass_threshold", mode="before")
    @classmethod
    def _threshold_not_bool(cls, v: Any) -> Any:
        return _no_bool(v)


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
    client: Literal["auto", "litellm"] = Field(
        "auto", description="auto: OpenAI-compatible calls over evalcore's own HTTP path, the rest through litellm; "
        "litellm: every call through litellm (EVALCORE_CLIENT=litellm does the same)."
    )

    @field_validator("concurrency", "per_candidate", "timeout_s", "max_attempts", "backoff_s", mode="before")
    @classmethod
    def _numbers_not_bool(cls, v: Any) -> Any:
        return _no_bool(v)


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
    allow_empty_input: bool = Field(
        False, description="Accept examples whose input is empty (to test that edge case); otherwise only "
        "examples tagged 'empty-input' may have one.")

    # Where the suite file lives; set by `load_suite`, not part of the file.
    base_dir: Path = Field(default=Path("."), exclude=True, description="Directory of the suite file.")

    @field_validator("prompt")
    @classmethod
    def _prompt_not_empty(cls, v: str | list[Message]) -> str | list[Message]:
        if isinstance(v, str):
            v = _not_blank(v, "the prompt")
            _check_template(v)
            return v
        if not v:
            raise ValueError("the prompt has no messages; give a template string or a list of {role, content}")
        return v

    @field_validator("repeats", mode="before")
    @classmethod
    def _repeats_not_bool(cls, v: Any) -> Any:
        return _no_bool(v)

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
        """The dataset file, relative to the suite file. It must lie inside the suite's folder (after following
        symlinks) or inside a folder listed in $EVALCORE_DATA_DIRS: a suite is often someone else's file,
        and a dataset that points at /proc/self/environ or ~/.ssh would be read and quoted in messages."""
        p = Path(self.dataset)
        path = p if p.is_absolute() else self.base_dir / p
        check_dataset_location(path, self.base_dir, shown=self.dataset)
        return path

    @property
    def messages(self) -> list[Message]:
        if isinstance(self.prompt, str):
            return [Message(role="user", content=self.prompt)]
        return list(self.prompt)

    def candidate(self, name: str) -> Candidate:
        for c in self.candidates:
            if c.name == name:
                return c
        names = [c.name for c in self.candidates]
        raise SuiteError(
            f"suite '{self.name}' has no candidate named '{name}'.{did_you_mean(name, names)}",
            hint=f"Known candidates: {', '.join(names)}.", field="candidates",
        )

    def select(self, names: Sequence[str] | None) -> list[Candidate]:
        """The named candidates, each once, in the order given (all of them for None): `--candidates a,a` ran a
        twice into one run, and every later read refused its duplicate rows."""
        if names is None:
            return list(self.candidates)
        return [self.candidate(n) for n in dict.fromkeys(names)]

    def config_hash(self) -> str:
        """Hash of prompt and scorers (not candidates): part of the suite version."""
        payload = self.model_dump(mode="json", include={"prompt", "scorers", "columns"}, by_alias=True)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


DATA_DIRS_ENV = "EVALCORE_DATA_DIRS"


def allowed_data_dirs(base_dir: Path) -> list[Path]:
    """Where a suite's dataset may live: the suite's folder, plus folders listed in $EVALCORE_DATA_DIRS."""
    extra = [Path(d) for d in os.environ.get(DATA_DIRS_ENV, "").split(os.pathsep) if d.strip()]
    return [base_dir.resolve(), *(d.resolve() for d in extra)]


def check_dataset_location(path: Path, base_dir: Path, *, shown: str) -> None:
    """Refuse a dataset outside the allowed folders, or one that is not a regular file (a FIFO would block)."""
    real = path.resolve()
    roots = allowed_data_dirs(base_dir)
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise SuiteError(
            f"dataset {shown!r} is outside the suite's folder (it resolves to {str(real)!r}).",
            file="suite.yaml", field="dataset",
            hint=f"Move the dataset into {str(roots[0])!r} (symlinks must point inside it too), or list its folder "
                 f"in ${DATA_DIRS_ENV}.",
        )
    try:
        mode = real.stat().st_mode
    except OSError:
        return  # missing: the reader says "file not found" with the path it looked for
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise SuiteError(f"dataset {shown!r} is not a regular file (a pipe, socket or device).", file="suite.yaml",
                         field="dataset",
                         hint="Point `dataset` to a CSV, JSONL or Parquet file.")


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


LineFinder = Callable[[tuple[Any, ...]], "int | None"]


def _owner(loc: tuple[Any, ...], data: Any) -> str:
    """' (candidate 'gpt-4o-mini')' for a path inside a candidate: people know their candidates by name."""
    if (len(loc) >= 2 and loc[0] == "candidates" and isinstance(loc[1], int) and isinstance(data, dict)
            and loc[2:] != ("name",)):  # an invalid name is quoted by its own message
        cands = data.get("candidates")
        if isinstance(cands, list) and 0 <= loc[1] < len(cands) and isinstance(cands[loc[1]], dict):
            name = cands[loc[1]].get("name")
            if isinstance(name, str) and name:
                return f" (candidate {name[:80]!r})"
    return ""


def _problem_text(e: Any, loc: tuple[Any, ...], data: Any) -> str:
    """One pydantic error in words: the key path (and candidate), what is wrong, and the fix."""
    key = ".".join(str(p) for p in loc) or "(top level)"
    owner = _owner(loc, data)
    path = key + owner
    kind = e["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc)
        hint = "Remove it."
        if model is not None:
            close = closest(str(loc[-1]), _all_fields(model))
            hint = f"Did you mean '{close}'?" if close else f"Allowed keys here: {', '.join(_all_fields(model))}."
        return f"unknown key '{key}'{owner}. {hint}"
    if kind == "union_tag_invalid":
        given = (e.get("input") or {}).get("type")
        return (f"{path}: unknown scorer type {given!r}.{did_you_mean(str(given), _SCORER_TYPES)} "
                f"Use one of: {', '.join(_SCORER_TYPES)}.")
    if kind == "union_tag_not_found":
        given = e.get("input")
        near = closest("type", [str(k) for k in given]) if isinstance(given, dict) else None
        typo = f" Did you mean 'type' instead of '{near}'?" if near else ""
        return f"{path}: the scorer has no 'type'.{typo} Use one of: {', '.join(_SCORER_TYPES)}."
    if kind == "missing":
        return f"{path}: this key is required and missing."
    msg = e["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = (e.get("ctx") or {}).get("pattern")
        msg = f"{e.get('input')!r} {_PATTERN_MEANING.get(pattern, f'does not match {pattern!r}')}"
    return f"{path}: {msg.rstrip('.')}."


def _format_validation_error(err: ValidationError, file: str, data: Any = None,
                             lines: LineFinder | None = None) -> SuiteError:
    """Every pydantic error of the file at once, each with its key path and (from the YAML) its line."""
    errors = err.errors()
    # `prompt` is a string or a list of messages: when a list was written, the string branch's complaint
    # ("should be a valid string") is noise, so errors about the list come first.
    branch = [e for e in errors if len(e["loc"]) > 1 and e["loc"][0] == "prompt" and e["loc"][1] != "str"]
    if branch:
        errors = branch + [e for e in errors if e not in branch and e["loc"][:1] != ("prompt",)]
    # A misspelt required key shows up as "missing" and "extra" in one mapping: the extra one carries the hint.
    extra: dict[tuple[Any, ...], list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            loc = _clean_loc(tuple(e["loc"]))
            extra.setdefault(loc[:-1], []).append(str(loc[-1]))
    problems: list[SuiteProblem] = []
    for e in errors:
        loc = _clean_loc(tuple(e["loc"]))
        if e["type"] == "missing" and closest(str(loc[-1]), extra.get(loc[:-1], [])):
            continue
        at = tuple(e["loc"])
        if not loc:  # the suite-level check (a name used twice): point at the second use
            loc = at = _duplicate_at(data) or ()
        problem = SuiteProblem(_problem_text(e, loc, data), ".".join(str(p) for p in loc) or "(top level)",
                               lines(at) if lines else None)
        if problem not in problems:
            problems.append(problem)
    first = problems[0]
    return SuiteError(first.message, file=file, line=first.line, field=first.field or "(top level)",
                      problems=problems)


def _duplicate_at(data: Any) -> tuple[Any, ...] | None:
    """Where the second use of a candidate or scorer name is (the order `Suite._unique_names` checks them in)."""
    if not isinstance(data, dict):
        return None
    for key, label in (("candidates", lambda d: d.get("name")), ("scorers", lambda d: d.get("name") or d.get("type"))):
        items = data.get(key)
        seen: set[Any] = set()
        for j, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                value = label(item)
                if value in seen:
                    return (key, j, "name" if "name" in item else "type")
                seen.add(value)
    return None


def _line_finder(root: Any) -> LineFinder:
    """A pydantic location ('candidates', 0, 'release') -> its line in the YAML file (1-based), walking the node
    tree: a key's own line, an item's first line; a part that is not in the file (a union label such as 'regex',
    a missing key) keeps the line of the mapping that holds it."""
    import yaml

    def find(loc: tuple[Any, ...]) -> int | None:
        node, line = root, root.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        node, line = value, key.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
        return line

    return find


def parse_suite(data: Any, *, file: str = "suite.yaml", base_dir: Path | None = None,
                lines: LineFinder | None = None) -> Suite:
    """Validate a suite from already-parsed YAML/JSON data. With `base_dir` (the suite file's folder), a
    python scorer's module must be found there or be importable, so a typo fails here, not mid-run. `lines`
    maps a key path to its line in the file (the loader passes it), so each problem says where it is."""
    where = lines or (lambda loc: None)
    if not isinstance(data, dict):
        raise SuiteError("expected a mapping of keys (name, prompt, dataset, candidates...)", file=file,
                         line=where(()), field="(top level)")
    if "base_dir" in data:  # a field of the model, but set by the loader: the file must not set it
        raise SuiteError("unknown key 'base_dir'.", file=file, line=where(("base_dir",)), field="base_dir",
                         hint="Remove it; the dataset path is already relative to the suite file.")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as err:
        raise _format_validation_error(err, file, data, lines) from None
    except RecursionError:
        raise SuiteError("the suite is nested too deeply to read.", file=file, line=where(()),
                         field="(top level)") from None
    for i, scorer in enumerate(suite.scorers):
        if isinstance(scorer, PythonScorer):
            scorer._suite_dir = (base_dir or Path(".")).resolve()
            if base_dir is not None:
                _check_python_module(scorer, i, file, where(("scorers", i, "function")))
    return suite.model_copy(update={"base_dir": base_dir or Path(".")})


def _check_python_module(scorer: PythonScorer, index: int, file: str, line: int | None = None) -> None:
    """The module must be beside the suite file or importable; checked without running it."""
    if scorer.module_file() is not None:
        return
    module = scorer.function.partition(":")[0]
    try:
        found = importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        where = scorer.suite_dir / (module.replace(".", "/") + ".py") if scorer.suite_dir else module + ".py"
        raise SuiteError(
            f"scorers.{index}.function: module '{module}' not found (looked for {str(where)!r} next to the suite "
            "file, and it is not an importable package).",
            file=file, line=line, field=f"scorers.{index}.function",
            hint=f"Put {module.replace('.', '/')}.py next to the suite file, or install the package that holds it.",
        )


# Bounds on what a suite file may expand to: YAML anchors let a 1 kB file stand for billions of values
# (a "billion laughs"), which only hang later, when the suite is hashed or dumped into a manifest.
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 100


def _yaml_loader():  # type: ignore[no-untyped-def]
    import yaml

    class SuiteLoader(yaml.SafeLoader):
        """SafeLoader that refuses duplicate keys (YAML silently keeps the last one)."""

        def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key_node.value!r} appears twice in one mapping", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_timestamp(self, node):  # type: ignore[no-untyped-def]
            # An impossible date (2025-13-45, 2025-02-30) would end in a bare ValueError here: keep its text,
            # so the field that holds it says what is wrong, where, and how to write it.
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError:
                return self.construct_scalar(node)

    SuiteLoader.add_constructor("tag:yaml.org,2002:timestamp", SuiteLoader.construct_yaml_timestamp)
    return SuiteLoader


def _check_expansion(root: Any, file: str) -> None:
    """Count the values the document stands for once aliases are expanded, and its depth, without expanding."""
    import yaml

    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    over = root
    while stack:
        node, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key], depths[key] = 1, 1
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_YAML_NODES or depths[key] > MAX_YAML_DEPTH:
                over = node
                break
            continue
        if key in sizes:
            continue
        if key in active:
            raise SuiteError("the YAML refers to itself (an anchor used inside its own value).", file=file,
                             line=node.start_mark.line + 1, hint="Write the value out instead of using that alias.")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    size, depth = sizes.get(id(root), MAX_YAML_NODES + 1), depths.get(id(root), MAX_YAML_DEPTH + 1)
    line = over.start_mark.line + 1  # the value where the limit was crossed
    if size > MAX_YAML_NODES:
        raise SuiteError(f"the YAML stands for more than {MAX_YAML_NODES:,} values once its anchors and aliases are "
                         "expanded.", file=file, line=line,
                         hint="Write the values out, or use fewer nested aliases (*name).")
    if depth > MAX_YAML_DEPTH:
        raise SuiteError(f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep.", file=file, line=line,
                         hint="Flatten it; a suite needs only a few levels.")


def read_suite_yaml(text: str, file: str) -> Any:
    """Parse suite YAML safely: no duplicate keys, bounded alias expansion and depth, errors with line/column."""
    return read_suite_yaml_lines(text, file)[0]


def read_suite_yaml_lines(text: str, file: str) -> tuple[Any, LineFinder]:
    """`read_suite_yaml`, plus where each key path is in the file (for messages about its values)."""
    import yaml

    loader = None
    try:
        loader = _yaml_loader()(text)  # the reader refuses control characters right here
        node = loader.get_single_node()
        if node is None:
            return None, lambda loc: 1
        _check_expansion(node, file)
        return loader.construct_document(node), _line_finder(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f" (column {mark.column + 1})" if mark is not None else ""
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses: the reader knows its offset
            line = text.count("\n", 0, exc.position) + 1
        problem = getattr(exc, "problem", None) or exc
        hint = ("Keep one of them: YAML would silently use the last." if "appears twice" in str(problem)
                else "Check the indentation and quoting there.")
        raise SuiteError(f"not valid YAML{where}: {problem}.", file=file, line=line, hint=hint) from None
    except RecursionError:
        line = loader.get_mark().line + 1 if loader is not None else None
        raise SuiteError(f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep.", file=file, line=line,
                         hint="Flatten it; a suite needs only a few levels.") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_suite_text(path: Path) -> str:
    """A suite file's text, or a `SuiteError` naming the file (and the line of a byte that is not UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise SuiteError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}).", file=str(path), line=line,
                         hint="Save the file as UTF-8.") from None
    except OSError as exc:
        raise SuiteError(f"cannot be read ({exc.strerror or exc}).", file=str(path)) from None


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file; dataset paths resolve relative to the file."""
    path = Path(path)
    if not path.exists():
        raise SuiteError("file not found.", file=str(path), hint="Create one with `evalcore init`.")
    if not path.is_file():
        raise SuiteError("is not a regular file.", file=str(path), hint="Point to the suite's YAML file.")
    data, lines = read_suite_yaml_lines(read_suite_text(path), str(path))
    return parse_suite(data, file=str(path), base_dir=path.resolve().parent, lines=lines)
