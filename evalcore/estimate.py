"""What a run will cost before it starts: calls, how many the store already answers, tokens and dollars.

Without litellm: prices come from the candidate's own `*_price_per_mtok`, else litellm's bundled price map read
as the JSON file it ships (found without importing litellm, which takes seconds and is kept out of processes
that only plan). Token counts are estimates (about 4 characters a token for the prompt; the candidate's
`max_tokens`, else a stated assumption, for the answer), so the cost is an estimate and says so; a model that
is in neither place has an unknown price, which is said, never counted as $0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalcore import price_map
from evalcore.suite import Candidate, Suite

__all__ = ["CandidateEstimate", "RunEstimate", "estimate_run", "map_price"]

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4  # chat framing per message
ASSUMED_OUTPUT_TOKENS = 256  # when a candidate sets no max_tokens


def map_price(model: str) -> tuple[float, float] | None:
    """USD per token (input, output) for a litellm model string from the bundled map, or None if absent: the
    same lookup that prices the calls (`price_map`), so an estimate and the run's cost agree."""
    return price_map.per_token(model)


@dataclass(frozen=True)
class CandidateEstimate:
    candidate: str
    model: str
    calls: int
    cached: int  # answered by the store already: not sent, free
    input_tokens: int  # of the calls to send
    output_tokens: int
    output_tokens_assumed: bool  # no max_tokens: ASSUMED_OUTPUT_TOKENS per call
    price_source: str  # "suite file", "litellm price map" or "unknown"
    cost_usd: float | None  # None: unknown price

    @property
    def to_send(self) -> int:
        return self.calls - self.cached

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "to_send": self.to_send}


@dataclass(frozen=True)
class RunEstimate:
    suite: str
    examples: int
    repeats: int
    candidates: list[CandidateEstimate] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.candidates)

    @property
    def cached(self) -> int:
        return sum(c.cached for c in self.candidates)

    @property
    def to_send(self) -> int:
        return self.calls - self.cached

    @property
    def cost_usd(self) -> float:
        """The known part of the estimate (candidates with unknown prices are listed in `unknown`)."""
        return sum(c.cost_usd or 0.0 for c in self.candidates)

    @property
    def unknown(self) -> list[str]:
        return [c.candidate for c in self.candidates if c.cost_usd is None and c.to_send]

    def lines(self) -> list[str]:
        from evalcore.formatting import count, money, names

        reps = f" x {count(self.repeats, 'repeat')}" if self.repeats > 1 else ""
        out = [f"{count(self.calls, 'call')}: {count(self.examples, 'example')} x "
               f"{count(len(self.candidates), 'candidate')}{reps}."]
        if self.cached:
            out.append(f"{count(self.cached, 'call')} already answered in this workspace (cached, free); "
                       f"{count(self.to_send, 'call')} to send.")
        known = money(self.cost_usd)
        if not self.to_send:
            out.append("Nothing to send: the run records the stored answers as a new run, at no cost.")
            return out
        if self.unknown and len(self.unknown) == len([c for c in self.candidates if c.to_send]):
            out.append(f"Estimated cost: unknown: no price for {names(self.unknown)} (set input_price_per_mtok and "
                       "output_price_per_mtok in the suite to estimate).")
        elif self.unknown:
            out.append(f"Estimated cost: {known} plus an unknown amount for {names(self.unknown)} (no price known).")
        else:
            out.append(f"Estimated cost: about {known}.")
        if any(c.output_tokens_assumed and c.to_send for c in self.candidates):
            out.append(f"Answers are assumed to be {ASSUMED_OUTPUT_TOKENS} tokens where a candidate sets no "
                       "max_tokens; prompts are counted at ~4 characters a token.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "examples": self.examples, "repeats": self.repeats, "calls": self.calls,
                "cached": self.cached, "to_send": self.to_send, "cost_usd": self.cost_usd, "unknown": self.unknown,
                "candidates": [c.to_dict() for c in self.candidates]}


def _prompt_tokens(messages: tuple[tuple[str, str], ...]) -> int:
    return sum(math.ceil(len(content) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for _role, content in messages)


def _price(c: Candidate) -> tuple[tuple[float, float] | None, str]:
    if c.input_price_per_mtok is not None and c.output_price_per_mtok is not None:
        return (c.input_price_per_mtok / 1e6, c.output_price_per_mtok / 1e6), "suite file"
    found = map_price(c.model)
    return (found, "litellm price map") if found else (None, "unknown")


def estimate_run(suite: Suite, workspace: str | Path | None = None, *, candidates: Sequence[str] | None = None,
                 repeats: int | None = None, encoding: str | None = None) -> RunEstimate:
    """Plan the run exactly as `run_suite` would (same requests, same cache) and price what would be sent.

    Raises what planning raises: `IngestError` for the dataset, `SuiteError` for the prompt or a candidate."""
    from evalcore.ingest import load_examples
    from evalcore.runner import plan_tasks
    from evalcore.store import Workspace

    chosen = suite.select(candidates)
    reps = repeats or suite.repeats
    examples = load_examples(suite.dataset_path, suite.columns, encoding=encoding, display_name=suite.dataset,
                             allow_empty_input=suite.allow_empty_input)
    tasks = plan_tasks(suite, examples, chosen, reps)
    hits: set[str] = set()
    from evalcore.errors import StoreError
    from evalcore.objectstore import is_remote

    root = (str(workspace) if is_remote(str(workspace)) else Path(workspace)) if workspace is not None else None
    try:
        ws = Workspace(root, create=False) if root is None or isinstance(root, str) or root.exists() else None
    except StoreError:
        ws = None  # a bucket prefix nothing was written to yet: nothing is cached
    if ws is not None and ws.has_files("results"):
        from evalcore.queries import Queries

        q = Queries(ws)
        try:
            hits = set(q.cached_results(sorted({t.request_hash for t in tasks})))
        finally:
            q.close()
    out = []
    for c in chosen:
        mine = [t for t in tasks if t.candidate == c.name]
        send = [t for t in mine if t.request_hash not in hits]
        max_tokens = c.params.get("max_tokens") or c.params.get("max_completion_tokens")
        per_answer = int(max_tokens) if isinstance(max_tokens, (int, float)) and max_tokens > 0 else ASSUMED_OUTPUT_TOKENS
        tin = sum(_prompt_tokens(t.request.messages) for t in send)
        tout = per_answer * len(send)
        price, source = _price(c)
        cost = (tin * price[0] + tout * price[1]) if price else (0.0 if not send else None)
        out.append(CandidateEstimate(c.name, c.model, len(mine), len(mine) - len(send), tin, tout,
                                     not isinstance(max_tokens, (int, float)), source, cost))
    return RunEstimate(suite.name, len(examples), reps, out)
