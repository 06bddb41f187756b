"""Background jobs (Huey): send webhook deliveries as they are queued, and catch up every minute
(retries that came due, a queue that was down, a webhook enabled again)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def send_delivery_task(delivery_id: int) -> bool:
    from testigo.webhooks import services

    return services.send_one(delivery_id)


@db_task()
def send_webhooks_task() -> int:
    from testigo.webhooks import services

    return services.send_due()


@db_periodic_task(crontab(minute="*"))
def send_due_webhooks() -> int:
    from testigo.webhooks import services

    return services.send_due()
