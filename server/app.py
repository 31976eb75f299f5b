"""The aiohttp application: storage, graphs and runtime started and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from threadloom.actors.crons import CronScheduler
from threadloom.actors.runtime import Runtime, RuntimeSettings
from threadloom.protocol import clock
from threadloom.protocol.ids import system_assistant_id
from threadloom.protocol.resources import Assistant

from .config import Project, Settings, api_url, assistant_configs
from .context import RUNTIME
from .graphs import GraphRegistry
from . import requestid
from .middleware import errors
from .mount import mount_api
from .agents import a2a, mcp
from .routes import assistants, crons, runs, store, system, thread_events, thread_stream, threads
from .storage.sqlite import SqliteStorage
from .storage.store import index_config
from .webhooks import webhooks_for

MAX_BODY_BYTES = 32 * 1024 * 1024


async def _register_system_assistants(
    storage: SqliteStorage, graphs: GraphRegistry, configs: dict[str, dict[str, Any]]
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


def create_app(settings: Settings, graphs: GraphRegistry, project: Project | None = None) -> web.Application:
    """Raises `ConfigError` if project code `langgraph.json` names (the embedding
    function, the custom app) cannot be loaded."""
    project = project or Project(settings.config.resolve().parent, list(graphs.specs.values()))
    store_index = index_config(project.store, project.base_dir)
    webhooks = webhooks_for(project, backoff_seconds=settings.webhook_backoff_seconds)
    system_configs = assistant_configs(project)
    app = web.Application(middlewares=[errors], client_max_size=MAX_BODY_BYTES)
    requestid.install(app)

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        storage = await SqliteStorage.open(settings.db, store_index=store_index, store_ttl=project.store.ttl_config())
        graphs.bind(checkpointer=storage.saver, store=storage.store)
        await _register_system_assistants(storage, graphs, system_configs)
        rt = Runtime(storage, graphs, RuntimeSettings(
            jobs=settings.jobs,
            stream_buffer=settings.stream_buffer,
            supervisor_idle_seconds=settings.supervisor_idle_seconds,
            max_attempts=settings.max_attempts,
            resumable_events=settings.resumable_events,
            stream_retention=settings.stream_retention,
            api_url=api_url(project),
        ), webhooks)
        app[RUNTIME] = rt
        await rt.start()
        scheduler = CronScheduler(rt, settings.cron_poll_seconds)
        scheduler.start()
        yield
        await scheduler.stop()
        await rt.stop()
        await storage.close()

    async def drain(app: web.Application) -> None:
        """Runs before aiohttp cancels open requests: streams of runs that finish within
        the grace period are delivered whole."""
        await app[RUNTIME].drain(settings.shutdown_grace_seconds)

    app.cleanup_ctx.append(lifespan)
    app.on_shutdown.append(drain)
    mount_api(app, (system, assistants, threads, thread_stream, thread_events, runs, crons, store, mcp, a2a), project)
    return app
