"""Hand-built labels on the demo workspace for the tests of the people's verdict (CLI and Overview): people find
the candidate the scores would pick much worse than the leader, and disagree with the LLM judge elsewhere.
Everything is derived from the workspace through the library, so the demo's numbers may change."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from evalcore import analysis
from evalcore.demo_build import DEMO_SUITE
from evalcore.queries import Queries

MARGINS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def disputed_labels(ws: Path) -> tuple[float, Any, list[dict[str, Any]]]:
    """(margin, the scores-only recommendation at it, label rows). At `margin` the scores pick a candidate other
    than the leader; on 20 examples where their outputs differ, reviewer 'ana' rates the pick's outputs 2/not ok on
    16 (4/ok on 4) and the leader's 5/ok; reviewer 'ben' rates 30 outputs of other candidates opposite to the judge."""
    margin, auto = next((m, r) for m in MARGINS
                        if (r := analysis.recommendation(ws, DEMO_SUITE, margin=m, people=False)).pick not in
                        (None, r.leader))
    q = Queries(ws)
    outputs = q.label_outputs(DEMO_SUITE)
    by = {(c, e): h for c, e, h in zip(outputs["candidate"], outputs["example_id"], outputs["output_hash"],
                                       strict=True)}
    picked, leader = auto.pick, auto.leader
    examples = sorted({e for (c, e) in by if c == picked and (leader, e) in by and by[(leader, e)] != by[(c, e)]})
    assert len(examples) >= 20, "the demo's pick and leader answer alike too often for this test"
    rows = []
    for i, e in enumerate(examples[:20]):
        bad = i % 5 != 0
        rows.append({"example_id": e, "candidate": picked, "reviewer": "ana", "rating": 2 if bad else 4,
                     "ok": "no" if bad else "yes", "note": ""})
        rows.append({"example_id": e, "candidate": leader, "reviewer": "ana", "rating": 5, "ok": "yes", "note": ""})
    judge = {r["output_hash"]: round(1 + 4 * r["value"])
             for r in q.judge_values(DEMO_SUITE, "judge").to_dict("records")}
    used = {by[(c, e)] for (c, e) in by if c in (picked, leader)}
    seen: set[str] = set()
    other = []
    for (c, e), h in sorted(by.items()):
        if c not in (picked, leader) and h in judge and h not in used and h not in seen:
            seen.add(h)
            other.append((c, e, h))
    for c, e, h in other[:30]:
        rows.append({"example_id": e, "candidate": c, "reviewer": "ben", "rating": 6 - judge[h],
                     "ok": "yes" if judge[h] <= 2 else "no", "note": "the judge is wrong here"})
    return margin, auto, rows


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path
