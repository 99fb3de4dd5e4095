"""Named crash points for fault-injection tests: `TASKING_FAULT=publish:after-files` kills the process there.

Each point marks a moment between two durable steps (files written, row committed, folder renamed, a block
extracted, ...). The tests run a command in a subprocess with the variable set, the process dies at the marker
exactly as `kill -9` would (no cleanup, no `finally`), and the next command must find the store, the registry
and the warehouse consistent. Several names may be given, separated by commas; `<name>@<n>` kills at the n-th
time that point is reached. Unset (as in production) a point costs one environment lookup.
"""
from __future__ import annotations

import os
import signal
import sys
from collections import Counter

FAULT_ENV = "TASKING_FAULT"
_reached: Counter[str] = Counter()


def point(name: str) -> None:
    """Die here, as if killed with SIGKILL, when `$TASKING_FAULT` names this point."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    _reached[name] += 1
    for entry in wanted.split(","):
        marker, _, nth = entry.strip().partition("@")
        if marker == name and _reached[name] == int(nth or 1):
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
