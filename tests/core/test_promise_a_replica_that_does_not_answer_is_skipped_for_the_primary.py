"""Promise: a read replica (TESTIGO_DATABASE_REPLICA_URLS) that does not answer costs the public
nothing but a warning in the log: its pages are read from the primary, at once (the replica's
connect timeout is 2 s and a refused connection is immediate; its health is checked at most once
a second). Runs on both back ends: the replica is a PostgreSQL address where nothing listens."""

from __future__ import annotations

import time

import dj_database_url
import pytest
from django.db import connections
from django.urls import reverse

from testigo.core.db import replicas
from tests.core.pg_replica import ALIAS, add_alias, free_port, remove_alias

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", ALIAS])


@pytest.fixture(scope="module", autouse=True)
def _dead_replica(django_db_setup, django_db_blocker):
    add_alias(dict(connections["default"].settings_dict,
                   **dj_database_url.parse(f"postgres://postgres@127.0.0.1:{free_port()}/nothing"),
                   OPTIONS={"connect_timeout": 2}, TEST={"MIRROR": "default"}))
    yield
    with django_db_blocker.unblock():
        remove_alias()


def test_promise_a_replica_that_does_not_answer_is_skipped_for_the_primary(client, published_report, caplog):
    assert replicas.aliases() == [ALIAS]
    started = time.monotonic()
    for _ in range(3):
        response = client.get(reverse("public:report_list"))
        assert response.status_code == 200
        assert published_report.public_title in response.content.decode()
    assert time.monotonic() - started < 10
    assert replicas.choose() is None
    assert sum("read replica replica_1 is unreachable" in r.getMessage() for r in caplog.records) == 1  # once a second
