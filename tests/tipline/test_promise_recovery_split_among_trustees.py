"""Issue #20: the recovery key can be split among trustees (Shamir, k of n, SLIP-0039 shares).

Any k shares open the tip line, fewer do not; every share carries a checksum so a typo is caught
and named; a repeated share, a share from another split (or from before a key rotation) and too
few shares each get their own clear, translated message. Each use and refusal is audited.
"""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from testigo.core.models import AuditEvent
from testigo.tipline import crypto, vault
from testigo.tipline.models import StaffKeyWrap, VaultKey

pytestmark = pytest.mark.usefixtures("english")

# Published SLIP-0039 test vectors (trezor/python-shamir-mnemonic vectors.json; passphrase "TREZOR").
VECTOR_256 = ("theory painting academic academic armed sweater year military elder discuss acne wildlife boring "
              "employer fused large satoshi bundle carbon diagnose anatomy hamster leaves tracks paces beyond "
              "phantom capital marvel lips brave detect luck",
              "989baf9dcaad5b10ca33dfd8cc75e42477025dce88ae83e75a230086a0e00e92")
VECTOR_256_TWO_OF = ((
    "humidity disease academic always aluminum jewelry energy woman receiver strategy amuse duckling lying evidence "
    "network walnut tactics forget hairy rebound impulse brother survive clothes stadium mailman rival ocean reward "
    "venture always armed unwrap",
    "humidity disease academic agency actress jacket gross physics cylinder solution fake mortgage benefit public "
    "busy prepare sharp friar change work slow purchase ruler again tricycle involve viral wireless mixture anatomy "
    "desert cargo upgrade"), "c938b319067687e990e05e0da0ecce1278f75ff58d9853f19dcaeed5de104aae")
VECTOR_BAD_CHECKSUM = VECTOR_256[0].rsplit(" ", 1)[0] + " lunar"


def test_the_published_slip39_vectors_combine_and_a_bad_checksum_is_caught():
    assert crypto.combine_shares([VECTOR_256[0]], passphrase=b"TREZOR").hex() == VECTOR_256[1]
    assert crypto.combine_shares(list(VECTOR_256_TWO_OF[0]), passphrase=b"TREZOR").hex() == VECTOR_256_TWO_OF[1]
    with pytest.raises(crypto.ShareError) as caught:
        crypto.combine_shares([VECTOR_BAD_CHECKSUM], passphrase=b"TREZOR")
    assert caught.value.code == "unreadable" and caught.value.params == {"number": 1}
    with pytest.raises(crypto.ShareError) as caught:
        crypto.combine_shares([VECTOR_256_TWO_OF[0][0]], passphrase=b"TREZOR")
    assert caught.value.code == "too_few"


@pytest.mark.parametrize(("threshold", "count"), [(2, 2), (2, 3), (3, 5), (5, 5)])
def test_any_k_of_n_shares_recover_the_key_and_k_minus_one_do_not(threshold, count):
    raw, _printable = crypto.new_recovery_key()
    shares, split_id = crypto.split_recovery_key(raw, threshold=threshold, count=count)
    assert len(shares) == count and len(set(shares)) == count
    assert all(len(share.split()) == 33 for share in shares)  # 256 bits + index, threshold, checksum
    for subset in itertools.combinations(shares, threshold):
        for order in (subset, subset[::-1]):
            assert crypto.combine_shares(list(order), split_id=split_id, threshold=threshold) == raw
    for subset in itertools.combinations(shares, threshold - 1):
        with pytest.raises(crypto.ShareError) as caught:
            crypto.combine_shares(list(subset), split_id=split_id, threshold=threshold)
        assert caught.value.code == "too_few"
    # Capitals, dashes and extra spaces in what is typed do not matter.
    typed = [" " + share.upper().replace(" ", "  -") + "\n" for share in shares[:threshold]]
    assert crypto.combine_shares(typed, split_id=split_id) == raw


def test_the_limits_of_a_split_are_enforced():
    raw, _printable = crypto.new_recovery_key()
    for threshold, count in ((1, 3), (4, 3), (2, 11)):
        with pytest.raises(ValueError):
            crypto.split_recovery_key(raw, threshold=threshold, count=count)


@pytest.fixture
def shared_vault(admin_user, tl):
    recovery = vault.setup(user=admin_user, password=tl.PASSWORD, threshold=3, count=5)
    return recovery, vault._unwrap_for(admin_user, tl.PASSWORD)


def _typo(share: str) -> str:
    words = share.split()
    words[7] = "academic" if words[7] != "academic" else "acid"
    return " ".join(words)


