"""Shared by the dashboard tests: the dashboard's modules importable, and the demo workspace built once.

Test modules import this one explicitly (pytest puts tests/dashboard on sys.path), and the fixture with it, so
what a dashboard test depends on is visible in its imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
import subprocess  # noqa: F401 (type hints)
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "dashboard"

# `streamlit run dashboard/app.py` puts the script's folder first on sys.path, which is how the pages import
# `data` and `charts`; AppTest runs scripts in this process and does not, so the tests do it here.
if str(DASHBOARD) not in sys.path:
    sys.path.insert(0, str(DASHBOARD))


def dashboard_module(name: str) -> ModuleType:
    """`data` or `charts`, the same module objects the pages use under AppTest."""
    return importlib.import_module(name)


_built: dict[str, Path] = {}


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline demo workspace (10 candidates x 52 examples, ~12 s to build), shared read-only.

    Each test module that imports this fixture gets its own fixture definition; the cache makes the
    build happen once per session all the same.
    """
    if "demo" not in _built:
        from evalcore.demo_build import build_demo

        path = tmp_path_factory.mktemp("demo") / "ws"
        build_demo(path)
        _built["demo"] = path
    return _built["demo"]


# -- a real dashboard server and browser, for the browser tests and the benchmark ------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: "subprocess.Popen[bytes]", log: Path, what: str, timeout_s: float = 60) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it exits or never answers."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not answer in {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(proc: "subprocess.Popen[bytes]") -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def start_dashboard(workspace: Path, log: Path, *, port: int | None = None, env: dict[str, str] | None = None,
                    args: list[str] | None = None) -> tuple["subprocess.Popen[bytes]", str]:
    """`streamlit run dashboard/app.py` on 127.0.0.1, healthy; returns (process, url); stop it with `stop(proc)`."""
    srv = StreamlitServer(workspace, log, port=port, env=env, args=args)
    try:
        srv.__enter__()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    assert srv.proc is not None
    return srv.proc, srv.url


class StreamlitServer:
    """The dashboard (`dashboard/serve.py`, i.e. `streamlit run dashboard/app.py`) on a free port of 127.0.0.1 showing
    `workspace`; always terminated.

    `with StreamlitServer(ws, log) as srv: srv.url, srv.pid`. Waits for /_stcore/health; raises with the
    log's tail if the server exits or stays unhealthy for `timeout_s`.
    """

    def __init__(self, workspace: Path, log_path: Path, timeout_s: float = 60.0, *, port: int | None = None,
                 env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.workspace, self.log_path, self.timeout_s = workspace, log_path, timeout_s
        self.port, self.env, self.args = port, dict(env or {}), list(args or [])
        self.proc = None
        self.url = ""

    def __enter__(self) -> "StreamlitServer":
        import os
        import subprocess
        import time
        import urllib.request

        port = self.port or free_port()
        env = {**os.environ, "EVALCORE_WORKSPACE": str(self.workspace), **self.env}
        # dashboard/serve.py is `streamlit run dashboard/app.py` with the pages' libraries imported first (what
        # `scripts/dev dashboard` starts)
        cmd = [sys.executable, "dashboard/serve.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", *self.args]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n"
                                   f"{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"streamlit not healthy in {self.timeout_s:.0f} s:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __exit__(self, *exc: object) -> None:
        import subprocess

        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def wait_idle(page, timeout_ms: int = 30_000) -> None:
    """Widgets first render as grey skeletons and reruns show a running icon: wait until neither is there."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidgetRunningIcon]')",
        timeout=timeout_ms)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright (never Playwright's own browser download), one per test module."""
    import os

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/dev test does it) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
