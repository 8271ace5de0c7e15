"""Read a team's examples (CSV, JSONL or Parquet) into validated `Example`s, or say exactly what to fix.

Nothing is returned unless the whole file is good. Row-level problems are collected (the first
`_MAX_PROBLEMS` are kept) and raised together in one `IngestError`, so a person fixes the file in one go.
Row numbers are 1-based data rows as a spreadsheet shows them minus the header (blank rows count, so
"row 14" is sheet row 15); for JSONL the row is the line number.
"""

from __future__ import annotations

import ast
import codecs
import csv
import difflib
import io
import itertools
import json
import math
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from evalcore.errors import IngestError, Problem
from evalcore.example import Example, example_id_for
from evalcore.suite import Columns

__all__ = ["ProblemList", "load_examples", "quote", "read_table"]

_CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_DELIMITERS = (",", "\t", ";", "|")  # order breaks ties: comma is the fallback
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_MAX_PROBLEMS = 50
# csv.Sniffer's quote regex is quadratic in the length of a line: keep its sample small.
_SNIFF_CHARS = 4_096
_SAMPLE_CHARS = 65_536
_SAMPLE_RECORDS = 200
_CSV_FIELD_LIMIT = 2**31 - 1  # fits a C long everywhere; our own max_cell_chars check gives the message
_SEP_LINE = re.compile(r"sep=(.)(\r\n|\r|\n)")  # Excel's "sep=;" first line
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")

# Column names that usually hold the model input, to make the suite.yaml example in a message concrete.
_INPUT_SYNONYMS = frozenset({"text", "prompt", "question", "query", "message", "content", "body", "request"})

_Record = tuple[int, dict[str, Any]]


def load_examples(
    path: str | Path,
    columns: Columns = Columns(),
    *,
    encoding: str | None = None,
    max_cell_chars: int = 200_000,
    max_rows: int = 100_000,
    display_name: str | None = None,
    allow_empty_input: bool = False,
) -> list[Example]:
    """Read CSV (.csv/.tsv/.txt), JSONL (.jsonl/.ndjson) or Parquet (.parquet) into examples.

    `columns` says which column plays which role; every column is kept in `Example.fields`.
    `encoding` is for text files (the CLI's `--encoding`): UTF-8 with or without a BOM by default.
    `display_name` is what messages call the file (default: the path as given).
    An empty input is refused (usually a mistake) unless `allow_empty_input` (the suite's `allow_empty_input:
    true`) or the example is tagged `empty-input`: that is how the empty-ticket edge case is tested.
    Raises `IngestError` listing every problem found; returns nothing partial.
    """
    file = Path(path)
    name = display_name or os.fspath(path)
    kind = _kind(file, name)
    problems = _Problems()
    if kind == "parquet":
        os.close(_open_regular(file, name))
        present, records = _read_parquet(file, name, max_rows)
    else:
        data = _read_bytes(file, name)
        reader = _read_csv if kind == "csv" else _read_jsonl
        present, records = reader(data, name, columns, encoding, file.suffix.lower() == ".tsv", max_rows, problems)
    if present:
        _check_columns(present, columns, name, "keys" if kind == "jsonl" else "columns")
    examples = _build(records, present, columns, max_cell_chars, problems, allow_empty_input)
    if problems:
        raise problems.error(name)
    if not examples:
        what = "has a header but no rows" if kind == "csv" else "is empty" if not present else "has no rows"
        raise _error(name, f"{what}: no examples.", hint="Add one row per example (about 50 real inputs).")
    return examples


