"""Running a CPU-bound producer in a second process while this one consumes what it makes.

A bulk import spends about half its time in Python (parsing dates, checking values, computing
the public projection) and half in the database. On a server with two cores the producer runs
in a forked child and sends its results through a pipe, so both halves run at once. The child
is forked, not spawned: it starts in milliseconds and sees this process's settings, active
language and mapping as they are, with nothing to pickle on the way in.

The child is not meant to use the database, and must never use the parent's connections: a
socket or SQLite handle used by two processes at once mixes up both sessions. It drops them on
start (keeping the objects referenced, so nothing in the child finalises them), so a query made
there by mistake opens a connection of its own.

A pipe holds little, so the child is never more than one item ahead of the consumer: memory
stays bounded whatever the file's size.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
_INHERITED: list = []  # the parent's connection objects, kept alive so the child never closes them


class ProducerFailed(RuntimeError):
    """The child raised (its traceback is the message) or died."""


def available() -> bool:
    """fork exists (not on Windows) and this process may have children (a daemonic one may not)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


@contextmanager
def iterate(produce: Callable[[], Iterator[T]]) -> Iterator[Iterator[T]]:
    """A context giving the items of produce(), computed in a child forked on entry (so the caller
    can do other work while the first item is made). Leaving the context stops the child, even
    when the consumer stopped early or failed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_serve, args=(produce, sender, receiver), name="testigo-producer", daemon=True)
    child.start()
    sender.close()  # the child's end: EOF here once the child has gone
    try:
        yield _receive(child, receiver)
    finally:
        receiver.close()  # a child still sending gets a broken pipe and stops
        child.join(5)
        if child.is_alive():
            child.terminate()
            child.join()


def _receive(child, receiver) -> Iterator:
    while True:
        try:
            kind, payload = receiver.recv()
        except EOFError:
            child.join(5)
            raise ProducerFailed(f"the producer process stopped (exit code {child.exitcode})") from None
        if kind == "end":
            return
        if kind == "error":
            raise ProducerFailed(payload)
        yield payload


def _serve(produce: Callable[[], Iterator], sender, receiver) -> None:
    # The fork copied the parent's read end: closed here, so that once the parent closes its own
    # the pipe has no reader and a send fails (BrokenPipeError) instead of blocking for ever. And
    # the parent's SIGTERM handler (a server's or a worker's graceful stop) is not the child's: a
    # terminate() must end it.
    receiver.close()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # What the child inherited lives as long as it does: never walked by its collector (which
    # would also copy every page it shares with the parent). See core/gcpause.py.
    gc.freeze()
    _forget_connections()
    try:
        for item in produce():
            sender.send(("item", item))
        sender.send(("end", None))
    except BrokenPipeError:
        pass  # the consumer has gone: nothing to tell
    except BaseException:  # noqa: BLE001 - every failure goes back to the consumer
        try:
            sender.send(("error", traceback.format_exc()))
        except OSError:
            pass
    finally:
        sender.close()


def _forget_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _INHERITED.append(connection.connection)
            connection.connection = None
