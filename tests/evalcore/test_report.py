"""The static report: every section with the library's own numbers, hostile text escaped in HTML and Markdown,
suites without a leader said so, people's mistakes named (exit 2), and the real CLI writing the file.

Markdown is checked by rendering it with a CommonMark parser (markdown-it-py, tables and strikethrough on, as
GitHub has them), and HTML by parsing it: the assertions are about what a reader would get, not about strings.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalcore import analysis, explore, labels
from evalcore import formatting as fmt
from evalcore import report as rep
from evalcore.cli import main
from evalcore.demo_build import DEMO_SUITE, build_demo
from evalcore.report_html import safe_svg
from evalcore.report_md import LIMIT, fenced, md
from suite_factory import HOSTILE, IMG, SCRIPT, markup_suite

_SCRIPT = Path(sys.executable).with_name("evalcore")
EVALCORE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "evalcore.cli"]



# -- HTML and Markdown as a reader gets them ----------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


def _render_md(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "nav", "a", "section",
            "div", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "figure", "figcaption", "pre", "b",
            "details", "summary",
            # inline SVG from vl-convert
            "svg", "g", "path", "rect", "line", "text", "defs", "lineargradient", "stop", "clippath", "circle"}


def _assert_inert(page: str) -> _Tags:
    """No tag we did not write, no event handler, no script, no link leaving the file."""
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        assert tag in OUR_TAGS, f"unexpected <{tag}> in the report"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name in ("href", "src", "xlink:href"):
                assert (value or "").startswith("#"), f"<{tag} {name}={value!r}> leaves the file"
    return parsed


# -- workspaces -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with people's ratings on two candidates (12 examples each), so every section has data."""
    path = tmp_path_factory.mktemp("report-demo") / "ws"
    build_demo(path)
    from evalcore.queries import Queries

    outs = Queries(path).label_outputs(DEMO_SUITE)
    for cand, rating in (("cirrus-pro", 4), ("basalt-70b", 3)):
        rows = outs[outs["candidate"] == cand].sort_values("example_id").head(12)
        for i, r in enumerate(rows.to_dict("records")):
            labels.record_rating(path, DEMO_SUITE, "ana@example.com", example_id=r["example_id"],
                                 output_hash=r["output_hash"], candidate=cand, run_id=r["run_id"],
                                 rating=rating + (i % 2), ok=i % 3 != 0)
    return path


@pytest.fixture
def hostile_ws(tmp_path: Path, server) -> Path:
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    path = markup_suite(tmp_path / "s", server.base_url, [f"{HOSTILE} #{i}" for i in range(12)])
    ws = tmp_path / "ws"
    summary = run_suite(load_suite(path), ws)
    assert summary.errors == 0
    return ws


# -- every section, with the library's numbers ---------------------------------------------------------------------


