"""`python -m server`: serve the graphs of a langgraph.json."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from .app import create_app
from .config import ConfigError, apply_project, load_project, parse_args
from .graphs import GraphLoadError, GraphRegistry


async def serve(app: web.Application, host: str, port: int) -> None:
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    print(f"threadloom: serving on http://{bound[0]}:{bound[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = parse_args(argv)
    try:
        project = load_project(settings.config)
        apply_project(project)
        graphs = GraphRegistry(project.graphs, project.base_dir)
    except (ConfigError, GraphLoadError) as exc:
        print(f"threadloom: error: {exc}", file=sys.stderr)
        sys.exit(2)
    asyncio.run(serve(create_app(settings, graphs), settings.host, settings.port))


if __name__ == "__main__":
    main()