def read_table(
    path: str | Path,
    *,
    expect: str,
    encoding: str | None = None,
    max_rows: int = 100_000,
    display_name: str | None = None,
) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Any other table people bring (public scores, outputs, labels): CSV, JSONL or Parquet as
    (columns, [(row, record)]), with the same decoding, delimiter sniffing and row-precise errors as examples.

    `expect` names a column the file should have; it steers delimiter sniffing (a semicolon-separated file
    is read as such). Checking which columns are required is the caller's job. Raises `IngestError`."""
    file = Path(path)
    name = display_name or os.fspath(path)
    kind = _kind(file, name)
    problems = _Problems()
    if kind == "parquet":
        _check_readable(file, name)
        present, records = _read_parquet(file, name, max_rows)
    else:
        data = _read_bytes(file, name)
        reader = _read_csv if kind == "csv" else _read_jsonl
        roles = Columns(input=expect)
        present, records = reader(data, name, roles, encoding, file.suffix.lower() == ".tsv", max_rows, problems)
    if problems:
        raise problems.error(name)
    return present, records


# ---------------------------------------------------------------------------------------------- plumbing


class _Problems:
    """Row-level problems: every one is counted, the first `_MAX_PROBLEMS` are kept for the error."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, message: str, row: int | None, column: str | None = None) -> None:
        self.total += 1
        if len(self.kept) < _MAX_PROBLEMS:
            self.kept.append(Problem(message, row=row, column=column))

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self, file: str, *, verb: str = "loaded") -> IngestError:
        self.kept.sort(key=lambda p: p.row or 0)  # reading and validating add problems in two passes
        first = self.kept[0]
        if self.total == 1:
            hint = f"Nothing was {verb}."
        else:
            shown = f" (the first {len(self.kept)} are listed)" if self.total > len(self.kept) else ""
            hint = f"{self.total} problems in all{shown}; nothing was {verb}."
        return IngestError(
            first.message, file=file, row=first.row, column=first.column, hint=hint, problems=self.kept
        )


ProblemList = _Problems  # for other readers of row files (evalcore.outputs_import)


def _error(
    file: str, message: str, *, row: int | None = None, column: str | None = None, hint: str | None = None
) -> IngestError:
    """A file-level error; `problems` always holds at least this one, so callers can iterate it."""
    return IngestError(
        message, file=file, row=row, column=column, hint=hint, problems=[Problem(message, row, column)]
    )


def _show(text: str, limit: int = 60) -> str:
    """Quote user text for a message: control and bidi characters escaped so they cannot garble it."""
    if len(text) > limit:
        text = text[:limit] + "…"
    safe = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return "'" + safe.replace("'", "\\'") + "'"


def _yaml_name(name: str) -> str:
    """A column name as written in suite.yaml: bare when plain, else quoted and escaped."""
    return name if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}", name) else _show(name, 40)


def _listing(names: list[str], max_names: int = 10, max_chars: int = 300) -> str:
    """A short, escaped list of a file's column names for a message: never more of the file than that (a
    file that is not a table at all would otherwise be quoted whole, e.g. an environment dump)."""
    shown: list[str] = []
    used = 0
    for n in names[:max_names]:
        item = _show(n, 40)
        if used + len(item) > max_chars:
            break
        shown.append(item)
        used += len(item) + 2
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f", … ({rest} more)" if rest else "")


quote = _show  # quote user text in a message, as this module does


def _kind(file: Path, name: str) -> str:
    suffix = file.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    hint = "Use .csv (or .tsv/.txt), .jsonl (or .ndjson) or .parquet."
    if suffix == ".json":
        hint = "Save it as JSON Lines (.jsonl, one object per line), CSV or Parquet."
    elif suffix in {".xlsx", ".xls", ".ods"}:
        hint = "Export the sheet as CSV (in Excel: Save As > 'CSV UTF-8')."
    shown = f"'{suffix}'" if suffix else "no extension"
    raise _error(name, f"cannot tell the format from {shown}.", hint=hint)


def _check_readable(file: Path, name: str) -> None:
    if not file.exists():
        raise _error(name, "file not found.", hint=f"Check the path (looked for {file.absolute()}).")
    if file.is_dir():
        raise _error(name, "is a directory, not a file.", hint="Point to the CSV, JSONL or Parquet file itself.")


def _open_regular(file: Path, name: str) -> int:
    """Open without blocking and refuse anything but a regular file: reading a FIFO would wait forever, and a
    device or socket is no dataset. The caller closes the descriptor."""
    _check_readable(file, name)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _error(name, f"cannot be read ({exc.strerror or exc}).") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _error(name, "is not a regular file (a pipe, socket or device), so it cannot be read as a dataset.",
                     hint="Save the examples to a CSV, JSONL or Parquet file and point to that.")
    return fd


def _read_bytes(file: Path, name: str) -> bytes:
    fd = _open_regular(file, name)
    try:
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as exc:
        raise _error(name, f"cannot be read ({exc.strerror or exc}).") from None
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------- decoding


def _decode(
    data: bytes, encoding: str | None, name: str, locate: Callable[[str], int | None], *, csv_file: bool
) -> str:
    """Decode strictly; on failure name the row of the bad byte (found by `locate` on the text before it)."""
    bom = b""
    if encoding is None:
        codec = "utf-8"
        if data.startswith(codecs.BOM_UTF8):
            bom = codecs.BOM_UTF8
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            codec = "utf-16"  # Excel's "Unicode text"; the codec reads the BOM and drops it
    else:
        try:
            info = codecs.lookup(encoding)
        except (LookupError, ValueError):
            raise _error(
                name,
                f"unknown encoding {_show(encoding)}.",
                hint="Pass a name Python knows, e.g. --encoding utf-8, cp1252, latin-1 or utf-16.",
            ) from None
        if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib...: codecs, not text encodings
            raise _error(
                name,
                f"{_show(encoding)} is not a text encoding.",
                hint="Pass the file's character encoding, e.g. --encoding utf-8, cp1252, latin-1 or utf-16.",
            )
        codec = info.name
        if codec in {"utf-8", "utf-8-sig"}:
            codec = "utf-8"
            bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        elif data.startswith(codecs.BOM_UTF8):
            raise _error(
                name,
                f"the file starts with a UTF-8 byte order mark, so it is UTF-8, not {encoding}.",
                hint="Drop --encoding: UTF-8 is the default.",
            )
    body = data[len(bom) :]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise _decode_error(body, exc, len(bom), codec, encoding, name, locate, csv_file) from None
    except LookupError as exc:
        raise _error(name, f"cannot decode with {_show(encoding or codec)}: {exc}.") from None
    # --encoding utf-16-le on a file with a BOM keeps U+FEFF as text: it would turn 'id' into '\ufeffid'.
    text = text.removeprefix("\ufeff")
    if encoding is None and codec == "utf-8":
        head = text[:4096]
        if head.count("\x00") * 4 > len(head):
            raise _error(
                name,
                "looks like UTF-16 text without a byte order mark (many NUL characters).",
                hint="Pass --encoding utf-16-le (or utf-16-be), or save the file as UTF-8.",
            )
    return text


def _decode_error(
    body: bytes,
    exc: UnicodeDecodeError,
    bom_len: int,
    codec: str,
    encoding: str | None,
    name: str,
    locate: Callable[[str], int | None],
    csv_file: bool,
) -> IngestError:
    bad = body[exc.start : max(exc.end, exc.start + 1)][:4]
    what = "byte" if len(bad) == 1 else "bytes"
    detail = f"({what} {' '.join(f'0x{b:02x}' for b in bad)} at offset {exc.start + bom_len})"
    label = "UTF-8" if encoding is None else encoding
    row = locate(body[: exc.start].decode(codec, errors="replace"))
    message = f"the header is not valid {label} {detail}." if row == 0 else f"not valid {label} {detail}."
    if encoding is None and csv_file:
        hint = (
            "If the file was saved by Excel, pass --encoding cp1252 (or latin-1), "
            "or save it again as 'CSV UTF-8'."
        )
    elif encoding is None:
        hint = "Save the file as UTF-8, or pass --encoding with its encoding (e.g. cp1252 or latin-1)."
    else:
        hint = f"The file is not {encoding}: try without --encoding (UTF-8), or --encoding latin-1."
    return _error(name, message, row=row or None, hint=hint)


# ---------------------------------------------------------------------------------------------- CSV


class _CsvBroken(Exception):
    """The csv module gave up at `row` (0 = header); the structure after it cannot be trusted."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row = row
        self.reason = reason


