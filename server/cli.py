"""The `threadloom` command (`python -m server` in a checkout, `python -m
threadloom.server` installed): serve the graphs of a langgraph.json."""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
import sys
from typing import TYPE_CHECKING, NoReturn

from . import logs, redact
from .config import ConfigError, Settings, apply_project, load_project, parse_args
from .worker import Worker

if TYPE_CHECKING:
    from aiohttp import web

# aiohttp, the application and LangGraph are imported only once the command line and the
# config have been checked: a typo gets its one-line answer without waiting for them.


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, no traceback: the problem is the user's setup, not a bug."""
    print(f"threadloom: error: {redact.scrub(' '.join(message.split()))}", file=sys.stderr, flush=True)
    sys.exit(code)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything touches the database: a port in use
    fails at once, with no run recovered (and run again) by a server that cannot serve."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    return socket.create_server((host, port), family=family)


async def serve(app: web.Application, settings: Settings) -> None:
    from aiohttp import web

    from .listening import LISTENING, local_address, url
    from .logs import ACCESS, AccessLogger
    from .looplag import LOOP_LAG

    host, port = settings.host, settings.port
    worker = Worker.from_env()
    try:
        sock = worker.sock if worker is not None else listen(host, port)
        # a worker is reached by the other processes on a port of its own (`workers.py`)
        own = listen(host, 0) if worker is not None else sock
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1)
    app[LISTENING] = own.getsockname()
    runner = web.AppRunner(
        app, handler_cancellation=True, access_log=ACCESS if settings.access_log else None, access_log_class=AccessLogger
    )
    try:
        await runner.setup()  # opens storage and starts the runtime (the app's cleanup_ctx)
    except Exception as exc:
        sock.close()
        await runner.cleanup()  # closes what did open, or its threads keep the process alive
        fail(f"could not start: {exc}", 1)
    await web.SockSite(runner, sock).start()
    if own is not sock:
        await web.SockSite(runner, own).start()
    _settle_heap()
    app[LOOP_LAG].skip_current()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the banner: whoever waits for it may signal at once
        loop.add_signal_handler(sig, stop.set)
    if worker is not None:  # the parent says when every worker serves
        worker.ready(url(local_address(own.getsockname())))
        await stop.wait()
        await runner.cleanup()
        return
    if settings.ready_file is not None:  # a URL this machine reaches, also when bound to every interface
        settings.ready_file.write_text(url(local_address(sock.getsockname())) + "\n")
    print(f"threadloom: serving on {url(sock.getsockname()[:2])}", flush=True)
    try:
        await stop.wait()
        await runner.cleanup()
    finally:
        if settings.ready_file is not None:
            settings.ready_file.unlink(missing_ok=True)


def _settle_heap() -> None:
    """Once the server is up, what it loaded (modules, graphs, the app) lives as long as
    the process: the cyclic collector stops walking it (`gc.freeze`), and runs on the
    young generation less often. At Python's default (every 700 allocations) a stream
    of custom events paid for a collection every few hundred events, and each older one
    walked the run's whole ring of events (no longer tracked since: `eventlog.Event`):
    a quarter of the CPU of a stream."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def serve_workers(settings: Settings, argv: list[str]) -> int:
    """`--workers N`: the parent of N serving processes (`workers.py`)."""
    from .listening import local_address, url
    from .workers import Workers, child_command

    host, port = settings.host, settings.port
    try:
        sock = listen(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1)

    def ready() -> None:
        if settings.ready_file is not None:
            settings.ready_file.write_text(url(local_address(sock.getsockname())) + "\n")
        print(f"threadloom: serving on {url(sock.getsockname()[:2])} ({settings.workers} workers)", flush=True)

    try:
        return await Workers(settings.workers, child_command(argv), sock).run(ready)
    finally:
        if settings.ready_file is not None:
            settings.ready_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    settings = parse_args(argv)
    logs.configure(settings.log_level, settings.log_format)
    try:
        project = load_project(settings.config)
    except ConfigError as exc:
        fail(str(exc))
    if settings.workers > 1:  # its children are run with --workers 1
        sys.exit(asyncio.run(serve_workers(settings, argv)))
    apply_project(project)
    redact.install(prefixes=[project.webhooks.env_prefix if project.webhooks else "LG_WEBHOOK_"])
    from .app import create_app
    from .graphs import GraphLoadError, GraphRegistry

    try:
        graphs = GraphRegistry(project.graphs, project.base_dir)
    except GraphLoadError as exc:
        fail(str(exc))
    except SystemExit as exc:
        fail(f"a graph module called sys.exit({exc.code!r}) while loading")
    try:
        app = create_app(settings, graphs, project)
    except ConfigError as exc:
        fail(f"{settings.config}: {exc}")
    asyncio.run(serve(app, settings))
