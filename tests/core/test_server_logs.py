"""The production server setup (`testigo serve`: gunicorn) writes no client address or user agent
to its logs, for normal pages, errors and bad requests alike — including requests so malformed
that gunicorn answers them itself, before Django sees them."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow  # a real gunicorn in a subprocess

PROBE_IP = "203.0.113.77"
PROBE_UA = "TestigoProbe/9.9 (distinctive)"
# The raw-socket probes connect from this loopback address, so the server's own bind address
# (127.0.0.1, printed at start-up) cannot be confused with the client's.
CLIENT_IP = "127.0.0.77"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": PROBE_UA, "X-Forwarded-For": PROBE_IP,
                                                   "X-Real-IP": PROBE_IP, **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _raw(port: int, payload: bytes) -> bytes:
    """Send bytes as they are from CLIENT_IP; return the start of the answer."""
    with socket.socket() as s:
        s.bind((CLIENT_IP, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.sendall(payload)
        return s.recv(200)


def _log_once_it_has(log, evidence: str, count: int = 1) -> str:
    """The log as soon as `evidence` was written `count` times (the server writes as it goes)."""
    for _ in range(100):
        text = log.read_text()
        if text.count(evidence) >= count:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{evidence!r} never reached the log:\n{text}")


def _assert_no_client_metadata(text: str) -> None:
    assert CLIENT_IP not in text
    assert PROBE_IP not in text and "203.0.113" not in text
    assert "TestigoProbe" not in text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `testigo serve` for the module; yields (base URL, port, its log file)."""
    data = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"TESTIGO_DATA_DIR": str(data), "TESTIGO_LOG_LEVEL": "DEBUG", "TESTIGO_BEHIND_PROXY": "1"}
    subprocess.run([sys.executable, "-m", "testigo.cli", "migrate"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = data / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "testigo.cli", "serve", "--port", str(port),
                                    "--workers", "1"], env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    _get(base + "/")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            yield base, port, log
        finally:
            process.terminate()
            process.wait(timeout=20)
    _assert_no_client_metadata(log.read_text())  # start-up and shutdown lines too


def test_serve_logs_no_client_address_or_user_agent(server):
    base, _port, log = server
    assert _get(base + "/") == 200
    assert _get(base + "/no-such-page/") == 404
    assert _get(base + "/", Host="evil.example") == 400  # DisallowedHost is logged by Django
    assert _get(base + "/console/login/") in (200, 302)
    _assert_no_client_metadata(_log_once_it_has(log, "evil.example"))


MALFORMED = {
    "bad request line": b"GARBAGE\r\n\r\n",
    "invalid header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
    "oversized header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
    "bad HTTP version": b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
}


def test_promise_logs_never_contain_client_addresses_even_for_malformed_requests(server):
    _base, port, log = server
    for name, payload in MALFORMED.items():
        answer = _raw(port, payload)
        assert answer.startswith(b"HTTP/1.1 4"), (name, answer)
    # gunicorn answers these itself and logs one "Invalid request from ip=..." line for each.
    text = _log_once_it_has(log, "Invalid request from", count=len(MALFORMED))
    assert text.count("Invalid request from ip=[address]") >= len(MALFORMED)
    _assert_no_client_metadata(text)
