"""SMPP 3.4 (aggregators): one long-lived transceiver bind per channel, run by `testigo smpp`.

The session receives deliver_sm (messages and delivery receipts), acknowledges each only after it
is stored, sends the channel's outbox as submit_sm (GSM-7 or UCS-2, split with a UDH without ever
cutting an escape or surrogate pair) and keeps the bind alive with enquire_link.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import time

from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testigo.channels import encoding
from testigo.channels.types.base import ChannelType, ConfigField, Inbound, StatusUpdate

log = logging.getLogger(__name__)
GSM_EXT_CODES = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
                 "|": 0x40, "€": 0x65}
GSM_EXT_CHARS = {v: k for k, v in GSM_EXT_CODES.items()}
DLR_STATES = {"DELIVRD": "delivered", "ACCEPTD": "sent", "ENROUTE": "sent", "EXPIRED": "failed",
              "UNDELIV": "failed", "REJECTD": "failed", "DELETED": "failed", "UNKNOWN": "failed"}
TEMPORARY_STATUSES = {0x14, 0x58, 0x08, 0x64}  # queue full, throttled, system error, submit failed
_refs = itertools.count(1)


def gsm7_bytes(text: str) -> list[bytes]:
    """One unpacked septet (or ESC + septet) per character, kept together."""
    return [bytes([0x1B, GSM_EXT_CODES[c]]) if c in GSM_EXT_CODES else bytes([encoding.GSM7_BASIC.index(c)])
            for c in text]


def gsm7_decode(data: bytes) -> str:
    out, escape = [], False
    for byte in data:
        if escape:
            out.append(GSM_EXT_CHARS.get(byte, " "))
            escape = False
        elif byte == 0x1B:
            escape = True
        else:
            out.append(encoding.GSM7_BASIC[byte & 0x7F])
    return "".join(out)


def split(text: str) -> tuple[int, list[bytes]]:
    """(data_coding, parts): 0 = GSM-7 unpacked, 8 = UCS-2; parts carry a UDH when there are several."""
    if encoding.is_gsm7(text):
        coding, units, single, multi = 0, gsm7_bytes(text), 160, 153
    else:
        raw = text.encode("utf-16-be")
        coding, single, multi = 8, 70, 67
        units = [ch.encode("utf-16-be") for ch in text]
        assert b"".join(units) == raw
    size = (lambda u: len(u)) if coding == 0 else (lambda u: len(u) // 2)
    if sum(size(u) for u in units) <= single:
        return coding, [b"".join(units)]
    chunks, current, used = [], [], 0
    for unit in units:
        if used + size(unit) > multi:
            chunks.append(b"".join(current))
            current, used = [], 0
        current.append(unit)
        used += size(unit)
    chunks.append(b"".join(current))
    ref = next(_refs) % 256
    return coding, [bytes([5, 0, 3, ref, len(chunks), i + 1]) + c for i, c in enumerate(chunks)]


def decode_text(data_coding: int, data: bytes, default: str = "gsm") -> str:
    if data_coding == 8:
        return data.decode("utf-16-be", "replace")
    if data_coding in (1, 3) or (data_coding == 0 and default == "latin1"):
        return data.decode("latin-1")
    return gsm7_decode(data)


def split_udh(data: bytes) -> tuple[dict | None, bytes]:
    """Concatenation info from a user-data header (IE 0x00: 8-bit ref, IE 0x08: 16-bit ref)."""
    if not data:
        return None, data
    length = data[0]
    header, body = data[1:1 + length], data[1 + length:]
    i = 0
    while i + 1 < len(header):
        ie, size = header[i], header[i + 1]
        value = header[i + 2:i + 2 + size]
        if ie == 0x00 and size == 3:
            return {"ref": f"smpp-{value[0]}", "total": value[1], "part": value[2]}, body
        if ie == 0x08 and size == 4:
            return {"ref": f"smpp-{value[0] << 8 | value[1]}", "total": value[2], "part": value[3]}, body
        i += 2 + size
    return None, body


def parse_receipt(text: str) -> tuple[str, str] | None:
    """SMPP 3.4 Appendix B: "id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:…"."""
    match_id = re.search(r"\bid:(\S+)", text)
    match_stat = re.search(r"\bstat:(\w+)", text)
    if not match_id or not match_stat:
        return None
    return match_id.group(1), match_stat.group(1).upper()


class SMPP(ChannelType):
    code = "smpp"
    name = _("SMPP (aggregator bind)")
    pull = True  # sent by its own session process (`testigo smpp`), not by the Huey workers
    webhook = False
    config_fields = [
        ConfigField("host", _("SMSC host"), kind="host"),
        ConfigField("port", _("SMSC port")),
        ConfigField("system_id", _("system_id")),
        ConfigField("password", _("Password"), secret=True),
        ConfigField("system_type", _("system_type"), required=False),
        ConfigField("source_addr", _("Sender (short code or number)")),
        ConfigField("default_coding", _("data_coding 0 means: gsm (default) or latin1"), required=False),
    ]

    def verify(self, channel, request, action: str) -> bool:
        return False


class Session:
    """One bind. `run()` loops until `stop` is set; `testigo smpp` restarts it after errors."""

    def __init__(self, channel, *, enquire_every: float = 30.0, poll: float = 0.2):
        import smpplib.client

        self.channel, self.enquire_every, self.poll = channel, enquire_every, poll
        config = channel.config
        self.client = smpplib.client.Client(config["host"], int(config["port"]), timeout=10,
                                            allow_unknown_opt_params=True)
        self.client.set_message_received_handler(self._on_deliver)
        self.client.set_message_sent_handler(self._on_sent)
        self.pending: dict[int, int] = {}  # submit_sm sequence of the last part -> outbox id
        self.last_enquire = time.monotonic()

    def bind(self) -> None:
        from testigo.channels import addresses

        config = self.channel.config
        addresses.check_host(config["host"], int(config["port"]))  # checked at every (re)connection
        self.client.connect()
        self.client.bind_transceiver(system_id=config["system_id"], password=config.get("password", ""),
                                     system_type=config.get("system_type", ""))
        self.client._socket.settimeout(self.poll)  # short reads so sending and keepalives interleave

    def run(self, stop) -> None:
        self.bind()
        try:
            while not stop.is_set():
                self.step()
        finally:
            try:
                self.client.unbind()
            except Exception:  # the peer may already be gone
                pass
            self.client.disconnect()

    def step(self) -> None:
        import smpplib.smpp

        self.send_due()
        if time.monotonic() - self.last_enquire >= self.enquire_every:
            self.client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=self.client))
            self.last_enquire = time.monotonic()
        try:
            self.client.read_once(auto_send_enquire_link=False)
        except TimeoutError:
            pass
        finally:
            close_old_connections()

    def send_due(self) -> None:
        from testigo.channels import outbox

        while True:
            message, _wait = outbox.claim(channel_id=self.channel.pk, include_pull=True)
            if message is None:
                return
            coding, parts = split(message.text)
            config = self.channel.config
            for part in parts:
                pdu = self.client.send_message(
                    source_addr_ton=5 if not config.get("source_addr", "").lstrip("+").isdigit() else 1,
                    source_addr=config.get("source_addr", ""), dest_addr_ton=1, dest_addr_npi=1,
                    destination_addr=message.contact.address.lstrip("+"), short_message=part,
                    data_coding=coding, esm_class=0x40 if len(parts) > 1 else 0, registered_delivery=1)
            self.pending[pdu.sequence] = message.pk

    def _on_sent(self, pdu) -> None:
        from testigo.channels import outbox
        from testigo.channels.models import OutboundMessage

        outbox_id = self.pending.pop(pdu.sequence, None)
        message = OutboundMessage.objects.filter(pk=outbox_id).select_related("channel").first()
        if message is None:
            return
        status = int(getattr(pdu, "status", 0) or 0)
        if status == 0:
            message_id = pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else str(pdu.message_id)
            outbox.finish(message, status="sent", provider_id=message_id, sent_at=timezone.now(), error="")
        elif status in TEMPORARY_STATUSES:
            outbox.retry_later(message, f"SMPP status 0x{status:02X}")
        else:
            outbox.finish(message, status="failed", error=f"SMPP status 0x{status:02X}")

    def _on_deliver(self, pdu):
        """Store first; answering anything but ESME_ROK makes the SMSC send it again later."""
        from testigo.channels import inbound as inbox
        from testigo.channels import status

        try:
            text = decode_text(pdu.data_coding, pdu.short_message or b"",
                               self.channel.config.get("default_coding", "gsm"))
            if pdu.esm_class & 0x04:
                receipt = parse_receipt(text)
                if receipt:
                    status.record_status(channel=self.channel, update=StatusUpdate(
                        receipt[0], DLR_STATES.get(receipt[1], "failed"),
                        "" if receipt[1] in ("DELIVRD", "ACCEPTD", "ENROUTE") else receipt[1]))
                return None
            sender = _text(pdu.source_addr)
            concat = None
            if pdu.esm_class & 0x40:  # a user-data header precedes the text
                concat, body = split_udh(pdu.short_message or b"")
                text = decode_text(pdu.data_coding, body, self.channel.config.get("default_coding", "gsm"))
            # SMPP gives an MO no id; the SMSC resends the identical PDU when unacknowledged.
            digest = hashlib.sha256(f"{sender}|{_text(pdu.destination_addr)}|{pdu.data_coding}|".encode()
                                    + (pdu.short_message or b"")
                                    + timezone.now().strftime("%Y%m%d%H").encode()).hexdigest()
            inbox.receive(channel=self.channel, inbound=Inbound(
                provider_id=f"smpp-{digest[:40]}", scheme="tel", address=sender, text=text,
                raw={"source_addr": sender, "destination_addr": _text(pdu.destination_addr),
                     "data_coding": pdu.data_coding, **({"_concat": concat} if concat else {})}))
            return None
        except Exception:
            log.exception("channel %s: could not store a deliver_sm", self.channel.pk)
            return 0x08  # ESME_RSYSERR: not stored, so not acknowledged


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value or "")


TYPE = SMPP()
