"""Raw v3 protocol clients for the tests: a thread's events over SSE or a WebSocket read
until a condition holds, and commands over HTTP, so seq, event ids and error replies can
be checked exactly (the SDK hides them)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

TIMEOUT = 30
ALL = ["values", "updates", "messages", "tools", "lifecycle", "input", "checkpoints", "tasks", "custom"]
Event = dict[str, Any]


def root_terminal(event: Event) -> bool:
    return (
        event.get("method") == "lifecycle" and event["params"]["namespace"] == []
        and event["params"]["data"]["event"] in ("completed", "failed")
    )


def count_terminals(n: int) -> Callable[[list[Event]], bool]:
    return lambda events: sum(1 for e in events if root_terminal(e)) >= n


async def command(session: aiohttp.ClientSession, url: str, tid: str, method: str, params: dict[str, Any], cid: int = 1) -> Any:
    async with session.post(f"{url}/threads/{tid}/commands", json={"id": cid, "method": method, "params": params}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def read_sse(
    session: aiohttp.ClientSession, url: str, tid: str, done: Callable[[list[Event]], bool], **filter: Any,
) -> list[Event]:
    """The events of an SSE stream on the thread until `done(events)`; then it closes."""
    body = {"channels": ALL, **filter}
    events: list[Event] = []

    async def read() -> None:
        async with session.post(f"{url}/threads/{tid}/stream/events", json=body) as r:
            assert r.status == 200, await r.text()
            assert r.headers["Content-Type"].startswith("text/event-stream")
            data: list[str] = []
            frame_id = None
            async for raw in r.content:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("data: "):
                    data.append(line[6:])
                elif line.startswith("id: "):
                    frame_id = line[4:]
                elif line == "" and data:
                    event = json.loads("\n".join(data))
                    assert frame_id == str(event["seq"])
                    events.append(event)
                    data, frame_id = [], None
                    if done(events):
                        return

    await asyncio.wait_for(read(), TIMEOUT)
    return events


async def read_ws(
    session: aiohttp.ClientSession, url: str, tid: str, done: Callable[[list[Event]], bool], **filter: Any,
) -> list[Event]:
    """As `read_sse`, over the WebSocket (one `subscription.subscribe` first, as the SDK
    does); the subscribe reply is checked, not returned."""
    events: list[Event] = []

    async def read() -> None:
        async with session.ws_connect(f"{url}/threads/{tid}/stream/events") as ws:
            await ws.send_json({"id": 1, "method": "subscription.subscribe", "params": {"channels": ALL, **filter}})
            async for message in ws:
                value = json.loads(message.data)
                if value.get("type") == "success":
                    assert value["id"] == 1 and "subscription_id" in value["result"]
                    continue
                assert value["type"] == "event", value
                events.append(value)
                if done(events):
                    return

    await asyncio.wait_for(read(), TIMEOUT)
    return events


READERS = {"sse": read_sse, "websocket": read_ws}


def summary(events: list[Event]) -> list[tuple[int, str, list[str], Any]]:
    """(seq, method, namespace, lifecycle event or None) of each event."""
    return [
        (e["seq"], e["method"], e["params"]["namespace"],
         e["params"]["data"].get("event") if e["method"] in ("lifecycle", "messages") else None)
        for e in events
    ]
