"""A thread's time-to-live (`checkpointer.ttl` in langgraph.json, the API's `ttl`), stored
on the thread and counted from its last update."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from .errors import Unprocessable

TtlStrategy = Literal["delete", "keep_latest"]


class ThreadTtl(msgspec.Struct, frozen=True, kw_only=True):
    """"delete": the thread goes, with its runs and checkpoints; "keep_latest": only its
    latest checkpoint is kept (the thread is not pruned again until it is updated again)."""

    strategy: TtlStrategy = "delete"
    minutes: float


class Expired(msgspec.Struct, frozen=True):
    """A thread whose TTL has run out, and what to do with it."""

    thread_id: str
    strategy: TtlStrategy


def requested(raw: dict[str, Any] | None) -> ThreadTtl | None:
    """The API's `ttl` (`{"strategy", "ttl": minutes}`, checked against its schema) as a
    thread's TTL; None when it names no duration."""
    if raw is None or raw.get("ttl") is None:
        return None
    if raw["ttl"] <= 0:
        raise Unprocessable("ttl.ttl: must be a positive number of minutes")
    return ThreadTtl(strategy=raw.get("strategy", "delete"), minutes=raw["ttl"])
