"""Which process supervises a thread when several share one PostgreSQL database (issue 13).

Two levels, as in Orleans: a `processes` row per process incarnation, renewed by a
heartbeat, and a `thread_leases` row per thread naming its owner and an `epoch`, +1 at
every acquisition, which fences the owner's writes (`fence.py`). A thread lease is valid
while its owner's process row is. Every time is the database's (`now()`), never this
machine's clock: a lease expires at `expires_at`, and another process takes the thread
over only once `expires_at + grace` has passed, so the old owner has seen its own lease
lapse first unless it was paused for longer than `grace` (and then its writes are fenced).

A process whose lease lapsed (a database outage, a pause) but whose threads nobody took
yet renews it and goes on. One whose renewal finds it `fenced` (another process took one
of its threads) stops at once (fail-stop, as an Orleans silo declared dead does): others
may already be running its threads. A process manager starts a new incarnation."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any


import psycopg

from .db import Database
from .fence import FENCE, Fence, LocalLease
from .heartbeat import Heartbeat
from .leasesettings import LeaseSettings

log = logging.getLogger("threadloom.cluster")

EXIT_LEASE_LOST = 70
# Leaving the cluster (and a supervisor giving its thread back) is bounded: a statement
# stuck behind a lock or a dead connection must not hold a shutdown up; a lease that was
# not released runs out on its own.
LEAVE_SECONDS = 5.0


# the owner's row is alive (its lease has not expired, grace included)
_OWNER_ALIVE = """EXISTS (SELECT 1 FROM processes p WHERE p.process_id = thread_leases.process_id
                          AND p.expires_at + make_interval(secs => %(grace)s) > now())"""

# Taking a thread from another process first marks that process `fenced`, in the same
# statement, updating its row: a renewal (which updates the same row, `NOT fenced`) and a
# takeover are serialised on it, so either the renewal comes first and the owner is alive
# again (no takeover), or the takeover does and the renewal finds the row fenced.
_ACQUIRE = """
WITH dead AS (
    UPDATE processes SET fenced = true
    WHERE process_id = (SELECT process_id FROM thread_leases WHERE thread_id = %(thread)s)
      AND process_id <> %(me)s AND expires_at + make_interval(secs => %(grace)s) < now()
    RETURNING process_id
)
INSERT INTO thread_leases AS thread_leases (thread_id, process_id, epoch, acquired_at)
SELECT %(thread)s, %(me)s, 1, now()
WHERE EXISTS (SELECT 1 FROM processes WHERE process_id = %(me)s AND expires_at > now() AND NOT fenced)
ON CONFLICT (thread_id) DO UPDATE
    SET process_id = EXCLUDED.process_id, epoch = thread_leases.epoch + 1, acquired_at = now()
    WHERE thread_leases.process_id IS NULL OR thread_leases.process_id = %(me)s
       OR thread_leases.process_id IN (SELECT process_id FROM dead)
       OR NOT EXISTS (SELECT 1 FROM processes p WHERE p.process_id = thread_leases.process_id)
RETURNING epoch
"""

# threads with unfinished runs and no live owner: to take over
_ORPHANS = f"""
SELECT DISTINCT r.thread_id FROM runs r
LEFT JOIN thread_leases ON thread_leases.thread_id = r.thread_id
WHERE r.status IN ('pending', 'running')
  AND (thread_leases.thread_id IS NULL OR thread_leases.process_id IS NULL OR NOT {_OWNER_ALIVE})
LIMIT %(limit)s
"""

# The clean-ups run in the oldest live process, under an advisory lock held for the sweep
# (two processes that both see themselves as the oldest while one's row expires never
# sweep at once). Before any process registered (a storage opened by a script), the one
# that asks does.
_JANITOR = """
SELECT pg_try_advisory_xact_lock(%(key)s)
WHERE %(me)s = (SELECT process_id FROM processes WHERE expires_at > now() AND NOT fenced
                ORDER BY started_at, process_id LIMIT 1)
   OR NOT EXISTS (SELECT 1 FROM processes WHERE expires_at > now() AND NOT fenced)
