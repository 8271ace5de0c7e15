"""Imported only by the runner's worker fork server: everything a worker needs, loaded once and warm.

Workers are forked from this process, so each starts with litellm imported (~3 s) and its first-call imports done
(~0.6 s) instead of paying both itself. Everything loaded is then frozen out of the garbage collector: a full
collection over litellm's ~370,000 objects stalls a worker's event loop for ~0.25 s (every call in flight waits),
while a frozen heap makes it ~2 ms, and forked pages stay shared.

While this loads, evalcore.preload_watch ends the fork server at once if the process that started it dies.
"""

from evalcore.preload_watch import watch_starter_while_loading

_loaded = watch_starter_while_loading()

import gc  # noqa: E402

from evalcore import llm, openai_http, runner, scoring  # noqa: E402,F401

llm.warm_up()
runner.ignore_callers_main()
_loaded()
gc.freeze()
