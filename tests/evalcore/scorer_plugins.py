"""User-style python scorers for tests/evalcore/test_scoring.py, imported as `scorer_plugins:<name>`."""

from __future__ import annotations

from typing import Any

from evalcore.example import Example


def mentions_input(output: str, example: Example) -> bool:
    """Passes when the output repeats the input (case-insensitive)."""
    return example.input.casefold() in output.casefold()


def length_ratio(output: str, example: Example) -> float:
    """Output length over expected length: above 1 for long outputs, so evalcore must clip it."""
    return len(output) / max(1, len(example.expected or ""))


def nan_score(output: str, example: Example) -> float:
    return float("nan")


def with_detail(output: str, example: Example) -> dict[str, Any]:
    words = len(output.split())
    return {"value": min(1.0, words / 10), "passed": words >= 3, "detail": {"words": words, "ratio": float("inf")}}


def passed_only(output: str, example: Example) -> dict[str, Any]:
    return {"passed": output.startswith("yes")}


def crashes(output: str, example: Example) -> float:
    return output + 1  # type: ignore[operator,no-any-return]  # TypeError on purpose


def returns_text(output: str, example: Example) -> str:
    return "great"


NOT_A_FUNCTION = 3


def numpy_verdict(output: str, example: Example) -> Any:
    """A vectorised check returns numpy.bool_, not bool."""
    import numpy as np

    return np.mean([len(w) for w in output.split()] or [0]) > 3