@pytest.mark.slow
def test_html_report_has_every_section_with_the_librarys_numbers(demo_ws: Path) -> None:
    page = rep.build_report(demo_ws, DEMO_SUITE)
    parsed = _assert_inert(page)
    text = html.unescape(page)
    lb = analysis.leaderboard(demo_ws, DEMO_SUITE)
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=lb)
    ids = {a.get("id") for t, a in parsed.tags if t == "section"}
    assert ids == {"decision", "leaderboard", "human", "changes", "trends", "tags", "cases"}
    assert rec.headline in text and all(d in text for d in rec.details)
    for r in lb.rows:  # each row: mean, interval, rank range, could-be-best, cost
        row = re.search(rf"<tr><td class=\"num\">{r['rank']}</td><td>{re.escape(r['candidate'])}</td>(.*?)</tr>", page)
        assert row, r["candidate"]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        ranks = f"{r['rank_low']}-{r['rank_high']}" if r["rank_low"] != r["rank_high"] else str(r["rank_low"])
        assert cells[:4] == [fmt.score(r["mean"]), fmt.interval(r["low"], r["high"]), ranks,
                             "yes" if r["could_be_best"] else "no"]
        assert fmt.money(r["cost_per_example_usd"] * 1000) in cells
    # the decision's table has the pick's own row, its verdict a sentence that wraps
    pick = re.search(rf"<tr><td>{re.escape(rec.pick)}</td><td class=\"prose\">the pick; (.*?)</tr>", page)
    assert pick, rec.pick
    # people's ratings: the library's summary, and the leaderboard's human column
    human = {h.candidate: h for h in labels.human_summary(demo_ws, DEMO_SUITE)}
    for cand in ("cirrus-pro", "basalt-70b"):
        h = human[cand]
        cell = f"{fmt.score(h.rating, 2)} {fmt.interval(h.rating_low, h.rating_high, 2)}, ok {fmt.pct(h.ok_rate)}"
        assert cell in text
        assert f"{h.n_examples} of {h.examples}" in text
    # trends: one row per candidate at its release, with the trend's interval
    trend = explore.trend(demo_ws, DEMO_SUITE, lb.scorer)
    for t in trend["rows"].to_dict("records"):
        cells = [fmt.score(t["mean"]), fmt.interval(t["low"], t["high"])]
        assert (f"<td>{t['candidate']}</td><td>{t['release']:%Y-%m-%d}</td>"
                + "".join(f'<td class="num">{c}</td>' for c in cells)) in page
    assert trend["basis"] in text
    # per tag: every (tag, candidate) mean, in leaderboard order
    for c in explore.tag_cells(lb.data):
        assert f"{c['candidate']} on {c['tag']}: {fmt.score(c['mean'])} {fmt.interval(c['low'], c['high'])}" in text
    # the worst cases, in the library's order, each with every candidate's output
    worst = explore.hardest_examples(explore.example_table(demo_ws, DEMO_SUITE), limit=5)
    titles = re.findall(r"<h3>(.*?) \(", page)
    assert titles == list(worst["example_id"])
    detail = explore.example_detail(demo_ws, DEMO_SUITE, titles[0], [r["candidate"] for r in lb.rows])
    for c in detail["candidates"]:
        assert html.escape(c["repeats"][0]["output"][:200]) in page
    # three charts, drawn as SVG in the page (no script, no canvas)
    assert len([t for t, _ in parsed.tags if t == "svg"]) == 3 and "<script" not in page.lower()
    assert len(page.encode()) < 5_000_000


@pytest.mark.slow
def test_markdown_report_carries_the_same_numbers_and_fits_a_github_comment(demo_ws: Path) -> None:
    text = rep.build_report(demo_ws, DEMO_SUITE, fmt_="md")
    assert len(text) <= LIMIT
    page = _render_md(text)
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    lb = analysis.leaderboard(demo_ws, DEMO_SUITE)
    rec = analysis.recommendation(demo_ws, DEMO_SUITE, board=lb)
    assert rec.headline in shown
    for r in lb.rows:
        assert f"<td>{r['candidate']}</td>\n<td style=\"text-align:right\">{fmt.score(r['mean'])}</td>" in page
    for heading in ("The decision", "Leaderboard", "What people said", "What changed since the previous run",
                    "Trends per family", "Results per tag", "The worst edge cases"):
        assert f"<h3>{heading}</h3>" in page
    assert "<img" not in page and "<svg" not in page  # tables, no images


def test_markdown_shortens_outputs_to_stay_under_the_comment_limit(tmp_path: Path, server) -> None:
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    long = "word " * 4000  # 20,000 characters per input, echoed in every output
    path = markup_suite(tmp_path / "s", server.base_url, [f"{long} {i}" for i in range(12)])
    run_suite(load_suite(path), tmp_path / "ws")
    text = rep.build_report(tmp_path / "ws", "hostile", fmt_="md", cases=10)
    assert len(text) <= LIMIT
    assert "more characters not shown" in text
    full = rep.build_report(tmp_path / "ws", "hostile", cases=10)  # HTML keeps more of each output
    assert full.count("<h3>") == 10


def test_a_suite_without_families_or_release_dates_still_reports(tmp_path: Path, server) -> None:
    """`evalcore report` ended in KeyError: 'family' when no candidate had a release date: the trend's groups
    dropped every row whose family or release was missing, leaving a table without columns."""
    from suite_factory import make_suite

    from evalcore.runner import run_suite

    suite = make_suite(tmp_path, server.base_url, ["q1", "q2", "q3"], candidate_extra={"family": None, "release": None})
    run_suite(suite, tmp_path / "ws")
    for kind in ("html", "md"):
        text = rep.build_report(tmp_path / "ws", "t", fmt_=kind)
        assert "No candidate has a release date" in text
    trend = explore.trend(tmp_path / "ws", "t", x="run")
    assert sorted(trend["rows"]["candidate"]) == ["m0", "m1"]


