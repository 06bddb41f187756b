"""Issue #20: the console warns when fewer than two active staff can open the tip-line vault.

One forgotten password or one departure would then leave only the recovery key. The warning is on
the console's home (the inbox) and the tip-line pages, for tip-line administrators and key holders,
and counts only active accounts that hold a copy of the key and may still enter the console.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from testigo.core import roles
from testigo.tipline import vault

pytestmark = pytest.mark.usefixtures("english")

WARNING = b'id="tipline-key-warning"'
PAGES = ("/console/", "/console/tips/", "/console/tips/access/")


def _warned(client) -> list[bool]:
    answers = [client.get(page) for page in PAGES]
    assert all(a.status_code == 200 for a in answers), [a.status_code for a in answers]
    return [WARNING in a.content for a in answers]


def test_one_key_holder_is_warned_on_the_home_and_tip_line_pages_until_a_second_has_access(
        client, tip_admin, org_key, make_user, tl):
    tl.staff_client(client, tip_admin)
    assert _warned(client) == [True, True, True]
    page = client.get("/console/").content.decode()
    assert "Only one person can open the tip line: admin-user." in page
    assert 'href="/console/tips/access/"' in page.split('id="tipline-key-warning"')[1]

    ana = make_user(roles.MODERATOR, username="ana")
    vault.grant(grantor=tip_admin, org_private=org_key, grantee=ana, grantee_password=tl.PASSWORD)
    assert _warned(client) == [False, False, False]

    # A deactivated account no longer counts.
    ana.is_active = False
    ana.save(update_fields=["is_active"])
    assert _warned(client) == [True, True, True]

    # Nor does an account that lost its console role (it keeps its row, but cannot read tips).
    ana.is_active = True
    ana.save(update_fields=["is_active"])
    assert _warned(client) == [False, False, False]
    ana.groups.remove(*Group.objects.filter(name__in=roles.ROLES))
    assert _warned(client) == [True, True, True]


def test_nobody_left_who_can_open_it_is_said_plainly_with_the_way_out(client, tip_admin, make_user, tl):
    from testigo.tipline.models import StaffKeyWrap

    StaffKeyWrap.objects.all().delete()
    client.force_login(tip_admin)
    page = client.get("/console/").content.decode()
    assert "Nobody can open the tip line right now." in page
    assert 'href="/console/tips/recover/"' in page


def test_no_warning_before_set_up_nor_for_staff_it_does_not_concern(client, admin_user, moderator, tl):
    client.force_login(admin_user)
    assert WARNING not in client.get("/console/").content  # no tip line yet: nothing to warn about
    vault.initialise(user=admin_user, password=tl.PASSWORD)
    assert WARNING in client.get("/console/").content
    other = client.__class__()
    other.force_login(moderator)  # neither a key holder nor a tip-line administrator
    assert WARNING not in other.get("/console/").content
