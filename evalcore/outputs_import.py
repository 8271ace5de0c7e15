"""Outputs produced elsewhere (production logs, another tool's run) imported as a run of a suite, then scored.

So a team can score, compare and label what a model already answered without calling it again. Formats:

- rows (CSV/TSV, JSONL, Parquet, read exactly as `evalcore.ingest` reads examples): `example_id` (or `id`)
  or `input` (matched to the suite's examples), `candidate` (unless given once for the whole file), `output`,
  optional `error`, `repeat`, `latency_ms`, `cost_usd`, `input_tokens`, `output_tokens`, `finish_reason`;
- Inspect AI logs (`.eval`, a zip of JSON: a header plus `samples/<id>_epoch_<n>.json`; or the `.json` form);
- promptfoo results (`promptfoo eval -o out.json`: `results.results[]` with vars, provider, response).

Everything is validated first (each problem with file, row and column, all at once); only a fully valid file
is written, as one run whose manifest says it was imported and from which file. The run's scores and results
are each one file written atomically, results last, so a reader sees the whole import or none of it.
Deterministic scorers score every output here; an `llm_judge` scorer needs model calls, made through the runner
only when asked (`judge=True`, `--judge`), and is otherwise reported as not scored. Imported rows get request hashes of their own, so `evalcore run` never mistakes them for cached calls.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import sys
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evalcore import __version__, failures
from evalcore.errors import IngestError, Problem
from evalcore.example import Example
from evalcore.ingest import ProblemList, _json_kind, load_examples, quote, read_table
from evalcore.suite import LlmJudgeScorer, Suite

__all__ = ["ImportSummary", "OutputRow", "import_outputs", "read_outputs", "ROW_COLUMNS"]

# Columns of a rows file, with what each holds (for messages and the README).
ROW_COLUMNS = {
    "example_id": "the example's id in the suite (or `id`)",
    "id": "same as example_id",
    "input": "the example's input text, when the file has no ids",
    "candidate": "the suite candidate that produced the output (or --candidate for the whole file)",
    "output": "what the model answered",
    "error": "an error message, for a call that failed (then output may be empty)",
    "repeat": "0, 1, 2... when one example has several outputs of one candidate",
    "latency_ms": "call latency in milliseconds",
    "cost_usd": "call cost in US dollars",
    "input_tokens": "prompt tokens",
    "output_tokens": "completion tokens",
    "finish_reason": "why generation stopped (stop, length...)",
    "model": "the model string (informational)",
}
IMPORT_KIND = "imported"  # error_kind of an imported failed call
# One JSON file of an Inspect .eval archive (a sample with its transcript, or the header), unpacked: 250 cells of
# the 200,000-character limit of a dataset cell. Checked before and while unpacking, so a zip bomb is refused
# without filling memory.
MAX_MEMBER_BYTES = 50_000_000
MAX_SAMPLES = 100_000  # samples of one .eval log: read_table's max_rows for a rows file
MAX_REPEAT = 2**31 - 1  # the store keeps repeat as a 32-bit integer
MAX_TOKENS = 2**63 - 1  # and token counts as 64-bit integers
# One call's latency and cost: anything above is a unit mix-up or a broken export (1e308 ms passed, and then
# every latency percentile and cost per example read as nonsense). Said in the message, with the unit.
MAX_LATENCY_MS = 86_400_000  # one day
MAX_COST_USD = 10_000.0


@dataclass(frozen=True)
class OutputRow:
    """One validated imported output, matched to an example and a candidate of the suite."""

    example_id: str
    candidate: str
    repeat: int
    output: str | None
    error: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote, in words people read (CLI and Data page)."""

    run_id: str
    suite: str
    suite_version: str
    source: str
    format: str
    rows: int
    examples: int
    suite_examples: int
    by_candidate: dict[str, int]
    errors: int
    scored: list[str]
    not_scored: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        from evalcore.formatting import count, names

        out = [f"Imported {count(self.rows, 'output')} from {self.source} ({self.format}) into suite "
               f"'{self.suite}' as run {self.run_id}.",
               f"Candidates: {', '.join(f'{c} ({n})' for c, n in self.by_candidate.items())}.",
               f"Examples covered: {self.examples} of {self.suite_examples}."]
        if self.errors:
            out.append(f"{count(self.errors, 'row')} recorded a failed call (error, no output).")
        out.append(f"Scored with {names(self.scored)}." if self.scored else "No deterministic scorer to score with.")
        for scorer, why in self.not_scored.items():
            out.append(f"Not scored with '{scorer}': {why}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -------------------------------------------------------------------------------------------- raw records


@dataclass
class _Raw:
    """One record as read from a file: field -> value, and the column name each field came from."""

    row: int
    values: dict[str, Any]
    columns: dict[str, str]
    repeat_auto: bool = False  # repeat numbered by order of appearance (promptfoo repeats)
    # the id may be the other tool's own numbering (Inspect numbers samples 1, 2... when the dataset has no ids):
    # an unknown id is then matched by the input, and an input that is a rendered prompt does not contradict it
    foreign_id: bool = False
    problems: list[tuple[str, str | None]] = field(default_factory=list)  # (message, column) found while reading


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _blank(value: Any) -> bool:
    t = _text(value)
    return t is None or not t.strip()


def _format(path: Path, name: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".eval":
        return "inspect"
    if suffix == ".json":
        return "json"
    return "rows"


def _row_records(path: Path, name: str, encoding: str | None, problems: ProblemList) -> list[_Raw]:
    """The rows of a CSV/JSONL/Parquet outputs file. A misspelt column is added to `problems` and the rows are
    still read (the column is ignored for their checks), so the row problems are reported with it at once; a
    missing 'output' or example column raises here: without it every row would only repeat that problem."""
    present, records = read_table(path, expect="output", encoding=encoding, display_name=name)
    known = list(ROW_COLUMNS)
    for col in present:
        if col not in ROW_COLUMNS:
            close = difflib.get_close_matches(col.lower(), known, n=1, cutoff=0.75)
            if close:
                problems.add(f"unknown column {quote(col)}. Did you mean '{close[0]}'? Rename it (other columns "
                             "are ignored).", None, col)
    if "output" not in present:
        problems.add(f"no 'output' column; the file's columns: {', '.join(quote(c) for c in present) or '(none)'}."
                     " Columns: example_id (or input), candidate, output, and optionally error, repeat, latency_ms, "
                     "cost_usd, input_tokens, output_tokens.", None, "output")
    if not ({"example_id", "id", "input"} & set(present)):
        problems.add("no 'example_id' (or 'id') and no 'input' column: each output must say which example it "
                     "answers.", None, "example_id")
    if "output" not in present or not ({"example_id", "id", "input"} & set(present)):
        raise problems.error(name, verb="imported")
    id_col = "example_id" if "example_id" in present else "id"
    out = []
    for row, rec in records:
        values = {k: rec.get(k) for k in ROW_COLUMNS if k in rec and k not in ("id", "example_id")}
        columns = {k: k for k in values}
        if id_col in rec:
            values["example_id"], columns["example_id"] = rec.get(id_col), id_col
        out.append(_Raw(row, values, columns))
    return out


def _message_text(content: Any) -> str | None:
    """Inspect message content: a string, or a list of parts of which the text ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p["text"] for p in content
                 if isinstance(p, dict) and p.get("type") in ("text", None) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def _inspect_input(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # chat messages: the last user message is the example's input
        for m in reversed(value):
            if isinstance(m, dict) and m.get("role") == "user":
                return _message_text(m.get("content"))
    return None


def _inspect_sample(sample: dict[str, Any], row: int, model: str | None) -> _Raw:
    out = sample.get("output") if isinstance(sample.get("output"), dict) else {}
    text = out.get("completion") if isinstance(out.get("completion"), str) and out.get("completion") else None
    finish = None
    choices = out.get("choices") if isinstance(out.get("choices"), list) else []
    if choices and isinstance(choices[0], dict):
        msg = choices[0].get("message") if isinstance(choices[0].get("message"), dict) else {}
        text = text if text is not None else _message_text(msg.get("content"))
        finish = choices[0].get("stop_reason")
    usage = out.get("usage") if isinstance(out.get("usage"), dict) else {}
    err = sample.get("error")
    error = (err.get("message") if isinstance(err, dict) else _text(err)) or _text(out.get("error"))
    seconds = out.get("time") if isinstance(out.get("time"), (int, float)) else None
    epoch = sample.get("epoch")
    problems: list[tuple[str, str | None]] = []
    repeat: int | None = 0
    if isinstance(epoch, float) and epoch.is_integer():
        epoch = int(epoch)
    if epoch is None:
        repeat = 0  # a log of one epoch may leave it out
    elif isinstance(epoch, int) and not isinstance(epoch, bool) and 1 <= epoch <= MAX_REPEAT + 1:
        repeat = epoch - 1
    else:
        repeat = None
        too_big = isinstance(epoch, int) and epoch > MAX_REPEAT + 1
        limit = f" of at most {MAX_REPEAT + 1:,}" if too_big else ", 1 or more"
        problems.append((f"expected the epoch as a whole number{limit}, got {quote(_text(epoch) or '')}.", "epoch"))
    values = {
        "example_id": sample.get("id"), "input": _inspect_input(sample.get("input")),
        "candidate": model or out.get("model"), "output": text, "error": error,
        "repeat": repeat,
        "latency_ms": seconds * 1000 if seconds is not None else None,
        "input_tokens": usage.get("input_tokens"), "output_tokens": usage.get("output_tokens"),
        "finish_reason": finish,
    }
    columns = {"example_id": "id", "input": "input", "candidate": "eval.model", "output": "output.completion",
               "error": "error", "repeat": "epoch", "latency_ms": "output.time", "input_tokens": "output.usage",
               "output_tokens": "output.usage", "finish_reason": "output.choices"}
    return _Raw(row, values, columns, problems=problems, foreign_id=True)


def _inspect_model(header: Any) -> str | None:
    if isinstance(header, dict) and isinstance(header.get("eval"), dict):
        model = header["eval"].get("model")
        return model if isinstance(model, str) else None
    return None


def _inspect_records(path: Path, name: str) -> list[_Raw]:
    """An Inspect AI `.eval` log: a zip with a header (header.json; start.json in older logs) and one JSON
    file per sample and epoch under samples/."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _file_error(name, f"is not an Inspect AI .eval log (a zip archive): {exc}.",
                          "Pass the .eval file Inspect wrote (logs/...eval), or export its samples as CSV.")
    with archive:
        names = archive.namelist()
        header = None
        for candidate in ("header.json", "_journal/start.json", "start.json"):
            if candidate in names:
                header = _zip_json(archive, candidate, name)
                break
        model = _inspect_model(header)
        sample_files = sorted(n for n in names if n.startswith("samples/") and n.endswith(".json"))
        if not sample_files:
            raise _file_error(name, "holds no samples (no samples/*.json in the archive).",
                              "Was the evaluation cancelled before any sample finished? Rerun it in Inspect.")
        if len(sample_files) > MAX_SAMPLES:
            raise _file_error(name, f"holds more than {MAX_SAMPLES:,} samples.",
                              "Import a smaller log, or export a sample of its outputs as CSV.")
        records = []
        for i, member in enumerate(sample_files, start=1):  # one sample in memory at a time: transcripts are big
            sample = _zip_json(archive, member, name)
            if isinstance(sample, dict):
                records.append(_inspect_sample(sample, i, model))
            else:
                records.append(_Raw(i, {}, {}, problems=[(f"is not a JSON object ({member} holds "
                                                          f"{_json_kind(sample)}).", None)]))
    return sorted(records, key=lambda r: (str(r.values.get("example_id")), r.values.get("repeat") or 0))


def _zip_json(archive: zipfile.ZipFile, member: str, name: str) -> Any:
    """One JSON member of an archive, unpacked to at most MAX_MEMBER_BYTES whatever its header claims."""
    too_big = _file_error(f"{name}:{member}", f"unpacks to more than {MAX_MEMBER_BYTES:,} bytes, the limit for "
                          "one file of an Inspect log.", "Is it an Inspect log? Export its samples as CSV instead.")
    info = archive.getinfo(member)
    if info.file_size > MAX_MEMBER_BYTES:
        raise too_big
    try:
        with archive.open(info) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)  # bounded: a header that lies about the size is not believed
        if len(data) <= MAX_MEMBER_BYTES:
            return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError,
            RuntimeError) as exc:  # RuntimeError: encrypted, or JSON nested too deeply (RecursionError)
        raise _file_error(f"{name}:{member}", f"is not readable JSON ({exc}).",
                          "The log is damaged: write it again with Inspect.") from None
    raise too_big


