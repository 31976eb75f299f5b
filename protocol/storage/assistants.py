"""Assistants and their saved versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..filters import Filter
from ..resources import Assistant, AssistantVersion


class AssistantStore(Protocol):
    """`graph_ids` in search/count is an allow-list: assistants of graphs the server does
    not serve are left out. `metadata` matches by top-level key equality, `auth` as in
    `ThreadStore.search`."""

    async def get(self, assistant_id: str) -> Assistant | None: ...
    async def create(self, assistant: Assistant) -> bool:
        """Insert it and its version 1; False if the id is taken (nothing written)."""
    async def reset(self, assistant: Assistant) -> None:
        """Replace it and every version it had by this record as version 1."""
    async def add_version(self, assistant_id: str, change: Callable[[Assistant], Assistant]) -> Assistant | None:
        """Save `change(current)` as the next version (one above the highest) and make it
        current, atomically; None if there is no such assistant."""
    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        """Make a saved version current again; None if that version does not exist."""
    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[AssistantVersion]:
        """Newest first."""
    async def delete(self, assistant_id: str) -> bool:
        """Delete it with its versions and its crons."""
    async def search(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        limit: int, offset: int, sort_by: str, sort_order: str, auth: Filter | None = None,
    ) -> list[Assistant]: ...
    async def count(
        self, *, graph_ids: list[str], graph_id: str | None, name: str | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int: ...
