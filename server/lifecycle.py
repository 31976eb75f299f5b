"""What the application opens at its start and closes at its end, one context per
resource, opened in order and closed in reverse (aiohttp runs every close even when an
earlier one raised): the storage, the runtime (and this process's place in a cluster),
the cron scheduler, the threads' TTL sweeper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from threadloom.actors.contexts import fresh_context
from threadloom.actors.crons import CronScheduler
from threadloom.actors.ownership import alone
from threadloom.actors.runtime import Runtime, RuntimeSettings
from threadloom.actors.ttl import TtlSweeper
from threadloom.actors.webhooks import Webhooks
from threadloom.protocol import clock
from threadloom.protocol.ids import system_assistant_id
from threadloom.protocol.resources import Assistant
from threadloom.protocol.storage import Storage

from .config import Project, Settings, api_url
from .context import CLUSTER, RECORDS, RUNTIME, STORAGE, TTL_SWEEPER, Records
from .encryption.handlers import Handlers
from .graphs import GraphRegistry
from .listening import LISTENING, local_address, url
from .priority import PriorityAssigner
from .storage.backends import cluster_for, open_storage
from .storage.encrypted import EncryptedStorage


@dataclass
class Lifecycle:
    settings: Settings
    project: Project
    graphs: GraphRegistry
    store_index: dict[str, Any] | None
    webhooks: Webhooks
    system_configs: dict[str, dict[str, Any]]
    encryption: Handlers | None
    priority: PriorityAssigner | None

    def install(self, app: web.Application) -> None:
        app.cleanup_ctx.extend((self.storage_context, self.runtime_context, self.cron_context, self.ttl_context))
        app.on_shutdown.append(self.drain)

    async def storage_context(self, app: web.Application) -> AsyncIterator[None]:
        storage = await open_storage(
            self.settings.db, store_index=self.store_index, store_ttl=self.project.store.ttl_config(),
            encryption=self.encryption,
        )
        app[STORAGE] = storage
        try:
            self.graphs.bind(checkpointer=storage.saver, store=storage.store)
            await _register_system_assistants(storage, self.graphs, self.system_configs)
            yield
        finally:
            await storage.close()

    async def runtime_context(self, app: web.Application) -> AsyncIterator[None]:
        storage = app[STORAGE]
        cluster = app[CLUSTER] = cluster_for(storage)
        if cluster is not None:  # where the other processes forward this one's threads' requests
            await cluster.register(url(local_address(app[LISTENING])) if LISTENING in app else "")
        rt = Runtime(storage, self.graphs, RuntimeSettings(
            jobs=self.settings.jobs,
            stream_buffer=self.settings.stream_buffer,
            supervisor_idle_seconds=self.settings.supervisor_idle_seconds,
            max_attempts=self.settings.max_attempts,
            resumable_events=self.settings.resumable_events,
            stream_retention=self.settings.stream_retention,
            api_url=api_url(self.project),
            default_ttl=self.project.checkpointer.ttl.default(),
        ), self.webhooks, resumed_in=storage.resumed_in if isinstance(storage, EncryptedStorage) else fresh_context,
            priority=self.priority, ownership=cluster, janitor=alone if cluster is None else cluster.janitor)
        app[RUNTIME] = rt
        app[RECORDS] = Records.of(storage)
        try:
            await rt.start()
            if cluster is not None:
                cluster.start(on_orphan=rt.take_over)
            yield
        finally:
            try:
                await rt.stop()
            finally:
                if cluster is not None:
                    await cluster.close()

    async def cron_context(self, app: web.Application) -> AsyncIterator[None]:
        storage, rt = app[STORAGE], app[RUNTIME]
        scheduler = CronScheduler(
            crons=storage.crons, assistants=storage.assistants, graphs=rt.graphs, submit=rt.submit,
            poll_seconds=self.settings.cron_poll_seconds,
            fired_in=storage.fired_in if isinstance(storage, EncryptedStorage) else fresh_context,
            elsewhere=None if app[CLUSTER] is None else _owned_elsewhere(app),
        )
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()

    async def ttl_context(self, app: web.Application) -> AsyncIterator[None]:
        """Threads carry a TTL from the API even without `checkpointer.ttl`: always swept."""
        ttl, rt = self.project.checkpointer.ttl, app[RUNTIME]
        sweeper = TtlSweeper(
            threads=app[STORAGE].threads, expire=rt.expire if app[CLUSTER] is None else _unless_elsewhere(app, rt.expire),
            interval_minutes=ttl.sweep_interval_minutes, limit=ttl.sweep_limit,
            janitor=alone if (cluster := app[CLUSTER]) is None else cluster.janitor,
        )
        app[TTL_SWEEPER] = sweeper
        sweeper.start()
        try:
            yield
        finally:
            await sweeper.stop()

    async def drain(self, app: web.Application) -> None:
        """Runs before aiohttp cancels open requests: streams of runs that finish within
        the grace period are delivered whole."""
        await app[RUNTIME].drain(self.settings.shutdown_grace_seconds)


async def _register_system_assistants(
    storage: Storage, graphs: GraphRegistry, configs: dict[str, dict[str, Any]]
) -> None:
    """Each graph gets its system assistant, recreated (as version 1) at every start, with
    its `LANGGRAPH_CONFIG` config; its context mirrors that config's `configurable`, as any
    assistant's does, so runs of graphs that read a runtime context get those values too."""
    for graph_id, spec in graphs.specs.items():
        now = clock.now_iso()
        config = configs.get(graph_id, {})
        await storage.assistants.reset(
            Assistant(
                assistant_id=system_assistant_id(graph_id), graph_id=graph_id, config=config,
                context=dict(config.get("configurable") or {}), metadata={"created_by": "system"},
                name=graph_id, created_at=now, updated_at=now, description=spec.description,
            )
        )


def _owned_elsewhere(app: web.Application) -> Callable[[str], Awaitable[bool]]:
    async def elsewhere(thread_id: str) -> bool:
        cluster = app[CLUSTER]
        return cluster is not None and bool(await cluster.owner_url(thread_id))

    return elsewhere


def _unless_elsewhere(app: web.Application, expire: Callable[[str, str], Awaitable[bool]]) -> Callable[[str, str], Awaitable[bool]]:
    """A thread another live process supervises is left to a later sweep (its supervisor
    lets it go once idle): only a thread's supervisor applies its TTL."""
    elsewhere = _owned_elsewhere(app)

    async def expire_here(thread_id: str, now: str) -> bool:
        return False if await elsewhere(thread_id) else await expire(thread_id, now)

    return expire_here
