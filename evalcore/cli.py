"""The `evalcore` command: a thin layer over the library. Heavy imports happen inside commands.

Errors evalcore raises on purpose (EvalcoreError) are printed on stderr with exit code 2.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from evalcore.errors import EvalcoreError

WORKSPACE_HELP = "Workspace directory (default: $EVALCORE_WORKSPACE, else ./data)."


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn EvalcoreError into a message on stderr and exit code 2 (no traceback for people's mistakes)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EvalcoreError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(2)

    return wrapper


def _workspace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--workspace", "-w", type=click.Path(file_okay=False), default=None,
                        help=WORKSPACE_HELP)(fn)


def _format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                        show_default=True, help="Output format.")(fn)


def _cell(key: str, v: Any) -> str:
    """One table cell, through evalcore.formatting so the CLI reads like the dashboard: money by `_usd`,
    latency by `_ms`, rates (`pass_rate`, `*_rate`, `pass_low/high`) as %, differences signed, scores at 3
    decimals, lists comma-separated."""
    from evalcore import formatting as fmt

    if v is None or (isinstance(v, float) and v != v):
        return fmt.MISSING
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if key.endswith("_usd"):
        return fmt.money(v)
    if key.endswith("_ms"):
        return fmt.latency(v)
    if key.endswith("_rate") or key in ("pass_low", "pass_high"):
        return fmt.pct(v)
    if key.startswith("diff"):
        return fmt.diff(v)
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return fmt.score(v) if abs(v) <= 1 else f"{v:,.3f}".rstrip("0").rstrip(".")


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], fmt: str) -> str:
    """Rows as an aligned text table, JSON (a list of objects) or CSV; `columns` = (key, header).

    JSON keeps numbers and arrays as they are; CSV writes a list as `a; b` (never a Python list)."""
    from evalcore.formatting import csv_list

    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow([k for k, _ in columns])
        for r in rows:
            w.writerow(["" if r.get(k) is None else csv_list(r[k]) if isinstance(r.get(k), (list, tuple))
                        else r.get(k) for k, _ in columns])
        return buf.getvalue().rstrip("\n")
    cells = [[h for _, h in columns]] + [[_cell(k, r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evalcore")
def main() -> None:
    """evalcore: measure candidate LLMs on your own task, not on public benchmarks.

    \b
    Typical loop:
      evalcore init my-task          scaffold a suite
      evalcore validate my-task/suite.yaml
      evalcore run my-task/suite.yaml
      evalcore leaderboard --suite my-task
      evalcore decide --suite my-task
    Try it offline: evalcore demo
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@_friendly
def init(directory: str, force: bool) -> None:
    """Scaffold a suite (suite.yaml and an example dataset) in DIRECTORY."""
    from evalcore.scaffold import scaffold

    written = scaffold(Path(directory), force=force)
    for p in written:
        click.echo(f"wrote {p}")
    from evalcore.scaffold import suite_name_for

    suite = Path(directory) / "suite.yaml"
    name = suite_name_for(Path(directory))
    click.echo(f"\nNext: edit {suite} (candidates, prompt), put ~50 real inputs in the dataset, then\n"
               f"  evalcore validate {suite}\n  evalcore run {suite}\n"
               f"  evalcore leaderboard --suite {name}\n  evalcore decide --suite {name}")


