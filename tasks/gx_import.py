"""Importing Great Expectations without the half of its import time the gate never uses.

`import great_expectations` imports every expectation class it ships, and one of them (the KL-divergence
expectation, with two distribution metrics) imports `scipy.stats` at module level: about 480 modules, 0.8-1 s
of CPU on a small machine, for statistical tests no suite in expectations/ uses. `import_gx()` first puts a
lazy `scipy.stats` in place (the standard library's importlib.util.LazyLoader): the module object exists, and
its code runs the first time anything reads an attribute of it, so code that does use scipy.stats (the
indicators, forecasts, a future suite) gets the whole module exactly as before, only later.

Caveat: on Python 3.11 LazyLoader is not thread-safe on that first attribute read; in this project GX is imported
in the process that validates, and scipy.stats is then first read by product builders running one per process.
GX itself offers no setting for this (this GX build has no analytics or usage statistics to switch off either).
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

DEFERRED = ("scipy.stats",)


def _defer(name: str) -> None:
    """Put a lazy module for `name` in sys.modules and on its parent package, unless it is imported already."""
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    # `from scipy import stats` reads the package attribute first; without it scipy's __getattr__ would import
    # the submodule, and the import system's check of a module in sys.modules reads its __spec__ (a full load).
    setattr(parent, child, module)


def import_gx() -> ModuleType:
    """great_expectations, imported with scipy.stats deferred until something uses it."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED:
            _defer(name)
    import great_expectations

    return great_expectations
