"""Every write to channels, one module per concern; this module is their public door.

- inbound.py: store what arrives, durably and idempotently, before the gateway is answered
- processing.py: act on a stored message once (keywords, opt-out, reports, automatic replies)
- outbox.py: queue what leaves and send it (one claim, one set of send-time rules)
- replies.py: staff replies to citizens (and the automatic reply texts)
- status.py: delivery reports
- rejections.py: refused requests (failed authentication, unreadable payloads)
- channel_settings.py: adding and changing channels
"""

from testigo.channels.channel_settings import add_channel, update_channel
from testigo.channels.inbound import receive
from testigo.channels.processing import drain_inbound, process_inbound
from testigo.channels.rejections import (
    REJECTED_SAMPLE_BYTES,
    REJECTED_SAMPLES_PER_HOUR,
    count_auth_failure,
    record_rejection,
)
from testigo.channels.replies import reply
from testigo.channels.status import record_status

__all__ = ["REJECTED_SAMPLE_BYTES", "REJECTED_SAMPLES_PER_HOUR", "add_channel", "count_auth_failure",
           "drain_inbound", "process_inbound", "receive", "record_rejection", "record_status", "reply",
           "update_channel"]
