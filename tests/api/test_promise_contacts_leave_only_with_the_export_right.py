"""Promise: reporter names and contacts leave the server in report data only for roles that may
export them (export + see contact), whichever door is used: the list, the detail or the exports.

Issue #13: a moderator's read token got 403 on reports.csv, then walked /api/v1/reports page by
page to 2,053 rows and 1,040 reporter contacts. One rule, `roles.may_take_contacts()`, now feeds
the export, the list and the detail alike.
"""

from __future__ import annotations

import csv
import io

import pytest

from testigo.core import roles

pytestmark = pytest.mark.django_db

CONTACT_FIELDS = ("reporter_name", "reporter_contact")


def _walk(client, headers) -> list[dict]:
    """Every row of /api/v1/reports, two at a time, as the attacker did."""
    rows, url = [], "/api/v1/reports?limit=2"
    while url:
        page = client.get(url, **headers).json()
        rows += page["items"]
        url = f"/api/v1/reports?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None
    return rows


def _contacts(rows: list[dict]) -> set:
    return {row.get(f) for row in rows for f in CONTACT_FIELDS} - {None, ""}


def _csv_rows(client, headers) -> list[dict]:
    response = client.get("/api/v1/reports.csv", **headers)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_promise_moderator_token_list_carries_no_reporter_contacts(client, world, moderator, token_for):
    headers = token_for(moderator)
    assert client.get("/api/v1/reports.csv", **headers).status_code == 403  # no export right...
    rows = _walk(client, headers)
    assert len(rows) == len(world)  # ...and the list still answers, every report the role may see
    assert _contacts(rows) == set()
    assert not any(f in row for row in rows for f in CONTACT_FIELDS)


def test_promise_moderator_token_detail_carries_no_reporter_contact(client, world, moderator, token_for):
    body = client.get(f"/api/v1/reports/{world['new'].reference}", **token_for(moderator)).json()
    assert body["reference"] == world["new"].reference
    assert not any(body.get(f) for f in CONTACT_FIELDS)


def test_promise_moderator_session_list_carries_no_reporter_contacts(client, world, moderator):
    client.force_login(moderator)
    assert _contacts(_walk(client, {})) == set()


def test_promise_admin_with_export_right_still_gets_contacts_and_list_agrees_with_export(client, world,
                                                                                          admin_user, token_for):
    headers = token_for(admin_user)
    listed = _walk(client, headers)
    assert _contacts(listed) == {"María", "+504 9999-0000"}
    detail = client.get(f"/api/v1/reports/{world['new'].reference}", **headers).json()
    assert detail["reporter_contact"] == "+504 9999-0000"
    exported = {r["reference"]: (r["reporter_name"], r["reporter_contact"]) for r in _csv_rows(client, headers)}
    assert exported == {r["reference"]: (r["reporter_name"], r["reporter_contact"]) for r in listed}


@pytest.mark.parametrize("role", roles.ROLES)
def test_promise_list_detail_and_export_apply_one_contact_rule(client, world, make_user, token_for, role):
    user = make_user(role, f"{role}-reader")
    headers = token_for(user)
    allowed = roles.may_take_contacts(user)
    assert allowed is (roles.can(user, roles.EXPORT) and roles.can(user, roles.SEE_CONTACT))
    listed = _walk(client, headers)
    assert bool(_contacts(listed)) is allowed
    detail = client.get(f"/api/v1/reports/{listed[0]['reference']}", **headers).json()
    assert ("reporter_contact" in detail) is allowed
    if roles.can(user, roles.EXPORT):
        exported = _csv_rows(client, headers)
        assert ("reporter_contact" in exported[0]) is allowed
