"""Shared by the dashboard tests: the dashboard's modules importable, and the demo workspace built once.

Test modules import this one explicitly (pytest puts tests/dashboard on sys.path), and the fixture with it, so
what a dashboard test depends on is visible in its imports.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
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
