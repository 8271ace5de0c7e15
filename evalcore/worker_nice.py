"""Imported first by a fork server started in the background of an interactive process (the dashboard): it
lowers the fork server's CPU priority before it loads litellm (~4 s of CPU), so that load takes only the CPU that
the pages being opened leave. Workers forked from it inherit the priority: a run started from the dashboard yields
the CPU to the people reading it (a call needs well under a millisecond of CPU; on an idle machine nothing
changes). `evalcore run` never loads this: a command-line run keeps its normal priority."""

import os

NICENESS = 10

try:
    os.nice(NICENESS)
except OSError:  # not permitted here: load at the normal priority
    pass
