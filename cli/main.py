"""The `tasking` command line: each module registers its commands on the one app (cli.common.app).

Each command parses its arguments, runs one flow (flows.engine.run_flow) or one read, prints a summary and maps
the outcome to an exit code. Add a command group as a module here and import it below.
"""
from __future__ import annotations

from cli import analysis, data, ops, ops_setup, products, review  # noqa: F401  (each registers its commands)
from cli import action, catalogue, meeting, profile_loop, strategy, tor  # noqa: F401  (the tasking loop)
from cli.common import app

if __name__ == "__main__":
    app()
