"""Several `python -m server` processes on one PostgreSQL database (issue 13), with short
leases so that takeovers happen within a test: heartbeat 0.2 s, TTL 1.5 s, grace 0.5 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client

from pgtest import rows
from serverproc import GRAPHS, ServerProcess

LEASES = {
    "THREADLOOM_HEARTBEAT_SECONDS": "0.2",
    "THREADLOOM_LEASE_TTL_SECONDS": "1.5",
    "THREADLOOM_LEASE_GRACE_SECONDS": "0.5",
    "THREADLOOM_SHUTDOWN_GRACE": "0",
}


class Cluster:
    def __init__(self, db: str, size: int, config: Path = GRAPHS) -> None:
        self.db = db
        self.servers = [ServerProcess(db, config=config, env=LEASES) for _ in range(size)]  # type: ignore[arg-type]
        self.clients: list[Any] = []

    async def start(self) -> Cluster:
        for server in self.servers:  # one at a time: each migrates under the lock, then serves
            self.clients.append(get_client(url=await server.start(), api_key=None))
        return self

    async def close(self) -> None:
        for client in self.clients:
            await client.http.client.aclose()
        for server in self.servers:
            if server.proc is not None and server.proc.returncode is None:
                await server.kill()

    def owner_url(self, thread_id: str) -> str | None:
        found = rows(self.db, "SELECT p.url FROM thread_leases l JOIN processes p USING (process_id) "
                     "WHERE l.thread_id = ? AND p.expires_at > now()", (thread_id,))
        return str(found[0][0]) if found else None

    def index_of(self, url: str | None) -> int:
        return [s.url for s in self.servers].index(url or "")

    def epoch(self, thread_id: str) -> int:
        found = rows(self.db, "SELECT epoch FROM thread_leases WHERE thread_id = ?", (thread_id,))
        return int(found[0][0]) if found else 0  # type: ignore[call-overload]


async def until(condition: Callable[[], Awaitable[bool] | bool], timeout: float = 30.0, what: str = "") -> float:
    """Wait for `condition` (polled every 20 ms), at most `timeout` seconds; returns the wait."""
    start = time.monotonic()
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.02)