def test_bad_shares_get_precise_translated_errors_and_lose_nothing(shared_vault, admin_user, tl):
    recovery, key = shared_vault
    s = recovery.shares
    other_split, _id = crypto.split_recovery_key(crypto.new_recovery_key()[0], threshold=3, count=5)
    cases = [
        ([s[0], _typo(s[1]), s[2]], "Share 2 has a typo"),
        ([s[0], s[1], s[0]], "Share 3 is the same share as share 1"),
        ([s[0], other_split[1], s[2]], "Share 2 belongs to another set of shares"),
        ([s[0], "", s[3]], "Too few shares: this tip line needs 3 shares; you entered 2."),
        (["not a share at all", s[1], s[2]], "Share 1 has a typo"),
    ]
    for shares, message in cases:
        with pytest.raises(ValidationError) as caught:
            vault.recover(shares=shares, user=admin_user, password=tl.PASSWORD)
        assert message in caught.value.messages[0]
    # A single key is refused with a pointer to the shares; the wrap is untouched.
    with pytest.raises(ValidationError, match="split into shares: enter 3 of them"):
        vault.recover(recovery_key="AAAA-BBBB", user=admin_user, password=tl.PASSWORD)
    assert vault._unwrap_for(admin_user, tl.PASSWORD) == key
    refused = AuditEvent.objects.filter(action="tipline.recover_refused")
    assert refused.count() == len(cases) + 1
    assert {e.data["reason"] for e in refused} >= {"unreadable", "duplicate", "other_split", "too_few"}


def test_any_three_shares_give_access_back_and_the_use_is_audited(shared_vault, admin_user, make_user, tl):
    from testigo.core import roles

    recovery, key = shared_vault
    maria = make_user(roles.ADMIN, username="maria", password="a brand new password")
    vault.recover(shares=[recovery.shares[4], recovery.shares[1], recovery.shares[2]], user=maria,
                  password="a brand new password")
    assert vault._unwrap_for(maria, "a brand new password") == key
    event = AuditEvent.objects.get(action="tipline.recover")
    assert event.actor == maria and event.data == {"with": "shares"}
    for share in recovery.shares:
        assert share.split()[3] not in str(event.data)


def test_shares_from_before_a_rotation_are_named_as_another_split(shared_vault, admin_user, tl):
    recovery, key = shared_vault
    rotation = vault.start_rotation(actor=admin_user, org_private=key, password=tl.PASSWORD, threshold=2, count=3)
    vault.continue_rotation(actor=admin_user, org_private=rotation.org_private)
    with pytest.raises(ValidationError, match="Share 1 belongs to another set of shares"):
        vault.open_with_recovery_key(shares=recovery.shares[:3])
    assert vault.open_with_recovery_key(shares=rotation.recovery.shares[1:]) == rotation.org_private


def test_recovery_with_shares_through_the_console(client, shared_vault, admin_user, tl):
    recovery, key = shared_vault
    StaffKeyWrap.objects.all().delete()  # every password forgotten: nobody holds a copy
    tl.staff_client(client, admin_user)
    page = client.get("/console/tips/recover/")
    assert page.status_code == 200 and b'name="share_3"' in page.content and b'name="share_4"' not in page.content
    wrong = client.post("/console/tips/recover/", {"password": tl.PASSWORD, "share_1": recovery.shares[0],
                                                   "share_2": _typo(recovery.shares[3]), "share_3": recovery.shares[2]})
    assert wrong.status_code == 400 and b"Share 2 has a typo" in wrong.content
    assert not StaffKeyWrap.objects.exists()
    response = client.post("/console/tips/recover/", {"password": tl.PASSWORD, "share_1": recovery.shares[0],
                                                      "share_2": recovery.shares[3], "share_3": recovery.shares[2]})
    assert response.status_code == 302 and vault._unwrap_for(admin_user, tl.PASSWORD) == key
    assert client.get("/console/tips/").status_code == 200  # unlocked


def test_setup_with_shares_from_the_console_and_the_command(client, admin_user, capsys, tl):
    client.force_login(admin_user)
    bad = client.post("/console/tips/setup/", {"password": tl.PASSWORD, "recovery": "shares", "threshold": "3",
                                               "count": "11"})
    assert bad.status_code == 200 and not VaultKey.objects.exists()
    response = client.post("/console/tips/setup/", {"password": tl.PASSWORD, "recovery": "shares",
                                                    "threshold": "2", "count": "4"})
    html = response.content.decode()
    assert 'id="recovery-share-4"' in html and 'id="recovery-key"' not in html
    shares = [html.split(f'id="recovery-share-{n}">')[1].split("<")[0] for n in (1, 2, 3, 4)]
    current = VaultKey.objects.get()
    assert (current.recovery_threshold, current.recovery_shares) == (2, 4)
    assert vault.open_with_recovery_key(shares=[shares[3], shares[0]]) == vault._unwrap_for(admin_user, tl.PASSWORD)
    # The command recovers with shares given on the command line.
    StaffKeyWrap.objects.all().delete()
    call_command("tipline", "recover", "--username", admin_user.username, "--password", tl.PASSWORD,
                 "--share", shares[1], "--share", shares[2])
    assert "has tip-line access again" in capsys.readouterr().out
    call_command("tipline", "status")
    assert "Recovery: 2 of 4 shares" in capsys.readouterr().out


def test_init_command_prints_shares(admin_user, capsys, tl):
    call_command("tipline", "init", "--username", admin_user.username, "--password", tl.PASSWORD,
                 "--shares", "3", "--threshold", "2")
    out = capsys.readouterr().out
    shares = [line.strip() for line in out.splitlines() if len(line.split()) == 33]
    assert len(shares) == 3 and "any 2 of these 3" in out
    assert vault.open_with_recovery_key(shares=shares[1:]) == vault._unwrap_for(admin_user, tl.PASSWORD)
