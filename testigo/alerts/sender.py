"""Alerts leave through the one outbox (testigo.channels.outbox), in batches.

A broadcast queues thousands of rows at once, so its job claims up to one second of the channel's
rate budget per claim and sends over parallel connections. Claims, the shared per-channel rate
limit, retries, the opt-out check and crash recovery are the outbox's own.
"""

from __future__ import annotations

from testigo.channels import outbox

MAX_BATCH = 1000
MAX_PARALLEL = 16  # simultaneous requests to one gateway


def dispatch(*, channel_id: int, max_messages: int = 100_000, max_seconds: float = 50) -> int:
    """Send the channel's due rows in batches at its rate until none is due, or limits are reached."""
    return outbox.dispatch(channel_id=channel_id, max_messages=max_messages, max_seconds=max_seconds,
                           batch=MAX_BATCH, parallel=MAX_PARALLEL)


def has_due(*, channel_id: int) -> bool:
    """Whether the channel still has rows due for sending."""
    return outbox.has_due(channel_id=channel_id)
