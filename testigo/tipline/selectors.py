"""Reads with rules: who may see tips, and decryption in memory for the one request that needs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from testigo.tipline import crypto, filemeta, storage, vault
from testigo.tipline.models import Tip, TipFile


@dataclass
class OpenFile:
    id: int
    name: str
    kind: str
    size: int | None  # None: a legacy file whose size only staff can open
    sha256: str
    has_original: bool


@dataclass
class OpenMessage:
    direction: str
    body: str
    created: datetime
    files: list[OpenFile] = field(default_factory=list)


def tips_for(user) -> QuerySet[Tip]:
    """The tip list (labels and dates only: listing needs no key)."""
    vault.require_key_holder(user)
    return Tip.objects.select_related("source").order_by("-source__last_activity", "-id")


def tip_for(user, tip_id: int) -> Tip:
    vault.require_key_holder(user)
    tip = Tip.objects.select_related("source").filter(pk=tip_id).first()
    if tip is None:
        raise Http404
    return tip


def _open_file(item: TipFile, box_key: bytes, org_private: bytes | None) -> OpenFile:
    meta = filemeta.open_meta(item, box_key=box_key, org_private=org_private)
    return OpenFile(id=item.pk, name=filemeta.open_name(box_key, item), kind=item.kind,
                    size=meta.size if meta else None, sha256=meta.sha256 if meta else "",
                    has_original=bool(item.original_path))


def _open(box_key: bytes, tip: Tip, org_private: bytes | None = None) -> list[OpenMessage]:
    messages = []
    for message in tip.messages.prefetch_related("files"):
        files = [_open_file(f, box_key, org_private) for f in message.files.all()]
        messages.append(OpenMessage(direction=message.direction, created=message.created, files=files,
                                    body=crypto.unwrap(box_key, bytes(message.body)).decode()))
    return messages


def conversation_for_staff(user, *, org_private: bytes, tip: Tip) -> list[OpenMessage]:
    vault.require_key_holder(user)
    return _open(vault.open_for_org(org_private, bytes(tip.key_for_org)), tip, org_private)


def conversation_for_source(access) -> list[OpenMessage]:
    tip = Tip.objects.get(source_id=access.source_id)
    return _open(crypto.open_sealed(access.reading_seed, bytes(tip.key_for_source)), tip)


def file_for_staff(user, *, org_private: bytes, file_id: int, original: bool) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of a file, decrypted in memory. Non-images are always the
    original; images are the metadata-free copy unless the sealed original is asked for."""
    vault.require_key_holder(user)
    item = TipFile.objects.select_related("message__tip").filter(pk=file_id).first()
    if item is None:
        raise Http404
    box_key = vault.open_for_org(org_private, bytes(item.message.tip.key_for_org))
    name = filemeta.open_name(box_key, item)
    path = item.original_path if (original or item.kind == TipFile.Kind.OTHER) else item.view_path
    if not path:
        raise Http404
    content_type = item.content_type if item.kind == TipFile.Kind.IMAGE and not original else "application/octet-stream"
    return name, content_type, filemeta.open_content(box_key, item, storage.read(path))


def image_choices(user, *, org_private: bytes, tip: Tip) -> list[OpenFile]:
    return [f for m in conversation_for_staff(user, org_private=org_private, tip=tip) for f in m.files
            if f.kind == TipFile.Kind.IMAGE]
