"""Human labels: record them, queue what still needs them, and turn them into numbers people can act on.

A label attaches to an output's *content*: `output_hash(example_id, output)`. The same text for the same
example, whether from a cache hit, a rerun, another candidate or another repeat, carries the label and is
not queued again. Labels are append-only events (`store.LABELS_SCHEMA`): giving, changing or clearing
(undo) an answer appends one; the latest event per (reviewer, output) is the answer, the rest is history.

The page, the CLI and other pages use only the functions here:

- `record_rating`, `record_pair`: append one event (cheap: one JSONL append in the reviewer's journal).
- `rating_queue`, `pair_queue`: what a reviewer should see next, blind and in a seeded per-reviewer order.
- `human_summary`: per candidate mean rating (1-5) and "ok to show" rate, with intervals and a note when too
  few items are labeled. `agreement_report`: reviewers with each other, and an LLM judge against people.
- `pairwise_ranking`: Bradley-Terry from pairwise answers. `import_labels`, `export_labels`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evalcore.errors import EvalcoreError, IngestError, Problem
from evalcore.store import SCHEMA_VERSION, Workspace, utcnow

__all__ = [
    "AgreementReport", "HumanRow", "JudgeAgreement", "LabelError", "agreement_report", "export_labels",
    "human_summary", "human_table", "import_labels", "judge_agreement", "output_hash", "pair_queue", "pairwise_ranking", "rating_queue",
    "record_pair", "record_rating", "validate_reviewer",
]

RATING = "rating"
PAIRWISE = "pairwise"
MIN_ITEMS = 10  # fewer labeled examples than this per candidate: "too few to conclude"
EXPORT_COLUMNS = ["label_id", "suite", "example_id", "output_hash", "candidate", "run_id", "reviewer", "kind",
                  "rating", "ok", "note", "output_hash_b", "candidate_b", "choice", "blind", "source",
                  "created_at"]


class LabelError(EvalcoreError):
    """A label that cannot be recorded as given (unknown suite, bad rating, no reviewer...)."""

    title = "Label not recorded"


def output_hash(example_id: str, output: str) -> str:
    """Content hash of an output *for its example*: the same text for another input is another output.
    (`queries.label_outputs` computes the same value in SQL.)"""
    return hashlib.sha256(f"{example_id}\x00{output}".encode()).hexdigest()[:20]


def validate_reviewer(name: str | None) -> str:
    """A reviewer name as stored: trimmed, 1-100 characters, no control characters."""
    text = (name or "").strip()
    if not text:
        raise LabelError("no reviewer name.", hint="Enter your name or e-mail once; it is kept for the session.")
    if len(text) > 100 or any(ord(c) < 32 for c in text):
        raise LabelError(f"reviewer name {text[:40]!r} is too long or has control characters.",
                         hint="Use a name or e-mail address of at most 100 characters.")
    return text


_clock_lock = threading.Lock()
_last_time: list[datetime] = []


def _now() -> datetime:
    """UTC now, strictly increasing within the process, so two quick answers never share a timestamp."""
    with _clock_lock:
        t = utcnow()
        if _last_time and t <= _last_time[0]:
            t = _last_time[0] + timedelta(microseconds=1)
        _last_time[:] = [t]
        return t


def _label_id(t: datetime) -> str:
    """Time-sortable and unique: microseconds since 1970 in hex, then randomness."""
    import secrets

    return f"{int(t.timestamp() * 1_000_000):014x}-{secrets.token_hex(5)}"


def _event(suite: str, reviewer: str, kind: str, **fields: Any) -> dict[str, Any]:
    t = _now()
    return {"label_id": _label_id(t), "suite": suite, "reviewer": reviewer, "kind": kind, "created_at": t,
            "schema_version": SCHEMA_VERSION, **fields}


def _check_rating(rating: Any) -> int | None:
    if rating is None:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise LabelError(f"rating must be a whole number 1-5, got {rating!r}.")
    return rating


def record_rating(workspace: str | Path | Workspace | None, suite: str, reviewer: str, *, example_id: str,
                  output_hash: str, candidate: str | None = None, run_id: str | None = None,
                  rating: int | None = None, ok: bool | None = None, note: str | None = None,
                  blind: bool = True, source: str = "api") -> dict[str, Any]:
    """Append one rating event: the reviewer's whole current answer for this output (rating, ok, note).

    All of them None clears the answer (what undo does). Returns the event as stored.
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    reviewer = validate_reviewer(reviewer)
    if ok is not None and not isinstance(ok, bool):
        raise LabelError(f"ok must be yes/no (True/False), got {ok!r}.")
    ev = _event(suite, reviewer, RATING, example_id=example_id, output_hash=output_hash, candidate=candidate,
                run_id=run_id, rating=_check_rating(rating), ok=ok, note=(note or None), blind=bool(blind),
                source=source)
    ws.append_labels(suite, reviewer, [ev])
    return ev


