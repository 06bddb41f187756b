"""A real HTTP receiver for webhook tests: http.server in a thread, answering each request as
told (a status code, a redirect, or silence longer than the timeout) and keeping what it got."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from testigo.core import roles


class Receiver:
    def __init__(self) -> None:
        self.answers: list = []  # what to do with the next requests: 200, 500, "redirect", ("sleep", s)
        self.default = 200
        self.got: list[dict] = []
        self.redirect_hits = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # only a followed redirect would ask this
                receiver.redirect_hits += 1
                self.send_response(200)
                self.end_headers()

            do_POST_followed = do_GET

            def do_POST(self) -> None:
                if self.path == "/moved":
                    receiver.redirect_hits += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                receiver.got.append({"headers": dict(self.headers), "body": body, "answer": answer, "path": self.path,
                                     "at": time.time()})
                if isinstance(answer, tuple):  # ("sleep", seconds): answers after the sender gave up
                    time.sleep(answer[1])
                    answer = 200
                if answer == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/moved")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                try:
                    self.wfile.write(b"ok")
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.ALLOW_PRIVATE_GATEWAYS = True  # the receiver is on this machine
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_BACKOFF = 30
    settings.WEBHOOK_ATTEMPTS = 5
    settings.WEBHOOK_DISABLE_AFTER = 20
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def admin_client(make_user):
    user = make_user(roles.ADMIN, username="webhook-admin")
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    client.user = user
    return client
