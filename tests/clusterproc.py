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
        # together: the database is migrated already (and a migration takes a lock)
        urls = await asyncio.gather(*(server.start() for server in self.servers))
        self.clients.extend(get_client(url=url, api_key=None) for url in urls)
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


def check_thread_history(db: str, thread_id: str, run_ids: list[str]) -> None:
    """Invariants read from the database after the fact, from the thread's checkpoints
    (each stamped with the run that wrote it):

    - one line of checkpoints, no fork: no checkpoint has two children, as two runs of
      the thread running at once (or a stale owner writing after a takeover) would leave;
    - along it, each run's checkpoints in one block (no two runs interleaved: never two
      running at once), the blocks in the order the runs were made (FIFO);
    - each run's input applied exactly once (one `input` checkpoint per run), a run
      resumed after a crash going on from its last checkpoint rather than starting over."""
    found = rows(db, "SELECT checkpoint_id, parent_checkpoint_id, metadata->>'run_id', metadata->>'source' "
                 "FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''", (thread_id,))
    children: dict[object, list[object]] = {}
    for checkpoint_id, parent, _, _ in found:
        children.setdefault(parent, []).append(checkpoint_id)
    assert all(len(kids) == 1 for kids in children.values()), f"a fork in the checkpoints of {thread_id}"
    by_id = {checkpoint_id: (run_id, source) for checkpoint_id, _, run_id, source in found}
    line, at = [], children.get(None, [None])[0]
    while at is not None:
        line.append(by_id[at])
        at = (children.get(at) or [None])[0]
    assert len(line) == len(found)
    blocks = [run_id for i, (run_id, _) in enumerate(line) if i == 0 or line[i - 1][0] != run_id]
    assert blocks == run_ids, "runs interleaved, or out of the order they were made"
    inputs = [run_id for run_id, source in line if source == "input"]
    assert inputs == run_ids, "an input applied twice, or not at all"
