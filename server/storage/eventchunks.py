"""Several events of one resumable run's log stored as one row (both backends).

A run streaming thousands of events a second would otherwise insert a row per event:
a few microseconds each, more than the rest of the event's whole path. The writer
(`actors/durable.py`) hands over its batch at once, so each run's events of a batch go
into one row: `seq` its first event's, `last_seq` its last's, `data` the events as
msgpack columns `[[seq, …], [name, …], [data, …]]`, `name` empty. A batch of one event
stays a row of its own (`last_seq` null), as every event was before."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from threadloom.protocol.storage import StoredEvent

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tuple[list[int], list[str], list[bytes]])


def pack(events: Sequence[tuple[Any, ...]]) -> bytes:
    """`events` (`(seq, name, data, …)` each) as one value: their first three columns."""
    columns = zip(*events)  # lazily: the columns past the third are never built
    return _encoder.encode((next(columns), next(columns), next(columns)))


def unpack(data: bytes) -> list[StoredEvent]:
    return list(zip(*_decoder.decode(data)))


def single_row(run_id: str, event: tuple[Any, ...]) -> tuple[str, int, str, bytes]:
    """(run_id, seq, name, data) of the row holding `event` alone."""
    return run_id, event[0], event[1], event[2]


def chunk_row(run_id: str, events: Sequence[tuple[Any, ...]]) -> tuple[str, int, bytes, int]:
    """(run_id, seq, data, last_seq) of the row holding `events` (two or more, in order)."""
    return run_id, events[0][0], pack(events), events[-1][0]


def expand(rows: Iterable[Sequence[Any]], *, after: int, limit: int) -> list[StoredEvent]:
    """The events above `after` in stored `(seq, name, data, last_seq)` rows (in seq
    order), at most `limit`."""
    out: list[StoredEvent] = []
    for seq, name, data, last_seq in rows:
        if last_seq is None:
            if seq > after:
                out.append((seq, name, bytes(data)))
        elif last_seq > after:
            out.extend(e for e in unpack(bytes(data)) if e[0] > after)
        if len(out) >= limit:
            return out[:limit]
    return out


def count(rows: Iterable[Sequence[Any]]) -> int:
    """How many events stored `(data, last_seq)` rows hold."""
    return sum(1 if last is None else len(unpack(bytes(data))) for data, last in rows)
