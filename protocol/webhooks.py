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
from .errors import Unprocessable
from .resources import Run

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RUN_FIELDS = ("run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata", "kwargs", "multitask_strategy")
PAYLOAD_FIELDS = frozenset({*RUN_FIELDS, "status", "run_started_at", "run_ended_at", "webhook_sent_at", "values", "error"})

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


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
    (a 422) saying why not otherwise."""
    if len(url) > policy.max_url_length:
        raise Unprocessable(f"Webhook URL is too long: at most {policy.max_url_length} characters")
    parts = _split(url)
    if parts.scheme == "http" and policy.require_https:
        raise Unprocessable("Webhook URL must use https (plain http is refused by webhooks.url.require_https)")
    host = (parts.hostname or "").rstrip(".").lower()
    if policy.allowed_domains and not any(host_matches(host, domain) for domain in policy.allowed_domains):
        raise Unprocessable(f"Webhook host {host!r} is not in webhooks.url.allowed_domains")
    port = _port(parts)
    if policy.allowed_ports and port not in policy.allowed_ports:
        raise Unprocessable(f"Webhook port {port} is not in webhooks.url.allowed_ports")
    if policy.disable_loopback and (host == "localhost" or host.endswith(".localhost")):
        raise Unprocessable("Webhook host blocked: localhost address (loopback webhooks are disabled)")
    try:
        address: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    return Target(host, port, address)


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("Webhook URL must be an absolute http:// or https:// URL")
    return parts


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        raise Unprocessable("Webhook URL has an invalid port") from None
    return port if port is not None else 443 if parts.scheme == "https" else 80


def host_matches(host: str, domain: str) -> bool:
    """`host` is `domain`, or a subdomain of `*.domain`."""
    domain = domain.lower()
    if domain.startswith("*."):
        return host.endswith(domain[1:])
    return host == domain


def refusal(address: IpAddress, policy: UrlPolicy) -> str | None:
    """Why the policy refuses to send to `address` (None if it does not)."""
    address = _as_ipv4(address)
    if address.is_loopback or address.is_unspecified:  # connecting to 0.0.0.0 reaches this host
        return "a loopback address (loopback webhooks are disabled)" if policy.disable_loopback else None
    # not `is_global`: private, link-local, unique-local, carrier-grade NAT, documentation…
    internal = (
        not address.is_global or address.is_multicast or address.is_reserved
        or getattr(address, "is_site_local", False)
    )
    if internal and policy.disable_private_ips:
        return "a private, link-local or reserved address (webhooks to private networks are disabled)"
    return None


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