"""

# A supervisor gives back the lease it holds (its epoch: a newer supervisor of the thread
# in this process, started while this one stopped, holds a newer one, which stays). The
# lease of a thread that is gone is dropped rather than kept: each stateless run's thread
# would leave one behind. (A fence names its process too, so an epoch that starts again at
# 1 for a new thread of the same id never lets an old holder's write through.)
_RELEASE = """
WITH gone AS (
    DELETE FROM thread_leases
    WHERE thread_id = %(thread)s AND process_id = %(me)s AND epoch = coalesce(%(epoch)s, epoch)
      AND NOT EXISTS (SELECT 1 FROM threads WHERE thread_id = %(thread)s)
    RETURNING 1
)
UPDATE thread_leases SET process_id = NULL
WHERE thread_id = %(thread)s AND process_id = %(me)s AND epoch = coalesce(%(epoch)s, epoch)
  AND NOT EXISTS (SELECT 1 FROM gone)
"""

# At a process's start: the leases nobody holds (released, or their holder's row is gone,
# `register`) of threads that are gone, left by earlier versions or by crashes. One a live
# process holds stays, even for a thread not made yet: its supervisor is making it.
_DROP_GONE_LEASES = """
DELETE FROM thread_leases l
WHERE (l.process_id IS NULL OR NOT EXISTS (SELECT 1 FROM processes p WHERE p.process_id = l.process_id))
  AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.thread_id = l.thread_id)
