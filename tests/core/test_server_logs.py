"""The production server setup (`testigo serve`: gunicorn) writes no client address or user agent
to its logs, for normal pages, errors and bad requests alike."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROBE_IP = "203.0.113.77"
PROBE_UA = "TestigoProbe/9.9 (distinctive)"


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


def test_serve_logs_no_client_address_or_user_agent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"TESTIGO_DATA_DIR": str(tmp_path), "TESTIGO_LOG_LEVEL": "DEBUG", "TESTIGO_BEHIND_PROXY": "1"}
    subprocess.run([sys.executable, "-m", "testigo.cli", "migrate"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "testigo.cli", "serve", "--port", str(port),
                                   "--workers", "1"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    _get(base + "/")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            assert _get(base + "/") == 200
            assert _get(base + "/no-such-page/") == 404
            assert _get(base + "/", Host="evil.example") == 400  # DisallowedHost is logged by Django
            assert _get(base + "/console/login/") in (200, 302)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    assert "running at" in text  # the log was really captured
    assert PROBE_IP not in text and "203.0.113" not in text
    assert "TestigoProbe" not in text
