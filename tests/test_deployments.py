"""prefect.yaml: every entrypoint imports, its parameters fit the flow's signature, every schedule parses, the
fortnightly tactical assessment falls on the right Mondays, and a profile is asked for only by an agreed ToR's id."""
from __future__ import annotations

import asyncio
import inspect
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
from prefect.exceptions import ParameterTypeError, SignatureMismatchError
from prefect.flows import load_flow_from_entrypoint
from prefect.server.schemas import schedules as server_schedules
from prefect.utilities.callables import parameter_schema

from shared_paths import PROJECT_ROOT

SPEC = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in SPEC["deployments"]}
LONDON = ZoneInfo("Europe/London")


def load_entrypoint(entrypoint: str) -> Flow:
    """Load a flow the way a worker does, from the project root, failing rather than using a placeholder."""
    path, name = entrypoint.split(":")
    return load_flow_from_entrypoint(f"{PROJECT_ROOT / path}:{name}", use_placeholder_flow=False)


def next_dates(schedule_config: dict, start: datetime, n: int = 3) -> list[datetime]:
    """Parse a prefect.yaml schedule the way `prefect deploy` does, then ask the server's schedule for dates."""
    client_schedule = _schedule_config_to_deployment_schedule(schedule_config)["schedule"]
    server_class = getattr(server_schedules, type(client_schedule).__name__)
    server_schedule = server_class(**client_schedule.model_dump())
    return asyncio.run(server_schedule.get_dates(n=n, start=start))


def test_the_deployments_share_one_process_work_pool():
    assert set(DEPLOYMENTS) == {"monthly-ingest", "tactical-assessment", "strategic-assessment", "health",
                                "profile-from-tor", "profile-refresh"}
    pools = {(d["work_pool"]["name"], d["work_pool"]["work_queue_name"]) for d in DEPLOYMENTS.values()}
    assert pools == {("tasking", "default")}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_imports_and_parameters_fit_its_signature(name):
    deployment = DEPLOYMENTS[name]
    flow = load_entrypoint(deployment["entrypoint"])
    assert isinstance(flow, Flow)
    signature = inspect.signature(flow.fn)
    given = deployment.get("parameters") or {}
    assert set(given) <= set(signature.parameters), f"{name}: parameters the flow does not take"
    required = {p for p, spec in signature.parameters.items() if spec.default is inspect.Parameter.empty}
    if deployment.get("schedules"):
        # A scheduled run has nobody to supply a parameter.
        assert required <= set(given), f"{name}: scheduled without required parameters {required - set(given)}"
        # The values prefect.yaml gives pass the flow's own parameter validation.
        validated = flow.validate_parameters(given)
        assert {p: validated[p] for p in given} == given
    else:
        assert required == {"tor_id"}, f"{name}: the one ad-hoc run is a profile, asked for by its agreed ToR's id"
    # Every flow records itself through the state hooks as well as from its body.
    for hooks in (flow.on_completion_hooks, flow.on_failure_hooks, flow.on_crashed_hooks, flow.on_cancellation_hooks):
        assert [hook.__name__ for hook in hooks] == ["record_final_state"]


@pytest.mark.parametrize("name", sorted(d for d in DEPLOYMENTS if DEPLOYMENTS[d].get("schedules")))
def test_every_schedule_parses(name):
    for schedule in DEPLOYMENTS[name]["schedules"]:
        dates = next_dates(schedule, datetime(2026, 3, 1, tzinfo=LONDON))
        assert len(dates) == 3 and dates == sorted(dates)


def test_a_profile_from_a_tor_has_no_schedule():
    assert not DEPLOYMENTS["profile-from-tor"].get("schedules")


def test_fortnightly_tactical_assessment_is_every_other_monday_at_seven_uk_time():
    (schedule,) = DEPLOYMENTS["tactical-assessment"]["schedules"]
    winter = next_dates(schedule, datetime(2026, 11, 25, tzinfo=LONDON))
    assert [d.astimezone(LONDON).replace(tzinfo=None) for d in winter] == [
        datetime(2026, 12, 7, 7, 0), datetime(2026, 12, 21, 7, 0), datetime(2027, 1, 4, 7, 0)]
    # Across the change to British Summer Time the meeting stays at 07:00 local (06:00 UTC).
    summer = next_dates(schedule, datetime(2027, 3, 20, tzinfo=LONDON))
    assert [d.astimezone(LONDON).replace(tzinfo=None) for d in summer] == [
        datetime(2027, 3, 29, 7, 0), datetime(2027, 4, 12, 7, 0), datetime(2027, 4, 26, 7, 0)]
    assert summer[0].astimezone(ZoneInfo("UTC")).hour == 6


def test_strategic_assessment_is_every_six_months():
    (schedule,) = DEPLOYMENTS["strategic-assessment"]["schedules"]
    dates = next_dates(schedule, datetime(2026, 11, 25, tzinfo=LONDON))
    assert [d.astimezone(LONDON).strftime("%Y-%m-%d %H:%M %a") for d in dates] == [
        "2027-01-04 07:00 Mon", "2027-07-05 07:00 Mon", "2028-01-03 07:00 Mon"]


def test_a_profile_from_tor_run_takes_a_tor_id_and_refuses_anything_else():
    flow = load_entrypoint(DEPLOYMENTS["profile-from-tor"]["entrypoint"])
    assert flow.validate_parameters({"tor_id": "ToR-0007"})["tor_id"] == "ToR-0007"
    with pytest.raises(ParameterTypeError, match="ToR-"):
        flow.validate_parameters({"tor_id": "Robbery near stations"})
    with pytest.raises(SignatureMismatchError, match="request"):  # the old free-text request is gone
        flow.validate_parameters({"tor_id": "ToR-0007", "request": {"force": "city-of-london"}})


def test_the_server_checks_the_tor_id_before_the_run_exists():
    # With enforce_parameter_schema the server checks a run's parameters against this schema before the run exists.
    assert DEPLOYMENTS["profile-from-tor"]["enforce_parameter_schema"] is True
    flow = load_entrypoint(DEPLOYMENTS["profile-from-tor"]["entrypoint"])
    schema = parameter_schema(flow.fn).model_dump_for_openapi()
    assert schema["required"] == ["tor_id"] and schema["properties"]["tor_id"]["pattern"] == r"^ToR-\d{4,}$"
    assert not any("problem_profile_flow" in d.get("entrypoint", "") for d in DEPLOYMENTS.values())


@pytest.mark.parametrize("name", ["tactical-assessment", "strategic-assessment"])
def test_a_product_deployment_loads_with_its_dask_task_runner(name):
    """The task runner is given to flows.engine.flow as a factory (prefect-dask is imported only when a Prefect
    flow is built); a worker loading the entrypoint gets a Flow that fans out on Dask."""
    from prefect_dask import DaskTaskRunner

    flow = load_entrypoint(DEPLOYMENTS[name]["entrypoint"])
    assert isinstance(flow, Flow) and isinstance(flow.task_runner, DaskTaskRunner)
