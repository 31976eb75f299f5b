"""The graphs the runtime runs, as it needs them."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

# why a graph factory is called (LangGraph's `ServerRuntime.access_context`)
Access = Literal["threads.create_run", "threads.update", "threads.read", "assistants.read"]


class GraphSource(Protocol):
    def graph_ids(self) -> list[str]: ...
    def is_factory(self, graph_id: str) -> bool:
        """Whether the graph is made per use by a factory (the official server records
        more of a factory's run config, `actors.newrun.started_config`)."""
    def open(
        self, graph_id: str, config: dict[str, Any], *, checkpointer: bool = True, access: Access = "threads.create_run"
    ) -> AbstractAsyncContextManager[Any]:
        """The graph ready to run: with the platform checkpointer (unless False) and store.
        `access` tells a graph factory why it is called (`assistants.read` to describe it)."""
