"""The registry of channel types. Adding a gateway: write a module here and list it below."""

from __future__ import annotations

from importlib import import_module

from testigo.channels.types.base import ChannelType

MODULES = ["smssync", "twilio", "telegram", "whatsapp", "kannel", "frontlinesms", "vonage", "africastalking",
           "email", "smpp", "httpsms", "smsgate", "generic_http"]

_registry: dict[str, ChannelType] = {}


def all_types() -> dict[str, ChannelType]:
    if not _registry:
        for name in MODULES:
            module = import_module(f"testigo.channels.types.{name}")
            _registry[module.TYPE.code] = module.TYPE
    return _registry


def get(code: str) -> ChannelType | None:
    return all_types().get(code)
