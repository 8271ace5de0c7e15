"""The data token: what makes cached queries refresh when new data lands in a workspace."""

from __future__ import annotations

import os
from pathlib import Path

from dashboard_testing import dashboard_module

data = dashboard_module("data")


def test_data_token_changes_when_results_or_scores_land(tmp_path: Path) -> None:
    ws = str(tmp_path)
    empty = data.data_token(ws)
    assert empty == (0, 0)

    part = tmp_path / "results" / "suite=s" / "run=r1" / "part-a.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x")
    one = data.data_token(ws)
    assert one[0] == 1 and one != empty

    score = tmp_path / "scores" / "suite=s" / "run=r1" / "part-a.parquet"
    score.parent.mkdir(parents=True)
    score.write_bytes(b"x")
    os.utime(score, ns=(one[1] + 10**9, one[1] + 10**9))
    assert data.data_token(ws) == (2, one[1] + 10**9)


def test_data_token_ignores_temp_files_and_unwatched_folders(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / ".part-a.parquet.1234.tmp").write_bytes(b"half")
    (tmp_path / "journal").mkdir()
    (tmp_path / "journal" / "j.jsonl").write_text("{}")
    assert data.data_token(str(tmp_path)) == (0, 0)


def test_workspace_follows_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(tmp_path / "ws"))
    assert data.workspace() == str((tmp_path / "ws").resolve())


def test_markdown_safe_keeps_names_literal() -> None:
    assert data.markdown_safe("gpt_4o_mini leads: 0.94 [0.86, 0.97], $1") == (
        r"gpt\_4o\_mini leads: 0.94 \[0.86, 0.97\], \$1")
