"""The CI gate: exit 1 only for a drop that is larger than allowed AND credibly so (constructed cases)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from evalcore.cli import main
from evalcore.errors import EvalcoreError
from evalcore.gate import gate, gate_decision
from evalcore.store import Workspace, utcnow, write_results


def _write_run(ws: Workspace, run_id: str, values: dict[str, list[float]], suite: str = "s") -> None:
    """A finished run whose candidates scored `values` (one per example) on scorer 'q'."""
    now = utcnow()
    results, scores = [], []
    for cand, vals in values.items():
        for i, v in enumerate(vals):
            key = {"run_id": run_id, "suite": suite, "example_id": f"e{i:03d}", "candidate": cand, "repeat": 0,
                   "created_at": now}
            results.append({**key, "suite_version": "v1", "model": f"openai/{cand}", "family": "f",
                            "request_hash": f"{run_id}{cand}{i}", "output": str(v), "cached": False, "attempts": 1})
            scores.append({**key, "scorer": "q", "value": float(v), "passed": v >= 0.5, "detail": "{}"})
    write_results(ws, suite, run_id, "w", results, scores)
    ws.write_manifest({"run_id": run_id, "suite": suite, "status": "finished", "candidates": sorted(values),
                       "started_at": now.isoformat(), "config": {"scorers": [{"type": "q"}]}})


def _noisy(rng: np.random.Generator, mean: float, n: int, sd: float) -> list[float]:
    return list(np.clip(rng.normal(mean, sd, n), 0, 1))


@pytest.fixture
def ws(tmp_path):
    rng = np.random.default_rng(7)
    w = Workspace(tmp_path / "ws")
    base = _noisy(rng, 0.8, 60, 0.05)
    _write_run(w, "20260101T000000-aaaaaa", {"prod": base, "cheap": [v - 0.10 for v in base]})
    # the newer run of prod: a real drop of 0.10 on every example (tight), and a noisy copy of the same size
    real = [v - 0.10 for v in base]
    noisy = list(np.clip(np.array(base) - 0.10 + rng.normal(0, 0.35, 60), 0, 1)[:8])
    _write_run(w, "20260201T000000-bbbbbb", {"prod": real, "same": base, "noisy": noisy + base[8:10]})
    return w


def test_a_real_drop_larger_than_allowed_fails(ws):
    r = gate(ws.root, "s", "prod", "20260101T000000-aaaaaa", max_drop=0.02)
    assert r.failed and r.n == 60
    assert r.drop == pytest.approx(0.10, abs=1e-9) and r.drop_low > 0.02
    assert "FAIL" in r.markdown() and "worse than run 20260101T000000-aaaaaa by 0.100" in r.verdict


def test_a_drop_within_the_allowance_passes(ws):
    r = gate(ws.root, "s", "prod", "20260101T000000-aaaaaa", max_drop=0.15)
    assert not r.failed and "within the allowed drop" in r.verdict


def test_a_noisy_drop_of_the_same_size_passes_and_says_it_cannot_tell(ws):
    r = gate(ws.root, "s", "noisy", "same", max_drop=0.02)
    assert r.drop > 0.02 and not r.failed
    assert "cannot tell that from noise" in r.verdict
    assert any("10 examples both have" in n or "Only 10 shared" in n for n in r.notes)


def test_no_drop_passes(ws):
    r = gate(ws.root, "s", "same", "prod", max_drop=0.0)  # 'same' is 0.10 above the new prod
    assert not r.failed and r.verdict.startswith("No drop")


def test_cli_exit_codes_and_markdown(ws):
    runner = CliRunner()
    fail = runner.invoke(main, ["gate", "--suite", "s", "--candidate", "prod", "--baseline", "20260101T000000-aaaaaa",
                                "--max-drop", "0.02", "--workspace", str(ws.root)])
    assert fail.exit_code == 1 and fail.stdout.startswith("### evalcore gate: FAIL")
    ok = runner.invoke(main, ["gate", "--suite", "s", "--candidate", "noisy", "--baseline", "same",
                              "--max-drop", "0.02", "--workspace", str(ws.root)])
    assert ok.exit_code == 0 and "PASS" in ok.stdout and "| allowed drop | 0.020 |" in ok.stdout
    bad = runner.invoke(main, ["gate", "--suite", "s", "--candidate", "prod", "--baseline", "nope",
                               "--workspace", str(ws.root)])
    assert bad.exit_code == 2 and "neither a run of suite 's' nor one of its candidates" in bad.stderr


def test_a_baseline_run_without_the_candidate_names_what_it_ran(ws):
    with pytest.raises(EvalcoreError, match=r"has no scored results for 'same' \(it ran: cheap, prod\)"):
        gate(ws.root, "s", "same", "20260101T000000-aaaaaa")


def test_bad_max_drop_is_a_people_error():
    base = np.full(50, 0.9)
    with pytest.raises(EvalcoreError, match="--max-drop must be 0 or more"):
        gate_decision(base, base, max_drop=-1)


def test_a_constant_drop_on_every_example_is_certain():
    base = np.full(50, 0.9)
    drop, low, high, p, failed = gate_decision(base - 0.05, base, max_drop=0.02)
    assert drop == pytest.approx(0.05, abs=1e-9) and failed


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(2, 150), st.sampled_from(["pass/fail", "near ceiling", "continuous", "constant"]),
       st.sampled_from([0.0, 0.01, 0.02, 0.05, 0.1]), st.integers(0, 2**32 - 1))
def test_the_printed_p_agrees_with_the_verdict(n, shape, max_drop, seed):
    """p < 5% exactly when the gate fails, on the shapes where a plain t test disagreed with the bound (sparse
    pass/fail drops: p = 0.02-0.05 printed beside a passing gate, whose exact test could not reject)."""
    rng = np.random.default_rng(seed)
    if shape == "pass/fail":
        base = (rng.random(n) < 0.95).astype(float)
        cand = np.where(rng.random(n) < rng.uniform(0, 0.2), 0.0, base)
    elif shape == "near ceiling":
        base = np.where(rng.random(n) < 0.9, 1.0, rng.random(n))
        cand = np.where(rng.random(n) < 0.85, base, rng.random(n))
    elif shape == "continuous":
        base = np.clip(rng.normal(0.8, 0.1, n), 0, 1)
        cand = np.clip(base - rng.uniform(0, 0.1) + rng.normal(0, 0.05, n), 0, 1)
    else:
        base = np.full(n, 0.9)
        cand = base - rng.choice([0.0, 0.01, 0.03, 0.2])
    drop, low, high, p, failed = gate_decision(cand, base, max_drop=max_drop)
    assert p is not None and 0 <= p <= 1
    assert failed == (p < 0.05), (drop, low, p)
    assert low <= drop <= high


@pytest.mark.parametrize(("max_drop", "match"), [
    (None, "--max-drop must be a number, the largest drop you accept, got None"),  # were raw TypeErrors
    (True, "--max-drop must be a number.*got True"),  # was read as a drop of 1
    ("0.02", "--max-drop must be a number"),
    (float("nan"), "--max-drop must be a number"),
    (float("inf"), "--max-drop is inf: no drop could ever fail the gate"),  # read "must be 0 or more, got inf"
    (5, r"--max-drop 5 is not smaller than the score's whole range \(0 to 1\): no drop could fail"),
    (1.0, "not smaller than the score's whole range"),
])
def test_max_drop_that_is_no_usable_drop_says_what_to_pass(max_drop, match):
    base = np.full(50, 0.9)
    with pytest.raises(EvalcoreError, match=match):
        gate_decision(base, base, max_drop=max_drop)


def test_gate_decision_takes_lists_and_refuses_what_it_cannot_pair():
    a, b = [0.5, 0.6, 0.7, 0.8], [0.4, 0.6, 0.6, 0.8]
    assert gate_decision(a, b, max_drop=0.02) == gate_decision(np.array(a), np.array(b), max_drop=0.02)
    for cand, base, match in (([], [], "share 0 examples; a paired comparison needs at least 2"),
                              ([0.5], [0.4], "share 1 example"),
                              ([0.5, 0.6], [0.4], r"differ in length \(2 vs 1\)"),
                              ([0.5, None], [0.4, 0.5], r"candidate\[1\] is None"),
                              ("0.5", [0.4], "got a string")):
        with pytest.raises(EvalcoreError, match=match):
            gate_decision(cand, base, max_drop=0.02)
    # a drop up to the range of a 1-5 score is fine there
    assert gate_decision(np.full(5, 4.0), np.full(5, 4.5), max_drop=2, bounds=(1, 5))[4] is False
