"""The body of `/runs/wait`, `/join` and `cancel?wait=1`, derived from a run's events."""

from __future__ import annotations

from typing import Any

import msgspec

from threadloom.protocol.resources import Thread
from threadloom.protocol.serde import loads

from .eventlog import Overflow, RunStream
from .v3events import classic_values

_INTERRUPT_MARK = b'"__interrupt__"'


async def collect(stream: RunStream | None, after: int | None = 0) -> Any | None:
    """What the run produced: `{"__error__": …}` if it failed, the chunk that carried its
    interrupt, else its last `values` chunk. None when it produced none of these."""
    if stream is None:
        return None
    last_values: bytes | None = None
    interrupted: list[Any] = []
    error: bytes | None = None
    async for batch in stream.subscribe(after):
        if isinstance(batch, Overflow):
            continue
        for event in batch:
            if event.name == "values":
                last_values = event.data
                if _INTERRUPT_MARK in event.data:
                    chunk = loads(event.data)
                    if isinstance(chunk, dict) and chunk.get("__interrupt__"):
                        interrupted.append(chunk)
            elif event.name == "error":
                error = event.data
    if error is not None:
        return {"__error__": loads(error)}
    if len(interrupted) == 1:
        return interrupted[0]
    if interrupted:
        return {"__interrupt__": [i for chunk in interrupted for i in chunk["__interrupt__"]]}
    return classic_values(loads(last_values)) if last_values is not None else None  # a v3 run's: unwrapped


def from_thread(thread: Thread | None) -> Any:
    """The fallback when the run's own events said nothing: what its thread holds."""
    if thread is None:
        return {}
    if thread.status == "error" and thread.error:
        return {"__error__": thread.error}
    if thread.status == "interrupted" and isinstance(thread.interrupts, dict) and thread.interrupts:
        return {"__interrupt__": [i for found in thread.interrupts.values() for i in found]}
    return {} if thread.values is None or thread.values is msgspec.UNSET else thread.values