"""

_OWNER_URL = """
SELECT p.url FROM thread_leases l JOIN processes p ON p.process_id = l.process_id
WHERE l.thread_id = %s AND l.process_id <> %s AND p.expires_at > now()
"""


class PostgresOwnership:
    """Implements `protocol.ownership.ThreadOwnership` for one process of a cluster.
    `register(url)` before the first `acquire`, `close()` at the end."""

    def __init__(
        self, db: Database, settings: LeaseSettings | None = None, *,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        """`on_lost`: called (in the heartbeat's thread) when the heartbeat finds this
        process fenced (default: exit the process with code 70)."""
        self._db = db
        self.settings = settings or LeaseSettings.from_env()
        self.process_id = uuid.uuid4().hex
        self._on_lost = on_lost or _exit_lease_lost
        self._heartbeat: Heartbeat | None = None
        self._orphans: asyncio.Task[None] | None = None
        self._orphan_handler: Callable[[str], Awaitable[None]] | None = None
        self.lease = LocalLease()
        # the threads this process acquired and has not released, at their epochs: while
        # its lease is valid, no other process can hold them (`owner_url`)
        self._held: dict[str, int] = {}

    async def register(self, url: str) -> None:
        """Join the cluster. First, processes of this machine whose pid is gone are
        declared dead at once: a restart after a crash takes its threads back without
        waiting for their leases to run out. (Misjudging a live process of another
        machine with the same host name costs it its threads, never a double write:
        its writes are fenced, and it stops at its next renewal.)"""
        host = socket.gethostname()
        for process_id, pid in await self._db.fetchall(
            "SELECT process_id, pid FROM processes WHERE host = %s AND expires_at > now() - interval '1 hour'", (host,)
        ):
            if not _alive(int(pid)):
                await self._statement(
                    "UPDATE processes SET expires_at = now() - make_interval(secs => %s) WHERE process_id = %s",
                    (self.settings.grace_seconds + 1, process_id),
                )
        await self._statement("DELETE FROM processes WHERE expires_at < now() - interval '1 hour'")
        await self._statement(_DROP_GONE_LEASES)
        sent_at = time.monotonic()
        await self._statement(
            "INSERT INTO processes (process_id, url, host, pid, expires_at) "
            "VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s))",
            (self.process_id, url, host, os.getpid(), self.settings.ttl_seconds),
        )
        self.lease.renewed(sent_at, self.settings.ttl_seconds)
        log.info("process %s registered at %s", self.process_id, url)

    def start(self, on_orphan: Callable[[str], Awaitable[None]]) -> None:
        """Renew this process's lease every heartbeat (in a thread of its own,
        `heartbeat.py`) and, after each renewal, take over the threads with unfinished
        runs that no live process holds (`on_orphan(thread_id)` starts their supervisor,
        which acquires them)."""
        self._orphan_handler = on_orphan
        beats = asyncio.Event()
        conninfo = self._db.pool.conninfo
        assert isinstance(conninfo, str)  # the pools are opened on a URL
        self._heartbeat = Heartbeat(
            conninfo, self.process_id, self.lease, self.settings, on_renewed=beats.set, on_lost=self._on_lost
        )
        self._heartbeat.start()
        self._orphans = asyncio.get_running_loop().create_task(self._take_orphans_at_each(beats), name="takeovers")

    async def _take_orphans_at_each(self, beats: asyncio.Event) -> None:
        while True:
            await beats.wait()
            beats.clear()
            try:
                await self._take_orphans()
            except Exception:
                log.warning("taking over orphaned threads failed", exc_info=True)

    async def _statement(self, sql: str, args: Any = ()) -> int:
        return await self._db.rowcount(sql, args, coordination=True)

    async def _take_orphans(self) -> None:
        rows = await self._db.fetchall(_ORPHANS, {"grace": self.settings.grace_seconds, "limit": 100})
        assert self._orphan_handler is not None
        for (thread_id,) in rows:
            await self._orphan_handler(thread_id)

    async def acquire(self, thread_id: str) -> bool:
        row = await self._db.fetchone(
            _ACQUIRE, {"thread": thread_id, "me": self.process_id, "grace": self.settings.grace_seconds}
        )
        if row is None:
            return False
        epoch = self._held[thread_id] = int(row[0])
        FENCE.set(Fence(thread_id, self.process_id, epoch, self.lease))  # in the supervisor's task, which writes for the thread
        return True

    async def release(self, thread_id: str) -> None:
        """Called by the supervisor that acquired the thread, in its task: the epoch it
        holds is its fence's."""
        fence = FENCE.get()
        epoch = fence.epoch if fence is not None and fence.thread_id == thread_id else None
        if epoch is None or self._held.get(thread_id) == epoch:
            self._held.pop(thread_id, None)
        try:
            async with asyncio.timeout(LEAVE_SECONDS):
                await self._statement(_RELEASE, {"thread": thread_id, "me": self.process_id, "epoch": epoch})
        except TimeoutError:
            log.warning("giving thread %s back took over %s s; its lease runs out on its own", thread_id, LEAVE_SECONDS)

    @asynccontextmanager
    async def janitor(self, name: str) -> AsyncIterator[bool]:
        """`protocol.ownership.Janitor`: True in one process of the cluster at a time, the
        oldest live one, for as long as the block lasts (the lock is held by a transaction
        on a connection of the pool until then)."""
        key = int.from_bytes(hashlib.blake2b(f"threadloom janitor {name}".encode(), digest_size=8).digest(), "big", signed=True)
        async with self._db.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(_JANITOR, {"key": key, "me": self.process_id})
            row = await cur.fetchone()
            yield bool(row and row[0])

    async def owner_url(self, thread_id: str) -> str | None:
        """Where the live process that holds `thread_id` is reached, if it is another.
        Not another for a thread this process holds while its lease is valid: a takeover
        waits for the lease to expire, past the end of its local validity (`LocalLease`)."""
        if thread_id in self._held and self.lease.valid():
            return None
        row = await self._db.fetchone(_OWNER_URL, (thread_id, self.process_id))
        return str(row[0]) if row else None

    async def close(self) -> None:
        """Stop renewing and leave the cluster: this process's threads are free at once."""
        if self._orphans is not None:
            self._orphans.cancel()
            await asyncio.wait([self._orphans], timeout=LEAVE_SECONDS)
        if self._heartbeat is not None:
            await self._heartbeat.stop(LEAVE_SECONDS)
        self._held.clear()
        try:
            async with asyncio.timeout(LEAVE_SECONDS):
                await self._statement("UPDATE thread_leases SET process_id = NULL WHERE process_id = %s", (self.process_id,))
                await self._statement("DELETE FROM processes WHERE process_id = %s", (self.process_id,))
        except (TimeoutError, psycopg.Error, Exception):
            log.warning("leaving the cluster failed; the lease expires on its own", exc_info=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _exit_lease_lost() -> None:
    logging.shutdown()
    os._exit(EXIT_LEASE_LOST)


