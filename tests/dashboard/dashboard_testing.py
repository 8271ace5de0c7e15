"""Shared by the dashboard tests: the dashboard's modules importable, and the demo workspace built once.

Test modules import this one explicitly (pytest puts tests/dashboard on sys.path), and the fixture with it, so
what a dashboard test depends on is visible in its imports.
"""

from __future__ import annotations

import importlib
import sys
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


# -- real servers for browser tests -----------------------------------------------------------------------------
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
    """`streamlit run dashboard/app.py` on 127.0.0.1 (a free port unless given), healthy; returns (process, url).
    The caller stops it with `stop(proc)`."""
    import os
    import subprocess
    import sys

    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *(args or [])]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "EVALCORE_WORKSPACE": str(workspace), **(env or {})},
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{url}/_stcore/health", proc, log, "streamlit")
    except BaseException:
        stop(proc)
        raise
    return proc, url
