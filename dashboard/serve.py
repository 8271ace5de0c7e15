"""Start the dashboard with its libraries already loaded: `python dashboard/serve.py [streamlit run options]`.

`streamlit run dashboard/app.py` imports nothing of ours until the first person opens a page, so that person
waits for pandas, DuckDB, pyarrow, SciPy, Altair and the evalcore modules the pages use (~1.5 s here) on top of
the page itself. This launcher imports them first and then hands over to Streamlit's own `run` command in the
same process, so the server answers its health check only once a first visit can be fast. litellm is not
loaded (pages that do not run models never import it). Everything else is plain `streamlit run`: options,
`.streamlit/config.toml` and secrets work as documented. Hosts that call `streamlit run` themselves (Streamlit
Community Cloud) still work; only their first visit pays the imports.

It also warms the workspace (`data.warm`: listing, local copies of object-storage parts, views, the default
leaderboard) for up to `WARM_BUDGET_S`; a slower workspace keeps warming in the background while Streamlit
serves, and the first page waits only for what it still needs. Then it runs each viewer page once, as a first
visitor's default view (`warm_pages`), so that visitor finds its tables, decision and chart specs computed.
And it turns Nagle's algorithm off on the server's connections (`tcp_nodelay_listener`), which Streamlit 1.67
leaves on: ~40 ms per request after the first on each keep-alive connection (a first visit fetched the
frontend's ~60 files in 0.44 s instead of 0.08 s), and keeps Streamlit's content-hashed frontend files in memory
once read (`memory_static_files`), so the ~80 chunks of element code a first visit fetches while its page's script
runs are not each sent through worker threads that wait for the GIL.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
WARM_BUDGET_S = 30.0  # the longest the health check waits for the warm-up (a huge store keeps warming after)
PACK_BUDGET_S = 10.0  # the longest the health check waits for the frontend files' gzip (~2 s here)
PAGES_BUDGET_S = 30.0  # the longest the viewer pages' warm runs may take together; pages not reached stay cold


def preload() -> None:
    """Import what every viewer page needs and let Altair load its Vega-Lite schema once."""
    import altair as alt
    import duckdb  # noqa: F401
    import numpy  # noqa: F401
    import pandas as pd
    import pyarrow.parquet  # noqa: F401
    import scipy.stats  # noqa: F401

    import evalcore.analysis  # noqa: F401
    import evalcore.charts  # noqa: F401
    import evalcore.explore  # noqa: F401
    import evalcore.labels  # noqa: F401
    import evalcore.queries  # noqa: F401
    import evalcore.stats  # noqa: F401

    alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point().encode(x="x:Q").to_dict()
    skip_bare_python_check()


def warm_workspace(budget_s: float = WARM_BUDGET_S) -> str:
    """`data.warm` on the workspace the pages will show, through the very module they import (`streamlit run`
    puts the app's folder on sys.path, so `import data` there finds this module object and its caches). Waits at
    most `budget_s`; returns a line for the log."""
    import logging

    folder = str(APP.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    # Each st.cache_data decorator checks its options against the runtime's cache storage, and logs "No runtime
    # found" once per function when imported before the server exists. The caches themselves are made on first
    # call, by then in the runtime (the warm-up calls only st.cache_resource functions, which need none).
    from streamlit.runtime.caching import cache_data_api  # its logger exists (Streamlit sets its level) first

    quiet = logging.getLogger(cache_data_api.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        import data
    finally:
        quiet.setLevel(level)

    ws = data.workspace()
    said: list[str] = []
    t = time.perf_counter()
    thread = threading.Thread(target=lambda: said.append(data.warm(ws)), name="evalcore-warm-workspace", daemon=True)
    thread.start()
    thread.join(budget_s)
    took = time.perf_counter() - t
    if thread.is_alive():
        return f"evalcore: still warming the workspace after {took:.0f} s; serving now, it goes on in the background"
    return f"evalcore: warmed {said[0] if said else 'nothing'} in {took:.1f} s"


def load_run_config(argv: list[str]) -> None:
    """Parse the config (config.toml, environment, and these `streamlit run` flags) exactly as `streamlit run`
    will, so the warm-up sees the server's real options (its address decides who may edit), and Streamlit's
    own parse later finds nothing changed (otherwise it warns that a [server] option changed)."""
    from streamlit.web import bootstrap, cli

    ctx = cli.main_run.make_context("run", [str(APP), *argv])
    bootstrap.load_config_options(flag_options={k: v for k, v in ctx.params.items() if k not in ("target", "args")})


def warm_pages(budget_s: float = PAGES_BUDGET_S) -> str:
    """Run every viewer page once with its default widgets, before the server starts, through Streamlit's
    in-process script runner (`streamlit.testing.v1.AppTest`): the pages' own code fills the caches they read
    (decision, what changed, head-to-head, trends, the example Explore opens on) and the chart specs, so this
    cannot drift from what a page computes. The first visit at 1M results then skips 0.1-0.3 s of work per page.
    Not when login is configured (who logs in decides what they see; the workspace warm-up still ran). Never
    raises: a page that fails here fails the same way for its visitor, in its own words. Returns a log line."""
    import logging

    import access
    from page_list import VIEWER_PAGES
    from streamlit.runtime import Runtime

    if access.auth_configured():
        return "no pages (login is configured)"
    from streamlit.testing.v1 import AppTest

    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext" from setting session state outside a run
    t = time.perf_counter()
    done: list[str] = []
    try:
        at = AppTest.from_file(str(APP), default_timeout=budget_s)
        at.session_state["_warm_up"] = True  # app.py: not a visit (tests trace the visits)
        for script, title, _ in VIEWER_PAGES:
            left = budget_s - (time.perf_counter() - t)
            if left <= 0:
                break
            (at.switch_page(script) if done else at).run(timeout=left)
            done.append(title)
    except Exception as exc:  # noqa: BLE001 - a warm-up never stops the server
        return (f"pages {', '.join(done) or 'none'}, then stopped ({type(exc).__name__}: {str(exc)[:200]}) "
                f"after {time.perf_counter() - t:.1f} s")
    finally:
        Runtime._instance = None  # AppTest's stand-in runtime, also after a timeout: the server makes the real one
        quiet.setLevel(level)
    return f"pages {', '.join(done) or 'none'} in {time.perf_counter() - t:.1f} s"


def skip_bare_python_check() -> None:
    """Streamlit's first element in a process checks whether it runs in a bare REPL (to print "use streamlit
    run") with `inspect.stack()`, which reads the source of every frame of the script thread: 0.13-0.2 s of the
    first visitor's page here. This launcher is `streamlit run`, so the answer is known: mark the check done."""
    from streamlit import delta_generator

    if not hasattr(delta_generator, "_use_warning_has_been_displayed"):
        raise RuntimeError("streamlit.delta_generator._use_warning_has_been_displayed is gone: update serve.py")
    delta_generator._use_warning_has_been_displayed = True


def tcp_nodelay_listener() -> bool:
    """Make the server's connections send without Nagle's delay, as plain uvicorn's do.

    Streamlit 1.67 binds its listening socket itself (`starlette_server._bind_socket`, for its port retry) with
    `socket.socket(family)`, so the socket's proto is 0; accepted connections inherit it, and asyncio sets
    TCP_NODELAY only on sockets whose proto is IPPROTO_TCP. With Nagle on, every response after the first on a
    keep-alive connection waits ~40 ms for the browser's delayed ACK (uvicorn issue #3149): 44 ms for each of
    the ~60 frontend files a first visit fetches over 6 connections, and for each lazily loaded chunk after
    them. The same file descriptor re-wrapped with proto IPPROTO_TCP changes nothing else about the socket.
    Returns False (and leaves Streamlit as it is) when the function is gone, so a Streamlit upgrade cannot stop
    the server; `tests/dashboard/test_app.py` fails then, to say the patch needs a look."""
    import socket

    try:
        from streamlit.web.server.starlette import starlette_server
    except ImportError:
        return False
    bind = getattr(starlette_server, "_bind_socket", None)
    if bind is None or getattr(bind, "evalcore_nodelay", False):
        return bind is not None

    def bind_tcp(address: str, port: int, backlog: int) -> socket.socket:
        sock = bind(address, port, backlog)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            tcp.setblocking(False)
            tcp.set_inheritable(True)
            return tcp
        return sock

    bind_tcp.evalcore_nodelay = True  # type: ignore[attr-defined]
    starlette_server._bind_socket = bind_tcp
    return True


def accepts_gzip(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request's Accept-Encoding allows gzip (a `gzip;q=0` or an absent header does not)."""
    value = next((v for k, v in headers if k == b"accept-encoding"), b"").decode("latin-1").lower()
    for token in value.split(","):
        name, _, q = token.partition(";")
        if name.strip() in ("gzip", "*"):
            q = q.strip()
            try:
                return not q.startswith("q=") or float(q[2:]) > 0
            except ValueError:
                return False
    return False


_PACKED: dict[tuple[str, str], bytes] = {}  # (static folder, path under it) -> gzip of the file, `pack_frontend`
PACKED_SUFFIXES = (".js", ".css", ".svg", ".json")


def pack_frontend(static_dir: str | None = None) -> str:
    """gzip Streamlit's frontend files once, before the server answers; returns a line for the log.

    Streamlit sends them uncompressed (its gzip middleware skips static paths): 5.1 MB for a first visit to the
    four viewer pages, 1.4 MB gzipped, which is what a stakeholder at the other end of a network waits for. zlib
    lets go of the GIL while it compresses, so this runs beside the page warm-up on the other core."""
    import gzip

    if static_dir is None:
        from streamlit import file_util

        static_dir = file_util.get_static_dir()
    from evalcore import formatting as fmt

    root = Path(static_dir)
    t = time.perf_counter()
    n = before = after = 0
    for f in sorted((root / "static").rglob("*")):
        if f.suffix in PACKED_SUFFIXES and f.is_file():
            body = f.read_bytes()
            small = gzip.compress(body, compresslevel=6, mtime=0)
            if len(small) < 0.9 * len(body):
                _PACKED[(str(root), f.relative_to(root).as_posix())] = small
                n, before, after = n + 1, before + len(body), after + len(small)
    return (f"gzipped {fmt.count(n, 'frontend file')}, {before / 1e6:.1f} -> {after / 1e6:.1f} MB, in "
            f"{time.perf_counter() - t:.1f} s")


def memory_static_files() -> bool:
    """Serve Streamlit's hashed frontend files from memory once read, gzipped (`pack_frontend`) for browsers
    that accept it.

    Starlette's StaticFiles sends each file through worker threads (a stat, an open, a read per 64 KB), each hop
    waiting for the GIL while a page's script runs; a first visit fetches ~80 chunks of element code exactly then,
    and the page's own messages queue behind them on the same event loop. Only responses Streamlit marks immutable
    (content-hashed names) are kept; index.html, HEAD and Range requests are served as before. Returns False (and
    leaves Streamlit as it is) when the factory is gone; `tests/dashboard/test_app.py` fails then."""
    try:
        from starlette.responses import FileResponse, Response
        from streamlit.web.server.starlette import starlette_static_routes as routes
    except ImportError:
        return False
    make = getattr(routes, "create_streamlit_static_handler", None)
    if make is None or getattr(make, "evalcore_memory", False):
        return make is not None

    def make_in_memory(directory: str, base_url: str | None) -> object:
        handler = make(directory, base_url)
        served = handler.get_response
        kept: dict[str, tuple[bytes, dict[str, str]]] = {}
        folder = str(Path(directory))

        async def get_response(path: str, scope: dict) -> Response:
            headers = scope.get("headers", ())
            plain = scope.get("method") == "GET" and not any(k == b"range" for k, _ in headers)
            hit = kept.get(path) if plain else None
            if hit is not None:
                small = _PACKED.get((folder, path.replace(os.sep, "/")))
                if small is not None and accepts_gzip(headers):  # a weak ETag: the bytes differ from the file's
                    return Response(small, headers={**hit[1], "content-encoding": "gzip",
                                                    "etag": "W/" + hit[1].get("etag", '""').removeprefix("W/")})
                return Response(hit[0], headers=hit[1])
            response = await served(path, scope)
            if (plain and isinstance(response, FileResponse) and response.status_code == 200
                    and "immutable" in response.headers.get("cache-control", "")):
                with open(response.path, "rb") as f:
                    body = f.read()
                kept[path] = (body, {**{k: v for k, v in response.headers.items()
                                        if k not in ("content-length", "accept-ranges")}, "vary": "Accept-Encoding"})
                return await get_response(path, scope)  # the first answer is the kept one too (gzipped if it can)
            return response

        handler.get_response = get_response
        return handler

    make_in_memory.evalcore_memory = True  # type: ignore[attr-defined]
    routes.create_streamlit_static_handler = make_in_memory
    return True


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not tcp_nodelay_listener():
        print("evalcore: Streamlit's socket binding changed; serving with its defaults", file=sys.stderr, flush=True)
    packed: list[str] = []
    packer = None
    if memory_static_files():
        packer = threading.Thread(target=lambda: packed.append(pack_frontend()), name="evalcore-pack-frontend",
                                  daemon=True)
        packer.start()
    preload()
    load_run_config(args)
    print(warm_workspace(), file=sys.stderr, flush=True)
    print(f"evalcore: warmed {warm_pages()}", file=sys.stderr, flush=True)
    if packer is not None:
        packer.join(PACK_BUDGET_S)  # not done by then: files not yet packed are sent plain
        print(f"evalcore: {packed[0] if packed else 'still gzipping the frontend files; sending the rest plain'}",
              file=sys.stderr, flush=True)
    from streamlit.web import cli

    cli.main(["run", str(APP), *args], prog_name="streamlit")


if __name__ == "__main__":
    main()
