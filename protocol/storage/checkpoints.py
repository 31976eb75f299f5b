"""What the server does to LangGraph's checkpoints beyond the saver's own interface."""

from __future__ import annotations

from typing import Protocol


class CheckpointAdmin(Protocol):
    async def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete every checkpoint (and its writes) that `run_id` wrote on the thread."""
    async def delete_thread(self, thread_id: str) -> None: ...
    async def copy_thread(self, source_id: str, target_id: str) -> None:
        """Copy every checkpoint and pending write of `source_id`, all namespaces, to
        `target_id` (which must have none), as one consistent snapshot."""
    async def keep_latest(self, thread_id: str) -> None:
        """Delete all but the thread's latest checkpoint (with the subgraph checkpoints that
        belong to it), so its state stays and its history goes."""
