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


# -- the Data page (AppTest): replacing a suite's examples ------------------------------------------------------


def test_data_page_says_what_replacing_the_examples_drops_before_saving(tmp_path: Path, monkeypatch) -> None:
    """Audit 5: "Use these 3 examples" replaced 12 with no word of the ids dropped, and kept no copy."""
    from streamlit.testing.v1 import AppTest

    from dashboard_testing import DASHBOARD, REPO
    from suite_factory import make_suite

    ws = tmp_path / "ws"
    folder = ws / "suites" / "t"
    folder.mkdir(parents=True)
    suite = make_suite(folder, "http://127.0.0.1:9/v1", [f"question {i}" for i in range(12)])
    stored = suite.dataset_path.read_bytes()
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/manage.py").run()
    upload = b"id,input\ne000,question 0\ne001,question one reworded\nn1,a new one\n"
    at.file_uploader[0].set_value(("three.csv", upload, "text/csv")).run()
    assert not at.exception and not at.error
    [said] = [w.value for w in at.warning if "Replaces" in w.value]
    assert "Replaces the suite's 12 examples with 3 examples: 2 kept, 10 removed, 1 new; 1 input changed." in said
    assert "Removed: 'e002', 'e003'" in said and "Input changed: 'e001'" in said and "examples.csv.bak" in said
    button = at.button(key="save_examples")
    assert button.label == "Replace the 12 examples with these 3"
    assert suite.dataset_path.read_bytes() == stored  # nothing saved yet

    button.click().run()
    assert not at.exception and not at.error
    assert suite.dataset_path.read_bytes() == upload
    assert (folder / "examples.csv.bak").read_bytes() == stored
    assert any("Saved 3 examples as the dataset of t. The previous dataset is kept as examples.csv.bak." in s.value
               for s in at.success)
