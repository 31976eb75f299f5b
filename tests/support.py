"""Small helpers shared by the tests that drive runs on the `slow` graph."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph_sdk.errors import NotFoundError

TIMEOUT = 30


async def until(check: Callable[[], Awaitable[Any]], timeout: float = TIMEOUT, every: float = 0.005) -> Any:
    """Poll `check` until it returns something truthy (and return that)."""

    async def loop() -> Any:
        while not (value := await check()):
            await asyncio.sleep(every)
        return value

    return await asyncio.wait_for(loop(), timeout)


def slow(tag: str, steps: int, delay: float = 0.05) -> dict[str, Any]:
    """Input for the `slow` graph: `steps` items `tag:i`, `delay` seconds apart."""
    return {"steps": steps, "delay": delay, "tag": tag}


def seq(tag: str, n: int) -> list[str]:
    return [f"{tag}:{i}" for i in range(n)]


async def items(client: Any, tid: str) -> list[str]:
    state = await client.threads.get_state(tid)
    return list((state["values"] or {}).get("items", []))


async def tagged(client: Any, tid: str, tag: str, n: int) -> list[str]:
    """Wait until the thread's state holds at least `n` items of `tag`."""

    async def check() -> list[str] | None:
        got = [i for i in await items(client, tid) if i.startswith(tag + ":")]
        return got if len(got) >= n else None

    return await until(check)


async def status(client: Any, tid: str, rid: str) -> str:
    return (await client.runs.get(tid, rid))["status"]


async def gone(client: Any, tid: str, rid: str) -> bool:
    """True when the run no longer exists (rolled back or deleted)."""
    try:
        await client.runs.get(tid, rid)
    except NotFoundError:
        return True
    return False
