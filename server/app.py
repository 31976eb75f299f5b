"""The aiohttp application: storage, graphs and runtime started and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from threadloom.actors.crons import CronScheduler
from threadloom.actors.runtime import Runtime, RuntimeSettings
from threadloom.actors.contexts import fresh_context
from threadloom.actors.ownership import alone
from threadloom.actors.ttl import TtlSweeper
from threadloom.protocol import clock
from threadloom.protocol.ids import system_assistant_id
from threadloom.protocol.resources import Assistant
from threadloom.protocol.storage import Storage

from .config import Project, Settings, api_url, assistant_configs
from .context import CLUSTER, RECORDS, RUNTIME, STORAGE, TTL_SWEEPER, Records
from .encryption.context import context_middleware
from .encryption.loading import load_encryption
from .listening import LISTENING, local_address, url
from .graphs import GraphRegistry
from . import forwarding, looplag, requestid
from .middleware import errors
from .mount import mount_api
from .agents import a2a, mcp
from .routes import assistants, crons, runs, store, system, thread_events, thread_stream, threads
from .storage.backends import cluster_for, open_storage
from .storage.encrypted import EncryptedStorage
from .storage.index import index_config
from .priority import PriorityAssigner
from .webhooks import webhooks_for

MAX_BODY_BYTES = 32 * 1024 * 1024


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


def create_app(settings: Settings, graphs: GraphRegistry, project: Project | None = None) -> web.Application:
    """Raises `ConfigError` if project code `langgraph.json` names (the embedding
    function, the custom app, the encryption, the priority function) cannot be loaded."""
    project = project or Project(settings.config.resolve().parent, list(graphs.specs.values()))
    store_index = index_config(project.store, project.base_dir)
    webhooks = webhooks_for(project, backoff_seconds=settings.webhook_backoff_seconds)
    system_configs = assistant_configs(project)
    encryption = None if project.encryption is None else load_encryption(project.encryption, project.base_dir)
    priority = PriorityAssigner.load(project.priority.path, project.base_dir) if project.priority.path else None
    app = web.Application(middlewares=[errors], client_max_size=MAX_BODY_BYTES)
    requestid.install(app)
    looplag.install(app)

    # One context per resource, opened in order and closed in reverse: aiohttp runs every
    # close even when an earlier one raised.
    async def storage_context(app: web.Application) -> AsyncIterator[None]:
        storage = await open_storage(
            settings.db, store_index=store_index, store_ttl=project.store.ttl_config(), encryption=encryption
        )
        app[STORAGE] = storage
        try:
            graphs.bind(checkpointer=storage.saver, store=storage.store)
            await _register_system_assistants(storage, graphs, system_configs)
            yield
        finally:
            await storage.close()

    async def runtime_context(app: web.Application) -> AsyncIterator[None]:
        storage = app[STORAGE]
        cluster = app[CLUSTER] = cluster_for(storage)
        if cluster is not None:  # where the other processes forward this one's threads' requests
            await cluster.register(url(local_address(app[LISTENING])) if LISTENING in app else "")
        rt = Runtime(storage, graphs, RuntimeSettings(
            jobs=settings.jobs,
            stream_buffer=settings.stream_buffer,
            supervisor_idle_seconds=settings.supervisor_idle_seconds,
            max_attempts=settings.max_attempts,
            resumable_events=settings.resumable_events,
            stream_retention=settings.stream_retention,
            api_url=api_url(project),
            default_ttl=project.checkpointer.ttl.default(),
        ), webhooks, resumed_in=storage.resumed_in if isinstance(storage, EncryptedStorage) else fresh_context,
            priority=priority, ownership=cluster, janitor=alone if cluster is None else cluster.janitor)
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

    async def cron_context(app: web.Application) -> AsyncIterator[None]:
        storage, rt = app[STORAGE], app[RUNTIME]
        scheduler = CronScheduler(
            crons=storage.crons, assistants=storage.assistants, graphs=rt.graphs, submit=rt.submit,
            poll_seconds=settings.cron_poll_seconds,
            fired_in=storage.fired_in if isinstance(storage, EncryptedStorage) else fresh_context,
            elsewhere=None if app[CLUSTER] is None else _owned_elsewhere(app),
        )
        scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()

    async def ttl_context(app: web.Application) -> AsyncIterator[None]:
        """Threads carry a TTL from the API even without `checkpointer.ttl`: always swept."""
        ttl, rt = project.checkpointer.ttl, app[RUNTIME]
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

    async def drain(app: web.Application) -> None:
        """Runs before aiohttp cancels open requests: streams of runs that finish within
        the grace period are delivered whole."""
        await app[RUNTIME].drain(settings.shutdown_grace_seconds)

    app.cleanup_ctx.extend((storage_context, runtime_context, cron_context, ttl_context))
    app.on_shutdown.append(drain)
    mount_api(app, (system, assistants, threads, thread_stream, thread_events, runs, crons, store, mcp, a2a), project)
    if encryption is not None:  # after authentication: the context handler is given the user
        app.middlewares.append(context_middleware(encryption.context))
    forwarding.install(app)  # innermost: after authentication, which the owner repeats
    return app
