"""The `evalcore` command: a thin layer over the library. Heavy imports happen inside commands.

Errors evalcore raises on purpose (EvalcoreError) are printed on stderr with exit code 2.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from evalcore.errors import EvalcoreError

WORKSPACE_HELP = ("Workspace directory, or s3://bucket/prefix on object storage (default: $EVALCORE_WORKSPACE, "
                  "else ./data).")


_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal_text(text: Any) -> str:
    """Text from files and models made safe for a terminal: control characters (ESC starts CSI and OSC
    sequences, which can set the title or write the clipboard), bidi overrides and lone surrogates (which
    cannot be printed at all) are shown as escapes; newlines and tabs are kept."""
    s = str(text)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)  # also a valid escape inside JSON strings


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn EvalcoreError into a message on stderr and exit code 2 (no traceback for people's mistakes)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EvalcoreError as err:
            click.echo(f"Error: {terminal_text(err)}", err=True)
            sys.exit(2)

    return wrapper


def _workspace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--workspace", "-w", type=click.Path(file_okay=False), default=None,
                        help=WORKSPACE_HELP)(fn)


def _suite_option(help: str = "Suite name") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--suite, optional when the workspace holds one suite: typing the only name there is was busywork."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @_friendly  # outside the command's own: a workspace with several suites is said like any other error
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("suite") is None:
                from evalcore.analysis import only_suite

                kwargs["suite"] = only_suite(kwargs.get("workspace"))
            return fn(*args, **kwargs)

        return click.option("--suite", default=None,
                            help=f"{help} (default: the workspace's only suite, when it has one).")(wrapper)

    return decorate


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
    """Rows as an aligned text table, JSON (a list of objects) or CSV; `columns` = (key, header). Every form
    is terminal-safe: names, tags and public-benchmark fields come from files other people wrote. JSON keeps
    numbers and arrays as they are; CSV writes a list as `a; b` (never a Python list), escapes each text cell
    on its own (so the line endings stay real "\\n") and prefixes text that a spreadsheet would run as a
    formula (`=`, `+`, `-`, `@`, tab) with `'`; numbers are written as they are."""
    if fmt == "csv":  # cells made safe one by one: the whole text would turn the row ends into `\u000d`
        return _render_rows(rows, columns, fmt)
    return terminal_text(_render_rows(rows, columns, fmt))


def _csv_cell(v: Any) -> Any:
    """One --format csv cell: numbers (and bools) as they are, text terminal-safe and formula-safe."""
    from numbers import Number

    from evalcore.formatting import csv_list, spreadsheet_cell

    if v is None:
        return ""
    if isinstance(v, Number):
        return v
    return spreadsheet_cell(terminal_text(csv_list(v) if isinstance(v, (list, tuple)) else v))


def _render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([_csv_cell(k) for k, _ in columns])
        for r in rows:
            w.writerow([_csv_cell(r.get(k)) for k, _ in columns])
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


def nul_warning(examples: Sequence[Any], dataset: str) -> str | None:
    """The dataset's NUL characters (\\x00) in words, or None: they are kept as given, but not silently, since NUL
    breaks CSV tools, terminals and many model APIs. Said by `validate` and, before any call, by `run`."""
    from evalcore.ingest import nul_cells

    nul, n_nul = nul_cells(list(examples))
    if not nul:
        return None
    where = "; ".join(f"row {r}, column {c!r}" for r, c in nul) + (f" and {n_nul - len(nul)} more"
                                                                     if n_nul > len(nul) else "")
    return (f"{n_nul} cell(s) of {dataset} hold a NUL character (\\x00): {where}. Many tools and model APIs drop "
            "or reject it; remove it (a file full of them was probably saved as UTF-16: save it as UTF-8).")


@main.command()
@click.argument("suite_file", type=click.Path(dir_okay=False))
@click.option("--encoding", default=None, help="Text encoding of a CSV dataset (e.g. cp1252, latin-1).")
@_friendly
def validate(suite_file: str, encoding: str | None) -> None:
    """Check a suite and its dataset without calling any model."""

    from evalcore.ingest import load_examples
    from evalcore.runner import plan_tasks
    from evalcore.scoring import check_scorers
    from evalcore.suite import LlmJudgeScorer, load_suite

    suite = load_suite(suite_file)
    examples = load_examples(suite.dataset_path, suite.columns, encoding=encoding, display_name=suite.dataset,
                             allow_empty_input=suite.allow_empty_input)
    tasks = plan_tasks(suite, examples, suite.candidates, suite.repeats)  # renders every example, time-limited
    check_scorers(suite)
    tags: dict[str, int] = {}
    for e in examples:
        for t in e.tags:
            tags[t] = tags.get(t, 0) + 1
    click.echo(f"Suite '{suite.name}' is valid.")
    click.echo(f"  dataset     {suite.dataset_path} ({len(examples)} examples)")
    click.echo(terminal_text(f"  tags        {', '.join(f'{k} ({v})' for k, v in sorted(tags.items())) or '(none)'}"))
    click.echo(f"  candidates  {', '.join(c.name for c in suite.candidates)}")
    click.echo(terminal_text(f"  scorers     {', '.join(s.label for s in suite.scorers) or '(none: human labels only)'}"))
    judges = [s for s in suite.scorers if isinstance(s, LlmJudgeScorer)]
    click.echo(f"  calls       {len(tasks)} ({len(examples)} examples x {len(suite.candidates)} candidates x "
               f"{suite.repeats} repeat{'s' if suite.repeats != 1 else ''})")
    if judges:
        click.echo(f"  judge calls {len(tasks) * len(judges)} (one per output for each llm_judge scorer: "
                   f"{', '.join(j.label for j in judges)}); {len(tasks) * (1 + len(judges))} calls in all")
    named = [("candidate", c.name, c.api_key_env) for c in suite.candidates] + [
        ("judge", j.label, j.api_key_env) for j in judges]
    missing = sorted({env for _, _, env in named if env and not os.environ.get(env)})
    # The report is one stream, in order: a warning written to stderr between stdout lines can land glued to
    # another line wherever the two streams are merged.
    if missing:
        click.echo(f"  warning     environment variable(s) not set: {', '.join(missing)}. `evalcore run` will "
                   "refuse to start until they are (or pass --allow-missing-keys to run the other candidates).")
    nul = nul_warning(examples, suite.dataset)
    if nul:
        click.echo(terminal_text(f"  warning     {nul}"))
    if len(examples) < 30:
        click.echo(f"  note        {len(examples)} examples is few: differences under ~0.2 will not be "
                   "distinguishable. Aim for 50+ with deliberate edge cases.")


def _say(text: str) -> None:
    """A message on stderr that never fails (the terminal may be gone: SIGHUP)."""
    try:
        click.echo(text, err=True)
    except (OSError, ValueError):
        pass


class _StopOnSignals:
    """Ctrl-C, SIGTERM (timeout, docker stop, systemd, CI cancellations) and SIGHUP (a closed terminal) all stop a
    run the same way: the first sets `event` (the runner stops sending at once, saves what was answered, marks the
    run interrupted); a second exits at once. A backstop exits by itself shortly after the first, so the process
    is gone within 2 s even if saving stalls: every answered call is already a whole journal line on disk, and a
    dead run's lock tells the next run it was interrupted."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    BACKSTOP_S = 1.5

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "stopped"

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            os._exit(128 + signum)
        self.signum = signum
        self.event.set()
        from evalcore.runner import halt_workers  # already imported: the run is under way

        halt_workers()
        try:  # said at once (os.write: a handler may interrupt a write to sys.stderr), in case the backstop fires
            os.write(2, f"\n{self.name}: stopping - nothing more is sent; answered calls are saved. Run the same "
                        "command again to resume.\n".encode())
        except OSError:
            pass
        backstop = threading.Timer(self.BACKSTOP_S, os._exit, (128 + signum,))
        backstop.daemon = True
        backstop.start()

    def __enter__(self) -> _StopOnSignals:
        for sig in self.SIGNALS:
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


