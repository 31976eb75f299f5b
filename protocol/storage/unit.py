"""Several writes that commit together."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


class UnitOfWork(Protocol):
    def atomic(self) -> AbstractAsyncContextManager[None]:
        """Within `async with storage.atomic():`, the writes this task makes through the
        record stores (threads, runs, assistants, crons, events) commit together when the
        block ends, or none does if it raises. Other tasks' writes wait for it to end, so
        keep it short and await nothing else inside (no graph, no checkpoint)."""
