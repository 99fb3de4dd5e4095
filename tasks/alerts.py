"""Alerts as code: the Prefect notification block and automations that tell the force when a run needs someone.

`apply_alerts(webhook_url, block_name)` is idempotent: it saves the webhook block (overwriting it) and creates
each automation in AUTOMATIONS, or updates the one of the same name, so `tasking ops setup` can run after every
deploy. The webhook receives JSON `{"subject": ..., "body": ..., "source": "tasking"}`.
"""
from __future__ import annotations

from dataclasses import dataclass

HEALTH_EVENT = "tasking.health.unhealthy"   # emitted by flows.health when a health run finds problems

RUN_BODY = ("Flow run {{ flow.name }} / {{ flow_run.name }} is {{ flow_run.state.name }}"
            "{% if flow_run.state.message %}: {{ flow_run.state.message }}{% endif %}\n"
            "Deployment: {{ deployment.name if deployment else 'none (run by hand)' }}"
            "{% if flow_run|ui_url %}\n{{ flow_run|ui_url }}{% endif %}")


@dataclass(frozen=True)
class AlertSpec:
    name: str
    description: str
    expect: tuple[str, ...]
    subject: str
    body: str
    match: tuple[tuple[str, str], ...] = ()


AUTOMATIONS = (
    AlertSpec("tasking: run failed or crashed", "A tasking flow run ended Failed or Crashed.",
              ("prefect.flow-run.Failed", "prefect.flow-run.Crashed"),
              "tasking: {{ flow.name }} run {{ flow_run.state.name }}", RUN_BODY,
              (("prefect.resource.id", "prefect.flow-run.*"),)),
    AlertSpec("tasking: run late", "A scheduled run was not picked up in time: is a worker running for the pool?",
              ("prefect.flow-run.Late",),
              "tasking: {{ flow.name }} run Late", RUN_BODY + "\nCheck a worker polls its work pool.",
              (("prefect.resource.id", "prefect.flow-run.*"),)),
    AlertSpec("tasking: work pool not ready", "No worker is polling a work pool, so no scheduled run will start.",
              ("prefect.work-pool.not-ready",),
              "tasking: work pool {{ event.resource.name }} not ready",
              "Work pool {{ event.resource.name }} has no live worker: start `prefect worker start --pool "
              "{{ event.resource.name }}`.", (("prefect.resource.id", "prefect.work-pool.*"),)),
    AlertSpec("tasking: health needs attention", "`tasking health` (or its deployment) found problems.",
              (HEALTH_EVENT,),
              "tasking health: {{ event.payload.problems | length }} problem(s), exit code {{ event.payload.exit_code }}",
              "tasking health found:\n{% for p in event.payload.problems %}- {{ p }}\n{% endfor %}"
              "Ops page: {{ event.payload.page }}"),
)


class AlertsNotConfigured(Exception):
    """The config has no webhook to notify."""


def save_webhook_block(webhook_url: str, block_name: str):
    """Save (or overwrite) the custom-webhook notification block; returns its block document id."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    block = CustomWebhookNotificationBlock(
        name="tasking", url=webhook_url, method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}", "source": "tasking"},
    )
    return block.save(block_name, overwrite=True)


def automation_for(spec: AlertSpec, block_id):
    from prefect.automations import AutomationCore, EventTrigger, Posture, SendNotification

    return AutomationCore(
        name=spec.name, description=spec.description, enabled=True,
        trigger=EventTrigger(expect=set(spec.expect), match=dict(spec.match), posture=Posture.Reactive,
                             threshold=1, within=0),
        actions=[SendNotification(block_document_id=block_id, subject=spec.subject, body=spec.body)],
    )


def apply_alerts(webhook_url: str | None, block_name: str) -> list[tuple[str, str]]:
    """Create or update the block and every automation; returns (automation name, 'created' | 'updated')."""
    if not webhook_url:
        raise AlertsNotConfigured("no alerts.webhook_url in the config: set it to the force's webhook first")
    from prefect import get_client

    block_id = save_webhook_block(webhook_url, block_name)
    done = []
    with get_client(sync_client=True) as client:
        for spec in AUTOMATIONS:
            automation = automation_for(spec, block_id)
            existing = client.read_automations_by_name(spec.name)
            if existing:
                client.update_automation(existing[0].id, automation)
                for duplicate in existing[1:]:  # left by an earlier manual edit: one automation per alert
                    client.delete_automation(duplicate.id)
                done.append((spec.name, "updated"))
            else:
                client.create_automation(automation)
                done.append((spec.name, "created"))
    return done
