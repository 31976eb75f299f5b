"""Encrypting whole records: each field `fields.FIELDS` names for the record's model
goes through the JSON codec; the rest of the record is stored as it is. Fields that are
not JSON objects (an input that is a list, a string error) stay in clear."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from threadloom.protocol.serde import to_builtins

from .codec import MARKER, JsonCodec
from .context import current
from .fields import FIELDS, Model

R = TypeVar("R", bound=msgspec.Struct)


@dataclass(frozen=True)
class RecordCodec:
    json: JsonCodec

    async def seal(self, model: Model, record: R, *, under: tuple[str, ...] = ()) -> R:
        """`record` as it is stored, encrypted in the current encryption context.
        `under`: where `record` sits in its model's record (a run's `kwargs`)."""
        data, context = to_builtins(record), current()
        for path in _paths(model, under):
            parent, key = _parent(data, path)
            if parent is not None and isinstance(parent.get(key), dict):
                parent[key] = await self.json.encrypt(model, key, parent[key], context)
        return msgspec.convert(data, type(record))

    async def open(self, model: Model, record: R, *, under: tuple[str, ...] = ()) -> R:
        """`record` in plaintext, as it was before `seal`. A decryptor's replacement
        (key rotation) is not written back here: the record's next write stores it
        encrypted anew, and a read has no business writing (threads are written by their
        supervisor only)."""
        data = to_builtins(record)
        for path in _paths(model, under):
            parent, key = _parent(data, path)
            if parent is not None and isinstance(parent.get(key), dict):
                parent[key] = await self.json.decrypt(model, key, parent[key])
        return msgspec.convert(data, type(record))

    def stored_context(self, model: Model, record: msgspec.Struct) -> dict[str, Any] | None:
        """The context a stored record was encrypted in (its first marked field's); None
        if no field of it is encrypted."""
        data = to_builtins(record)
        for path in FIELDS[model]:
            parent, key = _parent(data, path)
            field = parent.get(key) if parent is not None else None
            if isinstance(field, dict) and isinstance(field.get(MARKER), dict):
                return field[MARKER]
        return None

    async def seal_dict(self, model: Model, value: dict[str, Any]) -> dict[str, Any]:
        """A bare JSON object (a store item's value), as its model's one field."""
        return await self.json.encrypt(model, FIELDS[model][0][-1], value, current())

    async def open_dict(self, model: Model, value: dict[str, Any]) -> dict[str, Any]:
        return await self.json.decrypt(model, FIELDS[model][0][-1], value)


def _paths(model: Model, under: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [path[len(under):] for path in FIELDS[model] if path[:len(under)] == under and len(path) > len(under)]


def _parent(data: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any] | None, str]:
    """The object holding the last key of `path`, if every step on the way is one."""
    node: Any = data
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), path[-1]