@main.command()
@click.argument("suite_file", type=click.Path(dir_okay=False))
@click.option("--encoding", default=None, help="Text encoding of a CSV dataset (e.g. cp1252, latin-1).")
@_friendly
def validate(suite_file: str, encoding: str | None) -> None:
    """Check a suite and its dataset without calling any model."""
    import os

    from evalcore.ingest import load_examples
    from evalcore.runner import plan_tasks
    from evalcore.suite import load_suite

    suite = load_suite(suite_file)
    examples = load_examples(suite.dataset_path, suite.columns, encoding=encoding, display_name=suite.dataset)
    tasks = plan_tasks(suite, examples, suite.candidates, suite.repeats)
    tags: dict[str, int] = {}
    for e in examples:
        for t in e.tags:
            tags[t] = tags.get(t, 0) + 1
    click.echo(f"Suite '{suite.name}' is valid.")
    click.echo(f"  dataset     {suite.dataset_path} ({len(examples)} examples)")
    click.echo(f"  tags        {', '.join(f'{k} ({v})' for k, v in sorted(tags.items())) or '(none)'}")
    click.echo(f"  candidates  {', '.join(c.name for c in suite.candidates)}")
    click.echo(f"  scorers     {', '.join(s.label for s in suite.scorers) or '(none: human labels only)'}")
    click.echo(f"  calls       {len(tasks)} ({len(examples)} examples x {len(suite.candidates)} candidates x "
               f"{suite.repeats} repeat{'s' if suite.repeats != 1 else ''})")
    missing = sorted({c.api_key_env for c in suite.candidates if c.api_key_env and not os.environ.get(c.api_key_env)})
    if missing:
        click.echo(f"  warning     environment variable(s) not set: {', '.join(missing)}", err=True)
    if len(examples) < 30:
        click.echo(f"  note        {len(examples)} examples is few: differences under ~0.2 will not be "
                   "distinguishable. Aim for 50+ with deliberate edge cases.", err=True)


