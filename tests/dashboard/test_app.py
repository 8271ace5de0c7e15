"""The dashboard run in-process with Streamlit's AppTest, on the demo workspace and on empty ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, dashboard_module, demo_workspace  # noqa: F401 (a fixture)
from evalcore import analysis
from evalcore.demo import SYNTHETIC_NOTICE
from evalcore import formatting as fmt
from evalcore.demo_build import DEMO_SUITE

TABLE_COLUMNS = ["rank", "candidate", "score", "ci", "could_be_best", "cost_1k", "pass", "p50", "errors", "n"]


def _app(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(workspace))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _decision_text(at: AppTest) -> str:
    shown = [*at.success, *at.info]
    assert len(shown) == 1, [e.value for e in shown]
    return shown[0].value


def _board(at: AppTest):
    """The leaderboard table (the card's evidence table and the runs tables are the other dataframes)."""
    [table] = [d for d in at.dataframe if list(d.proto.column_order) == TABLE_COLUMNS]
    return table


def _chart_spec(at: AppTest) -> dict:
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def test_demo_overview_shows_warning_decision_chart_and_table(demo_workspace: Path, monkeypatch) -> None:
    at = _app(demo_workspace, monkeypatch)

    assert [w.value for w in at.warning] == [SYNTHETIC_NOTICE]
    table = _board(at)
    assert len(table.value) == 10
    expected = analysis.leaderboard(demo_workspace, DEMO_SUITE)
    assert table.value["candidate"].tolist() == [r["candidate"] for r in expected.rows]
    assert table.value["mean"].tolist() == [r["mean"] for r in expected.rows]
    assert table.value["score"].tolist() == [fmt.score(r["mean"]) for r in expected.rows]

    rec = analysis.recommendation(demo_workspace, DEMO_SUITE)
    text = _decision_text(at)
    assert text == f"**{dashboard_module('data').markdown_safe(rec.headline)}**"
    # the evidence lists every candidate, in the leaderboard's order, the pick ticked (it was missing, the box
    # never ticked)
    assert not [d for d in at.dataframe if "verdict" in d.value.columns]  # closed, the table is not even sent
    at.session_state["decision_details"] = True  # what clicking the expander sets
    at.run()
    [evidence] = [d for d in at.dataframe if "verdict" in d.value.columns]
    assert evidence.value["candidate"].tolist() == [r["candidate"] for r in expected.rows]
    assert evidence.value.loc[evidence.value["pick"], "candidate"].tolist() == [rec.pick]
    assert evidence.value.loc[evidence.value["candidate"] == rec.leader, "vs leader"].tolist() == ["leader"]

    spec = _chart_spec(at)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "point", "text"]
    assert spec["layer"][0]["encoding"]["color"]["field"] == "family"  # one colour per family on every page
    assert "line_items_f1" in spec["layer"][0]["encoding"]["x"]["title"]
    assert [s.key for s in at.selectbox] == ["suite", "scorer"]
    assert at.selectbox(key="scorer").value == "line_items_f1"  # the suite's first scorer


def test_choosing_another_scorer_rerenders_with_that_scorer(demo_workspace: Path, monkeypatch) -> None:
    at = _app(demo_workspace, monkeypatch)
    before = _board(at).value["mean"].tolist()

    at.selectbox(key="scorer").set_value("json_valid").run()

    assert not at.exception
    assert "json\\_valid" in at.subheader[0].value  # escaped: a scorer's name is not markdown
    assert "json_valid" in _chart_spec(at)["layer"][0]["encoding"]["x"]["title"]
    expected = analysis.leaderboard(demo_workspace, DEMO_SUITE, scorer="json_valid")
    after = _board(at).value
    assert after["mean"].tolist() == [r["mean"] for r in expected.rows] != before
    rec = analysis.recommendation(demo_workspace, DEMO_SUITE, scorer="json_valid")
    assert dashboard_module("data").markdown_safe(rec.headline) in _decision_text(at)
    assert [w.value for w in at.warning] == [SYNTHETIC_NOTICE]


def test_a_scorer_the_suite_lacks_falls_back_to_its_primary_scorer(demo_workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(demo_workspace))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.session_state["scorer"] = "a_scorer_from_another_suite"
    at.run()

    assert not at.exception and not at.error
    assert at.selectbox(key="scorer").value == "line_items_f1"
    assert "line\\_items\\_f1" in at.subheader[0].value


