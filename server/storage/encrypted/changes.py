"""A change of an encrypted record: the backend applies the change function inside its
transaction, synchronously, while the handlers are async. So the record is read and
decrypted, changed and encrypted outside, and the backend stores that only if the
record is still what was read (else it is done again): optimistic, never a lost update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec

from threadloom.protocol.errors import StorageBusy
from threadloom.server.encryption.fields import Model
from threadloom.server.encryption.records import RecordCodec

R = TypeVar("R", bound=msgspec.Struct)
ATTEMPTS = 10


class _Moved(Exception):
    """The record changed since it was read."""


async def change_encrypted(
    codec: RecordCodec, model: Model, read: Callable[[], Awaitable[R | None]],
    write: Callable[[Callable[[R], R]], Awaitable[R | None]], change: Callable[[R], R],
) -> R | None:
    """`read`: the stored record; `write(apply)`: the backend's change of it."""
    for _ in range(ATTEMPTS):
        stored = await read()
        if stored is None:
            return None
        sealed = await codec.seal(model, change(await codec.open(model, stored)))

        def apply(current: R, stored: R = stored, sealed: R = sealed) -> R:
            if current != stored:
                raise _Moved
            return sealed

        try:
            written = await write(apply)
        except _Moved:
            continue
        return None if written is None else await codec.open(model, written)
    raise StorageBusy(f"a {model} kept changing while it was being updated; try again")
