"""Against a real Kannel 1.4.5 (Debian `kannel` + `kannel-extras`): fakesmsc → bearerbox → smsbox
get-url → Testigo (live_server); the reply leaves through smsbox's sendsms and fakesmsc prints it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from tests.channels.conftest import require_service


@pytest.fixture(autouse=True)
def _gateways_on_this_machine(loopback_gateways):
    """These peers run on 127.0.0.1, which only an operator's TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 allows."""

BEARERBOX, SMSBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox", shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


def wait_for(predicate, timeout: float = 15, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def kannel_config(tmp: Path, ports: dict, get_url: str) -> Path:
    conf = tmp / "kannel.conf"
    conf.write_text(f"""
group = core
admin-port = {ports['admin']}
admin-password = adminpw
smsbox-port = {ports['smsbox']}
log-file = "{tmp}/bearerbox.log"
log-level = 0
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = FAKE
port = {ports['fake']}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {ports['sendsms']}
log-file = "{tmp}/smsbox.log"
log-level = 0

group = sendsms-user
username = testigo
password = sendpw
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
omit-empty = true
max-messages = 0
get-url = "{get_url}"
""")
    return conf


@pytest.fixture
def kannel(tmp_path):
    require_service(all(os.path.exists(p) for p in (BEARERBOX, SMSBOX, FAKESMSC)),
                    "Kannel not installed (apt-get install kannel kannel-extras)")
    procs: list[subprocess.Popen] = []

    def start(get_url: str) -> dict:
        ports = {name: free_port() for name in ("admin", "smsbox", "fake", "sendsms")}
        conf = kannel_config(tmp_path, ports, get_url)
        procs.append(subprocess.Popen([BEARERBOX, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(ports["smsbox"])
        procs.append(subprocess.Popen([SMSBOX, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(ports["sendsms"])
        return ports

    def inject(ports: dict, *messages: str) -> subprocess.Popen:
        out = open(tmp_path / "fakesmsc.out", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([FAKESMSC, "-H", "127.0.0.1", "-r", str(ports["fake"]), "-i", "0.1",
                                 "-m", str(len(messages)), *messages], stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    def fakesmsc_output() -> str:
        path = tmp_path / "fakesmsc.out"
        return path.read_text(errors="replace") if path.exists() else ""

    yield start, inject, fakesmsc_output
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_sms_through_kannel_becomes_a_report_and_the_reply_goes_back_through_sendsms(
        kannel, live_server, settings, make_channel, admin_user):
    from testigo.channels.models import InboundMessage, OutboundMessage
    from testigo.channels.selectors import webhook_url
    from testigo.reports.models import Report

    start, inject, fakesmsc_output = kannel
    settings.CHANNEL_BASE_URL = live_server.url
    channel = make_channel("kannel", secret="kannel-key", sendsms_url="http://127.0.0.1:0/", username="testigo",
                           password="sendpw", from_number="12345")
    get_url = webhook_url(channel) + "?key=kannel-key&id=%I&from=%p&to=%P&text=%a&time=%T&coding=%c"
    ports = start(get_url)
    channel.config["sendsms_url"] = f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms"
    channel.save()

    inject(ports, "50499990001 12345 text REPORTE inundacion en la colonia Kennedy")
    report = wait_for(lambda: Report.objects.filter(source="kannel").first())
    assert report is not None, "no report arrived through Kannel's get-url"
    assert report.description == "inundacion en la colonia Kennedy"
    message = InboundMessage.objects.get()
    assert message.contact.address == "+50499990001" and message.provider_id

    reply = wait_for(lambda: OutboundMessage.objects.filter(status__in=["sent", "delivered"]).first())
    assert reply is not None, OutboundMessage.objects.values("status", "error").first()
    seen = wait_for(lambda: report.reference in fakesmsc_output() and fakesmsc_output())
    assert "Got message" in seen and report.reference in seen
    # Kannel's DLR (mask 1|2|8|16) came back to our dlr-url with the outbox id.
    assert wait_for(lambda: OutboundMessage.objects.filter(pk=reply.pk, status="delivered").exists())

    # A staff reply with á/ó leaves as UCS-2 (coding=2) and arrives intact.
    from testigo.channels import services

    services.reply(report=report, actor=admin_user, text="¿Dónde ocurrió? Envíe la dirección.")
    seen = wait_for(lambda: "Got message 2" in fakesmsc_output() and fakesmsc_output())
    line = next(x for x in seen.splitlines() if "Got message 2" in x)
    coding, data = line.split("<", 1)[1].rstrip(">").split(" ", 3)[2:]
    assert coding == "ucs-2"
    assert unquote_to_bytes(data.replace("+", "%20")).decode("utf-16-be") == "¿Dónde ocurrió? Envíe la dirección."