def _object(record: dict[str, Any], key: str, where: str, problems: list[tuple[str, str | None]]) -> dict[str, Any]:
    """record[key] when it is a JSON object; {} when it is missing or null; else {} and a problem naming it."""
    value = record.get(key)
    if isinstance(value, dict):
        return value
    if value is not None:
        problems.append((f"expected '{where}' to be a JSON object, got {_json_kind(value)}.", where))
    return {}


def _prompt_index_ok(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _promptfoo_records(results: list[Any], name: str, suite: Suite) -> list[_Raw]:
    prompts = {r.get("promptIdx") for r in results if isinstance(r, dict) and _prompt_index_ok(r.get("promptIdx"))}
    if len(prompts) > 1:
        raise _file_error(name, f"compares {len(prompts)} prompts; evalcore compares models on one prompt.",
                          "Export one prompt's results (promptfoo eval --filter-prompts ...), or one file per prompt.")
    out = []
    for i, r in enumerate(results, start=1):
        if not isinstance(r, dict):
            out.append(_Raw(i, {}, {}))
            continue
        problems: list[tuple[str, str | None]] = []
        if not _prompt_index_ok(r.get("promptIdx")):
            problems.append((f"expected 'promptIdx' to be the prompt's number, got {_json_kind(r.get('promptIdx'))}.",
                             "promptIdx"))
        test = _object(r, "testCase", "testCase", problems)
        if isinstance(r.get("vars"), dict):  # the test's variables: at the top, or (older files) in testCase
            vars_ = r["vars"]
        elif isinstance(test.get("vars"), dict):
            vars_ = test["vars"]
        else:
            vars_ = _object(r, "vars", "vars", problems) or _object(test, "vars", "testCase.vars", problems)
        provider = r.get("provider")
        if isinstance(provider, dict):
            cand = provider.get("label") or provider.get("id")
            if cand is not None and not isinstance(cand, str):
                problems.append((f"expected the provider's label or id to be text, got {_json_kind(cand)}.",
                                 "provider"))
        elif provider is None or isinstance(provider, str):
            cand = provider
        else:
            cand = None
            problems.append((f"expected 'provider' to be an id or an object with one, got {_json_kind(provider)}.",
                             "provider"))
        response = _object(r, "response", "response", problems)
        usage = response.get("tokenUsage") or r.get("tokenUsage") or {}
        error = response.get("error")
        if r.get("failureReason") == 2:  # promptfoo's ERROR (1 is a failed assertion, not a failed call)
            error = r.get("error") or error
        cost = r.get("cost", response.get("cost"))
        latency = r.get("latencyMs", response.get("latencyMs"))
        values = {
            "example_id": vars_.get(suite.columns.id), "input": vars_.get(suite.columns.input), "candidate": cand,
            "output": _text(response.get("output")), "error": _text(error), "latency_ms": latency,
            "cost_usd": cost, "input_tokens": usage.get("prompt") if isinstance(usage, dict) else None,
            "output_tokens": usage.get("completion") if isinstance(usage, dict) else None,
            "finish_reason": response.get("finishReason"),
        }
        columns = {"example_id": f"vars.{suite.columns.id}", "input": f"vars.{suite.columns.input}",
                   "candidate": "provider", "output": "response.output", "error": "error",
                   "latency_ms": "latencyMs", "cost_usd": "cost", "input_tokens": "response.tokenUsage",
                   "output_tokens": "response.tokenUsage", "finish_reason": "response.finishReason"}
        if vars_.get(suite.columns.id) is None:
            values.pop("example_id")
        out.append(_Raw(i, values, columns, repeat_auto=True, problems=problems))
    return out


def _json_records(path: Path, name: str, suite: Suite) -> tuple[str, list[_Raw]]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _file_error(name, f"is not valid JSON ({exc}).",
                          "A .json file must be promptfoo results (promptfoo eval -o out.json) or an Inspect log; "
                          "for rows use .jsonl (one object per line) or .csv.") from None
    if isinstance(data, dict) and isinstance(data.get("samples"), list) and "eval" in data:
        model = _inspect_model(data)
        return "Inspect AI log", [_inspect_sample(s, i, model) if isinstance(s, dict) else _Raw(i, {}, {})
                                  for i, s in enumerate(data["samples"], start=1)]
    results = data.get("results") if isinstance(data, dict) else None
    if isinstance(results, dict):
        results = results.get("results")
    if not isinstance(results, list):
        raise _file_error(name, "is neither promptfoo results (no results.results list) nor an Inspect AI log.",
                          "Write it with `promptfoo eval -o out.json`, or import a CSV/JSONL of outputs.")
    return "promptfoo results", _promptfoo_records(results, name, suite)


def _file_error(name: str, message: str, hint: str | None = None) -> IngestError:
    return IngestError(message, file=name, hint=hint, problems=[Problem(message)])


# -------------------------------------------------------------------------------------------- validation


def _number(value: Any, row: int, column: str, problems: ProblemList, *, whole: bool,
            maximum: int = MAX_TOKENS, most: float | None = None, unit: str = "") -> float | int | None:
    """A non-negative number (whole, up to `maximum`; else up to `most`, `unit` saying what that limit is)."""
    nan = isinstance(value, float) and math.isnan(value)  # JSON's NaN: refused, as 'nan' in a CSV is
    if not nan and _blank(value):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int):  # keeps all its digits (a float would overflow past 1e308)
            v: float | int = value
        else:
            v = float(str(value).strip().replace("_", "")) if not isinstance(value, float) else value
            if not math.isfinite(v) or (whole and not v.is_integer()):
                raise ValueError
        if v < 0:
            raise ValueError
    except ValueError:
        what = "a whole number, 0 or more" if whole else "a number, 0 or more"
        problems.add(f"expected {what}, got {quote(str(value))}.", row, column)
        return None
    limit = maximum if whole else most if most is not None else sys.float_info.max
    if v > limit:
        said = (f"a whole number of at most {maximum:,}" if whole else
                f"a number from 0 to {limit:,.0f}{unit}" if most is not None else f"a number of at most {limit:.3g}")
        problems.add(f"expected {said}, got {quote(str(value))}.", row, column)
        return None
    return int(v) if whole else float(v)


