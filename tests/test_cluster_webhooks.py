"""Webhooks in a cluster (issue 13): a run's webhook is sent once, by the process that ran
the run (its thread's owner), wherever the run was created."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from clusterproc import Cluster
from pgtest import PostgresForTests

GRAPHS = Path(__file__).parent / "graphs"
LOCAL = {"url": {"require_https": False, "disable_loopback": False}}  # the receiver: plain http here


async def test_a_runs_webhook_is_sent_once(postgres_for_tests: PostgresForTests, aiohttp_server: Any, tmp_path: Path) -> None:
    hooks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        hooks.put_nowait(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    url = str((await aiohttp_server(app)).make_url("/hook"))
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"counter": f"{GRAPHS / 'counter.py'}:graph"}, "webhooks": LOCAL}))
    db = postgres_for_tests.new_database()
    cluster = await Cluster(db, 3, config=config).start()
    try:
        p1, p2, p3 = cluster.clients
        tid = (await p1.threads.create())["thread_id"]
        created = []
        for client in (p2, p3, p1, p2):  # created through every process; all run on the owner
            run = await client.runs.create(tid, "counter", input={"log": ["go"]}, webhook=url)
            created.append(run["run_id"])
        for run_id in created:
            await p3.runs.join(tid, run_id)
        received = [await asyncio.wait_for(hooks.get(), 30) for _ in created]
        sentinel = await p2.runs.create(tid, "counter", input={"log": ["last"]}, webhook=url)
        last = await asyncio.wait_for(hooks.get(), 30)  # a later run's: no duplicate came in between
        assert sorted(hook["run_id"] for hook in received) == sorted(created)
        assert last["run_id"] == sentinel["run_id"] and hooks.empty()
        assert {hook["status"] for hook in [*received, last]} == {"success"}
    finally:
        await cluster.close()
        postgres_for_tests.drop(db)
