"""The `tasking` command line (top floor: imports flows, tasks and core; nothing imports it)."""