def test_a_library_error_is_shown_to_the_person_not_raised(demo_workspace: Path, monkeypatch) -> None:
    from evalcore.errors import EvalcoreError

    data = dashboard_module("data")

    def fails(*args, **kwargs):
        raise EvalcoreError("suite 'x' has no scorer 'my_scorer'.", hint="Scorers: a, b.")

    monkeypatch.setattr(data, "leaderboard", fails)
    at = _app(demo_workspace, monkeypatch)

    [error] = at.error
    assert "no scorer" in error.value and r"my\_scorer" in error.value and "Scorers: a, b." in error.value
    assert not at.dataframe


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_workspace_without_results_says_how_to_get_some(kind: str, tmp_path: Path, monkeypatch) -> None:
    ws = tmp_path / "nothing-here"
    if kind == "empty":
        ws.mkdir()
    at = _app(ws, monkeypatch)

    [info] = at.info
    assert "evalcore demo" in info.value and "evalcore run" in info.value
    assert not at.dataframe and not at.get("vega_lite_chart") and not at.selectbox and not at.error


def test_another_workspace_is_not_served_from_the_cache(demo_workspace: Path, tmp_path: Path, monkeypatch) -> None:
    assert len(_app(demo_workspace, monkeypatch).dataframe) == 2  # leaderboard, suites (the closed expanders send none)
    empty = _app(tmp_path, monkeypatch)
    assert not empty.dataframe and "evalcore demo" in empty.info[0].value


def test_the_launcher_preloads_the_pages_libraries_but_not_litellm() -> None:
    """`dashboard/serve.py` imports what the viewer pages need before Streamlit serves (the first visitor should
    not wait for it), and never litellm, which only a run needs."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DASHBOARD)!r})\n"
        "import serve\n"
        "serve.preload()\n"
        "need = {'pandas', 'duckdb', 'altair', 'scipy.stats', 'evalcore.analysis', 'evalcore.charts', 'evalcore.stats'}\n"
        "assert need <= set(sys.modules), need - set(sys.modules)\n"
        "assert 'litellm' not in sys.modules, 'litellm was imported'\n"
        "from streamlit import delta_generator\n"
        "assert delta_generator._use_warning_has_been_displayed, 'the bare-python check would walk the stack'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


_NODELAY_CHECK = """
import asyncio, socket, sys
sys.path.insert(0, {dashboard!r})
from streamlit.web.server.starlette import starlette_server

def accepted_nodelay() -> int:
    '''TCP_NODELAY on a connection accepted by asyncio from the socket Streamlit's own bind makes.'''
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    seen = []
    class Probe(asyncio.Protocol):
        def connection_made(self, transport):
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()
    async def go():
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
    asyncio.run(go())
    return seen[0]

