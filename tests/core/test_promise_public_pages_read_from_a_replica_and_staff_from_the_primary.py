"""Promise: with TESTIGO_DATABASE_REPLICA_URLS, the public's pages, API and map are read from a real
PostgreSQL streaming replica, while staff (and every write) use the primary, so staff always read
back what they just wrote; a replica lagging more than TESTIGO_REPLICA_MAX_LAG_SECONDS, or not
answering, is skipped for the primary.

The replica is a second cluster made with pg_basebackup (tests/core/pg_replica.py). Pausing its
replay (`pg_wal_replay_pause()`) makes it visibly stale: a report published meanwhile is on the
primary only, so whoever shows it read the primary."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.urls import reverse

from testigo.core.db import replicas
from tests.core.pg_replica import pg_replica, replica_alias  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.services,
              pytest.mark.django_db(transaction=True, databases=["default", "replica_1"])]


def _replica_has(alias: str, reference: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM reports_report WHERE reference = %s", [reference])
        return cursor.fetchone() is not None


def _wait_until_replayed(alias: str, reference: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not _replica_has(alias, reference):
        assert time.monotonic() < deadline, f"the replica never replayed {reference}"
        time.sleep(0.05)


def _pause(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def _resume(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


def _publish(report_factory, admin_user, title: str):
    from testigo.reports import services

    report = report_factory(title=title)
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


MAP = "/api/v1/map/clusters?bbox=-180,-85,180,85&zoom=3"


def _public_sees(client, report) -> dict[str, bool]:
    """Whether each public read shows the report: the list, its page, the API and the map's points."""
    listed = report.public_title in client.get(reverse("public:report_list")).content.decode()
    page = client.get(reverse("public:report_detail", args=[report.reference])).status_code == 200
    api = client.get("/api/v1/reports").json()
    in_api = any(item.get("reference") == report.reference for item in api["items"])
    return {"list": listed, "page": page, "api": in_api}


def test_promise_the_public_reads_the_replica_and_staff_read_their_own_writes_from_the_primary(
        replica_alias, client, report_factory, admin_user, settings):  # noqa: F811 (the fixture)
    settings.REPLICA_MAX_LAG_SECONDS = 600  # this test's replica is stale on purpose, not lagging
    first = _publish(report_factory, admin_user, "Inundación en el puente")
    _wait_until_replayed(replica_alias, first.reference)
    assert _public_sees(client, first) == {"list": True, "page": True, "api": True}
    on_map = client.get(MAP).json()["total"]

    _pause(replica_alias)
    try:
        second = _publish(report_factory, admin_user, "Deslave en la carretera")
        time.sleep(0.2)
        assert not _replica_has(replica_alias, second.reference)
        # The public is answered by the replica: the report published during the pause is not there yet.
        assert _public_sees(client, second) == {"list": False, "page": False, "api": False}
        assert client.get(MAP).json()["total"] == on_map
        assert _public_sees(client, first)["list"]
        # Staff read the primary: the report they just published is there, on the public pages too.
        client.force_login(admin_user)
        assert _public_sees(client, second) == {"list": True, "page": True, "api": True}
        client.logout()
        client.cookies.clear()
        # An API token is staff too.
        from testigo.api import services as api_services

        _token, raw = api_services.create_token(user=admin_user, scope="read", actor=admin_user, name="replica")
        api = client.get("/api/v1/reports", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
        assert second.reference in {item["reference"] for item in api["items"]}
    finally:
        _resume(replica_alias)
    _wait_until_replayed(replica_alias, second.reference)
    assert _public_sees(client, second) == {"list": True, "page": True, "api": True}
    # The same map request again: never an answer kept from the stale replica.
    assert client.get(MAP).json()["total"] == on_map + 1


def test_promise_a_lagging_replica_is_skipped_for_the_primary(replica_alias, client, report_factory, admin_user,  # noqa: F811
                                                               settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    first = _publish(report_factory, admin_user, "Inundación en el puente")
    _wait_until_replayed(replica_alias, first.reference)
    _pause(replica_alias)
    try:
        second = _publish(report_factory, admin_user, "Deslave en la carretera")
        time.sleep(1.0)  # the replica has received the publication but not replayed it: over 0.5 s behind
        assert replicas.lag_seconds(replica_alias) > 0.5
        replicas.forget_health()
        assert replicas.choose() is None
        assert _public_sees(client, second) == {"list": True, "page": True, "api": True}
        # With a generous limit the same replica is used again (and is stale).
        settings.REPLICA_MAX_LAG_SECONDS = 600
        replicas.forget_health()
        assert _public_sees(client, second)["list"] is False
    finally:
        _resume(replica_alias)
