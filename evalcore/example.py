"""One test input: the unit every candidate is run on and every statistic is clustered by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def example_id_for(text: str) -> str:
    """A stable id for an example without one: the same input always gets the same id."""
    return "ex-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Example:
    """A validated example. `fields` holds every column (by its original name) for the prompt template."""

    id: str
    input: str
    expected: str | None = None
    tags: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    row: int | None = None  # 1-based data row in the source file, for messages

    def template_vars(self) -> dict[str, Any]:
        """Variables for the prompt: every column, plus the canonical names input/expected/tags/id."""
        return {**self.fields, "id": self.id, "input": self.input, "expected": self.expected, "tags": list(self.tags)}
