"""Teardown closes every resource, in reverse of opening, even when one fails to close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from aiohttp import web
from conftest import make_app

from threadloom.actors.crons import CronScheduler
from threadloom.actors.streams import StreamRegistry
from threadloom.server.storage.backends import open_storage


async def test_a_failing_close_leaves_no_other_resource_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[str] = []

    def failing(name: str, original: Any) -> Any:
        async def stop(self: Any) -> None:
            await original(self)
            stopped.append(name)
            raise RuntimeError(f"{name} failed to stop")

        return stop

    monkeypatch.setattr(CronScheduler, "stop", failing("crons", CronScheduler.stop))
    monkeypatch.setattr(StreamRegistry, "stop", failing("streams", StreamRegistry.stop))
    db = tmp_path / "threadloom.sqlite"
    server = TestServer(make_app(db=str(db)))
    await server.start_server()
    with pytest.raises(web.CleanupError):
        await server.close()
    assert stopped == ["crons", "streams"]  # the runtime went on stopping its parts after the streams
    # and the storage was closed all the same: the database is free for the next server
    storage = await open_storage(str(db))
    await storage.close()