class _Matcher:
    """Matches a record's example (by id, else by input) and candidate (by name, else by model) to the suite."""

    def __init__(self, suite: Suite, examples: Sequence[Example], candidate: str | None) -> None:
        self.suite = suite
        self.by_id = {e.id: e for e in examples}
        self.by_input: dict[str, Example | None] = {}
        for e in examples:
            key = e.input.strip()
            self.by_input[key] = None if key in self.by_input else e  # None: two examples share this input
        self.names = [c.name for c in suite.candidates]
        self.by_model: dict[str, str | None] = {}
        for c in suite.candidates:
            for key in {c.model, c.model.split("/", 1)[-1]}:  # 'openai/gpt-4o' and the 'gpt-4o' a log may hold
                self.by_model[key] = None if key in self.by_model else c.name
        self.fixed = candidate

    def example(self, raw: _Raw, problems: ProblemList) -> str | None:
        given_id, given_input = raw.values.get("example_id"), raw.values.get("input")
        if not _blank(given_id):
            ident = _text(given_id).strip()  # type: ignore[union-attr]
            if isinstance(given_id, float) and given_id.is_integer():
                ident = str(int(given_id))
            id_col = raw.columns.get("example_id", "example_id")
            in_col = raw.columns.get("input", "input")
            both = f"columns {quote(id_col)} and {quote(in_col)}"
            fix = ("Is the log from another version of the dataset?" if raw.foreign_id else
                   f"Fix one of them (or drop the '{in_col}' column to match by id alone).")
            if ident in self.by_id:
                if _blank(given_input):
                    return ident
                text = _text(given_input).strip()  # type: ignore[union-attr]
                if text == self.by_id[ident].input.strip():
                    return ident
                other = self.by_input.get(text)
                if other is not None:  # the id says one example, the input another: either would score wrongly
                    problems.add(f"{both} disagree: the id is {quote(ident)} but the input is that of "
                                 f"example {quote(other.id)}. {fix}", raw.row, id_col)
                    return None
                if raw.foreign_id and text not in self.by_input:  # an Inspect input may be a rendered prompt
                    return ident
                problems.add(f"{both} disagree: the id is {quote(ident)} but the input ({quote(text)}) is not "
                             f"that example's input ({quote(self.by_id[ident].input.strip())}). {fix}",
                             raw.row, id_col)
                return None
            close = difflib.get_close_matches(ident, list(self.by_id), n=1, cutoff=0.5)
            hint = f" Did you mean {quote(close[0])}?" if close else ""
            if _blank(given_input):
                problems.add(f"no example of suite '{self.suite.name}' has the id {quote(ident)}.{hint}",
                             raw.row, id_col)
                return None
            text = _text(given_input).strip()  # type: ignore[union-attr]
            match = self.by_input.get(text)
            if not raw.foreign_id:  # a typed id is not overruled by the input: a typo is refused, not guessed
                said = f" (the input is that of example {quote(match.id)})." if match is not None else f".{hint}"
                problems.add(f"no example of suite '{self.suite.name}' has the id {quote(ident)}{said} "
                             f"Fix the id, or leave it empty to match by the '{in_col}' column.", raw.row, id_col)
                return None
            if match is None and text not in self.by_input:
                close_in = (difflib.get_close_matches(text, list(self.by_input), n=1, cutoff=0.6)
                            if len(problems.kept) < 50 else [])
                near = ""
                if close_in:
                    nearest = self.by_input[close_in[0]]
                    near = f" The closest input is {quote(close_in[0])} ({nearest.id if nearest else 'ambiguous'})."
                problems.add(f"no example of suite '{self.suite.name}' has the id {quote(ident)}, nor this input "
                             f"({quote(text)}).{hint}{near} Match the dataset's ids or inputs exactly.",
                             raw.row, id_col)
                return None
            # Inspect numbers samples 1, 2... itself when the dataset has no ids: matched by the input below
        if _blank(given_input):
            problems.add("neither an example id nor an input: say which example this output answers.", raw.row,
                         raw.columns.get("example_id") or raw.columns.get("input") or "example_id")
            return None
        text = _text(given_input).strip()  # type: ignore[union-attr]
        if text in self.by_input:
            e = self.by_input[text]
            if e is None:
                problems.add("two examples of the suite have this input; give the example id instead.",
                             raw.row, raw.columns.get("input"))
                return None
            return e.id
        # difflib over every input is slow on big files: only for the problems that will be listed
        close = difflib.get_close_matches(text, list(self.by_input), n=1, cutoff=0.6) if len(problems.kept) < 50 else []
        hint = ""
        if close:
            nearest = self.by_input[close[0]]
            hint = f" The closest is {quote(close[0])} ({nearest.id if nearest else 'ambiguous'})."
        problems.add(f"no example of suite '{self.suite.name}' has this input ({quote(text)}).{hint} Match the "
                     "dataset's input exactly, or give an 'example_id' column.", raw.row, raw.columns.get("input"))
        return None

    def candidate(self, raw: _Raw, problems: ProblemList) -> str | None:
        value = raw.values.get("candidate")
        column = raw.columns.get("candidate", "candidate")
        if self.fixed is not None:
            named = None if _blank(value) else _text(value).strip()  # type: ignore[union-attr]
            if named in self.names and named != self.fixed:  # the file names another of the suite's candidates:
                problems.add(f"the file says candidate {quote(named)}, but --candidate says {quote(self.fixed)}.",
                             raw.row, column)  # stored as the other one, silently, it was
                return None
            return self.fixed
        if _blank(value):
            problems.add("no candidate: say which suite candidate produced this output (a 'candidate' column, "
                         "or --candidate for the whole file).", raw.row, column)
            return None
        name = _text(value).strip()  # type: ignore[union-attr]
        if name in self.names:
            return name
        if self.by_model.get(name):
            return self.by_model[name]
        close = difflib.get_close_matches(name, self.names + list(self.by_model), n=1, cutoff=0.5)
        guess = (self.by_model.get(close[0]) or close[0]) if close else None
        hint = f" Did you mean '{guess}'?" if guess else ""
        problems.add(f"{quote(name)} is not a candidate of suite '{self.suite.name}' (candidates: "
                     f"{', '.join(self.names)}).{hint} Add it to the suite, or pass --candidate.", raw.row, column)
        return None


