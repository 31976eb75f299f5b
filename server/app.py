"""The aiohttp application: storage, graphs and runtime started and stopped with it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from actors.runtime import Runtime, RuntimeSettings
from protocol import clock
from protocol.ids import system_assistant_id
from protocol.resources import Assistant

from .config import Settings
from .context import RUNTIME
from .graphs import GraphRegistry
from .middleware import errors
from .routes import assistants, crons, runs, store, system, thread_stream, threads
from .storage.sqlite import SqliteStorage

MAX_BODY_BYTES = 32 * 1024 * 1024


async def _register_system_assistants(storage: SqliteStorage, graphs: GraphRegistry) -> None:
    """Each graph gets its system assistant, recreated at every start."""
    for graph_id, spec in graphs.specs.items():
        now = clock.now_iso()
        await storage.assistants.put(
            Assistant(
                assistant_id=system_assistant_id(graph_id), graph_id=graph_id, config={}, context={},
                metadata={"created_by": "system"}, name=graph_id, created_at=now, updated_at=now,
                description=spec.description,
            )
        )


def create_app(settings: Settings, graphs: GraphRegistry) -> web.Application:
    app = web.Application(middlewares=[errors], client_max_size=MAX_BODY_BYTES)

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        storage = await SqliteStorage.open(settings.db)
        graphs.bind(checkpointer=storage.saver, store=storage.store)
        await _register_system_assistants(storage, graphs)
        rt = Runtime(storage, graphs, RuntimeSettings(
            jobs=settings.jobs,
            stream_buffer=settings.stream_buffer,
            supervisor_idle_seconds=settings.supervisor_idle_seconds,
        ))
        app[RUNTIME] = rt
        await rt.start()
        yield
        await rt.stop()
        await storage.close()

    async def closing(app: web.Application) -> None:
        app[RUNTIME].closing = True

    app.cleanup_ctx.append(lifespan)
    app.on_shutdown.append(closing)
    for module in (system, assistants, threads, thread_stream, runs, crons, store):
        app.add_routes(module.routes)
    return app
