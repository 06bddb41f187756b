"""Periodic jobs fire once across hosts (docs/scale-out.md).

Every Huey consumer started without `--no-periodic` checks the periodic jobs once a minute and
enqueues those due. With several worker hosts on one Redis queue each would enqueue them, and a
daily backup or a rule evaluation would run once per host. OncePerPeriodRedisHuey (the queue class
when TESTIGO_QUEUE_URL is Redis) first claims each job's minute in Redis with SET NX: the first
consumer to check a minute enqueues its jobs, the others find the claim and skip them. A claim
lives a day, far longer than the clocks of two hosts ever differ.

The jobs that must never run twice at the same time (the outbox, rule evaluation, imports) also
claim their rows in the database, so a job enqueued twice by hand still does its work once.
"""

from __future__ import annotations

import logging
import os
import socket

from huey import RedisHuey

log = logging.getLogger(__name__)
CLAIM_SECONDS = 24 * 60 * 60


def claim_key(queue_name: str, task_name: str, timestamp) -> str:
    return f"{queue_name}.periodic.{task_name}.{timestamp:%Y%m%dT%H%M}"


class OncePerPeriodRedisHuey(RedisHuey):
    def read_periodic(self, timestamp):
        if timestamp is None:
            timestamp = self._get_timestamp()
        due = super().read_periodic(timestamp)
        holder = f"{socket.gethostname()}:{os.getpid()}"
        claimed = []
        for task in due:
            try:
                if self.storage.conn.set(claim_key(self.name, task.name, timestamp), holder, nx=True,
                                         ex=CLAIM_SECONDS):
                    claimed.append(task)
                else:
                    log.info("periodic job %s of %s:%s already enqueued by another worker", task.name,
                             timestamp.hour, f"{timestamp.minute:02d}")
            except Exception:  # Redis unreachable: enqueueing would fail too; the next minute tries again
                log.exception("could not claim periodic job %s", task.name)
        return claimed