before = accepted_nodelay()
import serve
{call}
after = accepted_nodelay()
print(before, after, starlette_server._bind_socket.evalcore_nodelay)
"""


@pytest.mark.parametrize("call", ["assert serve.tcp_nodelay_listener()",
                                  "from streamlit.web import cli\ncli.main = lambda *a, **k: None\nserve.main([])"],
                         ids=["the function", "main"])
def test_the_launcher_turns_nagle_off_on_the_servers_connections(call: str, demo_workspace: Path) -> None:
    """Streamlit 1.67 binds its listener without proto, so asyncio leaves Nagle on every connection and each
    response after the first on a keep-alive connection waited ~40 ms for the browser's delayed ACK. After the
    launcher's patch (as `main` applies it before serving) asyncio sets TCP_NODELAY on what the server accepts.
    If `before` ever reads 1, Streamlit binds correctly itself and `serve.tcp_nodelay_listener` can go."""
    code = _NODELAY_CHECK.format(dashboard=str(DASHBOARD), call=call)
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVALCORE_WORKSPACE": str(demo_workspace)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-3:] == ["0", "1", "True"], proc.stdout[-500:]


_MEMORY_CHECK = """
import sys
sys.path.insert(0, {dashboard!r})
import serve
from streamlit.web import cli
cli.main = lambda *a, **k: None
serve.main([])
from streamlit.web.server.starlette import starlette_static_routes as routes
print(routes.create_streamlit_static_handler.evalcore_memory)
"""


def test_the_launcher_serves_hashed_frontend_files_from_memory(tmp_path: Path, demo_workspace: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Starlette sent each frontend file through worker threads (stat, open, a read per 64 KB), each hop waiting
    for the GIL while the page's script ran, and the page's messages queued behind them: with the files kept in
    memory, first renders at 1M results were 0.05-0.2 s faster (medians, 20 alternating rounds). Gzipped for a
    browser that accepts it (Streamlit sends them plain: 5.1 MB for the four viewer pages, 1.4 MB gzipped; over a
    20 Mbit/s link first renders went 2.8-3.5 -> 2.3-2.5 s). Only what Streamlit marks immutable (content-hashed
    names) is kept; index.html is read afresh; a Range request is answered from the file."""
    import gzip

    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient
    from streamlit.web.server.starlette import starlette_static_routes as routes

    monkeypatch.syspath_prepend(str(DASHBOARD))
    import serve

    monkeypatch.setattr(routes, "create_streamlit_static_handler", routes.create_streamlit_static_handler)
    assert serve.memory_static_files() and serve.memory_static_files()  # applied once, then a no-op
    (tmp_path / "static" / "js").mkdir(parents=True)
    chunk = tmp_path / "static" / "js" / "DataFrame.abc123.js"
    code_text = b"export const grid = 1;" * 5000
    chunk.write_bytes(code_text)
    (tmp_path / "index.html").write_text("<html>first</html>")
    assert serve.pack_frontend(str(tmp_path)).startswith("gzipped 1 frontend file,")
    app = Starlette(routes=[Mount("/", app=routes.create_streamlit_static_handler(str(tmp_path), None))])
    raw = {"Accept-Encoding": "identity"}
    with TestClient(app) as client:
        first = client.get("/static/js/DataFrame.abc123.js", headers=raw)
        assert first.status_code == 200 and "immutable" in first.headers["cache-control"]
        assert first.content == code_text and "content-encoding" not in first.headers
        chunk.write_bytes(b"changed on disk")
        (tmp_path / "index.html").write_text("<html>second</html>")
        again = client.get("/static/js/DataFrame.abc123.js", headers=raw)
        assert again.status_code == 200 and again.content == code_text  # from memory, not the disk
        for header in ("content-type", "etag", "last-modified", "cache-control"):
            assert again.headers[header] == first.headers[header]
        assert int(again.headers["content-length"]) == len(code_text)
        packed = client.get("/static/js/DataFrame.abc123.js", headers={"Accept-Encoding": "gzip, br"})
        assert packed.headers["content-encoding"] == "gzip" and packed.headers["vary"] == "Accept-Encoding"
        assert packed.content == code_text and packed.headers["etag"] == "W/" + first.headers["etag"]
        assert int(packed.headers["content-length"]) < len(code_text) / 10
        with client.stream("GET", "/static/js/DataFrame.abc123.js", headers={"Accept-Encoding": "gzip"}) as r:
            assert gzip.decompress(b"".join(r.iter_raw())) == code_text
        part = client.get("/static/js/DataFrame.abc123.js", headers={"Range": "bytes=0-6"})
        assert part.status_code == 206 and part.content == b"changed"  # ranges go to the file, as before
        page = client.get("/")
        assert page.text == "<html>second</html>" and page.headers["cache-control"] == "no-cache"
    code = _MEMORY_CHECK.format(dashboard=str(DASHBOARD))  # and `main` applies it before Streamlit serves
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVALCORE_WORKSPACE": str(demo_workspace)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0 and proc.stdout.split()[-1] == "True", proc.stderr[-3000:]


@pytest.mark.parametrize(("header", "ok"), [
    (None, False), ("gzip, deflate, br", True), ("GZIP", True), ("br;q=1.0, gzip;q=0.5", True),
    ("br, gzip;q=0", False), ("*", True), ("identity", False), ("gzip;q=x", False)])
def test_gzip_only_where_the_browser_accepts_it(header: str | None, ok: bool, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(DASHBOARD))
    import serve

    assert serve.accepts_gzip([] if header is None else [(b"accept-encoding", header.encode())]) is ok


