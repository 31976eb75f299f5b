"""Webhooks (reference §3.9), the pure parts: which URLs and addresses a webhook may
target, and the JSON body POSTed when a run ends. When and how often to send is in
`actors/webhooks.py`; the HTTP client in `server/webhooks.py`."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

import msgspec

from . import clock
from .errors import BadRequest, Unprocessable
from .resources import Run

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RUN_FIELDS = ("run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata", "kwargs", "multitask_strategy")
PAYLOAD_FIELDS = frozenset({*RUN_FIELDS, "status", "run_started_at", "run_ended_at", "webhook_sent_at", "values", "error"})

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# what the official server calls its `private IP range`: RFC 1918, carrier-grade NAT, unique-local
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


class UrlPolicy(Protocol):
    """What `webhooks.url` in langgraph.json allows (the server's `WebhookUrlPolicy`)."""

    require_https: bool
    allowed_domains: list[str]  # "hooks.example.com" or "*.example.com"; empty: any
    allowed_ports: list[int]  # empty: any
    max_url_length: int
    disable_loopback: bool
    disable_private_ips: bool


class Poster(Protocol):
    """Sends a webhook's POST (the server's HTTP client)."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[str, bool] | None:
        """None once a 2xx answered; otherwise what went wrong, and whether trying again
        may help (connection errors, timeouts, 5xx and 429 may)."""

    async def close(self) -> None: ...


class Target(msgspec.Struct, frozen=True):
    """Where a webhook goes: its host (a name or a literal address) and port."""

    host: str
    port: int
    address: IpAddress | None  # the host, when it is a literal address


def parse_target(url: str, policy: UrlPolicy) -> Target:
    """The URL's target if the policy allows it before resolving the host; `Unprocessable`
    (a 422) saying why not otherwise, in the official server's words. Its checks come in
    its order, but the host before the scheme: a URL without one (`not a url`) is named
    for that, as there by default, rather than for `webhooks.url.require_https`, which
    is on here by default."""
    if len(url) > policy.max_url_length:
        raise Unprocessable("Webhook URL too long")
    parts = _split(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Unprocessable(f"Invalid webhook hostname {host!r}")
    if parts.scheme not in ("http", "https"):
        raise Unprocessable(f"Webhook host blocked: scheme {parts.scheme!r} not allowed")
    if parts.scheme == "http" and policy.require_https:
        raise Unprocessable("Webhook must use https")
    if policy.allowed_domains and not any(host_matches(host, domain) for domain in policy.allowed_domains):
        raise Unprocessable("Webhook domain not allowed")
    port = _port(parts)
    if policy.allowed_ports and port not in policy.allowed_ports:
        raise Unprocessable(f"Webhook port {port} not allowed")
    if policy.disable_loopback and (host == "localhost" or host.endswith(".localhost")):
        raise Unprocessable("Webhook host blocked: localhost address")
    try:
        address: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    return Target(host, port, address)


def _split(url: str) -> SplitResult:
    """The URL's parts. A relative URL (which the official server posts to itself, when
    its loopback webhooks are enabled) is refused: webhooks leave this server."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed `[` in the host
        parts = None
    if parts is None or url.startswith("/"):
        raise Unprocessable("Webhook URL must be an absolute http:// or https:// URL")
    return parts


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:  # out of range, not a number: Python's text, a 400 as there
        raise BadRequest(str(exc)) from None
    return port if port is not None else 443 if parts.scheme == "https" else 80


def host_matches(host: str, domain: str) -> bool:
    """`host` is `domain`, or a subdomain of `*.domain`."""
    domain = domain.lower()
    if domain.startswith("*."):
        return host.endswith(domain[1:])
    return host == domain


def refusal(address: IpAddress, policy: UrlPolicy) -> str | None:
    """Which range of addresses the policy refuses `address` for, named as the official
    server names it (None if it does not refuse it)."""
    judged = _as_ipv4(address)
    if judged.is_loopback or judged.is_unspecified:  # connecting to 0.0.0.0 reaches this host
        refused = policy.disable_loopback
    else:  # not `is_global`: private, link-local, unique-local, carrier-grade NAT, documentation…
        internal = (
            not judged.is_global or judged.is_multicast or judged.is_reserved
            or getattr(judged, "is_site_local", False)
        )
        refused = internal and policy.disable_private_ips
    return _range_name(address) if refused else None


def _range_name(address: IpAddress) -> str:
    """The official server's name for a refused address's range, read off the address as
    written (an IPv4 address written as IPv6 is in its `blocked IP range`)."""
    if isinstance(address, ipaddress.IPv4Address) and address.is_loopback:
        return "loopback IP range"
    if any(address in network for network in _PRIVATE):
        return "private IP range"
    return "blocked IP range"


def _as_ipv4(address: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::a00:1`) is
    judged as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address


def redacted(url: str) -> str:
    """The URL without userinfo, query or fragment: safe to log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


class RunEnded(msgspec.Struct, frozen=True):
    """How a run ended, as its webhook reports it. `status` is a run status or `rollback`
    (the run was deleted); times are UTC."""

    run: Run
    status: str
    started_at: datetime | None  # None: cancelled before it started
    ended_at: datetime
    values: Any = None  # the thread's state once the run was over
    error: dict[str, Any] | None = None

    def payload(self, sent_at: datetime, fields: Collection[str] | None = None) -> dict[str, Any]:
        """The body POSTed to the run's webhook (only `fields`, when given)."""
        body: dict[str, Any] = {name: getattr(self.run, name) for name in RUN_FIELDS}
        body.update(
            status=self.status,
            run_started_at=None if self.started_at is None else clock.iso(self.started_at),
            run_ended_at=clock.iso(self.ended_at),
            webhook_sent_at=clock.iso(sent_at),
            values=self.values,
        )
        if self.error is not None:
            body["error"] = self.error
        return body if fields is None else {k: v for k, v in body.items() if k in fields}
