"""Named crash points for fault-injection tests: `TASKING_FAULT=publish:after-files` kills the process there.

Each point marks a moment between two durable steps (files written, row committed, folder renamed, ...). The
tests run a command in a subprocess with the variable set, the process dies at the marker exactly as `kill -9`
would (no cleanup, no `finally`), and the next command must find the store and registry consistent. Unset (as
in production) a point costs one environment lookup.
"""
from __future__ import annotations

import os
import signal

FAULT_ENV = "TASKING_FAULT"


def point(name: str) -> None:
    """Die here, as if killed with SIGKILL, when `$TASKING_FAULT` names this point (comma-separated list)."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and name in {w.strip() for w in wanted.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)