def _validate(raws: list[_Raw], matcher: _Matcher, problems: ProblemList) -> list[OutputRow]:
    rows: list[OutputRow] = []
    seen: dict[tuple[str, str, int], int] = {}
    auto: dict[tuple[str, str], int] = {}
    for raw in raws:
        if raw.problems:  # the record's shape is wrong: its fields cannot be read
            for message, column in raw.problems:
                problems.add(message, raw.row, column)
            continue
        if not raw.values:
            problems.add("is not a JSON object.", raw.row)
            continue
        before = problems.total
        example_id = matcher.example(raw, problems)
        candidate = matcher.candidate(raw, problems)
        output = _text(raw.values.get("output"))
        error = _text(raw.values.get("error"))
        error = error if error and error.strip() else None
        if (output is None or not output.strip()) and error is None:
            problems.add("the output is empty. Give the model's output, or the call's error in an 'error' column.",
                         raw.row, raw.columns.get("output", "output"))
        if error is not None and (output is None or not output.strip()):
            output = None
        c = raw.columns
        latency = _number(raw.values.get("latency_ms"), raw.row, c.get("latency_ms", "latency_ms"), problems,
                          whole=False, most=MAX_LATENCY_MS, unit=" milliseconds (one day) for one call")
        cost = _number(raw.values.get("cost_usd"), raw.row, c.get("cost_usd", "cost_usd"), problems, whole=False,
                       most=MAX_COST_USD, unit=" US dollars for one call")
        tin = _number(raw.values.get("input_tokens"), raw.row, c.get("input_tokens", "input_tokens"), problems,
                      whole=True)
        tout = _number(raw.values.get("output_tokens"), raw.row, c.get("output_tokens", "output_tokens"), problems,
                       whole=True)
        repeat = _number(raw.values.get("repeat"), raw.row, c.get("repeat", "repeat"), problems, whole=True,
                         maximum=MAX_REPEAT)
        if problems.total != before or example_id is None or candidate is None:
            continue
        if raw.repeat_auto:
            repeat = auto.get((example_id, candidate), 0)
            auto[(example_id, candidate)] = repeat + 1
        key = (example_id, candidate, int(repeat or 0))
        if key in seen:
            problems.add(f"rows {seen[key]} and {raw.row} both hold candidate '{candidate}''s output for example "
                         f"{quote(example_id)} (repeat {key[2]}). Remove one, or number them in a 'repeat' column.",
                         raw.row, c.get("example_id") or c.get("input"))
            continue
        seen[key] = raw.row
        finish = _text(raw.values.get("finish_reason"))
        rows.append(OutputRow(example_id, candidate, key[2], output, error, latency, cost,  # type: ignore[arg-type]
                              tin, tout, finish, raw.row))  # type: ignore[arg-type]
    return rows


