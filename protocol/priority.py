"""A thread's priority settings (`langgraph_sdk.priority.PrioritySettings`, stored)."""

from __future__ import annotations

import msgspec

DEFAULT_PRIORITY = 0  # -5 runs first, 5 last
DEFAULT_FAIRNESS_GROUP = "default"


class ThreadPriority(msgspec.Struct, frozen=True, kw_only=True):
    priority: int = DEFAULT_PRIORITY
    fairness_group: str = DEFAULT_FAIRNESS_GROUP  # stored; no effect on order yet (as in the SDK)
