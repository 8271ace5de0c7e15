"""Imported by the runner's worker fork server when every call of a run takes the direct HTTP path: no litellm.

The same idea as evalcore.worker_boot (load once, fork warm, freeze the heap out of the garbage collector), at a
fraction of its cost: ~0.7 s of imports instead of ~4 s, so a cold `evalcore run` starts sending almost at once.
litellm's price map is read here once, so no worker parses it again. The same watcher ends the fork server if the
process that started it dies while this loads (evalcore.preload_watch).
"""

from evalcore.preload_watch import watch_starter_while_loading

_loaded = watch_starter_while_loading()

import gc  # noqa: E402

from evalcore import openai_http, price_map, runner, scoring  # noqa: E402,F401

price_map._table()
runner.ignore_callers_main()
_loaded()
gc.freeze()