class _Bar:
    """A progress line on stderr: a bar when attached to a terminal, a line every 10% otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_decile = -1

    def __call__(self, p: Any) -> None:
        frac = p.fraction()
        text = (f"{p.done}/{p.total} done, {p.sent} sent, {p.cached} cached, {p.errors} errors, "
                f"${p.cost_usd:.4f}")
        if p.to_send and not p.sent and not p.errors:  # nothing answered yet: say what is being waited for
            text += (f" - sending {p.to_send} calls with {p.workers} worker processes (loading litellm)"
                     if p.workers else f" - sending {p.to_send} calls")
        if self.tty:
            filled = int(frac * 30)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}   ")
            sys.stderr.flush()
        elif int(frac * 10) > self.last_decile:
            self.last_decile = int(frac * 10)
            sys.stderr.write(text + "\n")

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


@main.command()
@click.argument("suite_file", type=click.Path(dir_okay=False))
@_workspace_option
@click.option("--concurrency", "-c", type=click.IntRange(1, 1024), default=None,
              help="Calls in flight at once (default: the suite's run.concurrency).")
@click.option("--candidates", default=None, help="Comma-separated candidate names to run (default: all).")
@click.option("--repeat", "repeat", type=click.IntRange(1, 100), default=None,
              help="Calls per (example, candidate) (default: the suite's repeats).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: 1 for small runs, else one per core plus one, at most 4).")
@click.option("--new", "new_run", is_flag=True, help="Start a new run instead of resuming an interrupted one.")
@click.option("--encoding", default=None, help="Text encoding of a CSV dataset (e.g. cp1252).")
@_friendly
def run(suite_file: str, workspace: str | None, concurrency: int | None, candidates: str | None,
        repeat: int | None, workers: int | None, new_run: bool, encoding: str | None) -> None:
    """Run every candidate on every example; cached answers are reused, interrupted runs resume."""
    from evalcore.keys import load_secrets_env
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    load_secrets_env()
    suite = load_suite(suite_file)
    names = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
    bar = _Bar()
    try:
        summary = run_suite(suite, workspace, candidates=names, repeats=repeat, concurrency=concurrency,
                            workers=workers, encoding=encoding, new_run=new_run, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        click.echo("Interrupted. Finished results are saved; run the same command again to resume.", err=True)
        sys.exit(130)
    bar.close()
    verb = "Resumed" if summary.resumed else "Finished"
    click.echo(f"{verb} run {summary.run_id} of '{summary.suite}': {summary.total} results "
               f"({summary.sent} sent, {summary.cached} from cache, {summary.skipped} already done), "
               f"{summary.errors} errors, ${summary.cost_usd:.4f} spent, {summary.wall_s:.1f} s.")
    if summary.errors_by_kind:
        kinds = ", ".join(f"{k}: {n}" for k, n in summary.errors_by_kind.items())
        click.echo(f"Errors by kind: {kinds}. Rerun to retry them (good results are not sent again).", err=True)
    click.echo(f"Next: evalcore leaderboard --suite {summary.suite}")
    if summary.total and summary.errors == summary.total:
        sys.exit(1)


@main.command()
@_workspace_option
@click.option("--suite", default=None, help="Only runs of this suite.")
@_format_option
@_friendly
def runs(workspace: str | None, suite: str | None, fmt: str) -> None:
    """List runs, newest first, with their status, counts and cost."""
    from evalcore.analysis import run_list

    rows = run_list(workspace, suite)
    if not rows and fmt == "table":
        click.echo("No runs yet. Start one with `evalcore run SUITE` or try `evalcore demo`.")
        return
    click.echo(render_rows(rows, [
        ("run_id", "run"), ("suite", "suite"), ("status", "status"), ("candidates", "candidates"),
        ("results", "results"), ("sent", "sent"), ("cached", "cached"), ("errors", "errors"), ("spent_usd", "spent"),
        ("started_at", "started"),
    ], fmt))


@main.command()
@click.option("--suite", required=True, help="Suite name.")
@click.option("--scorer", default=None, help="Scorer to rank by (default: the suite's first scorer).")
@click.option("--run", "run_id", default=None, help="One run id (default: each candidate's latest run).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@_workspace_option
@_format_option
@_friendly
def leaderboard(suite: str, scorer: str | None, run_id: str | None, seed: int, workspace: str | None,
                fmt: str) -> None:
    """Candidates ranked with 95% intervals, n, statistical tie groups, cost and latency."""
    from evalcore.analysis import leaderboard as board

    lb = board(workspace, suite, scorer=scorer, run_id=run_id, seed=seed)
    if fmt == "table":
        rows = [{**r, "tied": f"{len(r['tied_with'])} others" if r["tied_with"] else "-"} for r in lb.rows]
        columns = [
            ("rank", "rank"), ("candidate", "candidate"), ("mean", lb.scorer), ("low", "95% low"),
            ("high", "95% high"), ("n", "n"), ("pass_rate", "pass rate"), ("tied", "tied with"),
            ("errors", "errors"), ("cost_per_example_usd", "$/example"), ("latency_p50_ms", "p50 ms"),
        ]
    else:  # every field, and the scorer on each row so a CSV or JSON file stands on its own
        rows = [{**r, "scorer": lb.scorer} for r in lb.rows]
        columns = [(k, k) for k in rows[0]] if rows else []
    click.echo(render_rows(rows, columns, fmt))
    if fmt == "table":
        click.echo(f"\nScorer '{lb.scorer}', {lb.n_examples} examples, {lb.repeats} repeat(s). Candidates with the "
                   "same rank are statistically tied (paired tests, Holm-corrected).")
        for note in lb.notes:
            click.echo(f"Note: {note}")


@main.command()
@click.option("--suite", required=True, help="Suite name.")
@click.argument("a")
@click.argument("b")
@click.option("--scorer", default=None, help="Scorer to compare on (default: the suite's first scorer).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Plain words, or JSON for scripts.")
@_friendly
def compare(suite: str, a: str, b: str, scorer: str | None, seed: int, workspace: str | None, fmt: str) -> None:
    """Paired comparison of candidates A and B on the examples both have, in plain words."""
    from evalcore.analysis import compare as cmp

    result = cmp(workspace, suite, a, b, scorer=scorer, seed=seed)
    click.echo(json.dumps(result.to_dict(), indent=2, default=str) if fmt == "json" else result.text)


@main.command()
@click.option("--suite", required=True, help="Suite name.")
@click.option("--scorer", default=None, help="Scorer to decide on (default: the suite's first scorer).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Plain words, or JSON for scripts.")
@_friendly
def decide(suite: str, scorer: str | None, seed: int, workspace: str | None, fmt: str) -> None:
    """Which candidate to pick and how sure, with cost and latency beside quality."""
    from evalcore.analysis import decision, leaderboard

    lb = leaderboard(workspace, suite, scorer=scorer, seed=seed)
    d = decision(workspace, suite, board=lb)
    if fmt == "json":
        click.echo(json.dumps({**d.to_dict(), "notes": lb.notes}, indent=2, default=str))
        return
    click.echo(d.text)
    for line in d.lines:
        click.echo(f"  - {line}")
    for note in lb.notes:
        click.echo(f"Note: {note}")


@main.command()
@click.option("--suite", required=True, help="Suite name.")
@click.option("--scorer", default=None, help="Scorer (default: the suite's first scorer).")
@click.option("--min-n", type=click.IntRange(1), default=10, show_default=True,
              help="Tags with fewer examples are flagged too small to conclude from.")
@_workspace_option
@_format_option
@_friendly
def tags(suite: str, scorer: str | None, min_n: int, workspace: str | None, fmt: str) -> None:
    """Each candidate's score per tag (edge-case category), with 95% intervals and n."""
    from evalcore.analysis import tag_rows

    rows = tag_rows(workspace, suite, scorer=scorer, min_n=min_n)
    click.echo(render_rows(rows, [
        ("tag", "tag"), ("candidate", "candidate"), ("mean", "mean"), ("low", "95% low"), ("high", "95% high"),
        ("n", "n"), ("pass_rate", "pass rate"), ("flag", "flag"),
    ], fmt))


