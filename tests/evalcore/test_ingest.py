"""Tests for evalcore.ingest: every rejection says where and how to fix it; good files load exactly."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalcore.errors import IngestError
from evalcore.example import example_id_for
from evalcore.ingest import load_examples
from evalcore.suite import Columns

HOSTILE = (
    "ctrl\x01\x07\x1b[31m rtl\u202eevil\u202c emoji 🧾👩‍👩‍👧 cjk 請求書 "
    "nbsp\u00a0 ls\u2028ps\u2029 nel\x85 tab\t end"
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_csv(tmp_path: Path, name: str, rows: list[list[str]], **fmt: Any) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, **fmt).writerows(rows)
    return write(tmp_path, name, buf.getvalue())


def write_jsonl(tmp_path: Path, name: str, records: list[Any]) -> Path:
    return write(tmp_path, name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def rejected(path: Path, **kwargs: Any) -> IngestError:
    with pytest.raises(IngestError) as info:
        load_examples(path, **kwargs)
    return info.value


# ------------------------------------------------------------------------------------------- CSV: reading


def test_csv_loads_roles_fields_and_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "id,input,expected,notes\ninv-1,Total?,42,x\n inv-2 ,Vendor?,,\n")
    examples = load_examples(path)
    assert [e.id for e in examples] == ["inv-1", "inv-2"]
    assert [e.input for e in examples] == ["Total?", "Vendor?"]
    assert [e.expected for e in examples] == ["42", None]
    assert [e.row for e in examples] == [1, 2]
    assert examples[0].fields == {"id": "inv-1", "input": "Total?", "expected": "42", "notes": "x"}
    assert examples[1].fields["id"] == " inv-2 "  # fields keep the cell as written; the id is stripped
    assert examples[0].tags == ()


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfid,input\n1,caf\xc3\xa9\n")
    [example] = load_examples(path)
    assert example.id == "1" and example.input == "café"
    assert list(example.fields) == ["id", "input"]


def test_utf8_bom_is_dropped_when_utf8_is_passed_explicitly(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfid,input\n1,a\n")
    assert list(load_examples(path, encoding="utf-8")[0].fields) == ["id", "input"]


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("semi.csv", ";"), ("tabs.csv", "\t"), ("pipes.csv", "|"), ("tabs.tsv", "\t"), ("semi.txt", ";")],
)
def test_delimiter_is_detected(tmp_path: Path, name: str, delimiter: str) -> None:
    rows = [["id", "input", "expected"], ["1", "Bonjour, ça va; oui", "oui"], ["2", "a, b, c", "d"]]
    path = write_csv(tmp_path, name, rows, delimiter=delimiter)
    examples = load_examples(path)
    assert [(e.id, e.input, e.expected) for e in examples] == [("1", rows[1][1], "oui"), ("2", "a, b, c", "d")]


def test_comma_file_whose_text_is_full_of_semicolons_stays_comma(tmp_path: Path) -> None:
    rows = [["id", "input"]] + [[str(i), f"a; b; c; d {i}"] for i in range(30)]
    examples = load_examples(write_csv(tmp_path, "data.csv", rows))
    assert examples[3].input == "a; b; c; d 3"


def test_single_column_file_with_unquoted_commas_loads_each_line_as_one_input(tmp_path: Path) -> None:
    path = write(tmp_path, "inputs.csv", "input\nHello, I want a refund\nWhere is my order, please?\n")
    assert [e.input for e in load_examples(path)] == ["Hello, I want a refund", "Where is my order, please?"]


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "sep=;\r\nid;input\r\n1;a,b\r\n")
    [example] = load_examples(path)
    assert (example.id, example.input, example.row) == ("1", "a,b", 1)


def test_quoted_newlines_stay_inside_the_cell_and_rows_count_records(tmp_path: Path) -> None:
    content = 'id,input\r\n1,"line one\r\nline two\nline three"\r\n2,"say ""hi"""\r\n'
    examples = load_examples(write(tmp_path, "data.csv", content))
    assert examples[0].input == "line one\r\nline two\nline three"
    assert examples[1].input == 'say "hi"'
    assert [e.row for e in examples] == [1, 2]


