"""flows.engine: a command run in-process never imports Prefect, and whoever needs Prefect still gets its real Flow.

The in-process checks run in a subprocess (this test process has Prefect loaded by other tests); its working
folder and PREFECT_HOME are empty temporary folders, so no Prefect settings file applies.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from prefect import Flow
from prefect.deployments.runner import RunnerDeployment

from flows import engine
from flows.engine import DeferredFlow, Step, step
from tasking.prefect_mode import ORCHESTRATE_ENV, prefect_settings_files
from flows.recording import RECORDING_HOOKS

from shared_paths import CITY_OF_LONDON, PROJECT_ROOT


def run_python(code: str, cwd, home, **env) -> dict:
    """Run `code` in a fresh interpreter with the project on its path and no Prefect API configured; it prints
    one JSON object, returned here."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.upper().startswith("PREFECT_") and k != ORCHESTRATE_ENV}
    environment.update(PYTHONPATH=str(PROJECT_ROOT), COLUMNS="250", **env)
    if home is not None:
        environment["PREFECT_HOME"] = str(home)
    else:  # Prefect's default home, ~/.prefect, in an empty folder
        environment["HOME"] = str(cwd)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_cli_ingest_without_a_prefect_api_never_imports_prefect(tmp_path):
    home = tmp_path / "prefect-home"
    home.mkdir()
    code = f"""
import json, sys
from typer.testing import CliRunner
from cli.main import app
from flows.ingest import ingest_flow
result = CliRunner().invoke(app, ["ingest", {str(CITY_OF_LONDON / "2024-08-city-of-london-street.csv")!r},
                                  "--warehouse", {str(tmp_path / "warehouse.duckdb")!r}])
print(json.dumps({{"exit": result.exit_code, "output": result.output, "flow": type(ingest_flow).__name__,
                   "prefect": sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))}}))
"""
    seen = run_python(code, cwd=tmp_path, home=home)
    assert seen["exit"] == 0, seen["output"]
    assert "loaded" in seen["output"]
    assert seen["flow"] == "DeferredFlow"
    assert seen["prefect"] == []
    # The same file again: unchanged, so no gate, no Data Docs to render, and GX is not imported either.
    again = run_python(code.replace('"prefect": sorted(', '"gx": "great_expectations" in sys.modules, "prefect": sorted('),
                       cwd=tmp_path, home=home)
    assert "unchanged" in again["output"] and again["gx"] is False and again["prefect"] == []


