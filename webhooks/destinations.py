"""Where a webhook may be sent: public http(s) addresses only (the SSRF guard, docs/webhooks.md).

A tenant's API key or staff member chooses the URL and the server makes the request, so an
unchecked URL would let them make the server POST to its own network: a database's HTTP port,
a cloud metadata service (169.254.169.254), an admin listening on loopback. Refused, at
registration (API and admin, `url_errors`) and again before every delivery (`destination_vet`,
because DNS answers can change after registration):

- schemes other than http and https, and credentials in the URL (`user:pass@`);
- host names `localhost` and `*.localhost`;
- hosts that are, or resolve to, a loopback, private, link-local, multicast, reserved,
  unspecified or otherwise non-global address, IPv4 or IPv6, including IPv4 addresses
  embedded in IPv6 (`::ffff:127.0.0.1`, 6to4, Teredo, NAT64) and the numeric IPv4
  spellings the C resolver accepts (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`).

A name that resolves to several addresses is refused when any of them is refused. At delivery,
the connection goes to an address vetted here, never to a second lookup of the name (which a
rebinding DNS server could answer differently). `PREFCENTER_WEBHOOK_ALLOW_PRIVATE` (default off)
lifts the address and `localhost` rules, for a receiver on the same host or network (tests, a
private deployment); schemes and credentials are refused whatever it says.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NUMERIC_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")

# getaddrinfo, named here so tests can stand in for DNS (which is outside our control).
getaddrinfo = socket.getaddrinfo


class DestinationRefused(Exception):
    """The URL may not receive webhooks; the message says why, for the API, the admin and `last_error`."""


@dataclass(frozen=True)
class Destination:
    """A URL taken apart, with the addresses its host had when vetted (to connect to, in order)."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]


def private_allowed() -> bool:
    return bool(getattr(settings, "PREFCENTER_WEBHOOK_ALLOW_PRIVATE", False))


def address_refusal(address: IPAddress) -> str | None:
    """Why this address may not receive webhooks (None when it is a public one)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(embedded)
            if reason:
                return f"{reason} (embedded {embedded})"
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved", "site_local"):
        if getattr(address, f"is_{kind}", False):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:
        return "not a public address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself: an IP literal, or a numeric IPv4 spelling the resolver would accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if NUMERIC_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _parts(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, target) of an acceptable URL, or DestinationRefused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"Not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise DestinationRefused("Only http and https URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise DestinationRefused("Credentials in the URL (user:password@) are not allowed.")
    host = (parts.hostname or "").rstrip(".")
    if not host or "%" in host:
        raise DestinationRefused("The URL needs a host name.")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise DestinationRefused("The host name is not valid.") from exc
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, host, port or SCHEMES[scheme], target


def _host_refusal(host: str) -> str | None:
    if private_allowed():
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    address = literal_address(host)
    if address is not None:
        reason = address_refusal(address)
        if reason:
            return f"{host} is {reason}"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal is its own); socket.gaierror when it does not."""
    address = literal_address(host)
    if address is not None:
        return [address]
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in getaddrinfo(host, port, type=socket.SOCK_STREAM):
        resolved = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if resolved not in found:
            found.append(resolved)
    return found


def _resolved_refusal(host: str, addresses: list[IPAddress]) -> str | None:
    if private_allowed():
        return None
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            return f"{host} resolves to {address}, {reason}"
    return None


REFUSAL_SUFFIX = "; webhooks are sent to public addresses only."


def url_errors(url: str) -> list[str]:
    """Why a URL cannot be registered as an endpoint (empty when it can): the registration check.

    A host that does not resolve now is accepted (its DNS may be set up later); the check before
    every delivery refuses it then if it resolves to a refused address.
    """
    try:
        _scheme, host, port, _target = _parts(url)
    except DestinationRefused as exc:
        return [str(exc)]
    reason = _host_refusal(host)
    if reason is None:
        try:
            reason = _resolved_refusal(host, _resolve(host, port))
        except (OSError, UnicodeError):
            reason = None
    return [f"Refused: {reason}{REFUSAL_SUFFIX}"] if reason else []


def destination_vet(url: str) -> Destination:
    """The delivery-time check: resolve the host now and answer the addresses to connect to.

    Raises DestinationRefused for a URL or an address the rules refuse, and OSError
    (socket.gaierror) when the name does not resolve: a transient failure, retried.
    """
    scheme, host, port, target = _parts(url)
    reason = _host_refusal(host)
    if reason is None:
        addresses = _resolve(host, port)
        if not addresses:
            raise socket.gaierror(f"{host} has no address")
        reason = _resolved_refusal(host, addresses)
    if reason:
        raise DestinationRefused(f"Refused: {reason}{REFUSAL_SUFFIX}")
    return Destination(scheme=scheme, host=host, port=port, target=target, addresses=tuple(map(str, addresses)))
