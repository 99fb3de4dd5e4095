"""Whether a process of this machine is still running: how leftovers of a killed command (scratch folders,
staging folders, plaintext copies, runs without a heartbeat) are told from those of one still at work."""
from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while process `pid` exists (also when it belongs to another user, whom we may not signal)."""
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