def test_the_cli_imports_neither_prefect_nor_pandas_nor_gx_to_start(tmp_path):
    home = tmp_path / "prefect-home"
    home.mkdir()
    code = """
import json, sys
from typer.testing import CliRunner
from cli.main import app
result = CliRunner().invoke(app, ["--help"])
print(json.dumps({"exit": result.exit_code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""
    seen = run_python(code, cwd=tmp_path, home=home)
    assert seen["exit"] == 0
    assert not {"prefect", "pandas", "great_expectations", "duckdb", "numpy"} & set(seen["loaded"])


def test_a_prefect_profile_naming_an_api_is_honoured_without_an_environment_variable(tmp_path):
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text('active = "server"\n[profiles.server]\n'
                                        'PREFECT_API_URL = "http://127.0.0.1:9/api"\n', encoding="utf-8")
    code = "import json; from tasking.prefect_mode import orchestrated; print(json.dumps({'orchestrated': orchestrated()}))"
    assert run_python(code, cwd=tmp_path, home=home) == {"orchestrated": True}
    (home / "profiles.toml").write_text('active = "server"\n[profiles.server]\n', encoding="utf-8")
    assert run_python(code, cwd=tmp_path, home=home) == {"orchestrated": False}
    assert run_python(code, cwd=tmp_path, home=home, TASKING_ORCHESTRATE="always") == {"orchestrated": True}
    assert run_python(code, cwd=tmp_path, home=home, prefect_api_url="http://127.0.0.1:9/api") == {"orchestrated": True}
    # No home or profiles file of one's own: PREFECT_PROFILE=local picks Prefect's packaged "local" profile, which
    # names an API (http://127.0.0.1:4200/api).
    assert run_python(code, cwd=tmp_path, home=None) == {"orchestrated": False}
    assert run_python(code, cwd=tmp_path, home=None, PREFECT_PROFILE="local") == {"orchestrated": True}


@pytest.mark.parametrize("name, text", [
    ("prefect.toml", "[api]\nurl = 'http://127.0.0.1:9/api'\n"),
    ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.prefect.api]\nurl = 'http://127.0.0.1:9/api'\n"),
    (".env", "PREFECT_API_URL=http://127.0.0.1:9/api\n"),
])
def test_a_prefect_settings_file_in_the_working_folder_means_asking_prefect(tmp_path, monkeypatch, name, text):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    assert prefect_settings_files() == []
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert [p.name for p in prefect_settings_files()] == [name]


def test_the_project_pyproject_sets_nothing_for_prefect(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # where `make demo` and the CLI run: its pyproject names prefect as a dependency
    assert PROJECT_ROOT / "pyproject.toml" not in [p.resolve() for p in prefect_settings_files()]


def body(warehouse: str | None = None) -> str:
    return f"ran with {warehouse}"


def test_a_deferred_flow_becomes_prefects_own_flow_when_used_through_prefect():
    deferred = DeferredFlow(body, {"name": "engine-test", **RECORDING_HOOKS})
    assert deferred.name == "engine-test" and deferred.fn is body and deferred.__name__ == "body"
    built = deferred.prefect_flow
    assert isinstance(built, Flow) and built is deferred.prefect_flow  # built once
    assert built.name == "engine-test" and built.fn is body
    assert built.on_failure_hooks == RECORDING_HOOKS["on_failure"]
    # Everything else is the Flow's: a deployment's entrypoint names the module function a worker loads.
    deployment = deferred.to_deployment(name="d")
    assert isinstance(deployment, RunnerDeployment)
    assert deployment.entrypoint.endswith("test_engine.py:body")
    assert deferred.validate_parameters({"warehouse": "w"}) == {"warehouse": "w"}
    # A body replaced afterwards (a test's monkeypatch) is the body Prefect runs too, as on a Flow.
    deferred.fn = other_body
    assert deferred.fn is other_body and built.fn is other_body


def other_body(warehouse: str | None = None) -> str:
    return "other"


def test_with_prefect_loaded_the_decorator_gives_prefects_flow_and_a_runner_factory_is_called():
    made = []

    def runner():
        from prefect.task_runners import ThreadPoolTaskRunner

        made.append(ThreadPoolTaskRunner(max_workers=2))
        return made[-1]

    declared = engine.flow(name="engine-test-runner", task_runner=runner)(body)
    assert isinstance(declared, Flow) and declared.task_runner is made[0]
    assert DeferredFlow(body, {"task_runner": runner}).prefect_flow.task_runner is made[1]
    assert DeferredFlow(body, {}).name == "body"  # Prefect's default name: the function's, dashed


def test_a_step_builds_its_prefect_task_only_when_a_prefect_run_asks():
    made = step(body, name="engine-step", retries=2)
    assert isinstance(made, Step) and made._task is None
    assert made("w") == "ran with w" and made._task is None  # outside a Prefect run: the plain function
    assert made.submit("v").result() == "ran with v" and made._task is None
    assert made.task.name == "engine-step" and made.task.retries == 2


def test_a_step_with_retries_retries_in_process():
    attempts = []

    def flaky(value: int) -> int:
        attempts.append(value)
        if len(attempts) < 3:
            raise OSError("not yet")
        return value

    made = step(flaky, name="flaky", retries=2, retry_delay_seconds=0)
    assert made(7) == 7 and attempts == [7, 7, 7]
    attempts.clear()
    with pytest.raises(OSError):
        step(flaky, name="flaky", retries=1, retry_delay_seconds=0)(8)
    assert attempts == [8, 8]
