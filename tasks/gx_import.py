"""Importing Great Expectations without the third of its import time the gate never uses.

`import great_expectations` imports every expectation class it ships, and one of them (the KL-divergence
expectation, with two distribution metrics) imports `scipy.stats` (about 480 modules, 0.5-1 s of CPU on a small
machine) and `altair` (0.2 s) at module level, for statistical tests and charts no suite in expectations/ uses.
`import_gx()` first puts a deferred module in sys.modules for each: the import system finds it there, and the
module's own code runs the first time anything reads one of its attributes, so code that does use them (the
indicators and forecasts use scipy.stats, a future suite may use the KL expectation) gets the whole module as
before, only later. GX itself has no setting for this (nor, in this build, analytics or usage statistics to
switch off: GX_ANALYTICS_ENABLED is read by nothing).

Not importlib.util.LazyLoader: on Python 3.11 the import system reads `__spec__` of a module it finds in
sys.modules, which makes a LazyLoader module load at once, and its first-use load is not thread-safe.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

DEFERRED = ("scipy.stats", "altair")
_loading = threading.RLock()  # re-entered when the module's own code imports it by its parent's attribute


class DeferredModule(ModuleType):
    """Stands in sys.modules for a module not yet run; the first read of an attribute it lacks runs the module
    and makes this object a copy of it (code that imported it keeps working)."""

    def __getattr__(self, attribute: str):
        with _loading:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules[self.__name__] = self
                    raise
                vars(self).update(vars(real))
            # While the module runs, its own code may read it through this object: that is the module in sys.modules.
        return vars(self)[attribute] if attribute in vars(self) else getattr(sys.modules[self.__name__], attribute)


def _defer(name: str) -> None:
    """Put a DeferredModule for `name` in sys.modules (and on its parent package), unless it is imported."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    module = DeferredModule(name)
    module.__spec__, module.__loader__ = spec, spec.loader
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:  # `from scipy import stats` reads the package's attribute
        setattr(importlib.import_module(parent), child, module)


def import_gx() -> ModuleType:
    """great_expectations, imported with scipy.stats and altair deferred until something uses them."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED:
            _defer(name)
    import great_expectations

    return great_expectations
