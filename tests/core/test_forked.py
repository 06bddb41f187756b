"""testigo.core.forked: a producer in a forked child, its failures, and the parent's connections."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest
from django.db import connection

from testigo.core import forked

pytestmark = pytest.mark.skipif(not forked.available(), reason="fork is not available on this system")


def test_items_are_made_in_a_child_and_arrive_in_order():
    parent = os.getpid()

    def produce():
        for i in range(50):
            yield i, os.getpid(), "x" * 100_000  # bigger than a pipe's buffer

    with forked.iterate(produce) as items:
        received = list(items)
    assert [i for i, _pid, _pad in received] == list(range(50))
    assert {pid for _i, pid, _pad in received} != {parent} and len({pid for _i, pid, _pad in received}) == 1
    assert not multiprocessing.active_children()


def test_an_exception_in_the_child_reaches_the_consumer_with_its_traceback():
    def produce():
        yield 1
        raise ValueError("row 7 is broken")

    with forked.iterate(produce) as items, pytest.raises(forked.ProducerFailed, match="row 7 is broken"):
        assert next(items) == 1
        next(items)


def test_a_child_that_dies_is_reported_not_waited_for():
    def produce():
        yield 1
        os._exit(3)

    with forked.iterate(produce) as items, pytest.raises(forked.ProducerFailed, match="exit code 3"):
        list(items)


def test_a_consumer_that_stops_early_stops_the_child():
    def produce():
        while True:
            yield "x" * 100_000

    with forked.iterate(produce) as items:
        next(items)
    assert not multiprocessing.active_children()


@pytest.mark.django_db(transaction=True)
def test_the_child_never_uses_the_parents_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    inherited = connection.connection

    def produce():
        yield connection.connection is None  # dropped on start
        with connection.cursor() as cursor:  # a query made there anyway gets a connection of its own
            cursor.execute("SELECT 3")
            yield cursor.fetchone()[0] == 3 and connection.connection is not inherited

    with forked.iterate(produce) as items:
        assert list(items) == [True, True]
    assert connection.connection is inherited
    with connection.cursor() as cursor:  # and the parent's own connection still works
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


def test_a_consumer_that_stops_early_stops_the_child_even_when_this_process_handles_sigterm():
    """A server or worker that forks the producer has its own SIGTERM handler (a graceful stop):
    the child must not inherit it, nor keep the pipe's read end open, or leaving the context
    early waits for ever on a child blocked writing to a pipe nobody reads."""
    def produce():
        while True:
            yield "x" * 100_000

    def too_long(signum, frame):
        for child in multiprocessing.active_children():
            child.kill()
        raise TimeoutError("leaving the context did not stop the child")

    previous_term = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    previous_alarm = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(30)
    try:
        with forked.iterate(produce) as items:
            next(items)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGTERM, previous_term)
    assert not multiprocessing.active_children()
