"""A thread's priority settings (`langgraph_sdk.priority.PrioritySettings`, stored)."""

from __future__ import annotations

from typing import Protocol

import msgspec

from .resources import Assistant, Run, Thread

DEFAULT_PRIORITY = 0  # -5 runs first, 5 last
DEFAULT_FAIRNESS_GROUP = "default"


class ThreadPriority(msgspec.Struct, frozen=True, kw_only=True):
    priority: int = DEFAULT_PRIORITY
    fairness_group: str = DEFAULT_FAIRNESS_GROUP  # stored; no effect on order yet (as in the SDK)


class PriorityPolicy(Protocol):
    async def assign(self, run: Run, thread: Thread, assistant: Assistant, *, stateless: bool) -> ThreadPriority | None:
        """The settings of a thread that has none, at its first run; None when they could
        not be decided (the run goes at the default, the thread's next run asks again)."""
