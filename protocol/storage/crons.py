"""Crons, and the claim of a due slot that makes each fire once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from ..filters import Filter
from ..resources import Cron


class CronStore(Protocol):
    async def get(self, cron_id: str) -> Cron | None: ...
    async def insert(self, cron: Cron, *, user: dict[str, Any] | None = None) -> bool:
        """False if its thread is gone (nothing written). `user`: who it runs as."""
    async def user(self, cron_id: str) -> dict[str, Any] | None:
        """Who the cron runs as (None without custom auth)."""
    async def update(self, cron_id: str, change: Callable[[Cron], Cron]) -> Cron | None:
        """Replace a cron by `change(current)` in one transaction; None if there is none."""
    async def delete(self, cron_id: str) -> bool: ...
    async def search(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None,
        metadata: dict[str, Any] | None, limit: int, offset: int, sort_by: str, sort_order: str,
        auth: Filter | None = None,
    ) -> list[Cron]: ...
    async def count(
        self, *, assistant_id: str | None, thread_id: str | None, enabled: bool | None, metadata: dict[str, Any] | None,
        auth: Filter | None = None,
    ) -> int: ...
    async def due(self, now: datetime, *, limit: int) -> list[Cron]:
        """Enabled crons whose next run is at or before `now` (aware), earliest first."""
    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        """Claim the due `slot`: move the next run on to `next_run_date` (None also
        disables the cron) only if it is still `slot`. False if another claim or an update
        came first: of two claims of one slot, exactly one wins."""
