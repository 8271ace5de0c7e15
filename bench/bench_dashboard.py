"""Dashboard at scale: a generated workspace of 1,000,000 results (200 runs x 5,000: 10 candidates x 500
examples, one scorer), served by `streamlit run dashboard/app.py`, measured in headless Chromium.

For every page:
- first render: a full page load (a fresh browser session on a fresh server, nothing cached), timed from
  navigation until the page's content is there and the app is idle; once in the main run and, for the targets,
  the median of `--first-rounds` more (default 5; a fresh server each round, an empty browser cache per page):
  one render varies by +-0.3 s here, so a single one cannot say which side of 2 s a page is on;
- first render, returning visitor (`--returning ROUNDS`, default 3): the same on a fresh server each round, in a
  browser profile that has opened the dashboard before (its HTTP cache holds Streamlit's frontend files, which
  are hashed and immutable), with the element floor measured the same way;
- warm, in-app navigation: what a person does. One tab stays open and the sidebar link of the page is clicked
  (st.navigation switches pages over the open websocket: no page reload, no new session), timed until the
  page's script run has finished and its content is there; best of 3 rounds through all pages;
- warm, rerun: the same tab reruns the page's script ("r", as after any widget change), best of 3;
- warm, full page load: a new browser session per load once the server's caches hold the page's aggregates
  (best of 3). This includes loading Streamlit's frontend and opening the websocket, so it is printed beside
  the floor: a two-line Streamlit app's full load on the same machine at the same time.
The "warm" target (< 1 s) is read on in-app navigation; the full-load figures are shown for reference.
Two floors are measured beside the pages, each a trivial script on its own server: a two-line app, and the
element floor, a page with a select box, a 10-row table and a chart (Streamlit's frontend loads the code of each
kind of element when the first one arrives: ~2 MB of JavaScript for a table and a chart). Every dashboard page
shows at least those, so its first render minus the element floor is the share of the app's own work. Both
floors are served with the launcher's socket fix and in-memory, gzipped frontend files (dashboard/serve.py,
`tcp_nodelay_listener`, `memory_static_files`, `pack_frontend`), as the pages are;
beside them, the time to fetch the frontend's ~60 files over 6 keep-alive connections from plain `streamlit run`
(Nagle left on) and with the fix.
Also a filter change on Explore and Compare, and the dashboard process's RSS at the end. Prints a table with
the targets beside the figures and writes it to bench/results/dashboard-<stamp>.txt.

    python bench/bench_dashboard.py [--runs 200] [--candidates 10] [--examples 500] [--keep DIR]
    python bench/bench_dashboard.py --s3      # 100,000 results in a bucket of a local S3 server (moto)

With `--s3` the workspace is `s3://bench/ws` on a moto server started on 127.0.0.1 (default size: 20 runs,
100,000 results), and the targets are the object-storage ones: first render under 3 s, warm under 1 s.

The workspace is written straight through the store's layout and schemas (Parquet parts, manifests, the
examples snapshot), as the runner would leave it, without calling a model: generating 1M results through
the runner would take hours and measure the runner, not the dashboard.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "dashboard"))
sys.path.insert(0, str(REPO))

from dashboard_testing import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, wait_idle  # noqa: E402

from evalcore import store  # noqa: E402

SUITE = "bench-suite"
FAMILIES = ["aurora", "basalt", "cirrus", "delta", "ember"]
TAGS = ["clean", "clean", "clean", "malformed", "ambiguous", "adversarial", "long", "multilingual"]
TARGETS = {"first": 2.0, "warm": 1.0, "filter": 0.5, "rss_mb": 1024.0}
PAGES = [("overview", "", "Leaderboard:"), ("compare", "compare", "Head-to-head"),
         ("trends", "trends", "per family over time"), ("explore", "explore", "Every candidate's output")]
TITLES = {"overview": "Overview", "compare": "Compare", "trends": "Trends", "explore": "Explore"}

# Counts finished script runs in the page: stApp's data-test-script-state goes "running" -> "notRunning" at the end
# of every run, whether started by a page switch, a widget or a rerun.
_WATCH_RUNS = """() => {
  if (window.__runsDone !== undefined) return;
  window.__runsDone = 0;
  const app = document.querySelector('[data-testid=stApp]');
  let last = app.getAttribute('data-test-script-state');
  new MutationObserver(() => {
    const now = app.getAttribute('data-test-script-state');
    if (last !== 'notRunning' && now === 'notRunning') window.__runsDone += 1;
    last = now;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def generate(root: Path | str, runs: int, candidates: int, examples: int, seed: int = 1) -> int:
    """Write the workspace; returns the number of results."""
    rng = random.Random(seed)
    ws = store.Workspace(root)
    version = "v1"
    ex_rows = [{"suite": SUITE, "suite_version": version, "example_id": f"ex-{i:05d}",
                "input": f"Invoice {i}: " + " ".join(rng.choice(["paper", "toner", "chair", "lamp"]) for _ in range(30)),
                "expected": json.dumps({"line_items": [{"description": "paper", "quantity": i % 7 + 1}]}),
                "tags": sorted({rng.choice(TAGS)}), "fields": "{}", "row": i + 1, "schema_version": 1}
               for i in range(examples)]
    ws.write_examples(SUITE, version, ex_rows)
    cands = [{"name": f"model-{k:02d}", "family": FAMILIES[k % len(FAMILIES)],
              "release": (datetime(2025, 1, 1) + timedelta(days=40 * k)).date(), "skill": 0.55 + 0.4 * rng.random(),
              "cost": 10 ** rng.uniform(-5, -2), "latency": rng.uniform(80, 1500)} for k in range(candidates)]
    tags = [r["tags"] for r in ex_rows]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    total = 0
    for r in range(runs):
        run_id = (t0 + timedelta(hours=6 * r)).strftime("%Y%m%dT%H%M%S") + f"-{r:06x}"
        created = t0 + timedelta(hours=6 * r)
        res_cols: dict[str, list] = {f.name: [] for f in store.RESULTS_SCHEMA}
        sc_cols: dict[str, list] = {f.name: [] for f in store.SCORES_SCHEMA}
        for c in cands:
            drift = 0.03 * (r / max(runs - 1, 1))
            for i in range(examples):
                hard = "clean" not in tags[i]
                p = c["skill"] - (0.2 if hard else 0) + drift
                err = rng.random() < 0.01
                value = 0.0 if err else min(1.0, max(0.0, rng.random() * 0.4 + p - 0.2))
                row = {"run_id": run_id, "suite": SUITE, "suite_version": version, "example_id": f"ex-{i:05d}",
                       "candidate": c["name"], "model": f"bench/{c['name']}", "family": c["family"],
                       "release": c["release"], "repeat": 0, "request_hash": f"{run_id}-{c['name']}-{i}",
                       "output": None if err else '{"line_items": [{"description": "paper", "quantity": %d}]}' % (i % 7 + 1),
                       "finish_reason": None if err else "stop", "error_kind": "timeout" if err else None,
                       "error": "timed out after 60 s" if err else None,
                       "latency_ms": None if err else rng.gauss(c["latency"], c["latency"] * 0.2),
                       "input_tokens": 300, "output_tokens": 40, "cost_usd": None if err else c["cost"],
                       "cached": False, "attempts": 1, "created_at": created, "schema_version": 1}
                for k, v in row.items():
                    res_cols[k].append(v)
                score = {"run_id": run_id, "suite": SUITE, "example_id": f"ex-{i:05d}", "candidate": c["name"],
                         "repeat": 0, "scorer": "f1", "value": value, "passed": value >= 0.8,
                         "detail": json.dumps({"f1": value}), "judge_request_hash": None, "created_at": created,
                         "schema_version": 1}
                for k, v in score.items():
                    sc_cols[k].append(v)
        store.write_tables(ws, SUITE, run_id, "w0", pa.table(res_cols, schema=store.RESULTS_SCHEMA),
                           pa.table(sc_cols, schema=store.SCORES_SCHEMA))
        ws.write_manifest({
            "run_id": run_id, "suite": SUITE, "suite_version": version, "status": "finished",
            "started_at": created.isoformat(), "finished_at": (created + timedelta(minutes=5)).isoformat(),
            "candidates": [c["name"] for c in cands], "planned": candidates * examples,
            "config": {"scorers": [{"type": "json_fields", "name": "f1"}],
                       "candidates": [{"name": c["name"], "family": c["family"], "release": str(c["release"])}
                                      for c in cands]},
        })
        total += candidates * examples
    return total


def _rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children (from /proc), in MB."""
    def one(p: int) -> tuple[float, list[int]]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            return 0.0, []
        kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        return kb / 1024, [int(k) for k in kids]

    total, todo = 0.0, [pid]
    while todo:
        mb, kids = one(todo.pop())
        total += mb
        todo += kids
    return total


def _settled_rss_mb(pid: int, limit_s: float = 60.0) -> float:
    """RSS once the runner's fork server (warmed after 5 quiet seconds, then loading litellm) is up and the total
    has stopped growing: the dashboard's memory as it stays, fork server included."""
    samples: list[float] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        samples.append(_rss_mb(pid))
        kids = " ".join(Path(f"/proc/{k}/cmdline").read_text(errors="replace") for k in _children(pid))
        if "forkserver" in kids and len(samples) >= 3 and max(samples[-3:]) - min(samples[-3:]) < 2:
            break
        time.sleep(1)
    return samples[-1]


def _children(pid: int) -> list[int]:
    try:
        return [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _warm_browser(browser_or_context) -> None:
    """One throwaway page before anything is timed: a just-launched browser's first page also starts its GPU and
    network processes (~0.3-0.7 s here), which a person opening a link in a running browser never waits for.
    Without it the first page measured (always Overview) carried that, and the floors (best of 3) did not."""
    page = browser_or_context.new_page()
    page.set_content("<p>warm</p>")
    page.close()


def _render(page, url: str, marker: str) -> float:
    """Seconds from navigation until the page's content is there and the app is idle."""
    t = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text(marker).first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    return time.perf_counter() - t


def _after_run(page, action, title: str, marker: str) -> float:
    """Seconds from `action()` until a script run has finished on the open page with its title and content there."""
    page.evaluate(_WATCH_RUNS)
    before = page.evaluate("() => window.__runsDone")
    t = time.perf_counter()
    action()
    page.wait_for_function("(n) => window.__runsDone > n", arg=before, timeout=120_000)
    page.locator("h1").filter(has_text=title).first.wait_for(timeout=120_000)
    page.get_by_text(marker).first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    return time.perf_counter() - t


def _navigate(page, name: str, marker: str) -> float:
    """In-app navigation: click the page's sidebar link (no reload; the session and its websocket stay)."""
    link = page.locator("[data-testid=stSidebarNav] a").filter(has_text=TITLES[name]).first
    return _after_run(page, link.click, TITLES[name], marker)


def _rerun(page, name: str, marker: str) -> float:
    """Rerun the page's script in the open session, as Streamlit's "r" shortcut (or any widget change) does."""
    def press() -> None:
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("r")
    return _after_run(page, press, TITLES[name], marker)


def _pick(page, label: str, option: str, watch: str) -> float:
    """Open a select box, then time from clicking the option until the first element whose text contains
    `watch` says something else (the page redrew with the new filter) and the app is idle."""
    opt = page.get_by_role("option", name=option, exact=True)
    for attempt in range(4):  # a click while charts still settle the layout can miss: open the list again
        page.locator("[data-testid=stSelectbox]").filter(has_text=label).first.click()
        try:
            opt.wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
    js = ("([w, before]) => { const el = [...document.querySelectorAll('[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]')]"
          ".find(e => e.innerText.includes(w)); return el && el.innerText !== before; }")
    before = page.locator("[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]").filter(
        has_text=watch).first.inner_text()
    t = time.perf_counter()
    opt.click()
    page.wait_for_function(js, arg=[watch, before], timeout=60_000)
    wait_idle(page, 60_000)
    return time.perf_counter() - t


_HELLO = 'import streamlit as st\nst.title("Hello")\nst.write("ready marker")\n'
# The element floor: what every dashboard page shows at least (a select box, a table, a chart), with a trivial
# script. Streamlit's frontend loads each element's code (the table's ~1.2 MB, Vega's ~0.8 MB of JavaScript) only
# when the first such element arrives, so a page with a table and a chart costs this much before any data work.
_ELEMENTS = (
    "import altair as alt\nimport pandas as pd\nimport streamlit as st\n"
    "st.title('Elements')\nst.selectbox('Pick', ['a', 'b'], key='p')\n"
    "df = pd.DataFrame({'candidate': [f'm{i}' for i in range(10)], 'mean': [0.5 + i / 30 for i in range(10)]})\n"
    "st.dataframe(df, hide_index=True)\n"
    "st.altair_chart(alt.Chart(df).mark_bar().encode(x='mean:Q', y='candidate:N'), width='stretch')\n"
    "st.write('ready marker')\n")


def frontend_files_s(base_url: str, connections: int = 6) -> float:
    """Seconds to fetch the files Streamlit's index.html names (~60) as a browser does: over `connections`
    keep-alive connections, each request after the previous one on its connection. Plain `streamlit run` 1.67
    leaves Nagle on (dashboard/serve.py, `tcp_nodelay_listener`), so each request after a connection's first
    waits ~40 ms for the client's delayed ACK; this shows it beside the launcher, in the same minutes."""
    import http.client
    import re
    import threading
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    first = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    first.request("GET", "/")
    files = ["/" + f.removeprefix("./") for f in re.findall(r'(?:src|href)="(\./static/[^"]+)"',
                                                              first.getresponse().read().decode())]
    first.close()

    def fetch(share: list[str]) -> None:
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        for f in share:
            conn.request("GET", f)
            conn.getresponse().read()
        conn.close()

    t = time.perf_counter()
    threads = [threading.Thread(target=fetch, args=(files[k::connections],)) for k in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t


# A trivial app served as the launcher serves the dashboard's (Nagle off, `serve.tcp_nodelay_listener`; frontend
# files from memory and gzipped, `serve.memory_static_files`, `serve.pack_frontend`), or with nodelay False as
# plain `streamlit run` does.
_TRIVIAL_RUN = ("import sys\nsys.path.insert(0, {dashboard!r})\nimport serve\n{patch}"
                "from streamlit.web import cli\ncli.main(['run', *sys.argv[1:]], prog_name='streamlit')\n")


@contextmanager
def _trivial_server(tmp: Path, app: str, name: str, nodelay: bool = True, port: int | None = None) -> Iterator[str]:
    """A one-file Streamlit app on 127.0.0.1 (a free port unless given) until the block ends; yields its URL."""
    import os
    import subprocess
    import urllib.request

    from dashboard_testing import free_port

    (tmp / name).write_text(app)
    port = port or free_port()
    patch = "serve.tcp_nodelay_listener()\nserve.memory_static_files()\nserve.pack_frontend()\n" * nodelay
    run = _TRIVIAL_RUN.format(dashboard=str(REPO / "dashboard"), patch=patch)
    proc = subprocess.Popen([sys.executable, "-c", run, str(tmp / name), "--server.headless",
                             "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def baseline(tmp: Path, app: str = _HELLO, name: str = "hello.py") -> float:
    """Best of 3 renders of a two-line Streamlit app on this machine now: the floor under every page figure
    (loading Streamlit's frontend, the websocket, one script run), so a reader can tell the app's share. With
    `app=_ELEMENTS`: the same for a page with a select box, a table and a chart (the element floor). Served with
    the launcher's socket fix, as the pages are, so the difference stays the app's own work."""
    from playwright.sync_api import sync_playwright

    with _trivial_server(tmp, app, name) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        times = []
        for _ in range(3):
            page = browser.new_page()
            times.append(_render(page, f"{url}/", "ready marker"))
            page.close()
        browser.close()
    return min(times)


def first_rounds(root: Path | str, tmp: Path, rounds: int = 5) -> dict[str, object]:
    """First renders from an empty browser cache, `rounds` times: per round a fresh server and, for each page, a
    new browser context (an empty cache, as a person who never opened the dashboard), the pages in a rotated
    order so that none is always the server's first visit; then the element floor the same way. One such render
    varies by +-0.3 s on 2 cores (Chromium's processes, the server and Playwright share them), so a single one,
    as `measure` takes, says little about a page; the median and the range of these do."""
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {"pages": {name: [] for name, _, _ in PAGES}, "elements": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _warm_browser(browser)
        for r in range(rounds):
            with StreamlitServer(root, tmp / f"first-{r}.log", timeout_s=120) as srv:  # type: ignore[arg-type]
                for name, path, marker in PAGES[r % len(PAGES):] + PAGES[:r % len(PAGES)]:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})  # a new context: empty cache
                    out["pages"][name].append(_render(page, f"{srv.url}/{path}", marker))  # type: ignore[index]
                    page.close()
            with _trivial_server(tmp, _ELEMENTS, "elements.py") as url:
                page = browser.new_page()  # untimed: a fresh trivial server imports altair and pandas on its first
                _render(page, f"{url}/", "ready marker")  # run, which the dashboard's launcher does before it answers
                page.close()
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                out["elements"].append(_render(page, f"{url}/", "ready marker"))  # type: ignore[union-attr]
                page.close()
        browser.close()
    return out


def returning(root: Path | str, tmp: Path, rounds: int = 3) -> dict[str, object]:
    """First renders for a returning visitor: a browser that opened the dashboard before (its HTTP cache holds
    Streamlit's hashed, immutable frontend files) meets a fresh server, as after a restart. One browser profile
    is primed once per server kind by visiting every page; then per round a fresh server on the same port (the
    cache is keyed by origin) and each page's first render in a new tab. Beside it, the element floor measured
    the same way. The "first" figures above are for a browser that never saw the app (an empty profile)."""
    from playwright.sync_api import sync_playwright

    from dashboard_testing import free_port

    out: dict[str, object] = {"pages": {name: [] for name, _, _ in PAGES}, "elements": []}
    port, floor_port = free_port(), free_port()
    profile, floor_profile = tmp / "profile-pages", tmp / "profile-floor"

    def context(pw, folder: Path):
        return pw.chromium.launch_persistent_context(str(folder), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                     viewport={"width": 1280, "height": 900})

    with sync_playwright() as pw:
        for r in range(rounds + 1):  # round 0 primes the profiles
            log = tmp / f"returning-{r}.log"
            with StreamlitServer(root, log, timeout_s=120, port=port) as srv:  # type: ignore[arg-type]
                ctx = context(pw, profile)
                _warm_browser(ctx)
                for name, path, marker in PAGES:
                    page = ctx.new_page()
                    t = _render(page, f"{srv.url}/{path}", marker)
                    if r:
                        out["pages"][name].append(t)  # type: ignore[index]
                    page.close()
                ctx.close()
            with _trivial_server(tmp, _ELEMENTS, "elements.py", port=floor_port) as url:
                ctx = context(pw, floor_profile)
                _warm_browser(ctx)
                page = ctx.new_page()  # untimed: a fresh trivial server imports altair and pandas on its first run,
                _render(page, f"{url}/", "ready marker")  # which the dashboard's launcher does before it answers
                page.close()
                page = ctx.new_page()
                t = _render(page, f"{url}/", "ready marker")
                if r:
                    out["elements"].append(t)  # type: ignore[union-attr]
                page.close()
                ctx.close()
    return out


def files_plain_and_fixed(tmp: Path) -> tuple[float, float]:
    """`frontend_files_s` (best of 3) from plain `streamlit run` and from the same app with the launcher's fix."""
    out = []
    for nodelay in (False, True):
        with _trivial_server(tmp, _HELLO, "files.py", nodelay) as url:
            out.append(min(frontend_files_s(url) for _ in range(3)))
    return out[0], out[1]


def measure(root: Path | str, log: Path) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {"first": {}, "warm": {}, "rerun": {}, "reload": {}, "filter": {}}
    out["baseline"] = baseline(log.parent)
    out["files_plain"], out["files_fixed"] = files_plain_and_fixed(log.parent)
    out["elements"] = baseline(log.parent, _ELEMENTS, "elements.py")
    with StreamlitServer(root, log, timeout_s=120) as srv, sync_playwright() as pw:  # type: ignore[arg-type]
        out["files_launcher"] = min(frontend_files_s(srv.url) for _ in range(3))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _warm_browser(browser)
        for name, path, marker in PAGES:  # first render: a new session, nothing of this page cached yet
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            out["first"][name] = _render(page, f"{srv.url}/{path}", marker)  # type: ignore[index]
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 900})  # warm, as a person moves: one tab
        _render(page, f"{srv.url}/explore", "Every candidate's output")
        nav: dict[str, list[float]] = {name: [] for name, _, _ in PAGES}
        for _ in range(3):  # three rounds through the sidebar; the first page differs from the open one
            for name, _, marker in PAGES:
                nav[name].append(_navigate(page, name, marker))
        for name, _, marker in PAGES:
            _navigate(page, name, marker)
            out["warm"][name] = min(nav[name])  # type: ignore[index]
            out["rerun"][name] = min(_rerun(page, name, marker) for _ in range(3))  # type: ignore[index]
        page.close()
        for name, path, marker in PAGES:  # warm full page loads: best of 3 new sessions
            times = []
            for _ in range(3):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                times.append(_render(page, f"{srv.url}/{path}", marker))
                page.close()
            out["reload"][name] = min(times)  # type: ignore[index]
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _render(page, f"{srv.url}/explore", "Every candidate's output")
        out["filter"]["explore: tag"] = _pick(page, "Tag", "adversarial", "examples match")  # type: ignore[index]
        out["filter"]["explore: outcome"] = _pick(page, "Outcome", "error", "examples match")  # type: ignore[index]
        _render(page, f"{srv.url}/compare", "Head-to-head")
        out["filter"]["compare: candidate B"] = _pick(page, "Candidate B", "model-03",  # type: ignore[index]
                                                      "On the ")
        page.close()
        browser.close()
        out["rss_mb"] = _settled_rss_mb(srv.pid)
    out["warm_up"] = "; ".join(line.strip().removeprefix("evalcore: ") for line in
                               log.read_text(errors="replace").splitlines() if line.startswith("evalcore: "))
    return out


def report(n: int, files: int, size_mb: float, gen_s: float, m: dict[str, object], where: str = "") -> str:
    lines = [f"Dashboard benchmark{where}: {n:,} results in {files} Parquet files ({size_mb:.0f} MB), generated in "
             f"{gen_s:.0f} s; headless Chromium at 1,280 px. Timings on a shared machine: measured under load "
             "from other processes.", "",
             f"{'what':<34} {'target':>9} {'measured':>9}  ok", "-" * 60]

    def row(what: str, target: float, got: float, unit: str = "s") -> None:
        ok = "yes" if got <= target else "NO"
        fmt = (lambda v: f"{v:.2f} s") if unit == "s" else (lambda v: f"{v:,.0f} MB")
        lines.append(f"{what:<34} {'< ' + fmt(target):>9} {fmt(got):>9}  {ok}")

    rounds = m.get("first_rounds")
    for name, _, _ in PAGES:
        got = statistics.median(rounds["pages"][name]) if rounds else m["first"][name]  # type: ignore[index]
        row(f"{name}: first render{' (median)' * bool(rounds)}", TARGETS["first"], got)  # type: ignore[arg-type]
    for name, _, _ in PAGES:
        row(f"{name}: warm, in-app navigation", TARGETS["warm"], m["warm"][name])  # type: ignore[index]
    for name, _, _ in PAGES:
        row(f"{name}: warm, rerun", TARGETS["warm"], m["rerun"][name])  # type: ignore[index]
    for what, t in m["filter"].items():  # type: ignore[union-attr]
        row(f"filter change, {what}", TARGETS["filter"], t)
    row("dashboard RSS (with children)", TARGETS["rss_mb"], m["rss_mb"], unit="MB")  # type: ignore[arg-type]
    floor = m["baseline"]
    lines += ["", "Full page loads (a new browser session: frontend, websocket, one script run), warm caches, beside "
              f"the floor: a two-line Streamlit app's full load on this machine now, {floor:.2f} s (best of 3).",
              f"{'page':<12} {'full load':>9} {'minus floor':>12}"]
    for name, _, _ in PAGES:
        t = m["reload"][name]  # type: ignore[index]
        lines.append(f"{name:<12} {t:>7.2f} s {t - floor:>10.2f} s")  # type: ignore[operator]
    lines.append("First renders are full loads too (the floor is inside them); in-app navigation and reruns are not.")
    if "elements" in m:
        lines.append(f"Element floor: a page with a select box, a 10-row table and a chart, trivial script, "
                     f"{m['elements']:.2f} s (best of 3): what any page showing those costs in this browser "
                     "before any data work (Streamlit loads each element's code when the first one arrives).")
        lines.append(f"{'page':<12} {'first render':>12} {'minus element floor':>20}")
        for name, _, _ in PAGES:
            t = m["first"][name]  # type: ignore[index]
            lines.append(f"{name:<12} {t:>10.2f} s {t - m['elements']:>18.2f} s")  # type: ignore[operator]
    if rounds:
        k = len(rounds["elements"])  # type: ignore[index, arg-type]
        el = sorted(rounds["elements"])  # type: ignore[index]
        lines += ["", f"First render from an empty browser cache (a new browser context per page, a fresh server "
                  f"each round, pages in rotated order), {k} round{'s' * (k != 1)}; the targets above read the "
                  f"median. Element floor measured the same way: median {statistics.median(el):.2f} s "
                  f"[{el[0]:.2f}-{el[-1]:.2f}].",
                  f"{'page':<12} {'median':>8} {'range':>13} {'over 2 s':>9} {'median minus floor':>19}"]
        for name, _, _ in PAGES:
            ts = sorted(rounds["pages"][name])  # type: ignore[index]
            over = sum(t >= TARGETS["first"] for t in ts)
            lines.append(f"{name:<12} {statistics.median(ts):>6.2f} s {ts[0]:>5.2f}-{ts[-1]:.2f} s "
                         f"{f'{over} of {len(ts)}':>9} {statistics.median(ts) - statistics.median(el):>17.2f} s")
        lines.append("The single first render per page of the run above (the first page, Overview, on a server "
                     "no browser had visited): " + ", ".join(f"{name} {m['first'][name]:.2f} s"  # type: ignore[index]
                                                         for name, _, _ in PAGES) + ".")
    if "returning" in m:
        ret = m["returning"]
        rounds = len(ret["elements"])  # type: ignore[index, arg-type]
        lines += ["", f"First render for a returning visitor (a browser that opened the dashboard before, its cache "
                  f"holding Streamlit's frontend files; a fresh server each round), median of "
                  f"{rounds} round{'s' * (rounds != 1)} "
                  "[range]:", f"{'page':<12} {'first render':>12} {'range':>14}"]
        for name, _, _ in PAGES:
            ts = sorted(ret["pages"][name])  # type: ignore[index]
            lines.append(f"{name:<12} {statistics.median(ts):>10.2f} s {ts[0]:>6.2f}-{ts[-1]:.2f} s"
                         f"  {'yes' if statistics.median(ts) < TARGETS['first'] else 'NO'}")
        el = sorted(ret["elements"])  # type: ignore[index]
        lines.append(f"Element floor, returning browser: {statistics.median(el):.2f} s [{el[0]:.2f}-{el[-1]:.2f}].")
    if "files_launcher" in m:
        lines.append(f"Streamlit's frontend files (index.html's ~60) over 6 keep-alive connections, best of 3: "
                     f"{m['files_launcher']:.3f} s from the dashboard's launcher; a two-line app "
                     f"{m['files_fixed']:.3f} s with the launcher's socket fix, {m['files_plain']:.3f} s from plain "
                     "`streamlit run` (Nagle left on: ~40 ms per request after a connection's first). The floors "
                     "above are served with the fix.")
    if m.get("warm_up"):
        lines.append(f"Server start (before its health check answered): {m['warm_up']}.")
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
        lines.append(f"Load average at the end: {' '.join(load)} on {__import__('os').cpu_count()} cores.")
    except OSError:
        pass
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=10)
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--keep", type=Path, default=None, help="Generate into (or reuse) this directory and keep it.")
    ap.add_argument("--returning", type=int, default=3, metavar="ROUNDS",
                    help="Rounds of first renders for a returning visitor (a primed browser cache, a fresh server "
                         "each round); 0 skips them.")
    ap.add_argument("--first-rounds", type=int, default=5, metavar="ROUNDS",
                    help="Rounds of first renders from an empty browser cache (a fresh server each round); the "
                         "first-render targets read their median. 0: the one first render per page of the main run.")
    ap.add_argument("--s3", action="store_true",
                    help="Put the workspace in a bucket of a local S3-compatible server (moto) instead of a folder.")
    args = ap.parse_args()
    if args.s3:
        return main_s3(args)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    root = args.keep or tmp / "ws"
    try:
        t = time.perf_counter()
        if not (root / "results").exists():
            n = generate(root, args.runs, args.candidates, args.examples)
        else:
            n = args.runs * args.candidates * args.examples
        gen_s = time.perf_counter() - t
        files = list(root.rglob("*.parquet"))
        size = sum(f.stat().st_size for f in files) / 1e6
        m = measure(root, tmp / "streamlit.log")
        if args.first_rounds:
            m["first_rounds"] = first_rounds(root, tmp, args.first_rounds)
        if args.returning:
            m["returning"] = returning(root, tmp, args.returning)
        text = report(n, len(files), size, gen_s, m)
        print(text)
        results = REPO / "bench" / "results"
        results.mkdir(exist_ok=True)
        (results / f"dashboard-{datetime.now(UTC):%Y%m%dT%H%M%S}.txt").write_text(text + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main_s3(args: argparse.Namespace) -> None:
    """The object-storage workload: the same generated workspace in s3://bench/ws on a local moto server."""
    import os

    from evalcore.s3server import S3Server

    if "--runs" not in sys.argv:
        args.runs = 20  # 20 x 10 x 500 = 100,000 results, the size
    TARGETS.update(first=3.0, warm=1.0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-dash-s3-"))
    os.environ["EVALCORE_SPOOL"] = str(tmp / "spool")
    try:
        with S3Server() as s3:
            s3.create_bucket("bench")
            s3.apply()
            uri = "s3://bench/ws"
            t = time.perf_counter()
            n = generate(uri, args.runs, args.candidates, args.examples)
            gen_s = time.perf_counter() - t
            parts = [f for f in store.Workspace(uri).remote.list("") if f.path.endswith(".parquet")]  # type: ignore[union-attr]
            size = sum(f.size or 0 for f in parts) / 1e6
            m = measure(uri, tmp / "streamlit.log")
            text = report(n, len(parts), size, gen_s, m, where=f" on object storage ({uri}, moto on 127.0.0.1)")
            print(text)
            results = REPO / "bench" / "results"
            results.mkdir(exist_ok=True)
            (results / f"dashboard-s3-{datetime.now(UTC):%Y%m%dT%H%M%S}.txt").write_text(text + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