# -- hostile text ------------------------------------------------------------------------------------------------


def test_html_shows_hostile_outputs_tags_and_names_as_text(hostile_ws: Path) -> None:
    page = rep.build_report(hostile_ws, "hostile")
    parsed = _assert_inert(page)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert html.escape(SCRIPT) in page and html.escape(IMG) in page  # shown, as text
    text = "".join(parsed.text)
    assert SCRIPT in text and IMG in text  # what a reader sees
    assert "<b>fam</b>|0" in text and "has|m0" in text  # family and scorer name, as typed
    assert "bell\\u0007\\u202e" in text and "\u202e" not in page  # a bell and a bidi override, made visible
    assert page.count("<svg") == 3  # ... also in the charts, which draw that tag


def test_markdown_shows_hostile_text_without_markup_or_broken_tables(hostile_ws: Path) -> None:
    text = rep.build_report(hostile_ws, "hostile", fmt_="md")
    page = _render_md(text)
    tags = {t for t, _ in _parse(page).tags}
    assert tags <= {"h2", "h3", "p", "blockquote", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
                    "pre", "code", "em", "sub", "details", "summary"}, tags
    assert "<script" not in page and "<img" not in page and "<a " not in page and "<del>" not in page
    # Tables keep their shape: every body row has as many cells as the header.
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[-1], re.S):
            assert len(re.findall(r"<td[ >]", row)) == head
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert IMG in shown and "a|b" in shown and "**bold**" in shown  # the tag, as text
    assert "@\u200boctocat" in shown and "#\u200b12" in shown  # no mention, no issue link
    assert SCRIPT in shown  # the outputs, verbatim inside code blocks
    assert "`code`" in shown and "~~gone~~" in shown and "$x$" in shown


def test_markdown_escaping_is_one_line_and_fences_cannot_be_closed() -> None:
    assert md("a|b\nc") == "a\\|b c"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert _render_md(md("\x1b[31mred\u202e")) == "<p>\\u001b[31mred\\u202e</p>\n"  # shown, not obeyed
    block = fenced("before\n````\nafter")
    assert block.startswith("`````text\n") and block.endswith("\n`````")
    assert "<pre><code" in _render_md(block) and "after" in _render_md(block).split("</code>")[0]


def test_a_chart_with_anything_but_shapes_is_left_out() -> None:
    ok = ('<svg xmlns="http://www.w3.org/2000/svg"><g><rect width="1" height="1" fill="url(#a)"/><text>x</text>'
          "</g></svg>")
    assert safe_svg(ok) == ok
    for bad in ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                '<use xlink:href="http://x/y.svg#a"/></svg>',
                '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(http://x/y)"/></svg>',
                "<svg><unclosed>"):
        assert safe_svg(bad) is None, bad


# -- no leader to name -------------------------------------------------------------------------------------------


def test_a_suite_whose_calls_all_failed_says_so_and_names_no_leader(tmp_path: Path, server) -> None:
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    path = markup_suite(tmp_path / "s", server.base_url, [f"[[400]] question {i}" for i in range(4)])
    run_suite(load_suite(path), tmp_path / "ws")
    for kind in ("html", "md"):
        text = rep.build_report(tmp_path / "ws", "hostile", fmt_=kind)
        shown = html.unescape(re.sub(r"<[^>]+>", "", _render_md(text) if kind == "md" else text))
        assert "Every call failed for all 2 candidates" in shown and "No leader: 8 failed calls of 8 calls" in shown
        assert "Pick " not in shown and "Leaderboard" not in shown and "could be best" not in shown
        assert "Calls per candidate" in shown


