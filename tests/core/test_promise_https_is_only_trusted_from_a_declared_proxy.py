"""gunicorn believes a client's X-Forwarded-Proto ("this came over HTTPS") only when the operator
declared a proxy (TESTIGO_BEHIND_PROXY). Otherwise any process on the machine could pass plain
HTTP off as HTTPS (secure cookies, OpenRosa's HTTPS-only password check)."""

from __future__ import annotations

import io

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from testigo.core.management.commands import serve

SPOOFED = b"GET / HTTP/1.1\r\nHost: testigo\r\nX-Forwarded-Proto: https\r\n\r\n"


def _scheme_gunicorn_sees(command: list[str], peer: str) -> str:
    """Parse our exact command line with gunicorn's own parser, then let gunicorn read a request."""
    cfg = Config()
    options = cfg.parser().parse_args(command[command.index("testigo.wsgi:application") + 1:])
    for name, value in vars(options).items():
        if value is not None and name != "args":
            cfg.set(name.lower(), value)
    request = next(iter(RequestParser(cfg, [SPOOFED], (peer, 40000))))
    return request.scheme


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "192.0.2.10"])
def test_promise_without_a_proxy_forwarded_proto_is_never_trusted(peer):
    command = serve.gunicorn_command(host="127.0.0.1", port=8000, workers=1)
    assert _scheme_gunicorn_sees(command, peer) == "http"


def test_behind_a_proxy_the_local_proxy_is_trusted():
    command = serve.gunicorn_command(host="127.0.0.1", port=8000, workers=1, behind_proxy=True)
    assert _scheme_gunicorn_sees(command, "127.0.0.1") == "https"
    assert _scheme_gunicorn_sees(command, "192.0.2.10") == "http"


class _FinishedProcess:
    def __init__(self, command, env):
        self.command = command

    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_serve_passes_the_behind_proxy_setting_to_gunicorn(settings, monkeypatch, behind_proxy):
    started = []
    monkeypatch.setattr(serve.subprocess, "Popen", lambda command, env: started.append(command) or
                        _FinishedProcess(command, env))
    monkeypatch.setattr(serve.signal, "signal", lambda *args: None)
    settings.BEHIND_PROXY = behind_proxy
    with pytest.raises(SystemExit):  # the fake gunicorn has exited at once: serve reports a failure
        serve.run(host="127.0.0.1", port=8000, workers=1, with_worker=False, stdout=io.StringIO())
    assert _scheme_gunicorn_sees(started[-1], "127.0.0.1") == ("https" if behind_proxy else "http")
