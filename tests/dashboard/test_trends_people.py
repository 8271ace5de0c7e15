"""Trends plots what people said beside the automatic score (AppTest): the mean human rating and the "ok to show"
rate per family across releases and run dates, with 95% bands and n on every point, equal to the library's
`explore.human_trend`; an unlabeled workspace says how to get labels instead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from people_labels import disputed_labels, write_csv
from streamlit.testing.v1 import AppTest

from dashboard_testing import DASHBOARD, REPO, demo_workspace  # noqa: F401 (a fixture)
from evalcore import explore, labels
from evalcore.demo_build import DEMO_SUITE


@pytest.fixture(scope="module")
def labeled(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("trend-people") / "ws"
    shutil.copytree(demo_workspace, ws)
    _, _, rows = disputed_labels(ws)
    labels.import_labels(ws, DEMO_SUITE, write_csv(ws.parent / "ratings.csv", rows))
    return ws


def _trends(ws: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EVALCORE_WORKSPACE", str(ws))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(DASHBOARD / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/trends.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _human_spec(at: AppTest) -> dict:
    specs = []
    for c in at.get("vega_lite_chart"):
        spec = json.loads(c.proto.spec)
        spec["_values"] = [row for d in c.proto.datasets
                           for row in pa.ipc.open_stream(d.data.data).read_all().to_pylist()]
        specs.append(spec)
    [human] = [s for s in specs if "human" in json.dumps(s.get("title", "")) or "ok to show" in
               json.dumps(s.get("title", ""))]
    return human


def test_trends_plot_the_people_rating_per_family_with_n(labeled: Path, monkeypatch) -> None:
    at = _trends(labeled, monkeypatch)
    spec = _human_spec(at)
    series = explore.human_trend(labeled, DEMO_SUITE, measure="rating")
    expected = {r["candidate"]: r for r in series["rows"].to_dict("records")}
    points = {v["candidate"]: v for v in spec["_values"]}
    assert set(points) == set(expected) and series["labeled"] > 0
    for c, v in points.items():
        assert v["mean"] == pytest.approx(expected[c]["mean"])
        assert v["low"] == pytest.approx(expected[c]["low"]) and v["high"] == pytest.approx(expected[c]["high"])
        assert v["n"] == expected[c]["n"] and v["label"] == f"{c} (n={expected[c]['n']})"
    assert spec["title"]["text"] == "mean human rating (1-5) per family over time"
    assert spec["title"]["subtitle"].startswith("over each point's own labeled examples (")
    layers = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert layers[0] == "area"  # the 95% band
    caption = " ".join(c.value for c in at.caption)
    assert "n is the number of labeled examples behind each point" in caption
    few = [c for c, r in expected.items() if not r["enough"]]
    if few:
        assert "Too few labeled (under 10) to conclude" in caption


def test_trends_plot_the_ok_to_show_rate_over_run_dates(labeled: Path, monkeypatch) -> None:
    at = _trends(labeled, monkeypatch)
    at.segmented_control(key="human_measure").set_value("ok")
    at.segmented_control(key="over").set_value("run").run()
    assert not at.exception
    spec = _human_spec(at)
    series = explore.human_trend(labeled, DEMO_SUITE, measure="ok", x="run")
    expected = {(r["run_id"], r["candidate"]): r["mean"] for r in series["rows"].to_dict("records")}
    got = {(v["run_id"], v["candidate"]): v["mean"] for v in spec["_values"]}
    assert got == pytest.approx(expected) and len({r for r, _ in got}) == 2  # the demo's two runs
    assert all(0 <= v <= 1 for v in got.values())
    assert spec["title"]["text"] == "\"ok to show\" rate per family over time"
    assert spec["layer"][2]["encoding"]["y"]["axis"]["format"] == ".0%"


def test_trends_without_labels_say_how_to_get_them(demo_workspace: Path, monkeypatch) -> None:
    at = _trends(demo_workspace, monkeypatch)
    assert len(at.get("vega_lite_chart")) == 2  # the automatic trend and the public ranks
    assert any("no outputs labeled by people yet" in i.value and "Label page" in i.value for i in at.info)
