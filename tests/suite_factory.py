"""Suites and datasets on disk for tests (importable as `suite_factory`: pytest puts tests/ on the path)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def make_suite(tmp_path: Path, base_url: str, inputs: list[str], *, candidates: int = 2,
               scorers: list[dict[str, Any]] | None = None, run: dict[str, Any] | None = None,
               repeats: int = 1, extra: dict[str, Any] | None = None, candidate_extra: dict[str, Any] | None = None):
    """A suite on disk whose candidates call the local server through litellm's openai provider."""
    from evalcore.suite import load_suite
    import yaml

    rows = [{"id": f"e{i:03d}", "input": text, "expected": "x", "tags": "clean" if i % 2 else "edge, long"}
            for i, text in enumerate(inputs)]
    write_csv(tmp_path / "examples.csv", rows)
    data = {
        "name": "t",
        "prompt": "Q: {{ input }}",
        "dataset": "examples.csv",
        "candidates": [
            {"name": f"m{k}", "model": f"openai/model-{k}", "api_base": base_url, "family": "fam",
             "release": f"2026-0{k + 1}-01", "input_price_per_mtok": 1.0, "output_price_per_mtok": 2.0,
             **(candidate_extra or {})}
            for k in range(candidates)
        ],
        "scorers": scorers if scorers is not None else [{"type": "contains", "value": "says"}],
        "repeats": repeats,
        "run": {"concurrency": 8, "per_candidate": 4, "timeout_s": 5, "max_attempts": 4, "backoff_s": 0.01,
                **(run or {})},
        **(extra or {}),
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_suite(path)


# Text that would run or restyle a page if it were rendered instead of shown: for the report's escaping tests.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
MD_ATTACK = "| cell | **bold** `code` [link](http://example.invalid) @octocat #12 ~~gone~~ $x$"
HOSTILE = f"{SCRIPT} {IMG} {MD_ATTACK} ```` fence"


def markup_suite(folder: Path, base_url: str, inputs: list[str], *, scorer_value: str = "model-0") -> Path:
    """A suite on the local server whose inputs, tags, family and scorer name carry markup. The server echoes the
    input, so every output does too; the `contains` scorer passes m0 only, so there are failures to show."""
    folder.mkdir(parents=True, exist_ok=True)
    marked = f"{IMG}, a|b, **bold** @octocat #12, bell\x07\u202e"  # HTML, a pipe, markdown, a bell, a bidi override
    rows = [{"id": f"e{i:02d}", "input": text, "expected": f"ref {SCRIPT}", "tags": marked if i % 2 else "plain"}
            for i, text in enumerate(inputs)]
    write_csv(folder / "examples.csv", rows)
    data = {
        "name": "hostile", "prompt": "Q: {{ input }}", "dataset": "examples.csv",
        "candidates": [{"name": f"m{k}_x", "model": f"openai/model-{k}", "api_base": base_url,
                        "family": f"<b>fam</b>|{k}", "release": f"2026-0{k + 1}-01",
                        "input_price_per_mtok": 1.0, "output_price_per_mtok": 2.0} for k in range(2)],
        "scorers": [{"type": "contains", "value": scorer_value, "name": "has|m0"}],
        "run": {"concurrency": 8, "per_candidate": 4, "timeout_s": 5, "max_attempts": 2, "backoff_s": 0.01},
    }
    import yaml

    (folder / "suite.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder / "suite.yaml"