def read_outputs(path: str | Path, suite: Suite, examples: Sequence[Example], *, candidate: str | None = None,
                 encoding: str | None = None, display_name: str | None = None) -> tuple[str, list[OutputRow]]:
    """Read and validate an outputs file against a suite and its examples: (format name, rows).

    Raises `IngestError` with every problem found (file, row, column). Writes nothing.
    """
    file = Path(path)
    name = display_name or file.name
    if candidate is not None and candidate not in [c.name for c in suite.candidates]:
        close = difflib.get_close_matches(candidate, [c.name for c in suite.candidates], n=1, cutoff=0.5)
        raise IngestError(f"--candidate '{candidate}' is not a candidate of suite '{suite.name}'.",
                          hint=f"Did you mean '{close[0]}'?" if close else
                          f"Candidates: {', '.join(c.name for c in suite.candidates)}; add it to the suite first.")
    if not file.is_file():
        raise _file_error(name, "file not found.", f"Check the path (looked for {file.absolute()}).")
    kind = _format(file, name)
    problems = ProblemList()  # the file's column problems and then its rows', reported together
    if kind == "inspect":
        fmt, raws = "Inspect AI log", _inspect_records(file, name)
    elif kind == "json":
        fmt, raws = _json_records(file, name, suite)
    else:
        fmt, raws = "rows", _row_records(file, name, encoding, problems)
    if not raws:
        if problems:  # a misspelt column of a file with no rows: both said
            problems.add("holds no outputs. Add one row per output.", None)
            raise problems.error(name, verb="imported")
        raise _file_error(name, "holds no outputs.", "Add one row per output.")
    rows = _validate(raws, _Matcher(suite, examples, candidate), problems)
    if problems:
        raise problems.error(name, verb="imported")
    return fmt, rows