def test_a_suite_with_runs_but_no_results_says_there_is_nothing_to_pick(tmp_path: Path, server) -> None:
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    stop = threading.Event()
    stop.set()  # stopped before the first call: a run manifest, no results
    path = markup_suite(tmp_path / "s", server.base_url, [f"question {i}" for i in range(4)])
    run_suite(load_suite(path), tmp_path / "ws", stop=stop)
    doc = rep.report(tmp_path / "ws", "hostile")
    assert doc.status == "no_scores" and doc.pick is None
    page = rep.render(doc, "html")
    assert "No readable scores" in page and "Leaderboard" not in page and "(interrupted)" in page
    assert "has no results yet" in page and "Run the suite: evalcore run SUITE_FILE" in page


def test_a_suite_whose_judge_gave_no_readable_value_gets_a_report_that_says_so(tmp_path: Path, server) -> None:
    """`evalcore report` exited 2 on a suite whose only scorer, a judge, had no readable value, although a suite without
    scores "gets a report that says so and names no leader"; the report says what the CLI and the pages say."""
    from suite_factory import make_suite

    from evalcore.runner import run_suite

    judge = {"type": "llm_judge", "name": "judge", "model": "openai/judge", "api_base": server.base_url,
             "rubric": "5 is perfect"}
    suite = make_suite(tmp_path, server.base_url, ["[[reply:no verdict]] a", "[[reply:no verdict]] b"],
                       scorers=[judge])
    run_suite(suite, tmp_path / "ws")
    with pytest.raises(analysis.NoScoresError) as exc:
        analysis.leaderboard(tmp_path / "ws", "t")
    doc = rep.report(tmp_path / "ws", "t")
    assert doc.status == "no_scores" and doc.pick is None
    for kind in ("md", "html"):
        page = html.unescape(rep.render(doc, kind)).replace("\\", "")
        assert "No readable scores" in page and "Leaderboard" not in page and "Calls per candidate" in page
        assert "has no readable values" in page and "Fix the cause (for a judge" in page, page
    written = rep.write_report(tmp_path / "ws", "t", tmp_path / "r.md")
    assert written.headline.startswith("No readable scores") and exc.value.hint in doc.section("decision").items[2].text


# -- people's mistakes and the CLI ---------------------------------------------------------------------------------


def test_unknown_suite_exits_2_naming_the_known_suites(hostile_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", "--suite", "nope", "--out", str(out), "--workspace", str(hostile_ws)])
    assert result.exit_code == 2
    assert "no suite 'nope'" in result.stderr and "Known suites: hostile." in result.stderr
    assert not out.exists()
    result = CliRunner().invoke(main, ["report", "--suite", "hostile", "--run", "20990101T000000-aaaaaa",
                                       "--out", str(out), "--workspace", str(hostile_ws)])
    assert result.exit_code == 2 and "has no run '20990101T000000-aaaaaa'" in result.stderr
    result = CliRunner().invoke(main, ["report", "--suite", "hostile", "--scorer", "nope", "--out", str(out),
                                       "--workspace", str(hostile_ws)])
    assert result.exit_code == 2 and "has no scorer 'nope'" in result.stderr


def test_cli_writes_both_formats_in_a_real_process(hostile_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    out.write_text("old")
    proc = subprocess.run([*EVALCORE, "report", "--suite", "hostile", "--out", str(out), "--workspace",
                           str(hostile_ws)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Wrote {out} (HTML, ") and "KB)" in proc.stdout
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and html.escape(SCRIPT) in page
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]  # replaced atomically, no temp left
    md_out = tmp_path / "out" / "comment.md"  # the format follows the suffix
    proc = subprocess.run([*EVALCORE, "report", "--suite", "hostile", "--out", str(md_out), "--workspace",
                           str(hostile_ws)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "(Markdown, " in proc.stdout
    assert md_out.read_text(encoding="utf-8").startswith("## evalcore report: hostile")
    proc = subprocess.run([*EVALCORE, "report", "--suite", "hostile", "--format", "md", "--out", "-", "--workspace",
                           str(hostile_ws)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("## evalcore report: hostile")
    assert "\x1b" not in proc.stdout


def test_report_modules_stay_out_of_streamlit_and_litellm_and_load_charts_only_to_draw() -> None:
    code = ("import sys, json; import evalcore.report, evalcore.report_md, evalcore.report_html, evalcore.charts; "
            "print(json.dumps([m for m in ('streamlit', 'litellm', 'vl_convert') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
