"""SMPP against a real SMSC on loopback (PyPI smpp34's asyncio server): Testigo binds as a
transceiver, receives a deliver_sm, answers in GSM-7 and UCS-2 with submit_sm, records the DLR."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from testigo.channels.types.smpp import gsm7_bytes, gsm7_decode, parse_receipt, split
from tests.channels.conftest import require_service


@pytest.fixture(autouse=True)
def _gateways_on_this_machine(loopback_gateways):
    """These peers run on 127.0.0.1, which only an operator's TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 allows."""


def test_gsm7_round_trip_and_escape_pairs_stay_whole():
    text = "¡Señor! {robo} 100€ @ casa"
    assert gsm7_decode(b"".join(gsm7_bytes(text))) == text
    coding, parts = split("a" * 152 + "{" + "b" * 152)
    assert coding == 0 and len(parts) == 3
    assert all(not p.endswith(b"\x1b") for p in parts)
    assert parts[0][:3] == bytes([5, 0, 3]) and [p[5] for p in parts] == [1, 2, 3]


def test_ucs2_split_keeps_surrogate_pairs_whole():
    coding, parts = split("🚨" * 40)
    assert coding == 8 and len(parts) == 2
    assert b"".join(p[6:] for p in parts).decode("utf-16-be") == "🚨" * 40


def test_receipt_text_is_parsed():
    receipt = "id:abc123 sub:001 dlvrd:001 submit date:2405011200 done date:2405011201 stat:DELIVRD err:000 text:Hola"
    assert parse_receipt(receipt) == ("abc123", "DELIVRD")


class FakeSMSC:
    """A real SMPP 3.4 server (smpp34) on a loopback port, driven from its own event loop thread."""

    def __init__(self):
        import smpp34

        self.smpp34 = smpp34
        self.loop = asyncio.new_event_loop()
        self.submits: list = []
        self.esme = None
        self.port = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._start())

    def call(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = self.smpp34.Server("127.0.0.1", self.port, system_id="FAKESMSC")
        await self.server.start()
        self.loop.create_task(self._serve())

    async def _serve(self):
        n = 0
        while True:
            event = await self.server.next()
            if isinstance(event, self.smpp34.Esme):
                self.esme = event
            elif isinstance(event, self.smpp34.SubmitSmEvent):
                n += 1
                self.submits.append((event.destination_addr, event.data_coding, event.esm_class,
                                     event.registered_delivery, bytes(event.short_message)))
                event.accept(f"smsc-{n}")

    def deliver(self, source: str, text: bytes, data_coding: int = 0, esm_class: int = 0):
        async def send():
            return await self.esme.deliver_sm("12345", text, source_addr=source, data_coding=data_coding,
                                              esm_class=esm_class)

        return self.call(send())

    def stop(self):
        async def stop():
            await self.server.stop()

        self.call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_bind_receive_reply_gsm7_and_ucs2_and_record_the_dlr(make_channel, admin_user):
    try:
        smsc = FakeSMSC()
    except ImportError:
        require_service(False, "smpp34 (PyPI) is not installed: pip install smpp34")
    from testigo.channels import services
    from testigo.channels.models import InboundMessage, OutboundMessage
    from testigo.channels.types.smpp import Session
    from testigo.reports.models import Report

    channel = make_channel("smpp", host="127.0.0.1", port=str(smsc.port), system_id="testigo", password="pw",
                           source_addr="12345")
    session = Session(channel, enquire_every=0.3, poll=0.05)
    stop = threading.Event()
    runner = threading.Thread(target=session.run, args=(stop,))
    runner.start()
    try:
        assert wait_for(lambda: smsc.esme is not None), "Testigo did not bind"
        resp = smsc.deliver("50499990001", b"".join(gsm7_bytes("REPORTE balacera en la colonia ¡ayuda!")))
        assert resp.is_success  # acknowledged only after it was stored:
        report = Report.objects.get(source="smpp")
        assert report.description == "balacera en la colonia ¡ayuda!"
        assert InboundMessage.objects.get().contact.address == "+50499990001"

        assert wait_for(lambda: len(smsc.submits) == 1), "no submit_sm for the acknowledgement"
        dest, coding, esm, registered, data = smsc.submits[0]
        assert (dest, coding, registered) == ("50499990001", 0, 1)
        assert report.reference in gsm7_decode(data)
        ack = wait_for(lambda: OutboundMessage.objects.filter(provider_id="smsc-1", status="sent").first())
        assert ack is not None

        services.reply(report=report, actor=admin_user, text="¿Dónde ocurrió exactamente?")
        assert wait_for(lambda: len(smsc.submits) == 2)
        assert smsc.submits[1][1] == 8
        assert smsc.submits[1][4].decode("utf-16-be") == "¿Dónde ocurrió exactamente?"

        receipt = b"id:smsc-2 sub:001 dlvrd:001 submit date:2405011200 done date:2405011201 stat:DELIVRD err:000 text:"
        assert smsc.deliver("50499990001", receipt, esm_class=0x04).is_success
        assert wait_for(lambda: OutboundMessage.objects.filter(provider_id="smsc-2", status="delivered").exists())
        # A long MO in two parts (UDH, 8-bit reference), the second part first: one report.
        first, second = "REPORTE " + "x" * 145, " fin del mensaje"
        udh = lambda n: bytes([5, 0, 3, 42, 2, n])  # noqa: E731
        assert smsc.deliver("50499990002", udh(2) + b"".join(gsm7_bytes(second)), esm_class=0x40).is_success
        assert smsc.deliver("50499990002", udh(1) + b"".join(gsm7_bytes(first)), esm_class=0x40).is_success
        joined = Report.objects.exclude(pk=report.pk).get()
        assert joined.description == "x" * 145 + " fin del mensaje"

        time.sleep(0.4)  # long enough for an enquire_link round trip on an idle bind
        assert runner.is_alive()
    finally:
        stop.set()
        runner.join(timeout=5)
        smsc.stop()
