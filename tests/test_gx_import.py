"""tasks.gx_import: GX imported without running scipy.stats and altair, which still work in full when used.

In a fresh interpreter: this test process has both loaded already (other tests' indicators use scipy.stats)."""
from __future__ import annotations

import json
import subprocess
import sys

from shared_paths import PROJECT_ROOT

CODE = """
import json, sys
from tasks.gx_import import DeferredModule, import_gx
gx = import_gx()
deferred = {name: isinstance(sys.modules[name], DeferredModule) for name in ("scipy.stats", "altair")}
stats_modules = sum(1 for m in sys.modules if m.startswith("scipy.stats."))
from scipy import stats
import great_expectations.expectations.core.expect_column_kl_divergence_to_be_less_than as kl
entropy = float(kl.stats.entropy([0.5, 0.5]))        # GX's own reference, through the stand-in
import altair
print(json.dumps({"deferred": deferred, "stats_modules_before_use": stats_modules, "entropy": round(entropy, 6),
                  "same": stats.entropy is kl.stats.entropy and kl.alt.Chart is altair.Chart,
                  "loaded": type(sys.modules["scipy.stats"]).__name__, "norm": float(stats.norm.cdf(0)),
                  "context": type(gx.get_context(mode="ephemeral")).__name__}))
"""


def test_gx_imports_without_scipy_stats_and_altair_and_they_load_in_full_when_used():
    done = subprocess.run([sys.executable, "-c", CODE], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["deferred"] == {"scipy.stats": True, "altair": True} and seen["stats_modules_before_use"] == 0
    assert seen["entropy"] == 0.693147 and seen["norm"] == 0.5 and seen["same"] is True
    assert seen["loaded"] == "module" and seen["context"] == "EphemeralDataContext"
