"""Where the server may connect for a channel: gateway addresses an admin types are not a way in.

A channel's settings can name a server Testigo connects to (Kannel's sendsms URL, a FrontlineSMS
web service, an SMPP host, IMAP/SMTP servers). Without a check, an admin account — or whoever took
it over — could make the worker fetch addresses on the server itself or its private network (an
admin page, a cloud metadata service) and read the answer in the console. So, unless the operator
sets TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 (a Kannel on the same machine, a LAN mail server):

- URLs must be http or https (always, whatever the operator setting);
- the host must resolve only to public addresses: checked when the channel is saved, and again
  at the moment of connecting, on the address actually connected to (a name may resolve
  differently later: DNS rebinding);
- an admin-set URL's answer is never quoted back in an error shown to staff.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

URL_SCHEMES = {"http", "https"}


class BlockedAddress(OSError):
    """The destination is on this machine or a private network and the operator did not allow it."""


def is_public(address: str) -> bool:
    """Whether an IP address is reachable on the public Internet (not loopback, private, link-local,
    reserved, multicast or an IPv4-mapped form of those)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for a TCP connection, refusing non-public addresses unless the operator allows them."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not settings.ALLOW_PRIVATE_GATEWAYS:
        blocked = [info[4][0] for info in found if not is_public(info[4][0])]
        if blocked:
            raise BlockedAddress(f"{host} is a private or local address ({blocked[0]}); "
                                 "set TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 to allow it")
    return found


def check_host(host: str, port: int) -> None:
    """Before connecting to an admin-set host (SMPP, IMAP, SMTP): refuse private destinations."""
    resolve(host, port)


def connect(address: tuple[str, int], timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection, but only to the checked addresses: the check and the connection
    use the same resolution, so a name cannot switch to a private address in between."""
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"could not connect to {host}")


def _guarded(connection_class):
    def make(host, **kwargs):
        conn = connection_class(host, **kwargs)
        conn._create_connection = connect  # http.client's own hook for opening the socket
        return conn
    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_guarded(http.client.HTTPConnection), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_guarded(http.client.HTTPSConnection), req, context=self._context)


def opener(redirects: urllib.request.HTTPRedirectHandler | None = None) -> urllib.request.OpenerDirector:
    """An opener for admin-set URLs: http(s) only (redirects included), no proxy from the
    environment, every connection through `connect`. `redirects`: the handler that follows
    redirects (the only one: a second one added later would never be asked)."""
    director = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler({}), urllib.request.UnknownHandler(),
                    urllib.request.HTTPDefaultErrorHandler(), redirects or urllib.request.HTTPRedirectHandler(),
                    urllib.request.HTTPErrorProcessor(), _HTTPHandler(), _HTTPSHandler()):
        director.add_handler(handler)
    return director


def blocked(exc: BaseException) -> bool:
    """Whether a urllib error was our refusal of a private destination."""
    return isinstance(exc, BlockedAddress) or isinstance(getattr(exc, "reason", None), BlockedAddress)


def validate(*, kind: str, value: str, label: str) -> None:
    """At save time: a URL field must be http(s) with a host; a URL or host field must not resolve to
    a private or local address (unless allowed). A name that does not resolve now is accepted: the
    check runs again at every connection."""
    host, port = value, 0
    if kind == "url":
        parts = urlsplit(value)
        if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
            raise ValidationError(_("%(field)s must be an http:// or https:// address.") % {"field": label})
        try:
            host, port = parts.hostname, parts.port or 0
        except ValueError as exc:
            raise ValidationError(_("%(field)s has an invalid port.") % {"field": label}) from exc
    try:
        resolve(host, port)
    except BlockedAddress as exc:
        raise ValidationError(
            _("%(field)s points to this server or a private network, which is not allowed. The server's "
              "operator can allow it with TESTIGO_ALLOW_PRIVATE_GATEWAYS=1 (e.g. for Kannel on the same "
              "machine).") % {"field": label}) from exc
    except (OSError, UnicodeError):
        return  # does not resolve now (offline set-up, typo): checked again when connecting
