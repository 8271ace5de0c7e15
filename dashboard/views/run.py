"""Run: pick a suite and candidates, see the calls and the estimated cost, start, watch, cancel.

The run happens in a background thread of this server (`run_jobs`), so it goes on when this page is left; runs
started from the CLI show up too, read from the store. Calls are sent by worker processes forked from the fork
server the app warmed at start-up: litellm is never loaded into this process.
"""

import pandas as pd
import streamlit as st

import controls
import data
import run_jobs
from evalcore import formatting as fmt
from evalcore.errors import EvalcoreError
from evalcore.estimate import estimate_run
from evalcore.runner import worker_count
from evalcore.suite import load_suite
from feedback import show_error

ws = data.workspace()
token = data.suites_token(ws)
safe = data.markdown_safe
jobs = run_jobs.registry()

st.title("Run")
st.caption(f"Workspace `{ws}`. A run goes on when you leave this page; rerunning reuses every answer the "
           "workspace already has (cached, free) and resumes an interrupted run.")

listed = controls.or_stop(data.workspace_suites, ws, token)
runnable = [s for s in listed if s["path"] and not s["problem"]]
broken = [s for s in listed if s["path"] and s["problem"]]
for bad in broken:  # left out of the picker, but said: "no suite to run yet" told their author to make one
    st.warning(f"Suite {safe(bad['name'])} cannot run until its file is fixed (on the Data page): "
               f"{safe(str(bad['problem']).splitlines()[0])}")

# -- start a run ------------------------------------------------------------------------------------------------------
if not runnable:
    if not broken:
        st.info("No suite to run yet: create one (and upload its examples) on the Data page, or run a suite file "
                f"from the CLI: `evalcore run my-task/suite.yaml --workspace {ws}`.")
else:
    names = [s["name"] for s in runnable]
    if st.session_state.get("run_suite") not in names:
        st.session_state["run_suite"] = names[0]
    chosen = st.selectbox("Suite", names, key="run_suite")
    entry = next(s for s in runnable if s["name"] == chosen)
    suite = load_suite(entry["path"])
    all_names = [c.name for c in suite.candidates]
    picked_key = f"run_candidates_{chosen}"
    candidates = st.multiselect("Candidates", all_names, default=all_names, key=picked_key)
    repeats = st.number_input("Repeats (calls per example and candidate)", min_value=1, max_value=100,
                              value=suite.repeats, step=1, key=f"run_repeats_{chosen}")
    estimate = None
    if candidates:
        try:
            estimate = estimate_run(suite, ws, candidates=candidates, repeats=int(repeats))
        except EvalcoreError as exc:
            show_error(exc)
    if estimate is not None:
        lines = estimate.lines()
        (st.warning if estimate.unknown else st.info)("\n\n".join(safe(line) for line in lines))
        # A static table, which wraps its cells: at 1,024 px the grid's seven columns cut the model and "price from"
        # mid-word ("openai/local-", "litellm price m") with no sign that more text was there.
        table = pd.DataFrame([{"candidate": c.candidate, "calls": c.calls, "cached": c.cached, "to send": c.to_send,
                               "estimate": fmt.money(c.cost_usd) if c.cost_usd is not None else "unknown",
                               "price from": c.price_source, "model": c.model}
                              for c in estimate.candidates])
        st.table(table.style.format("{:,}", subset=["calls", "cached", "to send"]).hide(axis="index"))
    busy = any(j.active and j.suite == chosen for j in jobs.jobs(ws))
    start = st.button("Start run", key="run_start", type="primary", disabled=estimate is None or busy,
                      help="A run of this suite is already going" if busy else None)
    if start and estimate is not None:
        try:
            # Worker processes even for a small run: they fork from the warmed fork server in milliseconds and
            # keep litellm out of this process (one worker would send from here and load it).
            workers = max(2, worker_count(estimate.to_send, suite.run))
            jobs.start(ws, chosen, entry["path"], list(candidates), int(repeats), workers)
        except EvalcoreError as exc:
            show_error(exc)


