"""The fork server's watcher while it loads its preload (evalcore.worker_boot or worker_boot_http): no litellm.

While this loads, the fork server is not yet in its loop, where it notices that the process that started it has
died; under load the loading takes many seconds. A thread watches meanwhile and ends the fork server at once if
that process goes; it stops again before the first fork (workers never inherit it). It watches the parent pid as
well as the liveness pipe: a fork request sent while we load carries a copy of the pipe's write end, which sits in
our listening socket's queue, so the pipe alone shows no end of file until we accept it.
"""

import os
import re
import select
import threading
from collections.abc import Callable


def watch_starter_while_loading() -> Callable[[], None]:
    """Exit as soon as the starting process dies, until the returned function is called. The fork server is run as
    `python -c '... main(listener_fd, alive_r, ...)'` by the starting process itself (so that is our parent);
    nothing is ever written to alive_r, so readable means EOF."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            found = re.search(rb"forkserver import main; main\((\d+), (\d+)", f.read())
    except OSError:
        found = None
    if found is None:
        return lambda: None
    alive_r = int(found.group(2))
    parent = os.getppid()
    wake_r, wake_w = os.pipe()

    def watch() -> None:
        while True:
            try:
                ready, _, _ = select.select([alive_r, wake_r], [], [], 0.05)
            except InterruptedError:
                continue
            except OSError:
                return
            if alive_r in ready or os.getppid() != parent:
                os._exit(0)
            if wake_r in ready:
                return

    thread = threading.Thread(target=watch, name="evalcore-preload-watch", daemon=True)
    thread.start()

    def done() -> None:
        os.write(wake_w, b"x")
        thread.join()
        os.close(wake_r)
        os.close(wake_w)

    return done
