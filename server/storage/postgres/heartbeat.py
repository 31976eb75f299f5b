"""The renewal of this process's lease, in an OS thread of its own with its own connection
(`scale-out.md`, "Heartbeat in its own OS thread"): a graph node that blocks the event
loop must not cost the process its threads. The process is alive while it is blocked;
taking its threads over would run them twice until it noticed.

The event loop ticks a monotonic timestamp every 100 ms. The heartbeat renews while the
loop is stalled (it says so in the log past `STALL_WARNING_SECONDS`), up to
`LeaseSettings.stall_fatal_seconds` (10 minutes): a loop stuck
that long is taken for dead, and the process exits with code 70 (fail-stop) so that the
others take its threads over."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import psycopg

from .fence import LocalLease
from .leasesettings import LeaseSettings

log = logging.getLogger("threadloom.cluster")

TICK_SECONDS = 0.1
STALL_WARNING_SECONDS = 30.0
_RENEW = (
    "UPDATE processes SET heartbeat_at = now(), expires_at = now() + make_interval(secs => %s) "
    "WHERE process_id = %s AND NOT fenced"
)


class Heartbeat:
    """`start()` on the event loop; `on_renewed` is called on the loop after each renewal,
    `on_lost` in the heartbeat's thread when the renewal finds the process fenced (another
    process took one of its threads): it must end the process."""

    def __init__(
        self, conninfo: str, process_id: str, lease: LocalLease, settings: LeaseSettings, *,
        on_renewed: Callable[[], None], on_lost: Callable[[], None],
    ) -> None:
        self._conninfo = conninfo
        self._process_id = process_id
        self._lease = lease
        self._settings = settings
        self._on_renewed = on_renewed
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="threadloom lease heartbeat", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticked = time.monotonic()
        self._ticker: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tick()
        self._thread.start()

    async def stop(self, timeout: float) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.cancel()
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join, timeout)

    def _tick(self) -> None:
        assert self._loop is not None
        self._ticked = time.monotonic()
        self._ticker = self._loop.call_later(TICK_SECONDS, self._tick)

    # the heartbeat's thread -------------------------------------------------------------

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        warned = False
        while not self._stop.wait(self._settings.heartbeat_seconds):
            stalled = time.monotonic() - self._ticked
            if stalled > self._settings.stall_fatal_seconds:
                log.critical("the event loop has not run for %.0f s: stopping (its threads go to the other processes)", stalled)
                self._on_lost()
                return
            if stalled > STALL_WARNING_SECONDS and not warned:
                log.error("the event loop has not run for %.0f s (a graph node blocking it?); the lease is kept", stalled)
            warned = stalled > STALL_WARNING_SECONDS
            sent_at = time.monotonic()
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(
                        self._conninfo, autocommit=True, connect_timeout=max(1, int(self._settings.ttl_seconds)),
                        options=f"-c statement_timeout={int(self._settings.ttl_seconds * 1000)}",
                    )
                renewed = conn.execute(_RENEW, (self._settings.ttl_seconds, self._process_id)).rowcount
            except psycopg.Error:  # the database is away: the lease runs out on its own clock
                log.warning("lease renewal failed", exc_info=True)
                if conn is not None:
                    conn.close()
                    conn = None
                continue
            if renewed == 0:
                log.error("process %s: another process took over its threads (it was paused or cut off from the "
                          "database past its lease): stopping", self._process_id)
                self._on_lost()
                return
            self._lease.renewed(sent_at, self._settings.ttl_seconds)
            self._renewed()
        if conn is not None:
            conn.close()

    def _renewed(self) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._on_renewed)
        except RuntimeError:  # the loop is closed: the process is ending
            self._stop.set()
