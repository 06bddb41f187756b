"""Issue #20: when someone who held the tip-line key leaves, the organisation changes the key.

A rotation re-seals every tip's key to a new key pair (in batches, resumable, every tip readable
at every moment), hands the new key to the remaining staff at their next unlock, shows a new
recovery key once, and destroys the old key: a copy of it kept by someone who left opens nothing.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from testigo.core import roles
from testigo.core.models import AuditEvent
from testigo.tipline import crypto, selectors, services, vault
from testigo.tipline.models import StaffKeyWrap, Tip, VaultKey

pytestmark = pytest.mark.usefixtures("english")

SECRETS = [f"Shipment number {n} leaves from pier {n + 7} at dawn" for n in range(5)]


@pytest.fixture
def tips(tip_admin, tl):
    for n, text in enumerate(SECRETS):
        files = [(f"ledger-{n}.txt", text.encode())] if n == 0 else []
        services.submit_tip(body=text, files=files, language="en")
    return list(Tip.objects.order_by("pk"))


@pytest.fixture
def colleague(make_user, tip_admin, org_key, tl):
    ana = make_user(roles.MODERATOR, username="ana")
    vault.grant(grantor=tip_admin, org_private=org_key, grantee=ana, grantee_password=tl.PASSWORD)
    return ana


def _bodies(user, key):
    return sorted(selectors.conversation_for_staff(user, org_private=key, tip=tip)[0].body
                  for tip in Tip.objects.all())


def test_after_a_rotation_tips_open_with_the_new_key_and_never_with_the_old(tip_admin, org_key, colleague, tips, tl):
    old_recovery = tip_admin.recovery_key
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD)
    assert vault.continue_rotation(actor=tip_admin, org_private=rotation.org_private) == len(SECRETS)

    new_key = rotation.org_private
    assert new_key != org_key and _bodies(tip_admin, new_key) == sorted(SECRETS)
    first = Tip.objects.get(pk=tips[0].pk)
    item = selectors.conversation_for_staff(tip_admin, org_private=new_key, tip=first)[0].files[0]
    assert selectors.file_for_staff(tip_admin, org_private=new_key, file_id=item.id, original=True)[2] == SECRETS[0].encode()
    # The old key (what someone who left may have kept) opens no tip any more, nor a new one.
    services.submit_tip(body="after the rotation", files=[], language="en")
    for tip in Tip.objects.all():
        with pytest.raises(crypto.CryptoError):
            vault.open_for_org(org_key, bytes(tip.key_for_org))
    current = VaultKey.objects.get()
    assert current.generation == 2 and not current.rotating
    assert bytes(current.public_key) == crypto.public_of(new_key)
    # No old key material remains: no wrap, recovery wrap or retiring wrap opens to the old key.
    for wrap in StaffKeyWrap.objects.all():
        assert bytes(wrap.wrapped) != org_key and bytes(wrap.pending) != org_key
    assert vault._unwrap_for(tip_admin, tl.PASSWORD) == new_key
    # The old recovery key opens nothing; the new one (shown once) opens the new key.
    with pytest.raises(ValidationError):
        vault.open_with_recovery_key(recovery_key=old_recovery)
    assert vault.open_with_recovery_key(recovery_key=rotation.recovery.key) == new_key
    # The colleague who stays gets the new key at their next unlock, with their own password.
    assert rotation.access_kept == ["ana"] and rotation.access_lost == []
    assert bytes(StaffKeyWrap.objects.get(user=colleague).wrapped) == b""
    assert vault._unwrap_for(colleague, tl.PASSWORD) == new_key
    ana_row = StaffKeyWrap.objects.get(user=colleague)
    assert bytes(ana_row.pending) == b"" and bytes(ana_row.wrapped) != b""
    assert vault._unwrap_for(colleague, "a wrong password") is None


def test_an_interrupted_rotation_resumes_and_no_tip_is_ever_unreadable(tip_admin, org_key, colleague, tips, tl,
                                                                       monkeypatch):
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD)
    new_key = rotation.org_private
    assert vault.rotation_remaining() == len(SECRETS)
    assert _bodies(tip_admin, new_key) == sorted(SECRETS)  # nothing re-sealed yet: still readable

    assert vault.continue_rotation(actor=tip_admin, org_private=new_key, batch_size=2, max_batches=1) == 2
    assert vault.rotation_remaining() == 3 and VaultKey.objects.get().rotating
    assert _bodies(tip_admin, new_key) == sorted(SECRETS)  # half re-sealed: all readable
    assert _bodies(colleague, vault._unwrap_for(colleague, tl.PASSWORD)) == sorted(SECRETS)

    # A crash in the middle of a batch (the process dies while sealing): the batch rolls back.
    real_seal, calls = crypto.seal_to, []

    def crash_on_second(public, secret):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_seal(public, secret)

    monkeypatch.setattr(crypto, "seal_to", crash_on_second)
    with pytest.raises(RuntimeError):
        vault.continue_rotation(actor=tip_admin, org_private=new_key, batch_size=2)
    monkeypatch.setattr(crypto, "seal_to", real_seal)
    assert vault.rotation_remaining() == 3
    assert _bodies(tip_admin, new_key) == sorted(SECRETS)
    # A second rotation cannot start over an unfinished one.
    with pytest.raises(ValidationError, match="under way"):
        vault.start_rotation(actor=tip_admin, org_private=new_key, password=tl.PASSWORD)

    # Resumed from the command line, as an administrator would after the crash.
    call_command("tipline", "rotate-key", "--username", tip_admin.username, "--password", tl.PASSWORD,
                 "--batch-size", "2")
    assert vault.rotation_remaining() == 0 and not VaultKey.objects.get().rotating
    assert _bodies(tip_admin, new_key) == sorted(SECRETS)
    for tip in Tip.objects.all():
        with pytest.raises(crypto.CryptoError):
            vault.open_for_org(org_key, bytes(tip.key_for_org))


def test_rotation_is_audited_without_secrets(tip_admin, org_key, colleague, tips, tl):
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD,
                                    threshold=2, count=3)
    vault.continue_rotation(actor=tip_admin, org_private=rotation.org_private)
    events = list(AuditEvent.objects.filter(action="tipline.key_rotated").order_by("seq"))
    assert [e.data["phase"] for e in events] == ["started", "finished"]
    assert events[0].actor == tip_admin and events[0].data["recovery"] == "2-of-3 shares"
    assert events[0].data["access_pending"] == ["ana"] and events[0].data["tips_to_reseal"] == len(SECRETS)
    everything = json.dumps([e.data for e in AuditEvent.objects.all()])
    forbidden = [org_key, rotation.org_private]
    for raw in forbidden:
        for form in (raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            assert form not in everything
    for share in rotation.recovery.shares:
        assert share.split()[5] not in everything.split('"')  # no share word appears as a value
        assert share not in everything


def test_staff_whose_copy_predates_personal_keys_are_listed_and_lose_access(tip_admin, org_key, colleague, tl):
    StaffKeyWrap.objects.filter(user=colleague).update(public_key=b"", private_wrapped=b"")  # an old row
    assert vault.rotation_preview() == (["admin-user"], ["ana"])
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD)
    assert rotation.access_lost == ["ana"] and not StaffKeyWrap.objects.filter(user=colleague).exists()
    # Unlocking once gives an old row its personal key pair, so the next rotation reaches it.
    vault.grant(grantor=tip_admin, org_private=rotation.org_private, grantee=colleague, grantee_password=tl.PASSWORD)
    StaffKeyWrap.objects.filter(user=colleague).update(public_key=b"", private_wrapped=b"")
    assert vault._unwrap_for(colleague, tl.PASSWORD) == rotation.org_private
    assert bytes(StaffKeyWrap.objects.get(user=colleague).public_key) != b""


def test_rotation_from_the_console_shows_the_new_recovery_shares_and_keeps_tips_readable(
        client, tip_admin, colleague, tips, tl):
    tl.staff_client(client, tip_admin)
    page = client.get("/console/tips/rotate/")
    assert page.status_code == 200 and b"ana" in page.content
    refused = client.post("/console/tips/rotate/", {"password": "wrong", "recovery": "key"})
    assert refused.status_code == 400 and b"The password is not correct." in refused.content
    too_many = client.post("/console/tips/rotate/", {"password": tl.PASSWORD, "recovery": "shares",
                                                     "threshold": "4", "count": "3"})
    assert b"cannot be more than the shares made" in too_many.content and VaultKey.objects.get().generation == 1
    response = client.post("/console/tips/rotate/", {"password": tl.PASSWORD, "recovery": "shares",
                                                     "threshold": "2", "count": "3"})
    assert response.status_code == 200
    html = response.content.decode()
    shares = [html.split(f'id="recovery-share-{n}">')[1].split("<")[0] for n in (1, 2, 3)]
    assert all(len(share.split()) == 33 for share in shares)
    assert VaultKey.objects.get().generation == 2 and vault.rotation_remaining() == 0
    # The admin's session now holds the new key: tips still open in the same session.
    assert SECRETS[3].encode() in client.get(f"/console/tips/{tips[3].pk}/").content
    assert vault.open_with_recovery_key(shares=[shares[2], shares[0]]) == vault._unwrap_for(tip_admin, tl.PASSWORD)
    # The colleague, logged in before the rotation, is asked to unlock again and then reads.
    other = client.__class__()
    tl.staff_client(other, colleague)
    assert SECRETS[1].encode() in other.get(f"/console/tips/{tips[1].pk}/").content


def test_a_session_unlocked_before_the_rotation_must_unlock_again(client, tip_admin, org_key, colleague, tips, tl):
    other = client.__class__()
    tl.staff_client(other, colleague)  # unlocked with the old key
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD)
    vault.continue_rotation(actor=tip_admin, org_private=rotation.org_private)
    response = other.get(f"/console/tips/{tips[0].pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/console/tips/unlock/")
    assert other.post("/console/tips/unlock/", {"password": tl.PASSWORD}).status_code == 302
    assert SECRETS[0].encode() in other.get(f"/console/tips/{tips[0].pk}/").content


def test_an_interrupted_rotation_is_continued_from_the_console(client, tip_admin, org_key, tips, tl):
    rotation = vault.start_rotation(actor=tip_admin, org_private=org_key, password=tl.PASSWORD)
    vault.continue_rotation(actor=tip_admin, org_private=rotation.org_private, batch_size=2, max_batches=1)
    tl.staff_client(client, tip_admin)
    page = client.get("/console/tips/rotate/").content.decode()
    assert "A key change is under way: 3 tips still wait to be re-sealed" in page
    assert SECRETS[4].encode() in client.get(f"/console/tips/{tips[4].pk}/").content  # not re-sealed yet: readable
    assert client.post("/console/tips/rotate/continue/").status_code == 302
    assert vault.rotation_remaining() == 0 and not VaultKey.objects.get().rotating
    assert "under way" not in client.get("/console/tips/rotate/").content.decode()
    assert SECRETS[4].encode() in client.get(f"/console/tips/{tips[4].pk}/").content
