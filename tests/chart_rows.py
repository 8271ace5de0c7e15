"""Leaderboard rows shaped like `evalcore.analysis.leaderboard`'s, shared by the chart tests."""

import pandas as pd


def leaderboard_rows() -> pd.DataFrame:
    """Leaderboard rows as evalcore.analysis.leaderboard returns them, in rank order (one not yet scored)."""
    return pd.DataFrame([
        {"rank": 1, "could_be_best": True, "rank_low": 1, "rank_high": 2, "candidate": "big_model", "mean": 0.91, "low": 0.85, "high": 0.95, "n": 52,
         "cost_per_example_usd": 0.0021, "latency_p50_ms": 850.0, "tied_with": ["mid"], "family": "x"},
        {"rank": 1, "could_be_best": True, "rank_low": 1, "rank_high": 2, "candidate": "mid", "mean": 0.88, "low": 0.80, "high": 0.93, "n": 52,
         "cost_per_example_usd": 0.0004, "latency_p50_ms": 300.0, "tied_with": ["big_model"], "family": "y"},
        {"rank": 3, "could_be_best": False, "rank_low": 3, "rank_high": 3, "candidate": "small", "mean": 0.61, "low": 0.50, "high": 0.70, "n": 51,
         "cost_per_example_usd": None, "latency_p50_ms": 90.0, "tied_with": [], "family": "y"},
        {"rank": None, "could_be_best": None, "rank_low": None, "rank_high": None, "candidate": "unscored", "mean": None, "low": None, "high": None,
         "n": 0, "cost_per_example_usd": None, "latency_p50_ms": None, "tied_with": [], "family": "z"},
    ])
