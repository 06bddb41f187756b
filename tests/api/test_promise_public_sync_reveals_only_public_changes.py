"""Promise: the public API's sync filters and cursors work on public values only.

Issue #13: `updated_since` on the public API read `updated_at`, so it told anyone the moment staff
edited a published report's non-public fields; the public cursor carried the internal id, so two
consecutive cursors told how many reports (hidden ones included) were created between them.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def _public_since(client, since) -> set[str]:
    body = client.get("/api/v1/reports", {"updated_since": since.isoformat()}).json()
    return {row["reference"] for row in body["items"]}


def _published_two_days_ago(report_factory, admin_user) -> Report:
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=2)):
        report = report_factory()
        services.verify(report=report, actor=admin_user)
        return services.publish(report=report, actor=admin_user)


def test_promise_staff_only_edits_do_not_show_in_public_updated_since(client, report_factory, admin_user,
                                                                     moderator, token_for):
    report = _published_two_days_ago(report_factory, admin_user)
    since = timezone.now() - timedelta(days=1)
    assert _public_since(client, since) == set()

    # What the public never sees: a note, the contact, staff-only fields, a 1 cm pin nudge.
    services.add_note(report=report, actor=admin_user, text="llamar a la testigo el lunes")
    report = Report.objects.get(pk=report.pk)
    report.reporter_contact = "+504 8888-1111"
    report.save()
    report = services.update_report(report=report, actor=admin_user, precision_m=20, custom_values={"x": "1"})
    cm = 0.01 / 111_320
    services.update_report(report=report, actor=admin_user, lat=report.lat + cm,
                           lon=report.lon + cm / math.cos(math.radians(report.lat)))
    assert Report.objects.get(pk=report.pk).updated_at > since  # staff's own clock did move...
    assert _public_since(client, since) == set()  # ...the public one did not
    staff = client.get("/api/v1/reports", {"updated_since": since.isoformat()}, **token_for(moderator)).json()
    assert report.reference in {row["reference"] for row in staff["items"]}  # the staff API keeps its behaviour

    # A change the public does see shows up (in the list and the exports)...
    services.update_report(report=report, actor=admin_user, title="Asalto armado en la parada")
    assert _public_since(client, since) == {report.reference}
    csv = b"".join(client.get("/api/v1/reports.csv", {"updated_since": since.isoformat()}).streaming_content)
    assert report.reference in csv.decode()
    # ...and so does a change of a public report's categories.
    other = _published_two_days_ago(report_factory, admin_user)
    other.categories.clear()
    assert _public_since(client, since) == {report.reference, other.reference}


def test_promise_public_cursor_holds_no_internal_id(client, report_factory, admin_user):
    published = []
    for i in range(4):
        for _ in range(i * 3):  # hidden reports in between: the ids jump by 1, 4, 7, 10
            report_factory(title="sin publicar")
        report = report_factory(title=f"publicado {i}")
        services.verify(report=report, actor=admin_user)
        published.append(services.publish(report=report, actor=admin_user))
    same_moment = timezone.now() - timedelta(hours=1)
    Report.objects.filter(pk__in=[r.pk for r in published[:3]]).update(published_at=same_moment)  # ties
    ids = {r.pk for r in Report.objects.all()}
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/reports", {"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["reference"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        last = body["items"][-1]
        # Only values the page itself showed: when the last report was published and its reference.
        assert not any(isinstance(value, int) for value in decoded), decoded
        assert not ids & {v for v in decoded if isinstance(v, int)}
        assert decoded[1] == last["reference"]
    assert sorted(seen) == sorted(r.reference for r in published) and len(seen) == len(set(seen))


def test_a_staff_cursor_is_refused_on_the_public_side(client, published_report):
    staff_cursor = base64.urlsafe_b64encode(json.dumps([None, published_report.pk]).encode()).decode().rstrip("=")
    response = client.get("/api/v1/reports", {"cursor": staff_cursor})
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"
