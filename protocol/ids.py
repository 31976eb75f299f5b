"""Identifiers: UUIDv7 for threads and runs, uuid5 for the system assistant of a graph."""

from __future__ import annotations

import functools
import os
import time
import uuid

from .errors import Unprocessable

_SYSTEM_ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 64 & 0xFFF) << 64
    value |= 0b10 << 62 | rand & 0x3FFF_FFFF_FFFF_FFFF
    return str(uuid.UUID(int=value))


def uuid4() -> str:
    return str(uuid.uuid4())


@functools.lru_cache(maxsize=1024)
def system_assistant_id(graph_id: str) -> str:
    return str(uuid.uuid5(_SYSTEM_ASSISTANT_NAMESPACE, graph_id))


def parse_uuid(value: object, thing: str) -> str:
    """The canonical form of a UUID given by a client, or 422 naming what was wrong."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise Unprocessable(f"Invalid {thing} ID: must be a UUID") from None


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return False
    return True
