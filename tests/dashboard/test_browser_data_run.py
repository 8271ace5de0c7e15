"""The Data and Run journeys in a real browser: `streamlit run` as a subprocess, Playwright on Debian's Chromium.

Upload a CSV of examples with an error (the row-precise message), then a good one; upload outputs; start a run
against the local test server and watch it finish. Screenshots go to tests/dashboard/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard_testing import REPO, StreamlitServer, browser  # noqa: F401 (a fixture)
from evalcore import analysis
from suite_factory import make_suite

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 60_000
BAD_CSV = "id,input,expected\nq1,What is 2+2?,4\nq1,What is 3+3?,6\nq3,,9\n"
GOOD_CSV = "id,input,expected,tags\n" + "".join(f"q{i},Question {i}? [[sleep:1500]],says,{'edge' if i % 3 == 0 else 'clean'}\n"
                                                for i in range(1, 7))
OUTPUTS_CSV = ("example_id,candidate,output,latency_ms,cost_usd\n"
               "q1,local-a,local-a says yes,120,0.0001\nq2,local-a,<script>alert(1)</script>,90,0.0001\n")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, _server_process) -> Path:
    """A workspace holding one suite in its suites folder, whose candidates call the local test server."""
    ws = tmp_path_factory.mktemp("browser-data") / "ws"
    folder = ws / "suites" / "t"
    folder.mkdir(parents=True)
    make_suite(folder, _server_process.base_url, ["placeholder"], candidates=2,
               candidate_extra={"input_price_per_mtok": 0.5, "output_price_per_mtok": 1.5})
    # Names people read: candidates called local-a and local-b.
    text = (folder / "suite.yaml").read_text().replace("name: m0", "name: local-a").replace("name: m1", "name: local-b")
    (folder / "suite.yaml").write_text(text)
    return ws


@pytest.fixture(scope="module")
def dashboard_url(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port of 127.0.0.1 showing the workspace; always stopped."""
    with StreamlitServer(workspace, tmp_path_factory.mktemp("streamlit") / "streamlit.log", env={"PYTHONPATH": str(REPO)}) as srv:
        yield srv.url



def _idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stStatusWidgetRunningIcon]')",
        timeout=TIMEOUT_MS)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls an inner container, so grow the viewport to its content first."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": max(900, int(height) + 40)})
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": width, "height": 900})


def _upload(page, label: str, path: Path) -> None:
    box = page.locator("[data-testid=stFileUploader]").filter(has_text=label)
    box.locator("input[type=file]").set_input_files(str(path))


def test_upload_examples_then_outputs_then_run_to_the_end(dashboard_url: str, browser, workspace: Path,
                                                          tmp_path: Path, _server_process) -> None:
    bad, good, outs = tmp_path / "examples.csv", tmp_path / "good-examples.csv", tmp_path / "outputs.csv"
    bad.write_text(BAD_CSV)
    good.write_text(GOOD_CSV)
    outs.write_text(OUTPUTS_CSV)
    dialogs: list[str] = []
    for width in (1440, 1024):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            page.goto(f"{dashboard_url}/data", wait_until="domcontentloaded")
            page.get_by_text("Upload examples (CSV, JSONL or Parquet)").wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            if width == 1024:  # the same page on a laptop screen: every column reachable, nothing cut
                page.get_by_text("Candidates and scorers").click()
                page.get_by_role("button", name="Save suite").wait_for(timeout=TIMEOUT_MS)
                _idle(page)
                _screenshot(page, "data-1024.png")
                continue

            # 1. A CSV with a repeated id and an empty input: the row-precise error, and nothing saved.
            _upload(page, "Upload examples", bad)
            error = page.locator("[data-testid=stAlertContainer]").filter(has_text="row 2")
            error.wait_for(timeout=TIMEOUT_MS)
            text = error.inner_text()
            assert "examples.csv, row 2, column 'id'" in text and "same id" in text
            assert "2 problems in all; nothing was loaded." in text
            _idle(page)
            _screenshot(page, "data-bad-examples.png")
            assert not (workspace / "suites" / "t" / "examples.csv").read_text().startswith("id,input,expected\nq1")

            # 2. The fixed file: a preview, then saved on request.
            _upload(page, "Upload examples", good)
            page.get_by_text("good-examples.csv: 6 valid examples").wait_for(timeout=TIMEOUT_MS)
            page.locator(".st-key-save_examples button").click()  # worded with what it replaces (dc5bc5a)
            page.get_by_text("Saved 6 examples as the dataset of t.").wait_for(timeout=TIMEOUT_MS)
            assert (workspace / "suites" / "t" / "examples.csv").read_text() == GOOD_CSV
            _idle(page)
            _screenshot(page, "data-good-examples.png")

            # 3. Outputs produced elsewhere, one of them hostile: imported, scored, shown as text.
            _upload(page, "Upload outputs", outs)
            page.get_by_role("button", name="Import outputs").click()
            page.get_by_text("Imported 2 outputs from outputs.csv").wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            _screenshot(page, "data-outputs-imported.png")
            [imported] = analysis.run_list(workspace, "t")
            assert imported["results"] == 2 and imported["status"] == "finished"

            # 4. A run of the suite against the local server, watched until it finishes.
            page.goto(f"{dashboard_url}/run", wait_until="domcontentloaded")
            page.get_by_text("12 calls: 6 examples x 2 candidates.").wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            _screenshot(page, "run-estimate.png")
            before = _server_process.stats()["requests"]
            page.get_by_role("button", name="Start run").click()
            # Each call takes 1.5 s at the server: the live progress bar is there to be seen.
            page.get_by_text(re.compile(r"\b[1-9]\d*/12 done")).wait_for(timeout=TIMEOUT_MS)
            if not page.get_by_text("Finished: 12 results").count():
                _screenshot(page, "run-progress.png")
            page.get_by_text("Finished: 12 results").wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            _screenshot(page, "run-finished.png")
            assert _server_process.stats()["requests"] - before == 12
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            page.close()
    runs = analysis.run_list(workspace, "t")
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert dialogs == []  # the <script> output never ran
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        page.goto(f"{dashboard_url}/run", wait_until="domcontentloaded")
        page.get_by_text("already answered in this workspace").wait_for(timeout=TIMEOUT_MS)
        _idle(page)
        _screenshot(page, "run-1024.png")
    finally:
        page.close()