# -------------------------------------------------------------------------------------------- writing


def _request_hash(source: str, run_id: str, row: OutputRow) -> str:
    """Unique to this import: never equal to a real call's hash, so the runner's cache never serves it."""
    payload = json.dumps(["import", source, run_id, row.example_id, row.candidate, row.repeat])
    return "import-" + hashlib.sha256(payload.encode()).hexdigest()[:25]


def _judge(suite: Suite, rows: list[OutputRow], by_id: dict[str, Example], run_id: str, version: str,
           workspace: str | Path | None) -> list[dict[str, Any]]:
    """The llm_judge scorers' rows for the imported outputs, judged through the runner (calls the judge model;
    judgements already in the workspace for the same judge, input and output are reused)."""
    from evalcore.runner import RunContext, Task, judge_outputs, judge_request
    from evalcore.store import Workspace

    judges = [s for s in suite.scorers if isinstance(s, LlmJudgeScorer)]
    tasks = [(Task(by_id[r.example_id], r.candidate, r.repeat, None, ""), r.output) for r in rows]  # type: ignore[arg-type]
    known: dict[str, dict[str, Any]] = {}
    ws = Workspace(workspace)
    if ws.has_files("scores"):
        from evalcore.queries import Queries

        q = Queries(ws)
        try:
            known = q.cached_judgements(sorted({judge_request(j, t.example, o).hash(0)
                                                for t, o in tasks if o is not None for j in judges}))
        finally:
            q.close()
    ctx = RunContext(workspace=ws.uri, suite=suite.name, suite_version=version, run_id=run_id,
                     settings=suite.run, scorers=tuple(suite.scorers), candidates={}, judge_cache=known)
    return judge_outputs(ctx, tasks)


