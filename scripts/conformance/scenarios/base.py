"""The scenario registry and the small helpers scenarios share."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..recording import Reply, Target

Play = Callable[[Target], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    play: Play

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


REGISTRY: list[Scenario] = []


def scenario(name: str) -> Callable[[Play], Play]:
    """Register a scenario; they run in the order their modules register them."""

    def register(play: Play) -> Play:
        REGISTRY.append(Scenario(name, play))
        return play

    return register


async def new_thread(t: Target, label: str = "create thread", **metadata: Any) -> str:
    """A thread tagged with the scenario (so searches see only this scenario's threads)."""
    reply = await t.http(label, "POST", "/threads", json={"metadata": {"scenario": t.tag, **metadata}})
    return str(reply["thread_id"])


async def stream(t: Target, label: str, thread_id: str | None, body: dict[str, Any], **options: Any) -> Reply:
    """POST a run stream (stateless when `thread_id` is None) and read it to the end."""
    path = "/runs/stream" if thread_id is None else f"/threads/{thread_id}/runs/stream"
    return await t.http(label, "POST", path, json=body, **options)


async def background_run(t: Target, label: str, thread_id: str, body: dict[str, Any], **options: Any) -> str:
    """POST /threads/{tid}/runs; returns the run id."""
    reply = await t.http(label, "POST", f"/threads/{thread_id}/runs", json=body, **options)
    return str(reply["run_id"])


def slow_input(tag: str, steps: int, delay: float) -> dict[str, Any]:
    """Input for the `slow` graph: `steps` items `tag:i`, `delay` seconds apart."""
    return {"steps": steps, "delay": delay, "tag": tag}
