"""Fault points: where the fault-injection tests kill a run.

`TRACKLINK_KILL_AT=<point>` makes the process SIGKILL itself (its whole
process group when it leads one, as a scheduler's kill does: the JVM and the
Python workers die with it) on reaching that point. Points are named
`before <stage>` (every stage of a run), `staged` (every table's files
written), `committed <table>` (inside the commit step, after that table's
commit) and `before runs` (every table committed, the runs row not yet).
Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "TRACKLINK_KILL_AT"


def point(name: str) -> None:
    if os.environ.get(KILL_AT) != name:
        return
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
