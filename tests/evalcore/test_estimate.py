"""The cost of a run before it starts: calls, cache hits, prices from the suite or litellm's bundled map."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalcore.estimate import ASSUMED_OUTPUT_TOKENS, estimate_run, map_price
from suite_factory import make_suite


def test_price_map_is_read_without_importing_litellm() -> None:
    had = "litellm" in sys.modules
    price = map_price("openai/gpt-4o-mini")
    assert price is not None and price[0] > 0 and price[1] > price[0]
    assert map_price("gpt-4o-mini") == price
    assert map_price("openai/no-such-model-xyz") is None
    assert ("litellm" in sys.modules) == had


def test_estimate_counts_calls_and_prices_known_and_unknown(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, "http://127.0.0.1:9/v1", ["aaaa " * 8, "b"], candidates=2, repeats=2,
                       candidate_extra={"params": {"max_tokens": 10}})
    est = estimate_run(suite, tmp_path / "ws")
    assert (est.calls, est.cached, est.to_send, est.examples) == (8, 0, 8, 2)
    c = est.candidates[0]
    assert c.price_source == "suite file" and c.output_tokens == 40 and not c.output_tokens_assumed
    assert c.cost_usd == pytest.approx((c.input_tokens * 1.0 + 40 * 2.0) / 1e6)
    assert "8 calls: 2 examples x 2 candidates x 2 repeats." == est.lines()[0]
    assert est.lines()[1].startswith("Estimated cost: about $")

    unpriced = make_suite(tmp_path, "http://127.0.0.1:9/v1", ["x"], candidates=1,
                          candidate_extra={"input_price_per_mtok": None, "output_price_per_mtok": None})
    est = estimate_run(unpriced, tmp_path / "ws")
    assert est.unknown == ["m0"] and est.candidates[0].cost_usd is None
    assert est.candidates[0].output_tokens == ASSUMED_OUTPUT_TOKENS
    assert any("unknown" in line for line in est.lines())


def test_estimate_knows_what_the_store_already_answered(tmp_path: Path, server) -> None:
    from evalcore.runner import run_suite

    suite = make_suite(tmp_path, server.base_url, ["one", "two", "three"], candidates=2)
    run_suite(suite, tmp_path / "ws", candidates=["m0"])
    est = estimate_run(suite, tmp_path / "ws")
    assert (est.calls, est.cached, est.to_send) == (6, 3, 3)
    assert [c.cached for c in est.candidates] == [3, 0]
    assert est.candidates[0].cost_usd == 0.0