@main.group()
def public() -> None:
    """Public benchmark scores, to compare their ranking with yours."""


@public.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_workspace_option
@click.option("--encoding", default=None, help="Text encoding of the CSV (default UTF-8).")
@_friendly
def public_import(file: str, workspace: str | None, encoding: str | None) -> None:
    """Import public scores (CSV, JSONL or Parquet): model (or candidate), benchmark, score, source (required).

    Each benchmark's scores must be on one scale (fractions, percentages or points)."""
    from evalcore.public import import_public

    report = import_public(workspace, file, encoding=encoding)
    for line in report.lines(file):
        click.echo(line)


@public.command("compare")
@click.option("--suite", required=True, help="Suite name.")
@click.option("--scorer", default=None, help="Scorer for your ranking (default: the suite's first scorer).")
@click.option("--benchmark", default=None, help="Only this public benchmark.")
@_workspace_option
@_format_option
@_friendly
def public_compare(suite: str, scorer: str | None, benchmark: str | None, workspace: str | None, fmt: str) -> None:
    """Your rank on your task against each public benchmark's rank; lists the rank flips."""
    from evalcore.analysis import public_comparison

    cmp = public_comparison(workspace, suite, scorer=scorer, benchmark=benchmark)
    click.echo(render_rows(cmp.rows, [
        ("candidate", "candidate"), ("benchmark", "benchmark"), ("public_score", "public score"),
        ("public_rank", "public rank"), ("task_mean", "your score"), ("task_rank", "your rank"),
        ("shift", "shift"), ("source", "source"),
    ], fmt))
    if fmt == "table":
        click.echo("")
        for line in cmp.lines:
            click.echo(line)


@main.group()
def labels() -> None:
    """Human labels: import from a spreadsheet, export, and agreement between reviewers (and the judge)."""


