"""The runtime's webhooks, as langgraph.json's `webhooks` and `http.disable_webhooks` set
them up (secure defaults without a `webhooks` section), and the HTTP client that sends
them: every address it connects to is checked against the policy by its resolver, so a
name that re-resolves to an internal address (DNS rebinding) is refused; redirects are
not followed, cookies not kept."""

from __future__ import annotations

import importlib.metadata
import ipaddress
import os
import socket
from collections.abc import Mapping

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from threadloom.actors.webhooks import Delivery, Webhooks
from threadloom.protocol.webhooks import UrlPolicy, refusal

from .project import Project
from .sections import WebhooksSection


def webhooks_for(project: Project, *, backoff_seconds: float) -> Webhooks:
    """Raises `ConfigError` if a header names an environment variable that is not set
    (unless webhooks are disabled: then nothing is sent, and nothing needs it)."""
    section = project.webhooks or WebhooksSection()
    enabled = not project.http.disable_webhooks
    return Webhooks(
        section.url,
        HttpPoster(section.url),
        headers=section.resolved_headers(os.environ) if enabled else None,
        allowed_fields=section.allowed_fields,
        enabled=enabled,
        delivery=Delivery(backoff_seconds=backoff_seconds),
    )


def _user_agent() -> str:
    try:
        return f"threadloom/{importlib.metadata.version('threadloom')} (webhooks)"
    except importlib.metadata.PackageNotFoundError:
        return "threadloom (webhooks)"


class HttpPoster:
    """Implements `protocol.webhooks.Poster` with aiohttp."""

    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[str, bool] | None:
        try:
            async with self._client().post(
                url, data=body, headers={"User-Agent": _user_agent(), **headers},
                timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False,
            ) as response:
                status = response.status
        except TimeoutError:
            return f"no answer within {timeout:g}s", True
        except aiohttp.ClientConnectorError as exc:
            cause = getattr(exc, "os_error", None)  # not every subclass has one
            if isinstance(cause, BlockedAddress):
                return str(cause), False
            return f"could not connect ({getattr(cause, 'strerror', None) or type(exc).__name__})", True
        except aiohttp.ClientError as exc:
            return type(exc).__name__, True
        if 200 <= status < 300:
            return None
        return f"HTTP {status}", status >= 500 or status == 429

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=GuardedResolver(self._policy)),
                cookie_jar=aiohttp.DummyCookieJar(),  # one receiver's cookies are not another's business
            )
        return self._session


class BlockedAddress(OSError):
    """A webhook host resolved, when connecting, to an address the policy refuses."""


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host any of whose addresses the policy refuses: the
    address checked is the address connected to. (Literal addresses skip resolvers; they
    are checked before sending.)"""

    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy
        self._resolver = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        for entry in found:
            if (reason := refusal(ipaddress.ip_address(entry["host"]), self._policy)) is not None:
                raise BlockedAddress(f"webhook host {host} resolves to {entry['host']}, in a refused {reason}")
        return found

    async def close(self) -> None:
        await self._resolver.close()