class _Bar:
    """A progress line on stderr: a bar when attached to a terminal, a line every 10% otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_decile = -1
        self.told: set[str] = set()

    def __call__(self, p: Any) -> None:
        for name, why in p.stopped.items():  # a stopped candidate is said at once, on its own line
            if name not in self.told:
                self.told.add(name)
                sys.stderr.write(("\r\033[K" if self.tty else "") + f"Stopped {why}\n")
        frac = p.fraction()
        text = (f"{p.done}/{p.total} done, {p.sent} sent, {p.cached} cached, {p.errors} errors, "
                f"${p.cost_usd:.4f}")
        unpriced = sum(c.unpriced for c in p.by_candidate.values())
        if unpriced:  # an unknown price is said, never counted as $0
            text += f" + unknown for {unpriced} answer{'s' if unpriced != 1 else ''} with no known price"
        if p.judge_sent or p.judge_errors:
            text += f", {p.judge_sent} judge calls ({p.judge_errors} failed)"
        if p.not_sent:
            text += f", {p.not_sent} not sent"
        if p.to_send and not p.sent and not p.errors:  # nothing answered yet: say what is being waited for
            loading = " (loading litellm)" if getattr(p, "litellm", True) else ""
            text += (f" - sending {p.to_send} calls with {p.workers} worker processes{loading}"
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
@click.option("--retry-errors", is_flag=True,
              help="Also resend requests whose stored result is a deterministic failure (context window, content "
                   "filter, invalid request); by default those are final results and are not sent again.")
@click.option("--allow-missing-keys", is_flag=True,
              help="Run the candidates whose key variable is set and record the others' calls as not sent, "
                   "instead of refusing to start.")
@_friendly
def run(suite_file: str, workspace: str | None, concurrency: int | None, candidates: str | None,
        repeat: int | None, workers: int | None, new_run: bool, encoding: str | None, retry_errors: bool,
        allow_missing_keys: bool) -> None:
    """Run every candidate on every example; cached answers are reused, interrupted runs resume.

    \b
    Before the first call, key variables and api_base servers are checked. Ctrl-C, SIGTERM and SIGHUP stop
    sending at once, save what was answered and exit (130 / 143 / 129); run again to resume."""
    from evalcore.keys import load_secrets_env
    from evalcore.runner import run_suite
    from evalcore.suite import load_suite

    load_secrets_env()
    suite = load_suite(suite_file)
    examples = _warn_of_nul(suite, encoding)
    names = [c.strip() for c in candidates.split(",") if c.strip()] if candidates else None
    bar = _Bar()
    with _StopOnSignals() as stopper:
        summary = run_suite(suite, workspace, candidates=names, repeats=repeat, concurrency=concurrency,
                            workers=workers, encoding=encoding, new_run=new_run, progress=bar, stop=stopper.event,
                            retry_errors=retry_errors, allow_missing_keys=allow_missing_keys, examples=examples)
    if summary.status == "interrupted":
        bar.close()
        _say(f"Interrupted ({stopper.name}): nothing more was sent; {summary.sent} calls answered this time are "
             f"saved. Run the same command again to resume run {summary.run_id}: only the missing calls are sent.")
        sys.exit(128 + (stopper.signum or signal.SIGINT))
    bar.close()
    for line in run_report(summary):
        click.echo(line, err=line.startswith(("  ", "Stopped", "Errors", "Judge")))
    if summary.total and summary.errors == summary.total:
        sys.exit(1)


def _warn_of_nul(suite: Any, encoding: str | None) -> list[Any] | None:
    """Say `validate`'s NUL warning on stderr before any call is sent (a run is where the calls are paid for) and
    return the examples for run_suite, which then does not read the dataset again. A dataset that cannot be read
    says nothing here and gives None: run_suite reports it, in its usual order."""
    from evalcore.errors import IngestError
    from evalcore.ingest import load_examples

    try:
        examples = load_examples(suite.dataset_path, suite.columns, encoding=encoding, display_name=suite.dataset,
                                 allow_empty_input=suite.allow_empty_input)
    except IngestError:
        return None
    nul = nul_warning(examples, suite.dataset)
    if nul:
        _say(terminal_text(f"Warning: {nul}"))
    return examples


def _unpriced_text(summary: Any) -> str:
    """What "$x spent" leaves out: answers of candidates with no known price (an unknown price is said, never $0)."""
    unpriced = getattr(summary, "unpriced", None) or {}
    if not unpriced:
        return ""
    names = " and ".join(f"{name} ({n} {'answer' if n == 1 else 'answers'}, no price known)"
                         for name, n in unpriced.items())
    return f" plus an unknown amount for {names}"


def run_report(summary: Any) -> list[str]:
    """The end of a run in words: what was sent (what the servers received), what failed per kind and the fix."""
    from evalcore.failures import ADVICE

    verb = "Resumed" if summary.resumed else "Finished"
    judge = (f", {summary.judge_calls} judge calls ({summary.judge_errors} failed)" if summary.judge_calls
             or summary.judge_errors else "")
    not_sent = f", {summary.not_sent} not sent" if summary.not_sent else ""
    lines = [f"{verb} run {summary.run_id} of '{summary.suite}': {summary.total} results "
             f"({summary.sent} sent, {summary.cached} from cache, {summary.skipped} already done{not_sent}){judge}, "
             f"{summary.errors} errors, ${summary.cost_usd:.4f} spent"
             f"{f' (judge ${summary.judge_cost_usd:.4f})' if summary.judge_cost_usd else ''}{_unpriced_text(summary)}, "
             f"{summary.wall_s:.1f} s."]
    for why in summary.stopped.values():
        lines.append(f"Stopped {why}")
    if summary.errors_by_kind:
        lines.append("Errors by kind (rerun to retry all but the final ones; good results are not sent again):")
        width = max(len(k) for k in summary.errors_by_kind)
        for kind, n in summary.errors_by_kind.items():
            lines.append(f"  {kind:<{width}}  {n:>5}  {ADVICE.get(kind, ADVICE['unknown'])}")
        if summary.final_errors:
            lines.append(f"  {summary.final_errors} are final results of their request (scored as failures, kept by "
                         "the cache); pass --retry-errors to send them again.")
    if summary.judge_errors:
        kinds = ", ".join(f"{k}: {n}" for k, n in summary.judge_errors_by_kind.items())
        lines.append(f"Judge failures: {summary.judge_errors} ({kinds}); those outputs have no judge score. "
                     f"Last: {summary.last_judge_error}")
    lines.append(f"Next: evalcore leaderboard --suite {summary.suite}")
    return lines


@main.command()
@_workspace_option
@click.option("--suite", default=None, help="Only runs of this suite.")
@_format_option
@_friendly
def runs(workspace: str | None, suite: str | None, fmt: str) -> None:
    """List runs, newest first, with their status, counts and cost."""
    from evalcore.analysis import run_list

    rows = run_list(workspace, suite)
    if not rows and suite is not None:
        from evalcore.errors import unknown_name

        known = list(dict.fromkeys(r["suite"] for r in run_list(workspace)))
        if known:
            raise unknown_name("suite", suite, sorted(known), within="this workspace")
    if not rows and fmt == "table":
        click.echo("No runs yet. Start one with `evalcore run SUITE` or try `evalcore demo`.")
        return
    click.echo(render_rows(rows, [
        ("run_id", "run"), ("suite", "suite"), ("status", "status"), ("candidates", "candidates"),
        ("results", "results"), ("sent", "sent"), ("cached", "cached"), ("errors", "errors"), ("spent_usd", "spent"),
        ("started_at", "started"),
    ], fmt))


@main.command()
@_suite_option()
@click.option("--scorer", default=None, help="Scorer to rank by (default: the suite's first scorer).")
@click.option("--run", "run_id", default=None, help="One run id (default: each candidate's latest run).")
@click.option("--seed", type=int, default=0, show_default=True, help="Kept for scripts; nothing is random.")
@_workspace_option
@_format_option
@_friendly
def leaderboard(suite: str, scorer: str | None, run_id: str | None, seed: int, workspace: str | None,
                fmt: str) -> None:
    """Candidates by mean with 95% intervals, rank ranges, "could be best", the gap to the leader, cost, latency."""
    from evalcore import formatting as f
    from evalcore.analysis import leaderboard as board

    lb = board(workspace, suite, scorer=scorer, run_id=run_id, seed=seed)
    if fmt == "table":
        rows = [{
            **r, "rank_range": "-" if r["rank"] is None else (
                str(r["rank_low"]) if r["rank_low"] == r["rank_high"] else f"{r['rank_low']}-{r['rank_high']}"),
            "best": "yes" if r["could_be_best"] else "",
            "vs_best": "-" if r["diff_vs_best"] is None else (
                "leader" if r["rank"] == 1 else
                f.diff(r["diff_vs_best"]) + " " + f.diff_interval(r["diff_low"], r["diff_high"])),
            "mean_s": f.score(r["mean"]), "ci": f.interval(r["low"], r["high"]), "pass": f.pct(r["pass_rate"]),
            "cost": f.cost_per_1k(r["cost_per_example_usd"]).replace(" per 1,000 examples", ""),
            "p50": f.latency(r["latency_p50_ms"]),
        } for r in lb.rows]
        columns = [
            ("rank", "rank"), ("candidate", "candidate"), ("mean_s", lb.scorer), ("ci", "95% CI"),
            ("rank_range", "rank range"), ("best", "could be best"), ("vs_best", f"vs leader ({lb.vs_leader_label()})"),
            ("n", "n"),
            ("pass", "pass rate"), ("errors", "errors"), ("cost", "$/1k examples"), ("p50", "p50"),
        ]
    else:  # every field, and the scorer on each row so a CSV or JSON file stands on its own
        rows = [{**r, "scorer": lb.scorer} for r in lb.rows]
        columns = [(k, k) for k in rows[0]] if rows else []
    click.echo(render_rows(rows, columns, fmt))
    if fmt == "table":
        click.echo(terminal_text(
            f"\nScorer '{lb.scorer}', {lb.n_examples} examples, {f.count(lb.repeats, 'repeat')}. Ordered by mean. "
            "'could be best': no candidate is credibly better; rank ranges and 'vs leader' come from paired "
            "tests on shared examples, adjusted for each candidate's comparisons (Bonferroni): the gaps' intervals "
            f"are {f.level(lb.vs_leader_confidence)}, the means' 95%."))
        for note in lb.notes:
            click.echo(terminal_text(f"Note: {note}"))


@main.command()
@_suite_option()
@click.argument("a")
@click.argument("b")
@click.option("--scorer", default=None, help="Scorer to compare on (default: the suite's first scorer).")
@click.option("--seed", type=int, default=0, show_default=True, help="Kept for scripts; nothing is random.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Plain words, or JSON for scripts.")
@_friendly
def compare(suite: str, a: str, b: str, scorer: str | None, seed: int, workspace: str | None, fmt: str) -> None:
    """Paired comparison of candidates A and B on the examples both have, in plain words.

    When their latest runs were made for different versions of the suite (the dataset changed between them),
    only the examples unchanged between the two versions are compared, and the output says so."""
    from evalcore.analysis import compare as cmp

    result = cmp(workspace, suite, a, b, scorer=scorer, seed=seed)
    if fmt == "json":
        click.echo(terminal_text(json.dumps(result.to_dict(), indent=2, default=str)))
        return
    click.echo(terminal_text(result.text))


@main.command()
@_suite_option()
@click.option("--scorer", default=None, help="Scorer to decide on (default: the suite's first scorer).")
@click.option("--policy", type=click.Choice(["cheapest", "best", "fastest"]), default=None,
              help="Pick the cheapest, fastest or best candidate shown within the margin (default: the suite's "
                   "decision.policy, else cheapest).")
@click.option("--margin", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Largest acceptable loss in score, e.g. 0.02 (default: the suite's decision.margin, "
                   "else 0.02).")
@click.option("--metric", type=click.Choice(["score", "human"]), default="score", show_default=True,
              help="Decide on the scorer's values, or on people's mean 1-5 rating (then --margin is in rating "
                   "points, default 0.25).")
@click.option("--seed", type=int, default=0, show_default=True, help="Kept for scripts; nothing is random.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Plain words, or JSON for scripts.")
@_friendly
def decide(suite: str, scorer: str | None, policy: str | None, margin: float | None, metric: str, seed: int,
           workspace: str | None, fmt: str) -> None:
    """Which candidate to pick under a policy and margin: a headline, then the evidence.

    Once outputs are labeled (Label page, `evalcore labels import`), people's ratings count: a candidate they
    rate credibly worse than another is never picked, and a decision resting on an LLM judge that people
    disagree with carries a warning."""
    from evalcore.analysis import leaderboard, recommendation

    lb = leaderboard(workspace, suite, scorer=scorer, seed=seed)
    rec = recommendation(workspace, suite, board=lb, policy=policy, margin=margin, metric=metric)
    if fmt == "json":
        click.echo(terminal_text(json.dumps({**rec.to_dict(), "notes": lb.notes}, indent=2, default=str)))
        return
    click.echo(terminal_text(rec.headline))
    for warning in rec.warnings:
        click.echo(terminal_text(f"WARNING: {warning}"))
    for line in rec.details:
        click.echo(terminal_text(f"  - {line}"))
    for note in lb.notes:
        click.echo(terminal_text(f"Note: {note}"))


@main.command()
@_suite_option()
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


@main.group("import")
def import_group() -> None:
    """Bring in data produced elsewhere: outputs of models you already ran."""


@import_group.command("outputs")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--suite", "suite_file", required=True, type=click.Path(dir_okay=False),
              help="The suite file (suite.yaml) whose examples and scorers the outputs belong to.")
@click.option("--candidate", default=None, help="The suite candidate that produced every output in FILE "
              "(when the file has no candidate column, e.g. a production log).")
@_workspace_option
@click.option("--encoding", default=None, help="Text encoding of a CSV file (e.g. cp1252, latin-1).")
@click.option("--judge", is_flag=True, help="Also rate the outputs with the suite's llm_judge scorers "
              "(calls the judge model; without it they are left unscored).")
@_friendly
def import_outputs(file: str, suite_file: str, candidate: str | None, workspace: str | None,
                   encoding: str | None, judge: bool) -> None:
    """Import outputs (CSV/JSONL/Parquet rows, an Inspect AI .eval log, promptfoo JSON) as a scored run.

    \b
    Rows: example_id (or input), candidate, output; optional error, repeat, latency_ms, cost_usd,
    input_tokens, output_tokens. Every problem is listed with its row and column; nothing is
    imported unless the whole file is valid.
    """
    from evalcore.outputs_import import import_outputs as run_import
    from evalcore.suite import load_suite

    suite = load_suite(suite_file)
    if judge:
        from evalcore.keys import load_secrets_env

        load_secrets_env()
    summary = run_import(file, suite, workspace, candidate=candidate, encoding=encoding, judge=judge)
    for line in summary.lines():
        click.echo(terminal_text(line))
    click.echo(f"Next: evalcore leaderboard --suite {summary.suite}")

def _show_example(ex: dict[str, Any], scorer: str, candidates: set[str] | None, failing: bool) -> list[str]:
    """One example as plain text: input, reference, then each candidate's outputs (already cleaned of terminal
    control sequences by the library) with scores, latency, cost and error."""
    from evalcore import formatting as fmt

    out = [f"=== {ex['example_id']}  tags: {', '.join(ex['tags']) or 'none'}", "--- input", ex["input"],
           "--- reference", ex["expected"] or "(no reference answer)"]
    for cand in ex["candidates"]:
        if candidates and cand["candidate"] not in candidates:
            continue
        said_version = False
        for rep in cand["repeats"]:
            primary = next((s for s in rep["scores"] if s["scorer"] == scorer), None)
            if failing and not rep["error_kind"] and primary is not None and primary["passed"]:
                continue
            if cand.get("other_version") and not said_version:  # once per candidate, not once per repeat
                said_version = True
                out.append(f"--- {cand['candidate']}: made for an older version of this example: the suite changed "
                           "since this candidate's run; rerun it to compare like with like")
            label = f" repeat {rep['repeat'] + 1}" if len(cand["repeats"]) > 1 else ""
            scores = ", ".join(f"{s['scorer']} {fmt.score(s['value'])}"
                               f"{' pass' if s['passed'] else ' fail' if s['passed'] is not None else ''}"
                               for s in rep["scores"])
            out.append(f"--- {cand['candidate']}{label}: {scores or 'no scores'}; {fmt.latency(rep['latency_ms'])}, "
                       f"{fmt.money(rep['cost_usd'])}{', cached' if rep['cached'] else ''}")
            if rep["error_kind"]:
                out.append(f"error ({rep['error_kind']}): {rep['error'] or 'no message'}")
            out.append(rep["output"] or "(no output)")
    return out


@main.command()
@_suite_option()
@click.option("--example", "example_id", default=None, help="One example id (default: every matching example).")
@click.option("--candidate", "candidates", multiple=True, help="Only this candidate (repeat for several).")
@click.option("--failing", is_flag=True, help="Only outputs that failed the scorer or whose call failed.")
@click.option("--tag", default=None, help="Only examples with this tag.")
@click.option("--scorer", default=None, help="Scorer that decides pass/fail (default: the suite's first scorer).")
@click.option("--limit", type=click.IntRange(1), default=5, show_default=True, help="At most this many examples.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@_workspace_option
@_friendly
def show(suite: str, example_id: str | None, candidates: tuple[str, ...], failing: bool, tag: str | None,
         scorer: str | None, limit: int, fmt: str, workspace: str | None) -> None:
    """What the models answered: input, reference and each candidate's output as plain text (terminal control
    sequences removed), with scores, latency, cost and errors."""
    from evalcore import explore
    from evalcore.analysis import NoScoresError, leaderboard
    from evalcore.queries import Queries

    q = Queries(workspace)
    unscored = None
    try:
        lb = leaderboard(q, suite, scorer=scorer)
        order, shown_scorer = [r["candidate"] for r in lb.rows], lb.scorer
    except NoScoresError as exc:  # the outputs are there (an import without --judge): show them, say why unscored
        click.echo(f"Note: {exc}", err=True)
        unscored = explore.unscored_table(q, suite)
        order, shown_scorer = list(dict.fromkeys(unscored["candidate"])), scorer or ""
    for c in candidates:
        if c not in order:
            from evalcore.errors import unknown_name

            raise unknown_name("candidate", c, sorted(order), within=f"suite '{suite}'")
    if example_id is not None:
        ids = [example_id]
    else:
        every = explore.example_table(q, suite, shown_scorer) if unscored is None else unscored
        if tag is not None:  # an unknown tag is a typo, not "no results match"
            known_tags = sorted({t for ts in every["tags"] for t in ts})
            if tag not in known_tags:
                from evalcore.errors import unknown_name

                raise unknown_name("tag", tag, known_tags, within=f"suite '{suite}'",
                                   how="No example of the suite has a tag (a 'tags' column in its dataset).")
        failing_is = "fail" if unscored is None else "error"  # unscored: only a failed call is known to fail
        table = explore.filter_examples(every, tag=tag, candidates=list(candidates) or None,
                                        outcome=failing_is if failing else "all")
        ids = list(dict.fromkeys(table["example_id"]))
    details = [explore.example_detail(q, suite, e, order) for e in ids[:limit]]
    if fmt == "json":
        click.echo(json.dumps(details, indent=2, ensure_ascii=False, default=str))
        return
    if not ids:
        click.echo(f"No {'failing ' if failing else ''}results match in suite '{suite}'.")
        return
    lines: list[str] = []
    for ex in details:
        lines += _show_example(ex, shown_scorer, set(candidates) or None, failing) + [""]
    if len(ids) > limit:
        from evalcore.formatting import count

        more = len(ids) - limit
        lines.append(f"{count(more, 'more example')} match{'es' if more == 1 else ''}: raise --limit, or pick one "
                     "with --example.")
    click.echo("\n".join(lines))


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
        click.echo(terminal_text(line))


@public.command("compare")
@_suite_option()
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
            click.echo(terminal_text(line))


@main.command()
@_workspace_option
@click.option("--quarantine", is_flag=True,
              help="Move every broken file to quarantine/<time>/ inside the workspace (nothing is deleted).")
@_friendly
def doctor(workspace: str | None, quarantine: bool) -> None:
    """List the workspace's broken files (truncated or foreign Parquet parts, damaged manifests) and, with
    --quarantine, move them aside so every command reads the rest. Exits 1 while broken files remain."""
    from evalcore.formatting import count
    from evalcore.store import Workspace

    ws = Workspace(workspace, create=False, check=False)
    broken = ws.broken_files()
    if not broken:
        click.echo(f"Workspace '{ws.uri}': every file is readable.")
        return
    for path, problem in broken:
        click.echo(terminal_text(f"broken  {ws.relative(path)}: {problem}"))
    if not quarantine:
        click.echo(f"\n{count(len(broken), 'broken file')}. Move them aside with: evalcore doctor --workspace {ws.uri} "
                   "--quarantine (then rerun the suites concerned to redo what they held).", err=True)
        sys.exit(1)
    moved = ws.quarantine(p for p, _ in broken)
    for target in moved:
        click.echo(terminal_text(f"moved   {target.relative_to(ws.root)}"))
    click.echo(f"\n{count(len(moved), 'file')} moved to {moved[0].relative_to(ws.root).parts[0]}/"
               f"{moved[0].relative_to(ws.root).parts[1]}/. Rerun the suites concerned to redo what they held.")


@main.group()
def labels() -> None:
    """Human labels: import from a spreadsheet, export, and agreement between reviewers (and the judge)."""


@labels.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_suite_option("Suite the labelled outputs belong to")
@click.option("--reviewer", default=None, help="Reviewer for rows that leave the reviewer column empty.")
@click.option("--encoding", default=None, help="Text encoding of the CSV (default UTF-8).")
@_workspace_option
@_friendly
def labels_import(file: str, suite: str, reviewer: str | None, encoding: str | None, workspace: str | None) -> None:
    """Import labels: CSV/JSONL/Parquet with example_id (or output_hash), candidate, reviewer, rating, ok, note."""
    from evalcore.analysis import require_suite
    from evalcore.labels import import_labels
    from evalcore.queries import Queries

    require_suite(Queries(workspace), suite)
    n = import_labels(workspace, suite, file, encoding=encoding, reviewer=reviewer)
    click.echo(f"Imported {n} labels into suite '{suite}' from {file}.")


@labels.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@_suite_option()
@click.option("--history", is_flag=True, help="Every event (changes, undos) instead of the current answers.")
@_workspace_option
@_friendly
def labels_export(file: str, suite: str, history: bool, workspace: str | None) -> None:
    """Export labels to FILE (.csv or .parquet): the latest answer per reviewer and output, or --history."""
    from evalcore.analysis import require_suite
    from evalcore.labels import export_labels
    from evalcore.queries import Queries
    from evalcore.store import Workspace

    require_suite(Queries(workspace), suite)  # a typo writes no empty file
    Workspace(workspace, create=False).compact_labels(suite)
    n = export_labels(workspace, suite, file, include_history=history)
    click.echo(f"Wrote {n} {'events' if history else 'labels'} to {file}.")


@labels.command("agreement")
@_suite_option()
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@_workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@_friendly
def labels_agreement(suite: str, seed: int, workspace: str | None, fmt: str) -> None:
    """How far reviewers agree (alpha for ratings, kappa for yes/no), where they disagree, and judge vs people."""
    from evalcore.analysis import require_suite
    from evalcore.labels import agreement_report
    from evalcore.queries import Queries

    q = Queries(workspace)
    require_suite(q, suite)
    report = agreement_report(q, suite, seed=seed)
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
@_suite_option()
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
@_suite_option()
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="The file to write (report.html, report.md), or - for standard output.")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default=None,
              help="html: one self-contained file, charts included, opens with no network; md: Markdown for a "
                   "pull-request comment. Default: from --out's suffix (.md -> md), else html.")
@click.option("--run", "run_id", default=None, help="Only this run (default: each candidate's latest run).")
@click.option("--scorer", default=None, help="Scorer to decide and rank on (default: the suite's first scorer).")
@click.option("--policy", type=click.Choice(["cheapest", "best", "fastest"]), default=None,
              help="As for `decide` (default: the suite's decision.policy, else cheapest).")
@click.option("--margin", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="As for `decide`: the largest acceptable loss in score (default: the suite's, else 0.02).")
@click.option("--cases", type=click.IntRange(0, 50), default=5, show_default=True,
              help="How many of the worst examples to show with every candidate's output.")
@_workspace_option
@_friendly
def report(suite: str, out: str, fmt: str | None, run_id: str | None, scorer: str | None, policy: str | None,
           margin: float | None, cases: int, workspace: str | None) -> None:
    """Write a static report for people who decide: the decision, leaderboard, ratings, trends, tags, edge cases.

    HTML is one file with no script that opens offline (mail it, attach it to a release); --format md is
    Markdown for a pull-request comment (tables, no images). Text from models and files is escaped in both.
    """
    from evalcore import formatting as f
    from evalcore import report as rep

    kw: dict[str, Any] = {"scorer": scorer, "run_id": run_id, "policy": policy, "margin": margin, "cases": cases}
    if out == "-":
        text = rep.build_report(workspace, suite, fmt_=fmt or "html", **kw)
        click.echo(terminal_text(text), nl=False)
        return
    written = rep.write_report(workspace, suite, out, fmt_=fmt, **kw)
    kind = "HTML" if written.fmt == "html" else "Markdown"
    click.echo(terminal_text(f"Wrote {out} ({kind}, {f.size(written.size)}): {written.headline}"))


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
