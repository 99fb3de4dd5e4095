"""Named fault points for crash tests: `TASKING_FAULT_POINT=<name>` makes the process kill itself (SIGKILL) there.

Tests start a command in a subprocess with the variable set and then check what a crash at that point leaves
behind (whole months only, no temporary files after the next run). Unset, a fault point costs one dict lookup.
Several names may be given, separated by commas; `<name>@<n>` kills at the n-th time that point is reached.
"""
from __future__ import annotations

import os
import signal
import sys
from collections import Counter

ENV = "TASKING_FAULT_POINT"
_reached: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL if `TASKING_FAULT_POINT` names this point (no cleanup handlers run)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    _reached[name] += 1
    for entry in wanted.split(","):
        point, _, nth = entry.strip().partition("@")
        if point == name and _reached[name] == int(nth or 1):
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
