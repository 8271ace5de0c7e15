"""Shared fixtures: an isolated environment and a real local OpenAI-compatible server.

Helpers that tests import (suites on disk) live in suite_factory.py, not here: `from suite_factory import ...` breaks
as soon as a second conftest.py exists under tests/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own default workspace, so nothing leaks into ./data."""
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(tmp_path / "ws"))


@pytest.fixture(scope="session")
def _server_process() -> Iterator[Any]:
    from evalcore.fakeserver import ServerProcess

    with ServerProcess(retry_after=0.05) as srv:
        yield srv


@pytest.fixture
def server(_server_process: Any) -> Any:
    """The local OpenAI-compatible server (a separate process on 127.0.0.1), counters reset."""
    _server_process.reset()
    return _server_process
