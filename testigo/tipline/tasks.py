"""Background jobs: the daily retention purge (a thin wrapper over the service)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from testigo.tipline import services


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_expired_tips() -> int:
    return services.purge_expired()
