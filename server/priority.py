"""Run priority (`priority` in langgraph.json, `langgraph_sdk.Priority`, beta).

The project's `@priority.assign` function is called at the first run on a thread that
has no settings yet; what it returns is stored on the thread and orders that thread's
runs in the global wait for a run slot (`actors/slots.py`: -5 runs first). A function that
raises or returns what the SDK forbids leaves the thread without settings: the run goes
on at the default priority, and the next run asks again (the SDK allows the function to be
called more than once for a thread).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langgraph_sdk import Priority, PriorityContext

from threadloom.protocol.priority import DEFAULT_FAIRNESS_GROUP, ThreadPriority
from threadloom.protocol.resources import Assistant, Run, Thread
from threadloom.protocol.users import ANONYMOUS, from_configurable

from .imports import load_object
from .sections import ConfigError

log = logging.getLogger("threadloom.priority")


class InvalidSettings(ValueError):
    pass


def settings_of(returned: Any) -> ThreadPriority:
    """What the assign function returned, as stored settings; `InvalidSettings` for what
    the SDK forbids (a priority outside -5 to 5, a fairness group over 256 characters)."""
    if returned is None:
        return ThreadPriority()
    if not isinstance(returned, dict):
        raise InvalidSettings(f"expected a dict or None, got {type(returned).__name__}")
    priority, group = returned.get("priority"), returned.get("fairness_group")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int) or not -5 <= priority <= 5):
        raise InvalidSettings(f"priority must be an integer from -5 to 5, got {priority!r}")
    if group is not None and (not isinstance(group, str) or len(group) > 256):
        raise InvalidSettings("fairness_group must be a string of at most 256 characters")
    return ThreadPriority(priority=priority or 0, fairness_group=group or DEFAULT_FAIRNESS_GROUP)


class PriorityAssigner:
    """The project's assign function, as the runtime's `PriorityPolicy`."""

    def __init__(self, assign: Callable[[PriorityContext], Awaitable[Any]]) -> None:
        self._assign = assign

    @classmethod
    def load(cls, spec: str, base_dir: Path) -> PriorityAssigner:
        found = load_object(spec, base_dir, "priority.path")
        if not isinstance(found, Priority):
            raise ConfigError(f"priority.path: {spec} is a {type(found).__name__}, not a langgraph_sdk.Priority")
        # the SDK keeps the registered function there for the server to call (as `Auth` does)
        assign = found._assign_handler
        if assign is None:
            raise ConfigError(f"priority.path: {spec} has no @priority.assign function")
        return cls(assign)

    async def assign(self, run: Run, thread: Thread, assistant: Assistant, *, stateless: bool) -> ThreadPriority | None:
        configurable = run.kwargs.config.get("configurable") or {}
        user = from_configurable(configurable) or ANONYMOUS
        context = PriorityContext(
            user=user, permissions=list(user.permissions), thread_id=None if stateless else thread.thread_id,
            thread_metadata=dict(thread.metadata), assistant_id=assistant.assistant_id, graph_id=assistant.graph_id,
            assistant_metadata=dict(assistant.metadata), run_metadata=dict(run.metadata),
            cron_id=configurable.get("cron_id"),
        )
        try:
            return settings_of(await self._assign(context))
        except Exception as exc:  # the project's code: its failure must not fail the run
            log.error("priority: @priority.assign failed for thread %s: %r; the run goes at the default priority",
                      thread.thread_id, exc)
            return None
