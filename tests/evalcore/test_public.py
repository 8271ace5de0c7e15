"""Public benchmark scores: the CSV is validated before anything is stored; rank comparison is pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalcore.errors import IngestError
from evalcore.public import import_public, match_candidates, rank_comparison, read_public_csv
from evalcore.queries import Queries

GOOD = (
    "model,benchmark,score,source\n"
    "openai/gpt-4o,MMLU-Pro,72.6,https://example.org/mmlu-pro\n"
    "claude-haiku,MMLU-Pro,65.0,https://example.org/mmlu-pro\n"
    "openai/gpt-4o,IFEval,84.3,\"Paper, table 3\"\n"
)


def _csv(tmp_path, text: str, name: str = "public.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- read_public_csv ------------------------------------------------------------------------------------------


def test_good_file_is_read_into_typed_rows(tmp_path):
    rows = read_public_csv(_csv(tmp_path, GOOD))
    assert rows == [
        {"model": "openai/gpt-4o", "benchmark": "MMLU-Pro", "score": 72.6, "source": "https://example.org/mmlu-pro"},
        {"model": "claude-haiku", "benchmark": "MMLU-Pro", "score": 65.0, "source": "https://example.org/mmlu-pro"},
        {"model": "openai/gpt-4o", "benchmark": "IFEval", "score": 84.3, "source": "Paper, table 3"},
    ]


def test_missing_source_column_is_rejected_and_says_why_source_matters(tmp_path):
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, "model,benchmark,score\ngpt-4o,MMLU,70\n"))
    text = str(err.value)
    assert err.value.column == "source"
    assert "public.csv" in text and "missing column(s): source" in text and "found: model, benchmark, score" in text
    assert "traced" in text


def test_missing_model_column_names_both_accepted_headers(tmp_path):
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, "name,benchmark,score,source\ngpt-4o,MMLU,70,x\n"))
    assert "model (or candidate)" in str(err.value)


def test_empty_source_cell_names_row_and_column(tmp_path):
    text = "model,benchmark,score,source\ngpt-4o,MMLU,70,https://x\nclaude,MMLU,65,  \n"
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, text))
    assert (err.value.row, err.value.column) == (2, "source")
    assert str(err.value).startswith("public.csv, row 2, column 'source': empty source")
    assert "nothing was imported" in str(err.value)


def test_non_numeric_score_is_rejected_with_the_cell_value(tmp_path):
    text = "model,benchmark,score,source\ngpt-4o,MMLU,seventy,https://x\n"
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, text))
    assert (err.value.row, err.value.column) == (1, "score")
    assert "'seventy' is not a number" in str(err.value)


def test_every_bad_row_is_reported_not_just_the_first(tmp_path):
    text = "model,benchmark,score,source\n,MMLU,70,x\ngpt-4o,MMLU,n/a,x\ngpt-4o,,70,\n"
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, text))
    where = {(p.row, p.column) for p in err.value.problems}
    assert {(1, "model"), (2, "score"), (3, "benchmark"), (3, "source")} <= where


def test_candidate_header_is_accepted_instead_of_model(tmp_path):
    rows = read_public_csv(_csv(tmp_path, "candidate,benchmark,score,source\nm0,Bench,1.5,x\n"))
    assert rows == [{"model": "m0", "benchmark": "Bench", "score": 1.5, "source": "x"}]


def test_percent_signs_and_padding_are_stripped(tmp_path):
    text = " model , benchmark ,score, source\ngpt-4o,MMLU,72.5%,x\nclaude,MMLU, 61 ,x\n"
    rows = read_public_csv(_csv(tmp_path, text))
    assert [r["score"] for r in rows] == [72.5, 61.0]


def test_thousands_separators_are_read_but_a_decimal_comma_is_rejected(tmp_path):
    assert read_public_csv(_csv(tmp_path, 'model,benchmark,score,source\nm,Arena Elo,"1,287",x\n'))[0]["score"] == 1287
    with pytest.raises(IngestError) as err:  # '85,5' used to be read as 855: a silent 10x error
        read_public_csv(_csv(tmp_path, 'model,benchmark,score,source\nm,MMLU,"85,5",x\n'))
    assert (err.value.row, err.value.column) == (1, "score")
    assert "write decimals with a dot" in str(err.value)


def test_header_only_file_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="no rows"):
        read_public_csv(_csv(tmp_path, "model,benchmark,score,source\n"))


def test_cp1252_file_needs_the_encoding_option_and_then_reads(tmp_path):
    text = "model,benchmark,score,source\nmistral-m\u00e9dium,MMLU,70,\u00c9tude interne \u2013 2026\n"
    path = _csv(tmp_path, text, encoding="cp1252")
    with pytest.raises(IngestError) as err:
        read_public_csv(path)
    assert "row 1: not valid UTF-8" in str(err.value) and "--encoding cp1252" in str(err.value)
    rows = read_public_csv(path, encoding="cp1252")
    assert rows[0]["model"] == "mistral-m\u00e9dium" and rows[0]["source"] == "\u00c9tude interne \u2013 2026"


def test_unknown_encoding_name_is_a_people_error(tmp_path):
    with pytest.raises(IngestError, match="--encoding"):
        read_public_csv(_csv(tmp_path, GOOD), encoding="klingon-8")


def test_utf8_bom_from_excel_does_not_break_the_header(tmp_path):
    rows = read_public_csv(_csv(tmp_path, "\ufeff" + GOOD))
    assert len(rows) == 3


# -- import_public -------------------------------------------------------------------------------------------------


def test_import_stores_rows_that_queries_can_read(tmp_path):
    ws = tmp_path / "ws"
    assert import_public(ws, _csv(tmp_path, GOOD)).rows == 3
    df = Queries(ws).public_scores()
    assert len(df) == 3 and set(df["benchmark"]) == {"MMLU-Pro", "IFEval"}


@pytest.mark.parametrize("text", [
    "model,benchmark,score\ngpt-4o,MMLU,70\n",
    "model,benchmark,score,source\ngpt-4o,MMLU,70,x\nclaude,MMLU,high,x\n",
    "model,benchmark,score,source\ngpt-4o,MMLU,70,\n",
], ids=["missing-column", "bad-score", "empty-source"])
def test_failed_validation_writes_nothing(tmp_path, text):
    ws = tmp_path / "ws"
    ws.mkdir()
    with pytest.raises(IngestError):
        import_public(ws, _csv(tmp_path, text))
    assert not list(ws.rglob("*.parquet"))
    assert not (ws / "public").exists()


def test_reimport_keeps_the_newest_score_per_model_and_benchmark(tmp_path):
    ws = tmp_path / "ws"
    import_public(ws, _csv(tmp_path, "model,benchmark,score,source\ngpt-4o,MMLU,70,old\n", name="a.csv"))
    import_public(ws, _csv(tmp_path, "model,benchmark,score,source\ngpt-4o,MMLU,74,new\n", name="b.csv"))
    df = Queries(ws).public_scores()
    assert df.to_dict("records") == [{"model": "gpt-4o", "benchmark": "MMLU", "score": 74.0, "source": "new"}]


# -- match_candidates -----------------------------------------------------------------------------------------------


def test_match_by_candidate_name_model_string_or_bare_model_ignoring_case():
    candidates = {
        "fast": "openai/gpt-4o-mini",          # bare model, different case in the table
        "Claude-Haiku": "anthropic/claude-3-5-haiku",  # by candidate name
        "llama": "ollama/llama3.1",             # by full model string
        "ghost": "openai/not-in-the-table",
    }
    public = ["GPT-4o-mini", "claude-haiku", "ollama/llama3.1", "gpt-4o"]
    assert match_candidates(candidates, public) == {
        "fast": "GPT-4o-mini", "Claude-Haiku": "claude-haiku", "llama": "ollama/llama3.1",
    }


def test_candidate_name_wins_over_model_string():
    assert match_candidates({"gpt-4o": "openai/gpt-4o-mini"}, ["gpt-4o", "gpt-4o-mini"]) == {"gpt-4o": "gpt-4o"}


# -- rank_comparison ---------------------------------------------------------------------------------------------------


def _public(scores: dict[str, float], bench: str = "Bench") -> list[dict]:
    return [{"model": m, "benchmark": bench, "score": s, "source": "src"} for m, s in scores.items()]


def test_reversed_order_gives_three_flips_and_spearman_minus_one():
    means = {"a": 0.9, "b": 0.8, "c": 0.7}
    better = {"a": {"c"}, "b": set(), "c": set()}  # only a > c is significant on the task
    cmp = rank_comparison(means, better, {c: f"prov/{c}" for c in means}, _public({"a": 10, "b": 20, "c": 30}))
    assert cmp.correlations == {"Bench": pytest.approx(-1.0)}
    assert len(cmp.flips) == 3
    pairs = {(f.public_winner, f.task_winner): f for f in cmp.flips}
    assert set(pairs) == {("c", "a"), ("c", "b"), ("b", "a")}
    assert [p for p, f in pairs.items() if f.significant] == [("c", "a")]
    assert cmp.flips[0].significant  # significant flips are listed first
    assert pairs[("c", "a")].public_gap == 20 and pairs[("c", "a")].task_gap == pytest.approx(0.2)
    rows = {r["candidate"]: r for r in cmp.rows}
    assert (rows["a"]["public_rank"], rows["a"]["task_rank"], rows["a"]["shift"]) == (3, 1, 2)
    assert rows["c"]["shift"] == -2 and rows["b"]["shift"] == 0
    assert "3 rank flips, 1 of them significant on your data." in cmp.lines


def test_candidates_without_public_scores_are_listed_as_unmatched():
    means = {"a": 0.9, "b": 0.8, "local": 0.5}
    cmp = rank_comparison(means, {}, {"a": "a", "b": "b", "local": "ollama/x"}, _public({"a": 1, "b": 2}))
    assert cmp.unmatched == ["local"]
    assert cmp.correlations == {"Bench": None}  # two candidates: too few for a rank correlation
    assert {r["candidate"] for r in cmp.rows} == {"a", "b"}


def test_benchmark_filter_keeps_one_benchmark():
    public = _public({"a": 1, "b": 2}, "X") + _public({"a": 2, "b": 1}, "Y")
    cmp = rank_comparison({"a": 0.9, "b": 0.1}, {}, {"a": "a", "b": "b"}, public, benchmark="Y")
    assert {r["benchmark"] for r in cmp.rows} == {"Y"} and cmp.flips == []


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=8),
       st.lists(st.floats(0, 5, allow_nan=False), min_size=8, max_size=8))
def test_same_ordering_never_flips(task_scores, steps):
    """Public scores that are any non-decreasing function of the task scores never disagree with them."""
    names = [f"c{i}" for i in range(len(task_scores))]
    means = dict(zip(names, task_scores))
    order = sorted(names, key=lambda n: means[n])
    public, level, last = {}, 0.0, None
    for name, step in zip(order, steps):
        if last is not None and means[name] > means[last]:
            level += step  # equal task scores keep an equal public score; higher ones never go down
        public[name] = level
        last = name
    cmp = rank_comparison(means, {}, {n: n for n in names}, _public(public))
    assert cmp.flips == []
    rho = cmp.correlations["Bench"]
    if len(set(task_scores)) == len(task_scores) >= 3 and len(set(public.values())) == len(public):
        assert rho == pytest.approx(1.0)


# -- what people actually bring (issue: CLI and files people write) -------------------------------------------------


def test_semicolon_separated_file_is_read_like_an_examples_file(tmp_path):
    rows = read_public_csv(_csv(tmp_path, "model;benchmark;score;source\ngpt-4o;MMLU;72.5;x\nclaude;MMLU;61;y\n"))
    assert [(r["model"], r["score"]) for r in rows] == [("gpt-4o", 72.5), ("claude", 61.0)]


def test_jsonl_public_scores_are_accepted(tmp_path):
    text = '{"model": "gpt-4o", "benchmark": "MMLU", "score": 72.5, "source": "x"}\n'
    assert read_public_csv(_csv(tmp_path, text, name="p.jsonl"))[0]["score"] == 72.5


def test_mixed_scales_in_one_benchmark_are_refused_with_the_rows_named(tmp_path):
    text = 'model,benchmark,score,source\na,MMLU,40.2%,x\nb,MMLU,0.35,x\nc,MMLU,"1,234.5",x\nd,Elo,1200,x\n'
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, text))
    msg = str(err.value)
    assert "'MMLU' mixes scales" in msg
    assert "row 1 give percentages" in msg or "row 1 gives percentages" in msg or "row 1 give" in msg
    assert "row 2" in msg and "row 3" in msg and "nothing was imported" in msg
    assert "Elo" not in msg.split("nothing was imported")[0].split("mixes")[0]


def test_plain_numbers_beside_percentages_are_percentages(tmp_path):
    rows = read_public_csv(_csv(tmp_path, "model,benchmark,score,source\na,MMLU,72.5%,x\nb,MMLU,61,x\n"))
    assert [r["score"] for r in rows] == [72.5, 61.0]


def test_one_public_table_per_benchmark_is_matched_on_its_own_names():
    """'openai/gpt-4o-mini' on MMLU and 'gpt-4o-mini' elsewhere: both match the same candidate."""
    public = [
        {"model": "openai/gpt-4o-mini", "benchmark": "MMLU", "score": 82.0, "source": "s"},
        {"model": "claude", "benchmark": "MMLU", "score": 85.0, "source": "s"},
        {"model": "gpt-4o-mini", "benchmark": "IFEval", "score": 80.0, "source": "s"},
        {"model": "claude", "benchmark": "IFEval", "score": 70.0, "source": "s"},
    ]
    cands = {"gpt-4o-mini": "openai/gpt-4o-mini", "claude": "anthropic/claude"}
    result = rank_comparison({"gpt-4o-mini": 0.9, "claude": 0.8}, {}, cands, public)
    assert {(r["candidate"], r["benchmark"]) for r in result.rows} == {
        ("gpt-4o-mini", "MMLU"), ("claude", "MMLU"), ("gpt-4o-mini", "IFEval"), ("claude", "IFEval")}
    assert result.unmatched == []


def test_equal_scores_say_the_correlation_is_undefined_without_a_scipy_warning(tmp_path):
    import warnings

    public = [{"model": m, "benchmark": "B", "score": 50.0, "source": "s"} for m in ("a", "b", "c")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = rank_comparison({"a": 0.9, "b": 0.8, "c": 0.7}, {}, {"a": "a", "b": "b", "c": "c"}, public)
    assert result.correlations == {"B": None}
    assert any("undefined (every candidate has the same score on one side)" in line for line in result.lines)
    assert not any("needs 3 or more" in line for line in result.lines)


def test_import_names_models_that_match_nothing_run_yet(tmp_path, server):
    from suite_factory import make_suite

    from evalcore.runner import run_suite

    ws = tmp_path / "ws"
    suite = make_suite(tmp_path, server.base_url, ["a", "b"], candidates=1)
    run_suite(suite, ws)
    text = "model,benchmark,score,source\nopenai/model-0,MMLU,70,x\ngpt-9-typo,MMLU,60,x\n"
    report = import_public(ws, _csv(tmp_path, text))
    assert report.rows == 2 and report.unmatched_models == ["gpt-9-typo"]
    lines = " ".join(report.lines("public.csv"))
    assert "Imported 2 public scores (MMLU)" in lines and "gpt-9-typo" in lines and "model-0" not in lines


def test_negative_and_absurd_scores_are_refused_with_the_accepted_range(tmp_path):
    text = ("model,benchmark,score,source\na,MMLU,-5,x\nb,MMLU,1e308,x\nc,MMLU,120%,x\nd,Arena,1350,x\n"
            "e,Arena,1200,x\n")
    with pytest.raises(IngestError) as err:
        read_public_csv(_csv(tmp_path, text))
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "score"), (2, "score"), (3, "score")]
    assert "fraction 0-1, a percentage 0-100% or points from 0 to 1,000,000" in str(err.value)
    assert len(read_public_csv(_csv(tmp_path, "model,benchmark,score,source\nd,Arena,1350,x\ne,Arena,1200,x\n"))) == 2