def import_outputs(path: str | Path, suite: Suite, workspace: str | Path | None = None, *,
                   candidate: str | None = None, encoding: str | None = None, display_name: str | None = None,
                   judge: bool = False) -> ImportSummary:
    """Validate an outputs file, score it with the suite's deterministic scorers, and store it as a new run.

    With `judge`, the suite's llm_judge scorers rate every output too (model calls, through the runner);
    without it they are reported as not scored. Nothing is written unless everything is valid and scored.
    Raises `IngestError` (the file) or `SuiteError`/`ScorerError` (the suite) otherwise.
    """
    from evalcore.runner import suite_version
    from evalcore.scoring import score
    from evalcore.store import SCHEMA_VERSION, Workspace, new_run_id, utcnow, write_results

    examples = load_examples(suite.dataset_path, suite.columns, display_name=suite.dataset,
                             allow_empty_input=suite.allow_empty_input)
    source = display_name or Path(path).name
    fmt, rows = read_outputs(path, suite, examples, candidate=candidate, encoding=encoding, display_name=source)
    version = suite_version(suite, examples)
    by_id = {e.id: e for e in examples}
    if str(suite.base_dir) not in sys.path:  # python scorers may live next to the suite file, as for runs
        sys.path.append(str(suite.base_dir))
    run_id, now = new_run_id(), utcnow()
    cands = {c.name: c for c in suite.candidates}
    judges = [s for s in suite.scorers if isinstance(s, LlmJudgeScorer)]
    scorers = [s for s in suite.scorers if not isinstance(s, LlmJudgeScorer)]
    # a key pasted into an exported error ("401 Incorrect API key provided: sk-...") or echoed by a model is the
    # same secret the runner redacts from its calls' errors: never stored
    keys = [os.environ.get(c.api_key_env) for c in suite.candidates if c.api_key_env]
    results, scores = [], []
    for r in rows:  # score everything before writing anything: a misconfigured scorer leaves no trace
        c = cands[r.candidate]
        if any(keys):
            r = replace(r, output=failures.redact(r.output, keys) if r.output else r.output,
                        error=failures.redact(r.error, keys) if r.error else r.error)
        results.append({
            "run_id": run_id, "suite": suite.name, "suite_version": version, "example_id": r.example_id,
            "candidate": r.candidate, "model": c.model, "family": c.family_name, "release": c.release,
            "repeat": r.repeat, "request_hash": _request_hash(source, run_id, r), "output": r.output,
            "finish_reason": r.finish_reason, "error_kind": IMPORT_KIND if r.error else None, "error": r.error,
            "latency_ms": r.latency_ms, "input_tokens": r.input_tokens, "output_tokens": r.output_tokens,
            "cost_usd": r.cost_usd, "cached": False, "attempts": None, "created_at": now,
        })
        for s in scorers:
            res = score(s, r.output, by_id[r.example_id])
            scores.append({
                "run_id": run_id, "suite": suite.name, "example_id": r.example_id, "candidate": r.candidate,
                "repeat": r.repeat, "scorer": s.label, "value": res.value, "passed": res.passed,
                "detail": json.dumps(res.detail, ensure_ascii=False, default=str)[:20000],
                "judge_request_hash": None, "created_at": now,
            })
    judged: list[str] = []
    if judge and judges:
        judge_rows = _judge(suite, rows, by_id, run_id, version, workspace)
        for row in judge_rows:
            row["created_at"] = now
        scores.extend(judge_rows)
        judged = [j.label for j in judges]
    by_candidate: dict[str, int] = {}
    for r in rows:
        by_candidate[r.candidate] = by_candidate.get(r.candidate, 0) + 1
    errors = sum(r.error is not None for r in rows)
    ws = Workspace(workspace)
    ws.write_examples(suite.name, version, [
        {"suite": suite.name, "suite_version": version, "example_id": e.id, "input": e.input, "expected": e.expected,
         "tags": list(e.tags), "fields": json.dumps(e.fields, ensure_ascii=False, default=str), "row": e.row,
         "schema_version": SCHEMA_VERSION}
        for e in examples
    ])
    write_results(ws, suite.name, run_id, "import", results, scores)  # scores, then results: the commit point
    ws.write_manifest({
        "run_id": run_id, "suite": suite.name, "suite_version": version, "plan_hash": None, "status": "finished",
        "started_at": now.isoformat(), "finished_at": utcnow().isoformat(), "evalcore_version": __version__,
        "candidates": list(by_candidate), "repeats": max(r.repeat for r in rows) + 1, "examples": len(examples),
        "planned": len(rows), "results": len(rows), "errors": errors,
        "config": suite.model_dump(mode="json", by_alias=True, exclude={"base_dir"}),
        "imported": {"source": source, "format": fmt, "rows": len(rows)},
    })
    return ImportSummary(
        run_id=run_id, suite=suite.name, suite_version=version, source=source, format=fmt, rows=len(rows),
        examples=len({r.example_id for r in rows}), suite_examples=len(examples), by_candidate=by_candidate,
        errors=errors, scored=[s.label for s in scorers] + judged,
        not_scored={j.label: "an llm_judge needs model calls, which an import makes only when asked "
                              "(`evalcore import outputs ... --judge`)." for j in judges if j.label not in judged},
    )
