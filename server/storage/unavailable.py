"""The storage cannot be reached for now (its server restarts, its pool is exhausted):
the request may be tried again later. Any backend raises it; the web layer answers 503
with Retry-After."""

from __future__ import annotations

from threadloom.protocol.errors import ServiceUnavailable


class StorageUnavailable(ServiceUnavailable):

    def __init__(self, reason: str, retry_after: int = 2) -> None:
        super().__init__("The database is unavailable; try again shortly", {"Retry-After": str(retry_after)})
        self.reason = reason
