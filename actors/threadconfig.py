"""A thread's `config`: what its runs' assistants leave on it, and what its graph is built
and read with outside runs (state reads and updates, history). Pure functions.

As on the official server, every run merges its assistant's config into the thread's,
the thread's own values winning, and the run's own `configurable` is not kept. A graph
factory that builds a different graph per config therefore builds, for a state read or
update, the graph the thread's runs used: a node that exists only for that config is
found.
"""

from __future__ import annotations

from typing import Any

from threadloom.protocol.resources import Assistant, Thread

_NESTED = ("configurable", "metadata")


def top_level(config: dict[str, Any] | None) -> dict[str, Any]:
    """The plain keys of a config (tags, recursion_limit…): not `configurable` or `metadata`."""
    return {k: v for k, v in (config or {}).items() if k not in _NESTED}


def after_run(thread_config: dict[str, Any], assistant: Assistant, run_config: dict[str, Any] | None) -> dict[str, Any]:
    """The thread's config once a run of `assistant` (asked with `run_config`) is on it."""
    return {
        **top_level(assistant.config),
        **top_level(run_config),
        **top_level(thread_config),
        "configurable": {**assistant.config.get("configurable", {}), **thread_config.get("configurable", {})},
    }


def for_state(thread: Thread, graph_id: str, caller: dict[str, Any]) -> dict[str, Any]:
    """The config a thread's graph is built with to read or update its state, as `caller`
    (`protocol.users.reader_configurable`)."""
    configurable = {**thread.config.get("configurable", {}), **caller, "graph_id": graph_id, "thread_id": thread.thread_id}
    return {**top_level(thread.config), "configurable": configurable}