# -- runs going and done ----------------------------------------------------------------------------------------------
def _job(job: dict) -> None:
    box = st.container(border=True, key=f"job_{job['id']}")
    status = job["status"]
    title = f"**{safe(job['suite'])}**: {safe(', '.join(job['candidates']))}"
    if job["run_id"]:
        title += f" (run {safe(job['run_id'])})"
    box.markdown(title)
    total = job["total"] or 0
    done = job["done"]
    not_sent = f", {job['not_sent']:,} not sent" if job["not_sent"] else ""
    text = (f"{done:,}/{total:,} done, {job['sent']:,} sent, {job['cached']:,} cached{not_sent}, "
            f"{fmt.count(job['errors'], 'error')}, {_spent(job)}")
    if status == "starting" or (job["active"] and not total):
        box.progress(0.0, text="planning the run (reading examples and the cache)...")
    elif job["active"]:
        waiting = ""
        if job["to_send"] and not job["sent"] and not job["errors"]:
            waiting = f" - sending {job['to_send']:,} calls with {job['workers']} worker processes"
        box.progress(done / total if total else 0.0, text=text + waiting)
    else:
        box.progress(done / total if total else 1.0, text=text)
    if job["stopping"]:
        box.caption("Cancelling: nothing more is sent; finished results are kept.")
    elif job["active"]:
        if box.button("Cancel", key=f"cancel_{job['id']}"):
            jobs.cancel(job["id"])  # the next tick shows it stopping
    all_failed = bool(job["total"]) and job["errors"] == job["total"] and not job["active"]
    broken = {name: c["results"] for name, c in job["by_candidate"].items()
              if c["results"] and c["errors"] == c["results"]}
    finished = f"Finished: {fmt.count(total, 'result')}, {fmt.count(job['errors'], 'error')}."
    if status == "finished" and not all_failed and broken:
        who = " and ".join(f"{safe(name)} ({n:,} of {n:,})" for name, n in broken.items())
        box.warning(f"{finished} Every call of {who} failed, so {'it has' if len(broken) == 1 else 'they have'} "
                    "no answer to compare: fix the cause (said below) and start the run again, which retries only "
                    "the failed calls. The other candidates' results are on the Overview page.")
    elif status == "finished" and not all_failed:
        box.success(f"{finished} The Overview page shows the leaderboard.")
    elif status == "interrupted":
        box.warning("Cancelled. Finished results are saved; start the same run again to resume it.")
    elif status == "failed":
        box.error(safe(job["message"] or "The run failed."))
    if all_failed:
        box.error(f"Every call failed ({fmt.count(total, 'call')}): nothing to compare. Check the model names, "
                  "api_base and keys (the errors below say what went wrong), then start the run again: "
                  "failed calls are retried.")
    for why in job["stopped"].values():  # the runner's own diagnosis: who, where, the provider's reason, the fix
        box.error(safe(why[:1].upper() + why[1:]))
    if job["errors_by_message"]:
        box.caption("Errors, each message once with how many results have it, most frequent first:")
        width = len(f"{max(n for _, n in job['errors_by_message']):,}")
        box.code("\n".join(f"{n:>{width},} x {message}" for message, n in job["errors_by_message"]),
                 language=None, wrap_lines=True)


def _spent(job: dict) -> str:
    """What the run has cost so far, and for whom it is unknown (an unknown price is said, never counted as $0)."""
    unpriced = " and ".join(f"{safe(name)} ({fmt.count(n, 'answer')}, no price known)"
                            for name, n in job["unpriced"].items())
    if not unpriced:
        return f"{fmt.money(job['cost_usd'])} spent"
    if not job["cost_usd"]:
        return f"cost unknown: {unpriced}"
    return f"{fmt.money(job['cost_usd'])} spent plus an unknown amount for {unpriced}"


def _elsewhere(run: dict) -> None:
    box = st.container(border=True, key=f"ext_{run['run_id']}")
    box.markdown(f"**{safe(run['suite'])}**: run {safe(run['run_id'])}, started outside this dashboard (the CLI?)")
    planned = run["planned"] or 0
    box.progress(run["done"] / planned if planned else 0.0,
                 text=f"{run['done']:,}/{planned:,} results so far. Stop it where it was started (Ctrl-C).")


def _runs() -> None:
    mine = [j.snapshot() for j in jobs.jobs(ws)]
    others = run_jobs.runs_elsewhere(ws, mine)
    if not mine and not others:
        st.caption("No runs going. Past runs are listed on the Overview page.")
        return
    for run in others:
        _elsewhere(run)
    for job in mine:
        _job(job)
    # A run that ended since the last tick: redraw the whole page once (the Start button, the estimate's cache).
    ended = {j["id"] for j in mine if not j["active"]}
    if st.session_state.get("_ended_jobs", ended) != ended:
        st.session_state["_ended_jobs"] = ended
        st.rerun(scope="app")
    st.session_state["_ended_jobs"] = ended


st.subheader("Runs")
live = any(j.active for j in jobs.jobs(ws)) or bool(run_jobs.runs_elsewhere(ws, []))
st.fragment(_runs, run_every=1.0 if live else None)()