def test_the_launcher_warms_the_workspace_the_pages_then_read(demo_workspace: Path, tmp_path: Path) -> None:
    """`serve.warm_workspace` fills the caches the first page starts from, in the module object the pages import:
    afterwards the default leaderboard is served without computing it again. A missing or broken workspace
    never stops the launcher (the page says what is wrong)."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DASHBOARD)!r})\n"
        "import serve\n"
        "said = serve.warm_workspace()\n"
        "assert 'leaderboard' in said, said\n"
        "import data\n"
        "from evalcore import analysis\n"
        "def boom(*a, **k):\n"
        "    raise AssertionError('computed again')\n"
        "analysis.leaderboard = boom\n"
        "ws = data.workspace()\n"
        "tok = data.data_token(ws)\n"
        "[suite] = data.suites(ws, tok)\n"
        "scorer = data.scorers(ws, tok, suite)[0]\n"
        "assert data._leaderboard(ws, tok, suite, scorer).rows\n"
        "assert data._queries(ws)._present['results']\n"
        "print(said)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVALCORE_WORKSPACE": str(demo_workspace)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    broken = tmp_path / "broken"
    part = broken / "results" / "suite=s" / "run=r" / "part-w.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"not parquet")
    for where in (tmp_path / "absent", broken):
        code = f"import sys\nsys.path.insert(0, {str(DASHBOARD)!r})\nimport serve\nprint(serve.warm_workspace())\n"
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO), "EVALCORE_WORKSPACE": str(where)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.startswith("evalcore: warmed"), proc.stdout


def test_the_launcher_runs_each_viewer_page_once_so_a_first_visit_computes_nothing(demo_workspace: Path,
                                                                                     tmp_path: Path) -> None:
    """`serve.warm_pages` runs the viewer pages' own code before the server starts. Afterwards, every viewer
    page's default view (as a first visitor opens it) issues no DuckDB statement and builds no chart spec; the
    warm runs are not traced as visits, leave no stand-in runtime behind, and are skipped when login is on."""
    trace = tmp_path / "trace.tsv"
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DASHBOARD)!r})\n"
        "import serve\n"
        "serve.preload()\n"
        "serve.load_run_config([])\n"
        "serve.warm_workspace()\n"
        "said = serve.warm_pages()\n"
        "assert said.startswith('pages Overview, Compare, Trends, Explore in '), said\n"
        "from streamlit.runtime import Runtime\n"
        "assert Runtime._instance is None\n"
        f"assert not __import__('os').path.exists({str(trace)!r}), 'a warm run was traced as a visit'\n"
        "import chart_out, data\n"
        "from page_list import VIEWER_PAGES\n"
        "q = data._queries(data.workspace())\n"
        "class Counting:\n"
        "    def __init__(self, con):\n"
        "        self.con, self.n = con, 0\n"
        "    def cursor(self):\n"
        "        self.n += 1\n"
        "        return self.con.cursor()\n"
        "    def execute(self, *a, **k):\n"
        "        self.n += 1\n"
        "        return self.con.execute(*a, **k)\n"
        "    def __getattr__(self, name):\n"
        "        return getattr(self.con, name)\n"
        "q.con = Counting(q.con)\n"
        "built = []\n"
        "spec = chart_out.spec\n"
        "chart_out.spec = lambda chart: built.append(chart) or spec(chart)\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file(str(serve.APP), default_timeout=60)\n"
        "for i, (script, title, _) in enumerate(VIEWER_PAGES):\n"
        "    (at.switch_page(script) if i else at).run()\n"
        "    assert not at.exception, (title, at.exception)\n"
        "    assert at.title[0].value == title\n"
        "    assert q.con.n == 0, f'{title} queried DuckDB {q.con.n} times'\n"
        "    assert not built, f'{title} built {len(built)} chart specs'\n"
        f"assert len(open({str(trace)!r}).read().splitlines()) == len(VIEWER_PAGES)\n"
        "import access\n"
        "access.auth_configured = lambda: True\n"
        "assert serve.warm_pages() == 'no pages (login is configured)'\n"
        "print(said)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVALCORE_WORKSPACE": str(demo_workspace),
           "EVALCORE_TRACE_PAGES": str(trace)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_dashboard_data_layer_does_not_import_litellm(demo_workspace: Path) -> None:
    """In a fresh interpreter: the modules the pages import, and every cached query, leave litellm alone."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(DASHBOARD)!r})\n"
        "import data\n"
        "from evalcore import charts\n"
        "import evalcore.errors\n"
        f"ws = {str(demo_workspace)!r}\n"
        "tok = data.data_token(ws)\n"
        "[suite] = data.suites(ws, tok)\n"
        "for scorer in data.scorers(ws, tok, suite):\n"
        "    charts.leaderboard_chart(data.leaderboard(ws, tok, suite, scorer)['rows'])\n"
        "    data.decision(ws, tok, suite, scorer)\n"
        "    data.recommendation(ws, tok, data.labels_token(ws), suite, scorer, 'cheapest', 0.02)\n"
        "    data.example_detail(ws, tok, suite, 'inv-001', ())\n"
        "    data.trend(ws, tok, suite, scorer, None, 'run')\n"
        "    data.tag_cells(ws, tok, suite, scorer)\n"
        "    data.public_ranks(ws, tok, suite, scorer)\n"
        "    data.changes(ws, tok, suite, scorer)\n"
        "data.runs(ws, tok, suite)\n"
        "assert 'litellm' not in sys.modules, 'litellm was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's evalcore, not the installed one
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