def _split_sep_line(text: str) -> tuple[str | None, str]:
    """Honour Excel's optional first line `sep=;`, which names the delimiter."""
    match = _SEP_LINE.match(text)
    return (match.group(1), text[match.end() :]) if match else (None, text)


def _csv_records(text: str, delimiter: str, *, strict: bool) -> Iterator[tuple[int, list[str]]]:
    """Yield (row, cells): the header is row 0; blank lines before it are skipped, blank rows after it count."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=strict,
    )
    row = -1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvBroken(row + 1, str(exc)) from None
        if row < 0 and not any(c.strip() for c in cells):
            continue
        row += 1
        yield row, cells


def _sample_records(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    records: list[list[str]] = []
    try:
        for _, cells in itertools.islice(_csv_records(sample, delimiter, strict=False), _SAMPLE_RECORDS + 1):
            records.append(cells)
    except _CsvBroken:
        return records
    if truncated and len(records) <= _SAMPLE_RECORDS:
        records = records[:-1]  # the last record may be cut by the sample's end
    return records[:_SAMPLE_RECORDS]


def _choose_delimiter(text: str, input_column: str) -> str:
    """Pick the delimiter: the header must name the input column and the rows must agree with the header.

    csv.Sniffer alone is easily fooled (commas in prose, one-column files), so its guess only breaks ties
    between delimiters that fit the header and rows equally well; comma wins when nothing else does.
    """
    sample = text[:_SAMPLE_CHARS]
    truncated = len(text) > _SAMPLE_CHARS
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample[:_SNIFF_CHARS], delimiters="".join(_DELIMITERS)).delimiter
    except Exception:  # the sniffer is a heuristic: any failure just means it has no opinion
        sniffed = None

    def score(delimiter: str) -> tuple[bool, bool, bool, int, int]:
        records = _sample_records(sample, delimiter, truncated)
        header = [c.strip() for c in records[0]] if records else []
        rows = [r for r in records[1:] if any(c.strip() for c in r)]
        consistent = all(len(r) == len(header) for r in rows)
        return (input_column in header, consistent, delimiter == sniffed, len(header), -_DELIMITERS.index(delimiter))

    return max(_DELIMITERS, key=score)


def _csv_row_at(prefix: str, delimiter: str | None, input_column: str) -> int | None:
    """The row holding the character right after `prefix` (0 = header), counted exactly as the parser does."""
    sep, body = _split_sep_line(prefix)
    chosen = sep or delimiter or _choose_delimiter(body, input_column)
    last: int | None = None
    try:
        # A sentinel character makes the row being read when the text stopped show up as a record.
        for row, _ in _csv_records(body + "x", chosen, strict=False):
            last = row
    except _CsvBroken:
        return None
    return last


def _csv_broken_message(reason: str) -> str:
    if "unexpected end of data" in reason:
        return (
            'a quoted cell starts in this row but its closing " is missing, so the rest of the file '
            'would be read as one cell. Close the quote (write a " inside a quoted cell as "").'
        )
    if "expected after" in reason:
        return (
            'a quoted cell is followed by more text after its closing ". Inside a quoted cell, '
            'write a " as "" (or quote the whole cell).'
        )
    return f"cannot be read as CSV ({reason})."


def _read_csv(
    data: bytes,
    name: str,
    roles: Columns,
    encoding: str | None,
    tab: bool,
    max_rows: int,
    problems: _Problems,
) -> tuple[list[str], list[_Record]]:
    forced = "\t" if tab else None
    text = _decode(data, encoding, name, lambda prefix: _csv_row_at(prefix, forced, roles.input), csv_file=True)
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)  # process-wide, only ever raised: long cells get our message
    sep, body = _split_sep_line(text)
    delimiter = sep or forced or _choose_delimiter(body, roles.input)
    records: list[_Record] = []
    rows = _csv_records(body, delimiter, strict=True)
    try:
        first = next(rows, None)
        if first is None:
            raise _error(name, "the file is empty: no header and no examples.", hint=_header_hint(roles))
        header = _csv_header(first[1], name)
        named = [(i, h) for i, h in enumerate(header) if h]
        unnamed = [i for i, h in enumerate(header) if not h]
        count = 0
        for row, cells in rows:
            if not any(c.strip() for c in cells):
                continue  # a blank row (Excel leaves ",,," at the end): nothing to load, nothing lost
            count += 1
            if count > max_rows:
                raise _too_many(name, max_rows)
            if len(cells) > len(header):
                problems.add(
                    f"has {len(cells)} cells but the header has {len(header)} columns "
                    f"({_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated). A cell that contains "
                    f"{delimiter!r} must be in double quotes.",
                    row,
                )
                continue
            stray = [i for i in unnamed if i < len(cells) and cells[i].strip()]
            if stray:
                problems.add(
                    f"has a value in column {stray[0] + 1}, which has no name in the header. "
                    "Name that column or clear its cells.",
                    row,
                )
                continue
            width = len(cells)
            records.append((row, {h: (cells[i] if i < width else "") for i, h in named}))
    except _CsvBroken as broken:
        # The csv module lost track of where cells start; reporting past this point would be noise.
        message = _csv_broken_message(broken.reason)
        problems.add(f"the header: {message}" if broken.row == 0 else message, broken.row or None)
        raise problems.error(name) from None
    return [h for _, h in named], records


def _csv_header(cells: list[str], name: str) -> list[str]:
    header = [c.strip() for c in cells]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            raise _error(
                name,
                f"the header names column {_show(h)} twice (columns {seen[h] + 1} and {i + 1}).",
                hint="Rename one of them; every column needs a distinct name.",
            )
        seen.setdefault(h, i)
    return header


def _header_hint(roles: Columns) -> str:
    return f"The first line must name the columns, e.g. {roles.id},{roles.input},{roles.expected}."


def _too_many(name: str, max_rows: int) -> IngestError:
    return _error(
        name,
        f"has more than {max_rows:,} rows, the most evalcore reads from one file.",
        # no setting raises the limit: advice to "raise max_rows" named a parameter people cannot reach
        hint="Take a sample of the rows: a few hundred real examples are plenty to compare models.",
    )


# ---------------------------------------------------------------------------------------------- JSONL


class _DuplicateKey(ValueError):
    pass


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _read_jsonl(
    data: bytes,
    name: str,
    roles: Columns,
    encoding: str | None,
    _tsv: bool,  # same signature as _read_csv; JSON Lines has no delimiter
    max_rows: int,
    problems: _Problems,
) -> tuple[list[str], list[_Record]]:
    text = _decode(data, encoding, name, lambda prefix: prefix.count("\n") + 1, csv_file=False)
    keys: dict[str, None] = {}
    records: list[_Record] = []
    count = 0
    # Split on "\n" only: str.splitlines would also split on U+2028, U+0085... which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        count += 1
        if count > max_rows:
            raise _too_many(name, max_rows)
        obj = _parse_json_line(line, number, problems)
        if obj is None:
            continue
        keys.update(dict.fromkeys(obj))
        records.append((number, obj))
    if problems and text.lstrip().startswith("["):
        problems.add(
            "this looks like one JSON array; JSON Lines needs one object per line "
            '({"input": "..."} on each line).',
            None,
        )
    return list(keys), records


def _parse_json_line(line: str, number: int, problems: _Problems) -> dict[str, Any] | None:
    try:
        obj = json.loads(line, strict=False, object_pairs_hook=_pairs_without_duplicates)
    except _DuplicateKey as dup:
        problems.add(f"the key {_show(str(dup))} appears twice in this object; keep one.", number)
        return None
    except json.JSONDecodeError as exc:
        problems.add(f"not valid JSON: {exc.msg} (character {exc.colno}).", number)
        return None
    except ValueError as exc:  # an integer with more digits than Python converts (4,300)
        problems.add(f"not usable JSON: {str(exc)[:120]}. Write very long numbers as strings.", number)
        return None
    except RecursionError:
        problems.add("the JSON is nested too deeply.", number)
        return None
    if not isinstance(obj, dict):
        problems.add(
            f'expected a JSON object such as {{"input": "..."}}, got {_json_kind(obj)}.', number
        )
        return None
    if _SURROGATE_ESCAPE.search(line):
        key = _key_with_lone_surrogate(obj)
        if key is not None:
            problems.add(
                "contains an unpaired UTF-16 surrogate escape (\\ud800-\\udfff), which is not text. "
                "Fix the escape or remove it.",
                number,
                key,
            )
            return None
    return obj


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words for a message ("a list", "null")."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number"


def _key_with_lone_surrogate(obj: dict[str, Any]) -> str | None:
    """The top-level key whose value holds a string that cannot be encoded as UTF-8 (a lone surrogate)."""
    for top, value in obj.items():
        stack: list[Any] = [top, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return top.encode("utf-8", "backslashreplace").decode("utf-8")  # printable
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return None


# ---------------------------------------------------------------------------------------------- Parquet


def _read_parquet(file: Path, name: str, max_rows: int) -> tuple[list[str], list[_Record]]:
    import pyarrow as pa  # heavy: imported only when a Parquet file is read
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(file)
        num_rows = parquet.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _error(
            name, f"is not a readable Parquet file ({str(exc)[:200]}).", hint="Check that it was written as Parquet."
        ) from None
    if num_rows > max_rows:
        raise _too_many(name, max_rows)
    try:
        table = parquet.read()
        names = table.column_names
        for i, column in enumerate(names):
            if names.index(column) != i:
                raise _error(
                    name,
                    f"the column {_show(column)} appears twice (columns {names.index(column) + 1} and {i + 1}).",
                    hint="Rename one of them; every column needs a distinct name.",
                )
        rows = table.to_pylist()
    except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
        raise _error(name, f"cannot be read as Parquet ({str(exc)[:200]}).",
                     hint="A date or time outside years 1-9999 cannot be read; fix or drop that column.") from None
    return list(names), [(i, row) for i, row in enumerate(rows, start=1)]


# ---------------------------------------------------------------------------------------------- columns


def _check_columns(present: list[str], roles: Columns, name: str, noun: str) -> None:
    """The input column must exist; a role mapped explicitly in suite.yaml must exist too."""
    if roles.input not in present:
        taken = {roles.id.lower(), roles.expected.lower(), roles.tags.lower()}
        # the id, reference or tags column is never the input: suggesting `columns: {input: id}` misled
        others = [p for p in present if p.lower() not in taken]
        likely = [p for p in others if p.lower() in _INPUT_SYNONYMS] or others
        raise _missing_column("input", roles.input, present, name, noun, explicit=False,
                              example=likely[0] if likely else "", avoid=taken)
    for role in ("id", "expected", "tags"):
        column = getattr(roles, role)
        if role in roles.model_fields_set and column not in present:
            raise _missing_column(role, column, present, name, noun, explicit=True)


def _missing_column(
    role: str, column: str, present: list[str], name: str, noun: str, *, explicit: bool, example: str = "",
    avoid: set[str] | frozenset[str] = frozenset(),
) -> IngestError:
    listed = _listing(present)
    by_lower = {p.lower(): p for p in reversed(present) if p.lower() not in avoid}  # avoid: another role's
    close = difflib.get_close_matches(column.lower(), list(by_lower), n=1, cutoff=0.6)
    where = "suite.yaml maps it to this name" if explicit else "every example needs one"
    message = f"not found ({where}). The file's {noun}: {listed}."
    if close:
        guess = by_lower[close[0]]
        hint = f"Did you mean {_show(guess)}? Rename it, or map it in suite.yaml: columns: {{{role}: {_yaml_name(guess)}}}."
    elif explicit:
        hint = f"Fix or remove '{role}' under columns: in suite.yaml."
    elif not example:
        hint = (f"The file has no {noun[:-1]} for the inputs besides its id, reference and tags; add one named "
                f"'{column}' with the text each example sends to the model.")
    else:
        hint = (
            f"Rename the {noun[:-1]} that holds the inputs to '{column}', or map it in suite.yaml, "
            f"e.g. columns: {{{role}: {_yaml_name(example)}}}."
        )
    return _error(name, message, column=column, hint=hint)


# ---------------------------------------------------------------------------------------------- examples


def _build(
    records: list[_Record], present: list[str], roles: Columns, max_cell_chars: int, problems: _Problems,
    allow_empty_input: bool = False,
) -> list[Example]:
    has_id = roles.id in present
    examples: list[Example] = []
    first_row: dict[str, int] = {}
    lookalike: dict[str, tuple[int, str]] = {}
    for row, record in records:
        example = _example(row, record, roles, has_id, max_cell_chars, problems, allow_empty_input)
        if example is None:
            continue
        folded = _id_key(example.id)
        seen = lookalike.setdefault(folded, (row, example.id))
        if seen[1] != example.id:
            problems.add(
                f"rows {seen[0]} and {row} have ids that differ only in invisible or look-alike characters "
                f"({_show(seen[1])} and {_show(example.id)}: Unicode normalisation, zero-width or full-width "
                "characters). Make them plainly different, or remove the repeated row.",
                row,
                roles.id,
            )
            continue
        earlier = first_row.setdefault(example.id, row)
        if earlier != row:
            if has_id:
                problems.add(
                    f"rows {earlier} and {row} have the same id {_show(example.id)}. Ids must be unique: "
                    "change one, or remove the repeated row.",
                    row,
                    roles.id,
                )
            else:
                problems.add(
                    f"rows {earlier} and {row} have the same input text, so the same id '{example.id}'. "
                    f"Remove the repeated row, or add an '{roles.id}' column to tell them apart.",
                    row,
                    roles.input,
                )
            continue
        examples.append(example)
    return examples


EMPTY_INPUT_TAG = "empty-input"


def _example(
    row: int, record: dict[str, Any], roles: Columns, has_id: bool, max_cell_chars: int, problems: _Problems,
    allow_empty_input: bool = False,
) -> Example | None:
    """One validated example, or None after adding every problem of this row."""
    before = problems.total
    for column, value in record.items():
        size = _size(value)
        if size > max_cell_chars:
            problems.add(  # no setting raises the limit: "raise max_cell_chars" named one people cannot reach
                f"the cell has {size:,} characters, more than the {max_cell_chars:,} evalcore reads from one cell. "
                "Shorten it.",
                row,
                column,
            )

    tags: tuple[str, ...] = ()
    try:
        tags = _tags(record.get(roles.tags))
    except ValueError as exc:
        problems.add(str(exc), row, roles.tags)

    text: str | None = None
    if roles.input not in record:
        problems.add(f"this record has no '{roles.input}' key; every example needs an input.", row, roles.input)
    else:
        unreadable = problems.total
        text = _role_text(record[roles.input], row, roles.input, problems)
        if text is None and problems.total == unreadable:
            text = ""  # an empty cell
        if text is not None and not text.strip() and not (allow_empty_input or EMPTY_INPUT_TAG in tags):
            text = None
            problems.add(f"the input is empty. Fill it in or delete the row; to test an empty input on purpose, tag "
                         f"the row '{EMPTY_INPUT_TAG}' or set `allow_empty_input: true` in the suite.", row,
                         roles.input)

    expected = _role_text(record.get(roles.expected), row, roles.expected, problems) or None

    example_id: str | None = None
    if has_id:
        example_id = _id(record.get(roles.id), row, roles.id, problems)
    elif text is not None:
        example_id = example_id_for(text)

    if problems.total != before or text is None or example_id is None:
        return None
    return Example(id=example_id, input=text, expected=expected, tags=tags, fields=record, row=row)


def nul_cells(examples: list[Example], limit: int = 5) -> tuple[list[tuple[int, str]], int]:
    """(row, column) of the first cells holding a NUL character (\\x00), and how many there are. Kept as given
    (hostile text survives unchanged), but said: NUL breaks CSV tools, terminals and many model APIs."""
    found = [(e.row, str(col)) for e in examples for col, v in e.fields.items() if isinstance(v, str) and "\x00" in v]
    return found[:limit], len(found)


def _id_key(text: str) -> str:
    """An id as a person reads it: NFKC-normalised (full-width letters, composed accents), case kept,
    invisible format characters (zero-width space, joiners, BOM) dropped."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (dict, list, tuple)):
        return len(json.dumps(value, ensure_ascii=False, default=str))
    return 0


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _to_text(value: Any) -> str:
    """Prompts and scorers work on text: numbers keep their digits, objects and lists become JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")  # UnicodeDecodeError is a ValueError: the caller reports it
    return str(value)


def _role_text(value: Any, row: int, column: str, problems: _Problems) -> str | None:
    if _is_missing(value):
        return None
    try:
        return _to_text(value)
    except ValueError:
        problems.add("holds binary data that is not UTF-8 text.", row, column)
        return None


def _id(value: Any, row: int, column: str, problems: _Problems) -> str | None:
    if isinstance(value, (dict, list, tuple)):
        kind = "an object" if isinstance(value, dict) else "a list"
        problems.add(f"the id must be text or a number, got {kind}.", row, column)
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Parquet written by pandas turns integer ids into floats when one is missing
    text = None if _is_missing(value) else _role_text(value, row, column, problems)
    if text is None or not text.strip():
        problems.add(
            f"the id is empty. Give every row an id, or delete the '{column}' column to derive ids from the input.",
            row,
            column,
        )
        return None
    return text.strip()


def _tags(value: Any) -> tuple[str, ...]:
    """Tags as a list or an 'a, b' / 'a;b' string: stripped, empties dropped, first occurrence kept."""
    if _is_missing(value):
        return ()
    if isinstance(value, str):
        items = _tag_list(value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [str(value)]
    else:
        raise ValueError('tags must be a list of text or an "a, b" string.')
    tags: list[str] = []
    for item in items:
        if _is_missing(item):
            continue
        if isinstance(item, (dict, list, tuple, bool)) or not isinstance(item, (str, int, float)):
            raise ValueError('each tag must be text; got a nested value. Write tags as ["a", "b"] or "a, b".')
        tag = str(item).strip()
        if not _is_text(tag):
            raise ValueError("a tag holds an unpaired surrogate escape (\\ud800-\\udfff), which is not text; fix it.")
        if tag:
            tags.append(tag)
    return tuple(dict.fromkeys(tags))


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tag_list(text: str) -> list[Any]:
    """A cell like ["a","b"] (JSON) or ['a', 'b'] (a Python list written by pandas) is a list; else split."""
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            parsed = json.loads(stripped)
        except (ValueError, RecursionError):
            parsed = None
            if len(stripped) <= 10_000:  # Python's parser is slow and deep-recursive on hostile text
                try:
                    parsed = ast.literal_eval(stripped)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    parsed = None
        if isinstance(parsed, list):
            return parsed
    return re.split(r"[,;]", text)
