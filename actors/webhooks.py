"""Webhooks (reference §3.9): a run's webhook URL is checked when the run is created, and
once the run's outcome is final it is POSTed there in the background.

A delivery never touches its run: it starts after the outcome is persisted, runs as a task
of its own, and its failures are only logged (without header values, and with the URL cut
to scheme, host and path). Attempts are bounded: connection errors, timeouts, 5xx and 429
are retried with exponential backoff, any other answer ends the delivery. Every address
the request may reach is checked against the policy, at creation and again when sending,
through the connector's resolver, so a name that re-resolves to an internal address (DNS
rebinding) is refused as well; redirects are not followed. The HTTP client itself is the
server's (a `protocol.webhooks.Poster`); this module decides what to send, when, and how
often to try.

Deliveries live in this process only: they are not persisted across restarts, and the
ones still pending when the server stops are cancelled after a short grace.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from threadloom.protocol import clock
from threadloom.protocol.errors import Unprocessable
from threadloom.protocol.serde import dumps
from threadloom.protocol.webhooks import IpAddress, Poster, RunEnded, Target, UrlPolicy, parse_target, redacted, refusal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """How hard a webhook is tried."""

    attempts: int = 3
    backoff_seconds: float = 1.0  # before the first retry, doubling before each next one
    timeout_seconds: float = 10.0  # per attempt
    resolve_timeout_seconds: float = 5.0  # for the check at run creation
    grace_seconds: float = 5.0  # at shutdown, before pending deliveries are cancelled


class Webhooks:
    """The runtime's webhooks. `headers` are sent as given (their templates already filled
    in); `allowed_fields`, when given, is all a payload holds. Disabled, URLs are neither
    checked nor called."""

    def __init__(
        self,
        policy: UrlPolicy,
        poster: Poster,
        *,
        headers: Mapping[str, str] | None = None,
        allowed_fields: Collection[str] | None = None,
        enabled: bool = True,
        delivery: Delivery = Delivery(),
    ) -> None:
        self.policy = policy
        self.allowed_fields = None if allowed_fields is None else frozenset(allowed_fields)
        self.enabled = enabled
        self.delivery = delivery
        self._poster = poster
        self._headers = {**(headers or {}), "Content-Type": "application/json"}
        self._tasks: set[asyncio.Task[None]] = set()

    async def check(self, url: str | None) -> None:
        """Refuse (422) a URL the policy does not allow, or whose host does not resolve, or
        resolves to any address the policy refuses."""
        if url is None or not self.enabled:
            return
        target = parse_target(url, self.policy)
        for address in await self._addresses(target):
            if (reason := refusal(address, self.policy)) is not None:
                raise Unprocessable(f"Webhook host blocked: {reason}")

    async def _addresses(self, target: Target) -> list[IpAddress]:
        if target.address is not None:
            return [target.address]
        lookup = asyncio.get_running_loop().getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        try:
            found = await asyncio.wait_for(lookup, self.delivery.resolve_timeout_seconds)
        except (OSError, UnicodeError, TimeoutError):
            raise Unprocessable("Webhook host blocked: DNS resolution failed") from None
        return [ipaddress.ip_address(sockaddr[0]) for *_, sockaddr in found]

    def notify(self, ended: RunEnded) -> None:
        """POST how a run ended to its webhook, if it has one, in the background."""
        url = ended.run.kwargs.webhook
        if url is None or not self.enabled:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(url, ended), name=f"webhook {ended.run.run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Give pending deliveries a short grace, then cancel them."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.delivery.grace_seconds)
        if pending := list(self._tasks):
            log.warning("server stopping: %d webhook deliveries cancelled", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._poster.close()

    # delivery ------------------------------------------------------------------------------

    async def _deliver(self, url: str, ended: RunEnded) -> None:
        run_id, where = ended.run.run_id, redacted(url)
        try:
            await self.check(url)  # the policy, or what the host resolves to, may have changed
        except Unprocessable as exc:
            log.warning("webhook of run %s to %s not sent: %s", run_id, where, exc.detail)
            return
        for attempt in range(1, self.delivery.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self.delivery.backoff_seconds * 2 ** (attempt - 2))
            try:
                failure = await self._attempt(url, ended)
            except Exception as exc:  # never a traceback: it could quote the URL's query
                failure = (type(exc).__name__, False)
            if failure is None:
                log.debug("webhook of run %s delivered to %s (attempt %d)", run_id, where, attempt)
                return
            problem, retryable = failure
            if not retryable or attempt == self.delivery.attempts:
                log.warning("webhook of run %s to %s failed (attempt %d): %s", run_id, where, attempt, problem)
                return

    async def _attempt(self, url: str, ended: RunEnded) -> tuple[str, bool] | None:
        """None once delivered; otherwise what went wrong, and whether to try again."""
        body = dumps(ended.payload(clock.now(), self.allowed_fields))
        return await self._poster.post(url, body, self._headers, self.delivery.timeout_seconds)
