"""A WebSocket connection's subscriptions: which of the session's events go out, each at
most once, and what a new subscription replays from the connection's buffer (its last
`buffer_size` events) before its reply."""

from __future__ import annotations

import uuid
from collections import deque

from .envelope import ProtocolError
from .filters import Filter
from .session import Envelope

DEFAULT_BUFFER = 10_000


class Subscriptions:
    def __init__(self, buffer_size: int = DEFAULT_BUFFER) -> None:
        self._filters: dict[str, Filter] = {}
        self._buffer: deque[Envelope] = deque(maxlen=buffer_size)
        self._sent: set[int] = set()  # seqs of buffered events sent already
        self.applied_through_seq = 0  # the highest seq sent

    def _mark(self, envelope: Envelope) -> None:
        seq = envelope["seq"]
        self._sent.add(seq)
        self.applied_through_seq = max(self.applied_through_seq, seq)

    def offer(self, envelope: Envelope) -> bool:
        """A new event of the session: buffered; whether it goes out now."""
        if len(self._buffer) == self._buffer.maxlen:
            self._sent.discard(self._buffer[0]["seq"])
        self._buffer.append(envelope)
        if any(f.wants(envelope) and (f.since is None or envelope["seq"] > f.since) for f in self._filters.values()):
            self._mark(envelope)
            return True
        return False

    def subscribe(self, filter: Filter, subscription_id: str | None = None, *, reconnect: bool = False) -> tuple[str, list[Envelope]]:
        """Install `filter`; its id and the buffered events it replays (in order), each
        sent once only across subscriptions. A reconnect whose `since` is older than the
        buffer is a `resume_gap`."""
        if reconnect and self._buffer and filter.since is not None and filter.since + 1 < self._buffer[0]["seq"]:
            oldest = self._buffer[0]["seq"]
            raise ProtocolError(
                "resume_gap", f"resume gap: since={filter.since} is older than min_available_seq={oldest}",
                since=filter.since, min_available_seq=oldest,
            )
        sid = subscription_id or str(uuid.uuid4())
        self._filters[sid] = filter
        replay = [
            e for e in self._buffer
            if e["seq"] not in self._sent and filter.wants(e) and (filter.since is None or e["seq"] > filter.since)
        ]
        for e in replay:
            self._mark(e)
        return sid, replay

    def unsubscribe(self, subscription_id: str) -> None:
        if self._filters.pop(subscription_id, None) is None:
            raise ProtocolError("no_such_subscription", f"Unknown subscription: {subscription_id}")
