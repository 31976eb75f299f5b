"""The aiohttp application: its middlewares and routes, and what it starts and stops with it
(`lifecycle.py`)."""

from __future__ import annotations

from aiohttp import web

from . import forwarding, looplag, pacing, requestid
from .agents import a2a, mcp
from .config import Project, Settings, assistant_configs
from .encryption.context import context_middleware
from .encryption.loading import load_encryption
from .graphs import GraphRegistry
from .lifecycle import Lifecycle
from .middleware import errors
from .mount import mount_api
from .priority import PriorityAssigner
from .routes import assistants, crons, runs, store, system, thread_events, thread_stream, threads
from .storage.index import index_config
from .webhooks import webhooks_for

MAX_BODY_BYTES = 32 * 1024 * 1024


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
    pacing.install(app)
    requestid.install(app)
    Lifecycle(settings, project, graphs, store_index, webhooks, system_configs, encryption, priority).install(app)
    looplag.install(app)  # after: the loop is watched once the server has started, not while it starts
    mount_api(app, (system, assistants, threads, thread_stream, thread_events, runs, crons, store, mcp, a2a), project)
    if encryption is not None:  # after authentication: the context handler is given the user
        app.middlewares.append(context_middleware(encryption.context))
    forwarding.install(app)  # innermost: after authentication, which the owner repeats
    return app
