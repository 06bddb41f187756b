"""Promise 1, for data written before it was kept: upgrading seals the plaintext file hash and
size that older versions stored, and rounds the stored times down to the hour."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from nacl.public import PrivateKey

from testigo.tipline import crypto, selectors, storage
from testigo.tipline.models import Tip, TipFile

BEFORE = [("tipline", "0001_initial")]
AFTER = [("tipline", "0002_tipfile_sealed_metadata_coarse_times")]
OLD_FILE = b"an old ledger " * 700  # 9,800 bytes
OLD_TIME = datetime(2030, 2, 3, 4, 56, 7, tzinfo=UTC)


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _legacy_tip(old_apps, public_key: bytes) -> None:
    """A conversation with one file as version 0001 stored it: hash and size in clear."""
    Source, Tip0, TipMessage, TipFile0 = (old_apps.get_model("tipline", name)
                                          for name in ("Source", "Tip", "TipMessage", "TipFile"))
    box_key = crypto.random_key()
    source = Source.objects.create(codename_hash="ab" * 32, last_activity=OLD_TIME,
                                   public_key=bytes(PrivateKey.generate().public_key))
    tip = Tip0.objects.create(source=source, label="old tip", key_for_org=crypto.seal_to(public_key, box_key),
                              key_for_source=crypto.seal_to(bytes(source.public_key), box_key))
    message = TipMessage.objects.create(tip=tip, direction="in", body=crypto.wrap(box_key, b"old message"))
    TipFile0.objects.create(message=message, kind="other", name=crypto.wrap(box_key, b"ledger.txt"),
                            original_path=storage.write(crypto.wrap(box_key, OLD_FILE)),
                            content_type="application/octet-stream",
                            sha256=hashlib.sha256(OLD_FILE).hexdigest(), size=len(OLD_FILE))
    for model in (Source, Tip0, TipMessage):  # auto_now_add in 0001: set the exact times afterwards
        model.objects.update(created=OLD_TIME)


@pytest.mark.django_db(transaction=True)
def test_upgrade_seals_plaintext_file_hash_and_size_and_coarsens_times(tip_admin, org_key, tl):
    try:
        old_apps = _migrate(BEFORE)
        # the historical model: today's VaultKey has columns 0001 did not have
        _legacy_tip(old_apps, bytes(old_apps.get_model("tipline", "VaultKey").objects.get().public_key))
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    digest = hashlib.sha256(OLD_FILE).hexdigest()
    assert tl.database_hits(digest) == []
    assert [(t, c) for t, c, v in tl.database_values() if v == len(OLD_FILE)] == []
    item = TipFile.objects.get()
    assert json.loads(crypto.open_sealed(org_key, bytes(item.meta))) == {"sha256": digest, "size": len(OLD_FILE)}
    tip = Tip.objects.get()
    opened = selectors.conversation_for_staff(tip_admin, org_private=org_key, tip=tip)[0]
    assert (opened.files[0].name, opened.files[0].size, opened.files[0].sha256) == ("ledger.txt", len(OLD_FILE), digest)
    assert selectors.file_for_staff(tip_admin, org_private=org_key, file_id=item.pk, original=True)[2] == OLD_FILE
    hour = OLD_TIME.replace(minute=0, second=0)
    assert (tip.created, tip.source.created, tip.source.last_activity, opened.created) == (hour,) * 4
