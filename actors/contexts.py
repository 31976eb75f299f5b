"""The context work is done in when no live request asked for it: a run picked up from
storage after a restart, a cron's fire. A request's context (`contextvars`) travels
with what it asks for (see `actor.py`); for stored work the server may rebuild it from
what storage kept (the encryption context), else the work runs in a fresh context."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import TypeVar

R = TypeVar("R")

# the context a stored record's work is done in
StoredContext = Callable[[R], Awaitable[contextvars.Context]]


async def fresh_context(record: object) -> contextvars.Context:
    return contextvars.Context()