@labels.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--suite", required=True, help="Suite the labelled outputs belong to.")
@click.option("--reviewer", default=None, help="Reviewer for rows that leave the reviewer column empty.")
@click.option("--encoding", default=None, help="Text encoding of the CSV (default UTF-8).")
@_workspace_option
@_friendly
def labels_import(file: str, suite: str, reviewer: str | None, encoding: str | None, workspace: str | None) -> None:
    """Import labels: CSV/JSONL/Parquet with example_id (or output_hash), candidate, reviewer, rating, ok, note."""
    from evalcore.labels import import_labels

    n = import_labels(workspace, suite, file, encoding=encoding, reviewer=reviewer)
    click.echo(f"Imported {n} labels into suite '{suite}' from {file}.")


@labels.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--suite", required=True, help="Suite name.")
@click.option("--history", is_flag=True, help="Every event (changes, undos) instead of the current answers.")
@_workspace_option
@_friendly
def labels_export(file: str, suite: str, history: bool, workspace: str | None) -> None:
    """Export labels to FILE (.csv or .parquet): the latest answer per reviewer and output, or --history."""
    from evalcore.labels import export_labels
    from evalcore.store import Workspace

    Workspace(workspace, create=False).compact_labels(suite)
    n = export_labels(workspace, suite, file, include_history=history)
    click.echo(f"Wrote {n} {'events' if history else 'labels'} to {file}.")


@labels.command("agreement")
@click.option("--suite", required=True, help="Suite name.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@_friendly
def labels_agreement(suite: str, seed: int, workspace: str | None, fmt: str) -> None:
    """How far reviewers agree (alpha for ratings, kappa for yes/no), where they disagree, and judge vs people."""
    from evalcore.labels import agreement_report
    from evalcore.queries import Queries

    report = agreement_report(Queries(workspace), suite, seed=seed)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, default=str, ensure_ascii=False))
        return
    for line in report.lines():
        click.echo(line)
    if report.disagreements:
        click.echo("\nMost disagreement (discuss these, then sharpen the rubric):")
        for d in report.disagreements:
            answers = "; ".join(f"{a['reviewer']}: {a['rating'] or '-'}/{'yes' if a['ok'] else 'no' if a['ok'] is False else '-'}"
                                for a in d["answers"])
            click.echo(f"  {d['example_id']} (output {d['output_hash'][:8]}): {answers}")


@main.command()
@click.option("--suite", required=True, help="Suite name.")
@click.option("--candidate", required=True, help="The candidate to check (its latest run).")
@click.option("--baseline", required=True,
              help="A run id (the same candidate in that run) or another candidate's name (its latest run).")
@click.option("--max-drop", type=float, default=0.0, show_default=True,
              help="The largest drop in mean score you accept, e.g. 0.02.")
@click.option("--scorer", default=None, help="Scorer to compare (default: the suite's first scorer).")
@_workspace_option
@_friendly
def gate(suite: str, candidate: str, baseline: str, max_drop: float, scorer: str | None,
         workspace: str | None) -> None:
    """Fail CI (exit 1) only when CANDIDATE is credibly worse than the baseline by more than --max-drop.

    Paired on the examples both have: exit 1 when the one-sided 95% lower bound of the drop is above
    --max-drop, exit 0 otherwise (a drop the data cannot tell from noise passes, with a warning). Prints a
    Markdown summary either way, ready for a pull-request comment.
    """
    from evalcore.gate import gate as run_gate

    result = run_gate(workspace, suite, candidate, baseline, max_drop=max_drop, scorer=scorer)
    click.echo(result.markdown())
    sys.exit(1 if result.failed else 0)


@main.command()
@_workspace_option
@click.option("--force", is_flag=True, help="Rebuild the demo even if it exists.")
@_friendly
def demo(workspace: str | None, force: bool) -> None:
    """Build the offline demo workspace: synthetic invoices and synthetic model outputs, no key, no network."""
    from evalcore.demo_build import build_demo

    bar = _Bar()
    info = build_demo(workspace, force=force, progress=bar)
    bar.close()
    click.echo(info)


if __name__ == "__main__":
    main()