def test_blank_rows_are_skipped_but_still_counted_like_a_spreadsheet(tmp_path: Path) -> None:
    content = "\nid,input,expected\n1,a,x\n\n,,\n2,b,y\n,,\n"
    examples = load_examples(write(tmp_path, "data.csv", content))
    assert [(e.id, e.row) for e in examples] == [("1", 1), ("2", 4)]


def test_short_rows_fill_missing_trailing_cells_with_empty_text(tmp_path: Path) -> None:
    [example] = load_examples(write(tmp_path, "data.csv", "id,input,expected,notes\n1,a\n"))
    assert example.expected is None
    assert example.fields == {"id": "1", "input": "a", "expected": "", "notes": ""}


def test_unnamed_empty_columns_from_excel_are_ignored(tmp_path: Path) -> None:
    [example] = load_examples(write(tmp_path, "data.csv", "id,input,,\n1,a,,\n"))
    assert example.fields == {"id": "1", "input": "a"}


def test_hostile_text_survives_csv_unchanged(tmp_path: Path) -> None:
    long_cell = "x" * 150_000  # over the csv module's default field limit of 131,072
    rows = [["id", "input", "expected"], ["1", HOSTILE, long_cell], ["2", "nul\x00byte", "ok"]]
    examples = load_examples(write_csv(tmp_path, "data.csv", rows))
    assert examples[0].input == HOSTILE
    assert examples[0].expected == long_cell
    assert examples[1].input == "nul\x00byte"  # Python 3.11's csv module accepts NUL


# ------------------------------------------------------------------------------------------- encodings


def test_cp1252_file_without_encoding_names_file_row_byte_and_the_option(tmp_path: Path) -> None:
    content = "id,input\n1,plain\n2,\"two\nlines\"\n3,Caf\u00e9 cr\u00e8me \u20ac5\n".encode("cp1252")
    err = rejected(write(tmp_path, "excel.csv", content))
    text = str(err)
    assert text.startswith(f"{tmp_path / 'excel.csv'}, row 3: not valid UTF-8 (byte 0xe9 at offset ")
    offset = content.index(b"\xe9")
    assert f"offset {offset})" in text
    assert "--encoding cp1252" in text and "latin-1" in text
    assert err.row == 3 and err.problems[0].row == 3


def test_cp1252_file_loads_with_explicit_encoding(tmp_path: Path) -> None:
    content = "id,input\n1,Caf\u00e9 cr\u00e8me \u20ac5 \u201cquoted\u201d\n".encode("cp1252")
    [example] = load_examples(write(tmp_path, "excel.csv", content), encoding="cp1252")
    assert example.input == "Café crème €5 “quoted”"


def test_latin1_encoding_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "id,input\n1,\u00e5\u00e9\u00ee\n".encode("latin-1"))
    assert load_examples(path, encoding="latin-1")[0].input == "åéî"


