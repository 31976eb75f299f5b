"""The cron scheduler: a task that wakes every few seconds and fires the crons that are due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from threadloom.protocol import clock
from threadloom.protocol.errors import ApiError
from threadloom.protocol.users import AuthUser, run_configurable
from threadloom.protocol.graphsource import GraphSource
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, Cron, Run
from threadloom.protocol.storage import AssistantStore, CronStore

from .contexts import StoredContext, fresh_context
from .eventlog import RunStream
from .newcron import following, past_end, run_request
from .periodic import Periodic

log = logging.getLogger(__name__)

Submit = Callable[[str | None, RunCreate, Assistant, dict[str, Any]], Awaitable[tuple[Run, RunStream]]]
BATCH = 100  # due crons fired per tick; any more wait for the next tick


class CronScheduler:
    """Fires due crons through `Runtime.submit`, the path HTTP runs take.

    Each due slot is claimed before it fires: one compare-and-set write moves the cron's
    next_run_date on, so a slot fires at most once, even with several schedulers on one
    database or a PATCH racing the claim. Slots missed while the server was down fire once,
    then the cron goes on from now. A fire that fails is logged and the cron goes on."""

    def __init__(
        self, *, crons: CronStore, assistants: AssistantStore, graphs: GraphSource, submit: Submit, poll_seconds: float,
        fired_in: StoredContext[Cron] = fresh_context,
        elsewhere: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """`submit`: creates a run as an HTTP request does (`Runtime.submit`); `fired_in`:
        the context a cron's run is submitted (and executes) in. `elsewhere(thread_id)`:
        another live process of a cluster supervises the thread; its crons' slots are left
        to that process's scheduler, which can submit to it."""
        self.fired_in = fired_in
        self.elsewhere = elsewhere
        self.crons = crons
        self.assistants = assistants
        self.graphs = graphs
        self.submit = submit
        self._periodic = Periodic("cron-scheduler", self.tick, poll_seconds)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def tick(self) -> None:
        """Fire the crons due now."""
        now = clock.now()
        for cron in await self.crons.due(now, limit=BATCH):
            if cron.thread_id is not None and self.elsewhere is not None and await self.elsewhere(cron.thread_id):
                continue
            if await self._claim(cron, now):
                await self._fire(cron)

    async def _claim(self, cron: Cron, now: datetime) -> bool:
        """Move the cron past its due slot; True if this slot is ours to fire."""
        assert cron.next_run_date is not None
        slot = clock.parse_iso(cron.next_run_date)
        if past_end(cron, cron.next_run_date):
            await self.crons.advance(cron.cron_id, slot, None)
            return False
        after = following(cron.schedule, cron.timezone, now)
        return await self.crons.advance(cron.cron_id, slot, None if after is None else clock.parse_iso(after))

    async def _fire(self, cron: Cron) -> None:
        try:
            assistant = await self.assistants.get(cron.assistant_id)
            if assistant is None or assistant.graph_id not in self.graphs.graph_ids():
                log.warning("cron %s: assistant %s not found; nothing run", cron.cron_id, cron.assistant_id)
                return
            user = await self.crons.user(cron.cron_id)  # it runs as whoever created it
            caller = run_configurable(AuthUser(user) if user is not None else None)

            async def submit() -> tuple[Run, RunStream]:
                return await self.submit(cron.thread_id, run_request(cron), assistant, caller)

            run, _ = await asyncio.get_running_loop().create_task(submit(), context=await self.fired_in(cron))
        except ApiError as exc:  # e.g. the thread is busy and the strategy is reject
            log.warning("cron %s: run not created: %s", cron.cron_id, exc.detail)
        except Exception:
            log.exception("cron %s: run not created", cron.cron_id)
        else:
            log.info("cron %s: started run %s on thread %s", cron.cron_id, run.run_id, run.thread_id)
