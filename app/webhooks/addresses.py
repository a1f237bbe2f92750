"""Where a webhook may point (SSRF): an https URL whose host resolves only to public
addresses. Loopback, private, link-local (the cloud metadata services among them), shared,
reserved and multicast addresses are refused, unless an address lies in one of the networks
the `WEBHOOK_ALLOWED_NETWORKS` setting names (a receiver on the same machine, in tests or on
an intranet); such a receiver may also use plain http.

The check runs when a subscription is registered or changed, and again before every delivery
(DNS can change in between); the delivery then connects to the address it checked, so the
name cannot resolve to another address between the check and the connection."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedUrl(Exception):
    """A URL a webhook may not use: `code` names the rule, the message says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call the host there."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str


def networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-listed networks of the setting (CIDR notation, or single addresses)."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _forbidden(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is false for loopback, private (RFC 1918, fc00::/7), link-local (169.254/16
    # with the metadata services, fe80::/10), shared (100.64/10), reserved and documentation
    # ranges; multicast is global in Python's sense but no receiver.
    return not address.is_global or address.is_multicast


def _allowed(address: IPAddress, allowed: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network for network in allowed)


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a URL a webhook could use at all."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedUrl("url", f"This is not a URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise RefusedUrl("https_required", "A webhook URL starts with https://.")
    if not parts.hostname:
        raise RefusedUrl("url", "A webhook URL names a host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl(
            "no_credentials",
            "A webhook URL holds no user name or password; the signature "
            "tells the receiver who calls.",
        )
    if parts.fragment:
        raise RefusedUrl("url", "A webhook URL has no fragment (#…).")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses a host name resolves to (an address literal: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError):
        raise RefusedUrl("unresolvable", f"The host {host} does not resolve.") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedUrl("unresolvable", f"The host {host} does not resolve.")
    return found


async def check(url: str, allowed: tuple[IPNetwork, ...]) -> Target:
    """The URL's target when a webhook may use it; `RefusedUrl` naming the rule when not.
    Every address the host resolves to must pass, so that no answer of the resolver can
    reach a forbidden one."""
    scheme, host, port, path = parse(url)
    if scheme != "https" and not allowed:
        raise RefusedUrl("https_required", "A webhook URL starts with https://.")
    addresses = await resolve(host, port)
    refused = [a for a in addresses if _forbidden(a) and not _allowed(a, allowed)]
    if refused:
        raise RefusedUrl(
            "forbidden_address",
            f"The host {host} resolves to {refused[0]}, a loopback, private, link-local or "
            "other non-public address; webhooks go to public addresses only (an operator can "
            "allow networks with WEBHOOK_ALLOWED_NETWORKS).",
        )
    if scheme != "https" and not all(_allowed(a, allowed) for a in addresses):
        raise RefusedUrl(
            "https_required",
            "A webhook URL starts with https:// (plain http only to a network allowed by "
            "WEBHOOK_ALLOWED_NETWORKS).",
        )
    return Target(url, scheme, host, port, str(addresses[0]), path)