def test_bad_byte_in_header_is_reported_as_the_header(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,r\u00e9sum\u00e9,input\n1,a,b\n".encode("cp1252")))
    assert "the header is not valid UTF-8" in str(err) and err.row is None


def test_bytes_the_explicit_encoding_cannot_decode_are_reported(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", b"id,input\n1,ok\n2,bad \x81 byte\n"), encoding="cp1252")
    assert "row 2: not valid cp1252 (byte 0x81" in str(err)
    assert "latin-1" in str(err)


def test_unknown_encoding_is_rejected_with_examples(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input\n1,a\n"), encoding="klingon")
    assert "unknown encoding 'klingon'" in str(err) and "cp1252" in str(err)


def test_utf8_bom_with_a_different_explicit_encoding_is_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", b"\xef\xbb\xbfid,input\n1,a\n"), encoding="cp1252")
    assert "UTF-8 byte order mark" in str(err) and "Drop --encoding" in str(err)


def test_utf16_with_bom_as_saved_by_excel_unicode_text_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "unicode.txt", "id\tinput\r\n1\t請求書 🧾\r\n".encode("utf-16"))
    assert load_examples(path)[0].input == "請求書 🧾"


def test_utf16_without_bom_is_rejected_with_the_encoding_to_pass(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input\n1,a\n".encode("utf-16-le")))
    assert "UTF-16" in str(err) and "--encoding utf-16-le" in str(err)


# ------------------------------------------------------------------------------------------- CSV: rejections


def test_ragged_row_rejected_with_row_number(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input\n1,a\n2,Hello, world\n"))
    assert str(err).startswith(f"{tmp_path / 'data.csv'}, row 2: has 3 cells but the header has 2 columns")
    assert "double quotes" in str(err)


def test_unclosed_quote_rejected_with_the_row_where_it_opens(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", 'id,input\n1,a\n2,"never closed\n3,b\n4,c\n'))
    assert err.row == 2 and "closing \" is missing" in str(err)


def test_text_after_a_closing_quote_rejected_with_row(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", 'id,input\n1,"quoted" then more\n'))
    assert err.row == 1 and 'write a " as ""' in str(err)


def test_value_under_an_unnamed_column_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input,\n1,a,surprise\n"))
    assert err.row == 1 and "column 3, which has no name" in str(err)


def test_duplicate_header_names_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input,input\n1,a,b\n"))
    assert "'input' twice (columns 2 and 3)" in str(err)


def test_missing_input_column_lists_columns_and_suggests_closest_name_and_mapping(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,Inputs,answer\n1,a,b\n"))
    text = str(err)
    assert text.startswith(f"{tmp_path / 'data.csv'}, column 'input': not found")
    assert "'id', 'Inputs', 'answer'" in text
    assert "Did you mean 'Inputs'?" in text
    assert "columns: {input: Inputs}" in text
    assert err.column == "input"


def test_missing_input_column_without_close_name_suggests_a_mapping(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,text,expected\n1,a,b\n"))
    assert "columns: {input: text}" in str(err)


def test_mapped_input_column_is_used_and_its_absence_is_reported_by_mapped_name(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "ticket,body,answer\nT-1,Hi,Yo\n")
    [example] = load_examples(path, Columns(id="ticket", input="body", expected="answer"))
    assert (example.id, example.input, example.expected) == ("T-1", "Hi", "Yo")
    err = rejected(path, columns=Columns(input="text"))
    assert "column 'text': not found" in str(err)


def test_explicitly_mapped_optional_column_that_is_absent_is_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input,Answer\n1,a,b\n"), columns=Columns(expected="answer"))
    assert "column 'answer': not found (suite.yaml maps it" in str(err)
    assert "Did you mean 'Answer'?" in str(err)


def test_default_optional_columns_may_be_absent(tmp_path: Path) -> None:
    [example] = load_examples(write(tmp_path, "data.csv", "input\nhello\n"))
    assert (example.expected, example.tags, example.id) == (None, (), example_id_for("hello"))


@pytest.mark.parametrize("cell", ["", "   ", '"\t \n"'])
def test_empty_input_rejected_with_row_and_column(tmp_path: Path, cell: str) -> None:
    err = rejected(write(tmp_path, "data.csv", f"id,input\n1,ok\n2,{cell}\n"))
    assert str(err).startswith(f"{tmp_path / 'data.csv'}, row 2, column 'input': the input is empty")


def test_empty_id_rejected_when_the_file_has_an_id_column(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input\n1,a\n  ,b\n"))
    assert str(err).startswith(f"{tmp_path / 'data.csv'}, row 2, column 'id': the id is empty")
    assert "delete the 'id' column" in str(err)


def test_duplicate_ids_rejected_with_both_row_numbers(tmp_path: Path) -> None:
    rows = [["id", "input"]] + [[f"inv-{i}", f"text {i}"] for i in range(1, 20)]
    rows[17][0] = "inv-3"  # row 17 repeats row 3's id
    err = rejected(write_csv(tmp_path, "data.csv", rows))
    assert "rows 3 and 17 have the same id 'inv-3'" in str(err)
    assert (err.row, err.column) == (17, "id")


def test_duplicate_inputs_without_id_column_say_the_text_is_repeated(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "input\nsame\nother\nsame\n"))
    text = str(err)
    assert f"rows 1 and 3 have the same input text, so the same id '{example_id_for('same')}'" in text
    assert "add an 'id' column" in text and "Remove the repeated row" in text
    assert (err.row, err.column) == (3, "input")


def test_cell_over_the_limit_rejected_with_row_column_and_size(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "id,input,notes\n1,ok,\n2,ok2," + "n" * 1234 + "\n")
    err = rejected(path, max_cell_chars=1000)
    assert str(err).startswith(f"{tmp_path / 'data.csv'}, row 2, column 'notes': the cell has 1,234 characters")
    assert "more than the 1,000 evalcore reads from one cell" in str(err) and "max_cell_chars" not in str(err)


def test_more_rows_than_max_rows_rejected(tmp_path: Path) -> None:
    rows = [["input"]] + [[f"q{i}"] for i in range(11)]
    err = rejected(write_csv(tmp_path, "data.csv", rows), max_rows=10)
    assert "more than 10 rows, the most evalcore reads from one file" in str(err)
    assert "raise" not in str(err) and "Take a sample" in str(err)  # no setting of that name can be reached
    assert len(load_examples(write_csv(tmp_path, "ok.csv", rows[:11]), max_rows=10)) == 10


def test_every_row_problem_is_collected_before_raising(tmp_path: Path) -> None:
    content = "id,input,expected\n1,,x\n2,ok,y\n2,ok again,z\n4,a,b,c\n,e,f\n"
    err = rejected(write(tmp_path, "data.csv", content))
    assert [(p.row, p.column) for p in err.problems] == [(1, "input"), (3, "id"), (4, None), (5, "id")]
    assert (err.row, err.column, err.file) == (1, "input", str(tmp_path / "data.csv"))
    text = str(err)
    assert "4 problems in all; nothing was loaded." in text
    assert "  - row 3, column 'id': rows 2 and 3 have the same id '2'" in text
    assert "  - row 4: has 4 cells" in text


def test_problems_are_capped_but_all_are_counted(tmp_path: Path) -> None:
    rows = [["id", "input"]] + [[str(i), ""] for i in range(1, 121)]
    err = rejected(write_csv(tmp_path, "data.csv", rows))
    assert len(err.problems) == 50
    assert "120 problems in all (the first 50 are listed)" in str(err)


def test_empty_file_rejected(tmp_path: Path) -> None:
    for content in (b"", b"\xef\xbb\xbf", b"\n \n"):
        err = rejected(write(tmp_path, "empty.csv", content))
        assert "the file is empty" in str(err) and "empty.csv" in str(err)


def test_header_only_rejected_as_no_examples(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.csv", "id,input\n\n"))
    assert "has a header but no rows: no examples" in str(err)


def test_file_not_found_rejected(tmp_path: Path) -> None:
    err = rejected(tmp_path / "missing.csv")
    assert str(err).startswith(f"{tmp_path / 'missing.csv'}: file not found.")


def test_directory_rejected(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    assert "is a directory" in str(rejected(tmp_path / "dir.csv"))


@pytest.mark.parametrize(
    ("name", "hint"), [("data.json", "JSON Lines"), ("data.xlsx", "CSV UTF-8"), ("data", "no extension")]
)
def test_unknown_extension_rejected_with_what_to_do(tmp_path: Path, name: str, hint: str) -> None:
    assert hint in str(rejected(write(tmp_path, name, "input\na\n")))


def test_display_name_is_used_in_messages(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "x.csv", "id,input\n1,\n"), display_name="upload.csv")
    assert str(err).startswith("upload.csv, row 1, column 'input'") and err.file == "upload.csv"


def test_path_given_as_string_is_named_as_given(tmp_path: Path) -> None:
    path = str(write(tmp_path, "x.csv", "id,input\n1,\n"))
    assert rejected(path).file == path  # type: ignore[arg-type]


def test_hostile_id_is_escaped_in_messages(tmp_path: Path) -> None:
    rows = [["id", "input"], ["a\u202eb\nc", "x"], ["a\u202eb\nc", "y"]]
    message = str(rejected(write_csv(tmp_path, "data.csv", rows)))
    assert "'a\\u202eb\\u000ac'" in message and "\u202e" not in message


# ------------------------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("cell", "tags"),
    [
        ("a, b", ("a", "b")),
        ("a;b ; ;a", ("a", "b")),
        ('["x", " y ", "x", ""]', ("x", "y")),
        ("['r', 's']", ("r", "s")),
        ("Urgent, urgent", ("Urgent", "urgent")),
        ("", ()),
        ("[wip", ("[wip",)),
    ],
)
def test_tags_from_a_csv_cell(tmp_path: Path, cell: str, tags: tuple[str, ...]) -> None:
    path = write_csv(tmp_path, "data.csv", [["input", "tags"], ["hello", cell]])
    assert load_examples(path)[0].tags == tags


def test_tags_from_a_jsonl_list_and_string(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path,
        "data.jsonl",
        [{"input": "a", "tags": [" x ", "y", "x", "", None, 3]}, {"input": "b", "tags": "p; q, p"}, {"input": "c"}],
    )
    assert [e.tags for e in load_examples(path)] == [("x", "y", "3"), ("p", "q"), ()]


def test_nested_tags_rejected_with_row_and_column(tmp_path: Path) -> None:
    err = rejected(write_jsonl(tmp_path, "data.jsonl", [{"input": "a", "tags": [["x"]]}]))
    assert (err.row, err.column) == (1, "tags") and "each tag must be text" in str(err)


# ------------------------------------------------------------------------------------------- ids


def test_hashed_ids_are_stable_across_runs_and_formats(tmp_path: Path) -> None:
    text = "What is my refund status?"
    from_csv = load_examples(write_csv(tmp_path, "a.csv", [["input"], [text]]))[0].id
    from_jsonl = load_examples(write_jsonl(tmp_path, "a.jsonl", [{"input": text}]))[0].id
    assert from_csv == from_jsonl == example_id_for(text) == "ex-b888c5ccea38"


def test_hashed_ids_are_stable_in_a_fresh_interpreter(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a.csv", [["input"], ["What is my refund status?"]])
    code = "import sys; from evalcore.ingest import load_examples; print(load_examples(sys.argv[1])[0].id)"
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ex-b888c5ccea38"


# ------------------------------------------------------------------------------------------- JSONL


def test_jsonl_nested_expected_becomes_json_text_and_fields_stay_native(tmp_path: Path) -> None:
    record = {"id": 7, "input": "Extract", "expected": {"total": 12.5, "items": ["é", 1]}, "meta": {"k": [1]}}
    [example] = load_examples(write_jsonl(tmp_path, "data.jsonl", [record]))
    assert example.id == "7"
    assert example.expected == '{"total": 12.5, "items": ["é", 1]}'
    assert json.loads(example.expected) == record["expected"]
    assert example.fields == record


def test_jsonl_non_text_inputs_and_expected_become_text(tmp_path: Path) -> None:
    records = [
        {"id": "a", "input": {"q": "x"}, "expected": 3},
        {"id": "b", "input": 12.5, "expected": True},
        {"id": "c", "input": ["é"], "expected": None},
    ]
    examples = load_examples(write_jsonl(tmp_path, "data.jsonl", records))
    assert [(e.input, e.expected) for e in examples] == [('{"q": "x"}', "3"), ("12.5", "true"), ('["é"]', None)]


def test_jsonl_blank_lines_skipped_and_row_is_the_line_number(tmp_path: Path) -> None:
    content = '\n{"input": "a"}\r\n   \n{"input": "b"}\n\n'
    assert [e.row for e in load_examples(write(tmp_path, "data.ndjson", content))] == [2, 4]


def test_jsonl_bad_and_non_object_lines_rejected_with_line_numbers(tmp_path: Path) -> None:
    content = '{"input": "a"}\n{"input": "b",}\n\n["not", "an object"]\n"text"\n{"input": "c"}\n'
    err = rejected(write(tmp_path, "data.jsonl", content))
    assert [p.row for p in err.problems] == [2, 4, 5]
    text = str(err)
    assert text.startswith(f"{tmp_path / 'data.jsonl'}, row 2: not valid JSON")
    assert "row 4: expected a JSON object" in text and "got a list" in text
    assert "row 5: expected a JSON object" in text and "got a string" in text


def test_jsonl_pretty_printed_array_gets_a_hint(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.jsonl", '[\n  {"input": "a"}\n]\n'))
    assert "looks like one JSON array" in str(err)


def test_jsonl_missing_input_key_in_one_record_rejected(tmp_path: Path) -> None:
    err = rejected(write_jsonl(tmp_path, "data.jsonl", [{"input": "a"}, {"text": "b"}]))
    assert (err.row, err.column) == (2, "input") and "no 'input' key" in str(err)


def test_jsonl_missing_input_key_everywhere_names_the_keys(tmp_path: Path) -> None:
    err = rejected(write_jsonl(tmp_path, "data.jsonl", [{"id": 1, "prompt": "a"}]))
    assert "The file's keys: 'id', 'prompt'" in str(err) and "columns: {input: prompt}" in str(err)


def test_jsonl_duplicate_key_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.jsonl", '{"input": "a", "input": "b"}\n'))
    assert err.row == 1 and "'input' appears twice" in str(err)


def test_jsonl_lone_surrogate_rejected_but_escaped_emoji_loads(tmp_path: Path) -> None:
    ok = load_examples(write(tmp_path, "ok.jsonl", '{"input": "\\ud83e\\uddfe"}\n'))
    assert ok[0].input == "🧾"
    err = rejected(write(tmp_path, "bad.jsonl", '{"input": "ok"}\n{"input": "x\\ud800y"}\n'))
    assert (err.row, err.column) == (2, "input") and "surrogate" in str(err)


def test_jsonl_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.jsonl", b'{"input": "a"}\n{"input": "caf\xe9"}\n'))
    assert str(err).startswith(f"{tmp_path / 'data.jsonl'}, row 2: not valid UTF-8 (byte 0xe9 at offset 29)")
    assert "Save the file as UTF-8" in str(err)


def test_jsonl_hostile_text_survives_unchanged(tmp_path: Path) -> None:
    records = [{"input": HOSTILE + "\x00", "expected": "\u2028"}, {"input": "y" * 300_000}]
    examples = load_examples(write_jsonl(tmp_path, "data.jsonl", records), max_cell_chars=300_000)
    assert [(e.input, e.expected) for e in examples] == [(HOSTILE + "\x00", "\u2028"), ("y" * 300_000, None)]


def test_jsonl_empty_file_rejected(tmp_path: Path) -> None:
    assert "is empty: no examples" in str(rejected(write(tmp_path, "data.jsonl", "\n\n")))


def test_jsonl_more_rows_than_max_rows_rejected(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, "data.jsonl", [{"input": str(i)} for i in range(6)])
    assert "more than 5 rows" in str(rejected(path, max_rows=5))


# ------------------------------------------------------------------------------------------- Parquet


def test_parquet_round_trip_converts_values_to_python(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "input": ["請求書 🧾", HOSTILE],
            "expected": [None, "x"],
            "tags": pa.array([["a", " b", "a"], []], pa.list_(pa.string())),
            "score": [0.5, 1.5],
        }
    )
    pq.write_table(table, tmp_path / "data.parquet")
    examples = load_examples(tmp_path / "data.parquet")
    assert [(e.id, e.input, e.expected, e.tags, e.row) for e in examples] == [
        ("1", "請求書 🧾", None, ("a", "b"), 1),
        ("2", HOSTILE, "x", (), 2),
    ]
    assert examples[0].fields == {
        "id": 1, "input": "請求書 🧾", "expected": None, "tags": ["a", " b", "a"], "score": 0.5
    }


def test_parquet_float_ids_written_by_pandas_become_whole_numbers(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [7.0, 8.0], "input": ["a", "b"]}), tmp_path / "data.parquet")
    assert [e.id for e in load_examples(tmp_path / "data.parquet")] == ["7", "8"]


def test_parquet_rejections_name_row_and_column(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": ["a", "a", None], "input": ["x", None, "z"]}), tmp_path / "data.parquet")
    err = rejected(tmp_path / "data.parquet")
    assert [(p.row, p.column) for p in err.problems] == [(2, "input"), (3, "id")]


def test_parquet_missing_input_column_rejected(tmp_path: Path) -> None:
    pq.write_table(pa.table({"question": ["x"]}), tmp_path / "data.parquet")
    assert "columns: {input: question}" in str(rejected(tmp_path / "data.parquet"))


def test_parquet_max_rows_checked_from_metadata(tmp_path: Path) -> None:
    pq.write_table(pa.table({"input": [str(i) for i in range(11)]}), tmp_path / "data.parquet")
    assert "more than 10 rows" in str(rejected(tmp_path / "data.parquet", max_rows=10))


def test_corrupt_parquet_rejected(tmp_path: Path) -> None:
    err = rejected(write(tmp_path, "data.parquet", b"PAR1 this is not parquet"))
    assert "not a readable Parquet file" in str(err)


def test_parquet_empty_table_rejected(tmp_path: Path) -> None:
    pq.write_table(pa.table({"input": pa.array([], pa.string())}), tmp_path / "data.parquet")
    assert "no examples" in str(rejected(tmp_path / "data.parquet"))


# ------------------------------------------------------------------------------------------- properties


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.tuples(TEXT.filter(lambda s: s.strip() != ""), TEXT), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_csv_round_trip_of_arbitrary_text(tmp_path: Path, cells: list[tuple[str, str]], delimiter: str) -> None:
    rows = [["id", "input", "expected"]] + [[f"r{i}", inp, exp] for i, (inp, exp) in enumerate(cells)]
    path = write_csv(tmp_path, "round.csv", rows, delimiter=delimiter)
    examples = load_examples(path)
    assert [(e.input, e.expected) for e in examples] == [(inp, exp or None) for inp, exp in cells]
    assert [e.fields["expected"] for e in examples] == [exp for _, exp in cells]
    assert [e.row for e in examples] == list(range(1, len(cells) + 1))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.tuples(st.text(min_size=1).filter(lambda s: s.strip() != ""), st.lists(st.text(max_size=8), max_size=4)),
        min_size=1,
        max_size=6,
        unique_by=lambda r: r[0],
    )
)
def test_jsonl_round_trip_of_arbitrary_text_and_tags(tmp_path: Path, records: list[tuple[str, list[str]]]) -> None:
    path = write_jsonl(tmp_path, "round.jsonl", [{"input": inp, "tags": tags} for inp, tags in records])
    examples = load_examples(path)
    assert [e.input for e in examples] == [inp for inp, _ in records]
    assert [e.id for e in examples] == [example_id_for(inp) for inp, _ in records]
    expected_tags = [tuple(dict.fromkeys(t.strip() for t in tags if t.strip())) for _, tags in records]
    assert [e.tags for e in examples] == expected_tags


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix_rows=st.lists(TEXT, max_size=6))
def test_decode_error_row_is_exact_after_multiline_cells(tmp_path: Path, prefix_rows: list[str]) -> None:
    rows = [["id", "input"]] + [[str(i), f"{t}!"] for i, t in enumerate(prefix_rows)]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode("utf-8") + b"bad,caf\xe9\n"
    err = rejected(write(tmp_path, "data.csv", data))
    assert err.row == len(prefix_rows) + 1


# ------------------------------------------------------------------------------------------- budgets


def test_ten_thousand_csv_rows_with_quoted_newlines_all_load(tmp_path: Path) -> None:
    """Correctness at size; the time it takes is measured in bench/bench_small.py, not asserted here."""
    rows = [["id", "input", "expected", "tags"]] + [
        [f"ex-{i}", f"Invoice {i}: widget, qty {i % 7}; \"total\" {i * 3}\nsecond line", f'{{"t": {i}}}', "a, b"]
        for i in range(10_000)
    ]
    path = write_csv(tmp_path, "big.csv", rows)
    examples = load_examples(path)
    assert len(examples) == 10_000
    assert examples[9_999].input.endswith("second line") and examples[9_999].tags == ("a", "b")


def test_importing_ingest_does_not_import_pyarrow_streamlit_or_litellm() -> None:
    code = (
        "import sys, evalcore.ingest; "
        "print(sorted(m for m in ('pyarrow', 'streamlit', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("header", ["id", "id,expected", "Id,expected,tags"])
def test_a_missing_input_column_never_suggests_the_id_reference_or_tags_column(tmp_path: Path, header: str) -> None:
    """With only id and expected columns, the hint said `columns: {input: id}`: the id sent as the prompt."""
    cells = ",".join("x" for _ in header.split(","))
    text = str(rejected(write(tmp_path, "data.csv", f"{header}\n{cells}\n")))
    assert "{input: id}" not in text.lower() and "{input: expected}" not in text and "Did you mean" not in text
    assert "add one named 'input'" in text