def record_pair(workspace: str | Path | Workspace | None, suite: str, reviewer: str, *, example_id: str,
                first: tuple[str, str | None], second: tuple[str, str | None], choice: int | None,
                note: str | None = None, blind: bool = True, source: str = "api") -> dict[str, Any]:
    """Append one pairwise event: `first`/`second` are (output_hash, candidate) as shown as 1 and 2;
    choice 1 or 2 = that one is better, 0 = tie, None = clear. Stored with the pair in a canonical order
    (smaller hash first), so (a, b) and (b, a) are one question."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    reviewer = validate_reviewer(reviewer)
    if choice is not None and choice not in (0, 1, 2):
        raise LabelError(f"choice must be 1, 2 or 0 (tie), got {choice!r}.")
    (ha, ca), (hb, cb) = first, second
    if hb < ha:
        (ha, ca), (hb, cb) = (hb, cb), (ha, ca)
        choice = {1: 2, 2: 1}.get(choice, choice) if choice is not None else None
    ev = _event(suite, reviewer, PAIRWISE, example_id=example_id, output_hash=ha, candidate=ca, output_hash_b=hb,
                candidate_b=cb, choice=choice, note=(note or None), blind=bool(blind), source=source)
    ws.append_labels(suite, reviewer, [ev])
    return ev


# ------------------------------------------------------------------------------------------------ reading


def _queries(workspace: Any) -> Any:
    from evalcore.queries import Queries

    return workspace if isinstance(workspace, Queries) else Queries(workspace)


def answers(workspace: Any, suite: str, kind: str = RATING,
            output_hashes: list[str] | None = None) -> list[dict[str, Any]]:
    """Current answers (latest per reviewer and output; cleared ones left out), oldest first; only on
    `output_hashes` when given."""
    return _records(_queries(workspace).label_answers(suite, kind, output_hashes))


def history(workspace: Any, suite: str) -> list[dict[str, Any]]:
    """Every event, oldest first."""
    return _records(_queries(workspace).label_history(suite))


def _records(df: Any) -> list[dict[str, Any]]:
    """DataFrame rows as dicts of plain Python values, None for missing (vectorised: 100k rows in well under 1 s)."""
    if df.empty:
        return []
    clean = df.astype(object).where(df.notna(), None)
    names = list(clean.columns)
    return [dict(zip(names, values)) for values in zip(*(clean[c].tolist() for c in names))]


def _missing(v: Any) -> bool:
    try:
        return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "NaT")
    except (TypeError, ValueError):
        return False


def _order_key(seed: int, reviewer: str, key: str) -> str:
    return hashlib.sha256(f"{seed}\x00{reviewer}\x00{key}".encode()).hexdigest()


def rating_queue(workspace: Any, suite: str, reviewer: str, *, runs: list[str] | None = None,
                 candidates: list[str] | None = None, tags: list[str] | None = None,
                 disagree_only: bool = False, overlap: int = 1, seed: int = 0) -> dict[str, Any]:
    """The outputs this reviewer should rate, as {"todo", "done", "complete", "total"}.

    One item per distinct output (hash): {output_hash, example_id, input, expected, output, candidates,
    run_id, tags, scorers_disagree, ratings (answers by others, counted, never shown), mine (this
    reviewer's answer or None)}. `todo`: items this reviewer has not answered that still need ratings
    (fewer than `overlap` reviewers), the least-rated first, then in an order shuffled per reviewer by
    `seed` (the same on every resume). `done`: items this reviewer answered, in the order answered (for
    going back). `complete`: items that already have `overlap` ratings from others.
    """
    reviewer = validate_reviewer(reviewer)
    q = _queries(workspace)
    outputs = q.label_outputs(suite, runs=runs, candidates=candidates, tags=tags)
    items: dict[str, dict[str, Any]] = {}
    for r in outputs.to_dict("records"):
        h = r["output_hash"]
        item = items.get(h)
        if item is None:
            items[h] = {"output_hash": h, "example_id": r["example_id"], "input": r["input"] or "",
                        "expected": None if _missing(r["expected"]) else r["expected"], "output": r["output"],
                        "candidates": [r["candidate"]], "run_id": r["run_id"], "tags": list(r["tags"]),
                        "scorers_disagree": bool(r["scorers_disagree"]), "ratings": 0, "mine": None}
        else:
            if r["candidate"] not in item["candidates"]:
                item["candidates"].append(r["candidate"])
            item["scorers_disagree"] = item["scorers_disagree"] or bool(r["scorers_disagree"])
    mine_order: list[str] = []
    for a in answers(q, suite, RATING, list(items)):
        item = items.get(a["output_hash"])
        if item is None:
            continue
        if a["reviewer"] == reviewer:
            item["mine"] = {"rating": a["rating"], "ok": a["ok"], "note": a["note"]}
            mine_order.append(a["output_hash"])
        elif a["rating"] is not None or a["ok"] is not None:
            item["ratings"] += 1
    pool = [i for i in items.values() if not disagree_only or i["scorers_disagree"]]
    todo = [i for i in pool if i["mine"] is None and i["ratings"] < overlap]
    todo.sort(key=lambda i: (i["ratings"], _order_key(seed, reviewer, i["output_hash"])))
    done = [items[h] for h in mine_order if h in items and (not disagree_only or items[h]["scorers_disagree"])]
    complete = sum(1 for i in pool if i["mine"] is None and i["ratings"] >= overlap)
    return {"todo": todo, "done": done, "complete": complete, "total": len(pool)}


def pair_queue(workspace: Any, suite: str, reviewer: str, *, runs: list[str] | None = None,
               candidates: list[str] | None = None, tags: list[str] | None = None, overlap: int = 1,
               seed: int = 0) -> dict[str, Any]:
    """Pairs of different outputs for the same input, as {"todo", "done", "total"}; each pair
    {key, example_id, input, expected, left, right} with left/right = {output_hash, output, candidates}.
    Which output is shown as 1 is decided per reviewer by `seed` (blind, stable on resume)."""
    reviewer = validate_reviewer(reviewer)
    q = _queries(workspace)
    outputs = q.label_outputs(suite, runs=runs, candidates=candidates, tags=tags)
    by_example: dict[str, dict[str, dict[str, Any]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for r in outputs.to_dict("records"):
        outs = by_example.setdefault(r["example_id"], {})
        meta.setdefault(r["example_id"], {"input": r["input"] or "",
                                          "expected": None if _missing(r["expected"]) else r["expected"]})
        o = outs.setdefault(r["output_hash"], {"output_hash": r["output_hash"], "output": r["output"],
                                               "candidates": []})
        if r["candidate"] not in o["candidates"]:
            o["candidates"].append(r["candidate"])
    meta_hashes = {h for outs in by_example.values() for h in outs}
    counts: dict[tuple[str, str], int] = {}
    mine: dict[tuple[str, str], int] = {}
    mine_order: list[tuple[str, str]] = []
    for a in answers(q, suite, PAIRWISE, list(meta_hashes)):
        key = (a["output_hash"], a["output_hash_b"])
        if a["reviewer"] == reviewer:
            mine[key] = a["choice"]
            mine_order.append(key)
        else:
            counts[key] = counts.get(key, 0) + 1
    pairs = {}
    for eid, outs in by_example.items():
        hashes = sorted(outs)
        for i, ha in enumerate(hashes):
            for hb in hashes[i + 1:]:
                flip = int(_order_key(seed, reviewer, ha + hb)[0], 16) % 2 == 1
                left, right = (outs[hb], outs[ha]) if flip else (outs[ha], outs[hb])
                pairs[(ha, hb)] = {"key": f"{ha}:{hb}", "example_id": eid, **meta[eid], "left": left,
                                   "right": right, "mine": mine.get((ha, hb)), "ratings": counts.get((ha, hb), 0)}
    todo = [p for k, p in pairs.items() if k not in mine and p["ratings"] < overlap]
    todo.sort(key=lambda p: (p["ratings"], _order_key(seed, reviewer, p["key"])))
    done = [pairs[k] for k in mine_order if k in pairs]
    return {"todo": todo, "done": done, "total": len(pairs)}


def guidance(workspace: Any, suite: str) -> dict[str, Any]:
    """What reviewers should judge by: the suite's `human:` question and any judge rubric, from its newest
    run; plus the runs, candidates and tags a queue can be narrowed to."""
    from evalcore.suite import DEFAULT_HUMAN_QUESTION

    q = _queries(workspace)
    question, rubrics = DEFAULT_HUMAN_QUESTION, []
    for m in q.ws.manifests(suite):
        cfg = m.get("config") or {}
        question = cfg.get("human") or question
        rubrics = [s["rubric"] for s in cfg.get("scorers", []) if s.get("type") == "llm_judge" and s.get("rubric")]
        break
    outputs = q.label_outputs(suite, runs=q.label_runs(suite))
    return {"question": question, "rubrics": rubrics, "runs": q.label_runs(suite),
            "candidates": sorted(set(outputs["candidate"])) if len(outputs) else [],
            "tags": sorted({t for ts in outputs["tags"] for t in ts}) if len(outputs) else [],
            "has_reference": bool(len(outputs) and outputs["expected"].notna().any())}


# ------------------------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class HumanRow:
    """People's verdict on one candidate: mean rating 1-5 and the share of outputs they would show."""

    candidate: str
    rating: float | None
    rating_low: float | None
    rating_high: float | None
    ok_rate: float | None
    ok_low: float | None
    ok_high: float | None
    n_examples: int
    """Examples with at least one human answer on this candidate's output (the unit of the intervals)."""
    n_labels: int
    """Answers behind the numbers (reviewers x outputs)."""
    examples: int
    """Examples this candidate has outputs for."""
    enough: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def human_table(workspace: Any, suite: str, *, run_id: str | None = None, every_run: bool = False) -> Any:
    """One row per (candidate, example) of each candidate's latest run (or `run_id`) whose output has a human
    answer: the mean rating 1-5 and the share of "ok to show" answers over reviewers and repeats (NaN when none
    gave that answer), `n_labels` (answers behind them); plus `attrs["examples"]`, {candidate: examples with
    outputs}. The table `stats.people_evidence` and `human_summary` work on. `every_run`: one row per (run,
    candidate, example) over every run of the suite, with a `run_id` column (a label carries over to the same
    output in any run), for trends."""
    import pandas as pd

    q = _queries(workspace)
    runs = q.label_runs(suite) if every_run else [run_id] if run_id else None
    columns = ["run_id", "candidate", "example_id", "rating", "ok", "n_labels"]
    if not q.has_label_events(suite):  # nobody has labeled this suite: count the outputs, without reading them
        table = pd.DataFrame([], columns=columns if every_run else columns[1:])
        table.attrs["examples"] = q.output_counts(suite, runs=runs)
        return table
    outputs = q.label_outputs(suite, runs=runs)
    per_hash_r: dict[str, list[int]] = {}
    per_hash_ok: dict[str, list[bool]] = {}
    for a in answers(q, suite, RATING, list(dict.fromkeys(outputs["output_hash"]))):
        if a["rating"] is not None:
            per_hash_r.setdefault(a["output_hash"], []).append(a["rating"])
        if a["ok"] is not None:
            per_hash_ok.setdefault(a["output_hash"], []).append(a["ok"])
    cells: dict[tuple[str, str, str], dict[str, list[float]]] = {}
    examples: dict[str, set[str]] = {}
    for run, cand, eid, h in zip(outputs["run_id"], outputs["candidate"], outputs["example_id"],
                                 outputs["output_hash"], strict=True):
        examples.setdefault(cand, set()).add(eid)
        if h not in per_hash_r and h not in per_hash_ok:
            continue
        cell = cells.setdefault((run if every_run else "", cand, eid), {"r": [], "ok": [], "n": []})
        if h in per_hash_r:
            cell["r"].append(sum(per_hash_r[h]) / len(per_hash_r[h]))
            cell["n"].append(len(per_hash_r[h]))
        if h in per_hash_ok:
            cell["ok"].append(sum(per_hash_ok[h]) / len(per_hash_ok[h]))
    rows = [{"run_id": r, "candidate": c, "example_id": e,
             "rating": sum(v["r"]) / len(v["r"]) if v["r"] else math.nan,
             "ok": sum(v["ok"]) / len(v["ok"]) if v["ok"] else math.nan, "n_labels": sum(v["n"])}
            for (r, c, e), v in cells.items()]
    table = pd.DataFrame(rows, columns=columns)
    if not every_run:
        table = table.drop(columns="run_id")
    table.attrs["examples"] = {c: len(ids) for c, ids in examples.items()}
    return table


def human_summary(workspace: Any, suite: str, *, run_id: str | None = None,
                  min_items: int = MIN_ITEMS) -> list[HumanRow]:
    """Per candidate (its latest run, or `run_id`): mean human rating 1-5 with a 95% interval
    (`stats.mean_interval`, bounds 1-5) and the "ok to show" rate with a Wilson interval, over the examples
    whose output has a human answer (several reviewers or repeats are averaged within an example first).
    `enough` is False, and `note` says so, when fewer than `min_items` examples are labeled."""
    from evalcore.stats.human import people_rows

    table = human_table(workspace, suite, run_id=run_id)
    examples = table.attrs["examples"]
    rows = []
    labels_of = table.groupby("candidate")["n_labels"].sum().to_dict() if len(table) else {}
    for cand, r in people_rows(table, candidates=sorted(examples), min_items=min_items, examples=examples).items():
        n_labels = int(labels_of.get(cand, 0))
        note = "" if r.weighed else (f"only {r.n} of {r.examples} examples labeled by people: too few to conclude "
                                     f"(need {min_items})")
        rows.append(HumanRow(cand, r.rating.estimate, r.rating.low, r.rating.high, r.ok.estimate, r.ok.low,
                             r.ok.high, r.n, n_labels, int(r.examples or 0), r.weighed, note))
    return rows


@dataclass(frozen=True)
class JudgeAgreement:
    """How far an LLM judge agrees with people on this suite, and whether it can be trusted."""

    scorer: str
    alpha: dict[str, Any] | None
    """Krippendorff's alpha (ordinal) between the judge's 1-5 and the people's median rating."""
    n_items: int
    trusted: bool
    verdict: str


@dataclass(frozen=True)
class AgreementReport:
    suite: str
    reviewers: list[str]
    n_items: int
    """Outputs rated by at least two reviewers."""
    rating: dict[str, Any] | None
    """Krippendorff's alpha (ordinal) on the 1-5 ratings (`Agreement.to_dict()`)."""
    ok: dict[str, Any] | None
    """Cohen's kappa (two reviewers) or Fleiss' kappa (more) on yes/no."""
    disagreements: list[dict[str, Any]]
    """The items reviewers disagree on most: to discuss, and to sharpen the rubric."""
    judges: list[JudgeAgreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report in plain words (CLI and page)."""
        from evalcore.formatting import count, interval, score

        def stat(a: dict[str, Any] | None, name: str) -> str:
            if a is None or a["value"] is None:
                return f"{name}: not enough overlap to compute ({a['note'] if a else 'no items rated twice'})."
            ci = "" if a["low"] is None else " " + interval(a["low"], a["high"])
            return f"{name}: {score(a['value'])}{ci} on {a['n_units']} items: {a['interpretation']}"

        out = [f"{count(len(self.reviewers), 'reviewer')} ({', '.join(self.reviewers) or 'none'}); "
               f"{count(self.n_items, 'output')} rated by two or more."]
        out.append(stat(self.rating, "Ratings 1-5, Krippendorff's alpha (ordinal)"))
        out.append(stat(self.ok, f"'OK to show' yes/no, {self.ok['statistic'].replace('_', ' ') if self.ok else 'kappa'}"))
        for j in self.judges:
            out.append(f"Judge '{j.scorer}' vs people: {j.verdict}")
        out.extend(self.notes)
        return out


def _agreement_matrix(ans: list[dict[str, Any]], value: str) -> tuple[list[str], list[str], list[list[Any]]]:
    """raters x units with None where a rater did not answer; only units with at least two answers (the only
    ones any agreement statistic can use), so 100,000 singly-rated outputs cost nothing."""
    seen: dict[str, int] = {}
    for a in ans:
        if a[value] is not None:
            seen[a["output_hash"]] = seen.get(a["output_hash"], 0) + 1
    units = sorted(u for u, c in seen.items() if c >= 2)
    ui = {u: j for j, u in enumerate(units)}
    raters = sorted({a["reviewer"] for a in ans if a[value] is not None and a["output_hash"] in ui})
    ri = {r: i for i, r in enumerate(raters)}
    m: list[list[Any]] = [[None] * len(units) for _ in raters]
    for a in ans:
        if a[value] is not None and a["output_hash"] in ui:
            m[ri[a["reviewer"]]][ui[a["output_hash"]]] = a[value]
    return raters, units, m


def _judge_scorers(q: Any, suite: str) -> list[str]:
    for m in q.ws.manifests(suite):
        names = [s.get("name") or s.get("type") for s in (m.get("config") or {}).get("scorers", [])
                 if s.get("type") == "llm_judge"]
        if names:
            return names
    return []


def agreement_report(workspace: Any, suite: str, *, seed: int = 0, n_boot: int = 1000,
                     top: int = 10) -> AgreementReport:
    """Reviewers against each other (ratings: Krippendorff's alpha, ordinal; yes/no: Cohen's kappa for two
    reviewers, Fleiss' kappa for more, on the items with the usual number of answers), the items they
    disagree on most, and every LLM judge of the suite against the people's median rating."""
    from evalcore.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha

    q = _queries(workspace)
    ans = answers(q, suite, RATING)
    reviewers = sorted({a["reviewer"] for a in ans})
    notes: list[str] = []
    raters, units, m = _agreement_matrix(ans, "rating")
    shared = [j for j in range(len(units)) if sum(row[j] is not None for row in m) >= 2]
    rating = None
    if shared:
        rating = krippendorff_alpha([[row[j] for j in shared] for row in m], level="ordinal", seed=seed,
                                    n_boot=n_boot).to_dict()
    ok = None
    oraters, ounits, om = _agreement_matrix(ans, "ok")
    per_unit = [[row[j] for row in om if row[j] is not None] for j in range(len(ounits))]
    if len(oraters) == 2:
        both = [j for j in range(len(ounits)) if om[0][j] is not None and om[1][j] is not None]
        if both:
            ok = cohen_kappa([om[0][j] for j in both], [om[1][j] for j in both], seed=seed, n_boot=n_boot).to_dict()
    elif len(oraters) > 2:
        sizes = [len(v) for v in per_unit if len(v) >= 2]
        if sizes:
            k = max(set(sizes), key=sizes.count)
            use = [v for v in per_unit if len(v) == k]
            ok = fleiss_kappa(use, seed=seed, n_boot=n_boot).to_dict()
            if len(use) < len(sizes):
                notes.append(f"Fleiss' kappa uses the {len(use)} items with exactly {k} yes/no answers "
                             f"({len(sizes) - len(use)} items with another number left out).")
    # Items people disagree on most: the widest rating spread, then a split yes/no.
    by_hash: dict[str, list[dict[str, Any]]] = {}
    for a in ans:
        by_hash.setdefault(a["output_hash"], []).append(a)
    dis = []
    for h, group in by_hash.items():
        if len(group) < 2:
            continue
        rs = [g["rating"] for g in group if g["rating"] is not None]
        oks = [g["ok"] for g in group if g["ok"] is not None]
        spread = (max(rs) - min(rs)) if len(rs) >= 2 else 0
        split = len(set(oks)) > 1
        if spread or split:
            dis.append({"output_hash": h, "example_id": group[0]["example_id"], "spread": spread,
                        "ok_split": split, "answers": [{"reviewer": g["reviewer"], "rating": g["rating"],
                                                        "ok": g["ok"], "note": g["note"]} for g in group]})
    dis.sort(key=lambda d: (-d["spread"], not d["ok_split"], d["example_id"]))
    judges = [_judge_against(q, suite, scorer, by_hash, seed=seed, n_boot=n_boot) for scorer in
              _judge_scorers(q, suite)]
    if len(reviewers) < 2:
        notes.append("One reviewer so far: agreement between people needs at least two on the same items "
                     "(raise the overlap on the Label page).")
    return AgreementReport(suite, reviewers, len(shared), rating, ok, dis[:top], judges, notes)


def _judge_against(q: Any, suite: str, scorer: str, by_hash: dict[str, list[dict[str, Any]]], *, seed: int,
                   n_boot: int) -> JudgeAgreement:
    import numpy as np

    from evalcore.agreement import krippendorff_alpha

    jv = {r["output_hash"]: round(1 + 4 * float(r["value"]))
          for r in q.judge_values(suite, scorer).to_dict("records")}
    people = {h: float(np.median(rs)) for h in jv if h in by_hash
              for rs in [[g["rating"] for g in by_hash[h] if g["rating"] is not None]] if rs}
    common = sorted(people)
    if len(common) < 2:
        return JudgeAgreement(scorer, None, len(common), False,
                              f"only {len(common)} outputs both judged and rated by people: "
                              "cannot tell yet whether the judge can be trusted.")
    a = krippendorff_alpha([[jv[h] for h in common], [people[h] for h in common]], level="ordinal",
                           seed=seed, n_boot=n_boot)
    return _judge_verdict(scorer, a.to_dict(), len(common))


def judge_agreement(workspace: Any, suite: str, scorer: str, *, seed: int = 0,
                    n_boot: int = 1000) -> JudgeAgreement | None:
    """How far the suite's LLM judge `scorer` agrees with people (as in `agreement_report`); None when `scorer`
    is not an `llm_judge` of the suite. What the recommendation checks before resting on a judge's scores."""
    q = _queries(workspace)
    if scorer not in _judge_scorers(q, suite):
        return None
    by_hash: dict[str, list[dict[str, Any]]] = {}
    for a in answers(q, suite, RATING):
        by_hash.setdefault(a["output_hash"], []).append(a)
    return _judge_against(q, suite, scorer, by_hash, seed=seed, n_boot=n_boot)


def _judge_verdict(scorer: str, a: dict[str, Any], n: int) -> JudgeAgreement:
    from evalcore.formatting import interval, score

    v, low = a["value"], a["low"]
    shown = f"alpha {score(v)}" + (f" {interval(low, a['high'])}" if low is not None else "") + f" on {n} outputs"
    if v is None:
        return JudgeAgreement(scorer, a, n, False, f"{shown}: undefined ({a['note']}); cannot be trusted.")
    if n < 20:
        return JudgeAgreement(scorer, a, n, False, f"{shown}. WARNING: too few outputs rated by both to trust "
                                                   "the judge; label at least 20.")
    if v >= 0.8 and low is not None and low >= 0.667:
        return JudgeAgreement(scorer, a, n, True, f"{shown}: the judge agrees with people well enough to rely on "
                                                  "for this suite.")
    if v >= 0.667:
        return JudgeAgreement(scorer, a, n, False, f"{shown}: tentative only; WARNING: do not let the judge "
                                                   "decide alone (Krippendorff: rely at >= 0.8).")
    return JudgeAgreement(scorer, a, n, False, f"{shown}. WARNING: the judge CANNOT be trusted on this suite: "
                                               "it disagrees with people too often. Use human labels.")


def pairwise_ranking(workspace: Any, suite: str, *, seed: int = 0, n_boot: int = 500) -> list[dict[str, Any]]:
    """Bradley-Terry from the current pairwise answers (each candidate that produced an output gets its win)."""
    from evalcore.pairwise import bradley_terry

    comps = []
    for a in answers(workspace, suite, PAIRWISE):
        if a["candidate"] and a["candidate_b"]:
            comps.append((a["candidate"], a["candidate_b"], int(a["choice"])))
    return [r.to_dict() for r in bradley_terry(comps, seed=seed, n_boot=n_boot)]


# ------------------------------------------------------------------------------------------ import/export

_YES = {"y", "yes", "true", "1", "ok", "ja", "oui"}
_NO = {"n", "no", "false", "0", "nein", "non"}


def import_labels(workspace: str | Path | None, suite: str, path: str | Path, *, encoding: str | None = None,
                  reviewer: str | None = None) -> int:
    """Labels from a spreadsheet (CSV, JSONL or Parquet): example_id (or output_hash), candidate, reviewer,
    rating, ok, note. A row with example_id + candidate labels that candidate's output for the example in its
    latest run. Every problem is reported with its row and column; nothing is imported unless all rows are good.
    `reviewer` is used for rows without one. In a CSV file, one leading `'` before `=`, `+`, `-`, `@`, tab or
    carriage return is dropped (the formula guard `export_labels` writes), so an export reads back as it was."""
    from evalcore.ingest import read_table
    from evalcore.queries import Queries

    name = Path(path).name
    header, records = read_table(path, expect="reviewer", encoding=encoding, max_rows=1_000_000, display_name=name)
    cols: dict[str, str] = {}
    for h in header:  # 'Rating' and 'rating' would silently collapse into one, the other column ignored
        key = h.strip().lower()
        if key in cols:
            raise IngestError(f"columns {cols[key]!r} and {h!r} are the same column ({key!r}) written twice; "
                              "which one holds the labels?", file=name, column=h,
                              hint="Rename or delete one of them; nothing was imported.")
        cols[key] = h
    if "example_id" not in cols and "example" in cols:
        cols["example_id"] = cols["example"]
    if "output_hash" not in cols and "example_id" not in cols:
        raise IngestError("needs an example_id (with candidate) or an output_hash column; found: "
                          f"{', '.join(header) or '(none)'}.", file=name,
                          hint="Columns: example_id, candidate, reviewer, rating, ok, note (or output_hash "
                               "instead of example_id and candidate).")
    if "rating" not in cols and "ok" not in cols:
        raise IngestError(f"needs a rating or an ok column; found: {', '.join(header) or '(none)'}.", file=name,
                          hint="rating: a whole number 1-5; ok: yes/no. Rename the column that holds them.")
    ws = Workspace(workspace)
    q = Queries(ws)
    all_outputs = q.label_outputs(suite, runs=q.label_runs(suite))
    if all_outputs.empty:
        raise IngestError(f"suite '{suite}' has no outputs in this workspace to attach labels to.", file=name,
                          hint="Check --suite, or run the suite first.")
    by_hash = {r["output_hash"]: r for r in all_outputs.to_dict("records")}
    latest = q.label_outputs(suite)
    by_pair: dict[tuple[str, str], set[str]] = {}
    for r in latest.to_dict("records"):
        by_pair.setdefault((r["example_id"], r["candidate"]), set()).add(r["output_hash"])
    candidates = sorted({r["candidate"] for r in by_hash.values()})
    example_ids = {r["example_id"] for r in by_hash.values()}
    problems: list[Problem] = []
    events = []
    seen: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}  # (output, reviewer) -> first row, its label

    from evalcore.formatting import unspreadsheet_cell

    from_csv = Path(path).suffix.lower() in (".csv", ".tsv", ".txt")

    def cell(rec: dict[str, Any], key: str) -> str:
        v = rec.get(cols[key]) if key in cols else None
        text = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
        return unspreadsheet_cell(text) if from_csv else text  # `'=x`, as export_labels writes `=x`, is `=x`

    for row, rec in records:
        who = cell(rec, "reviewer") or (reviewer or "")
        if not who:
            problems.append(Problem("empty reviewer (or pass --reviewer for rows without one).", row,
                                    cols.get("reviewer", "reviewer")))
            continue
        h = cell(rec, "output_hash")
        eid, cand = cell(rec, "example_id"), cell(rec, "candidate")
        if h:
            if h not in by_hash:
                problems.append(Problem(f"output_hash {h!r} is not an output of suite '{suite}'.", row,
                                        cols["output_hash"]))
                continue
            eid, cand = by_hash[h]["example_id"], cand or by_hash[h]["candidate"]
            run_id = by_hash[h]["run_id"]
        else:
            if not eid or not cand:
                problems.append(Problem("needs example_id and candidate (or output_hash).", row,
                                        cols.get("example_id") if not eid else cols.get("candidate", "candidate")))
                continue
            hs = by_pair.get((eid, cand))
            if not hs:
                if cand not in candidates:
                    close = difflib.get_close_matches(cand, candidates, n=1, cutoff=0.5)
                    guess = f" Did you mean {close[0]!r}?" if close else ""
                    problems.append(Problem(f"{cand!r} is not a candidate with outputs in suite '{suite}' "
                                            f"(candidates: {', '.join(candidates)}).{guess}", row,
                                            cols.get("candidate", "candidate")))
                elif eid not in example_ids:
                    problems.append(Problem(f"no output of suite '{suite}' is for example {eid!r}: is the id "
                                            "right?", row, cols["example_id"]))
                else:  # an older run has it: only each candidate's latest run is labelled by example_id
                    problems.append(Problem(f"candidate {cand!r}'s latest run has no output for example {eid!r} "
                                            "(labels by example_id go to each candidate's latest run). To label "
                                            "an older run's output, give its output_hash (evalcore labels "
                                            "export, or the Review page).", row, cols["example_id"]))
                continue
            if len(hs) > 1:
                problems.append(Problem(f"candidate {cand!r} has {len(hs)} different outputs for example {eid!r} "
                                        "(repeats): give output_hash to say which.", row, cols["example_id"]))
                continue
            h = next(iter(hs))
            run_id = by_hash[h]["run_id"] if h in by_hash else None
        rating_text, ok_text = cell(rec, "rating"), cell(rec, "ok").lower()
        rating = None
        if rating_text:
            try:
                f = float(rating_text)
                if not f.is_integer() or not 1 <= f <= 5:
                    raise ValueError
                rating = int(f)
            except ValueError:
                problems.append(Problem(f"expected a whole number 1-5, got {rating_text!r}.", row, cols["rating"]))
                continue
        ok = True if ok_text in _YES else False if ok_text in _NO else None
        if ok_text and ok is None:
            problems.append(Problem(f"expected yes or no, got {cell(rec, 'ok')!r}.", row, cols["ok"]))
            continue
        if rating is None and ok is None:
            problems.append(Problem("neither a rating nor ok: nothing to import.", row, cols.get("rating", "ok")))
            continue
        try:
            who = validate_reviewer(who)
        except LabelError as exc:
            problems.append(Problem(exc.message, row, cols.get("reviewer", "reviewer")))
            continue
        note = cell(rec, "note") or None
        if (h, who) in seen:  # two labels by one reviewer for one output: one would be silently discarded
            first_row, first_label = seen[(h, who)]
            if first_label != (rating, ok, note):
                problems.append(Problem(f"rows {first_row} and {row} both label the output of candidate {cand!r} "
                                        f"for example {eid!r} by reviewer {who!r}, differently. Keep one of them.",
                                        row, cols.get("reviewer", "reviewer")))
            continue  # the same label twice is one label
        seen[(h, who)] = (row, (rating, ok, note))
        events.append(_event(suite, who, RATING, example_id=eid, output_hash=h, candidate=cand, run_id=run_id,
                             rating=rating, ok=ok, note=note, blind=False, source="import"))
    if problems:
        first = problems[0]
        raise IngestError(first.message, file=name, row=first.row, column=first.column, problems=problems,
                          hint="Fix the rows; nothing was imported.")
    if not events:
        raise IngestError("no rows.", file=name)
    by_reviewer: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        by_reviewer.setdefault(ev["reviewer"], []).append(ev)
    for who, evs in by_reviewer.items():
        ws.append_labels(suite, who, evs)
    ws.compact_labels(suite)
    return len(events)


def export_labels(workspace: Any, suite: str, path: str | Path, *, include_history: bool = False) -> int:
    """Write the current answers (or every event) to CSV or Parquet (by the file's suffix), atomically. In
    CSV, a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so that a
    spreadsheet shows it instead of running it as a formula; `import_labels` drops that `'` again."""
    import pyarrow as pa

    from evalcore.store import atomic_write_bytes, atomic_write_table

    p = Path(path)
    if p.suffix.lower() not in (".parquet", ".pq", ".csv", ".txt"):
        raise LabelError(f"cannot tell the export format from '{p.suffix or p.name}'.",
                         hint="Name the file .csv or .parquet.")
    if p.is_dir():
        raise LabelError(f"'{p}' is a folder.", hint="Give a file name inside it, e.g. labels.csv.")
    if not p.parent.is_dir():  # creating folders for a mistyped path put the export where no one looks
        raise LabelError(f"the folder '{p.parent}' does not exist (or is not a folder), so '{p.name}' cannot be "
                         "written there.", hint=f"Create it first (mkdir -p '{p.parent}'), or check the path.")
    q = _queries(workspace)
    if include_history:
        df = q.label_history(suite)
    else:
        import pandas as pd

        df = pd.concat([q.label_answers(suite, RATING), q.label_answers(suite, PAIRWISE)], ignore_index=True)
        df = df.sort_values(["created_at", "label_id"]) if len(df) else df
    df = df[EXPORT_COLUMNS]
    if p.suffix.lower() in (".parquet", ".pq"):
        atomic_write_table(p, pa.Table.from_pandas(df, preserve_index=False))
    elif p.suffix.lower() in (".csv", ".txt"):
        from evalcore.formatting import spreadsheet_cell

        df = df.copy()  # text that a spreadsheet would run as a formula gets a leading ' (import drops it)
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype).startswith("string"):
                df[c] = df[c].map(spreadsheet_cell, na_action="ignore")
        atomic_write_bytes(p, df.to_csv(index=False).encode("utf-8"))
    else:
        raise LabelError(f"cannot tell the export format from '{p.suffix or p.name}'.",
                         hint="Name the file .csv or .parquet.")
    return len(df)

