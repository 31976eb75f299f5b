"""Authorization filters (reference §8.2): what an `@auth.on` handler returns to limit a
request to the resources whose metadata matches, e.g. `{"owner": "alice"}`.

    {"k": v}                      metadata["k"] equals v
    {"k": {"$eq": v}}             the same
    {"k": {"$contains": v}}       metadata["k"] is a list holding v (or each of a list of v)
    {"$or": [f, f, …]}            any of two or more filters
    {"$and": [f, f, …]}           all of two or more filters

Several keys in one filter must all match; `$or`/`$and` nest at most two deep.
"""

from __future__ import annotations

from typing import Any

Filter = dict[str, Any]
MAX_DEPTH = 2  # of nested $or / $and


class InvalidFilter(ValueError):
    """A handler returned something that is not a filter: a bug in the auth code."""


def check_filter(filter: Any, depth: int = 1) -> Filter:
    """`filter` if it is well formed, else an `InvalidFilter` saying why."""
    if not isinstance(filter, dict):
        raise InvalidFilter(f"a filter must be a dict, got {type(filter).__name__}")
    for key, value in filter.items():
        if key in ("$or", "$and"):
            if depth > MAX_DEPTH:
                raise InvalidFilter(f"$or and $and nest at most {MAX_DEPTH} levels deep")
            if not isinstance(value, list) or len(value) < 2:
                raise InvalidFilter(f"{key} takes a list of at least two filters")
            for part in value:
                check_filter(part, depth + 1)
        elif key.startswith("$"):
            raise InvalidFilter(f"unknown operator {key!r} (expected $or or $and at the top)")
        elif isinstance(value, dict) and value.keys() and all(k.startswith("$") for k in value):
            unknown = set(value) - {"$eq", "$contains"}
            if unknown or len(value) != 1:
                raise InvalidFilter(f"{key}: expected {{'$eq': value}} or {{'$contains': value}}, got {value!r}")
    return filter


def both(first: Filter | None, second: Filter | None) -> Filter | None:
    """A filter matching what both match (None matches everything)."""
    if first is None or second is None:
        return first if second is None else second
    return {"$and": [first, second]}


def matches(metadata: Any, filter: Filter | None) -> bool:
    """Does a resource whose metadata is `metadata` pass `filter`?"""
    if filter is None:
        return True
    if not isinstance(metadata, dict):
        metadata = {}
    for key, wanted in filter.items():
        if key == "$or":
            if not any(matches(metadata, part) for part in wanted):
                return False
        elif key == "$and":
            if not all(matches(metadata, part) for part in wanted):
                return False
        elif not _field_matches(metadata, key, wanted):
            return False
    return True


def _field_matches(metadata: dict[str, Any], key: str, wanted: Any) -> bool:
    if isinstance(wanted, dict) and len(wanted) == 1:
        ((op, operand),) = wanted.items()
        if op == "$eq":
            return key in metadata and _equal(metadata[key], operand)
        if op == "$contains":
            held = metadata.get(key)
            needed = operand if isinstance(operand, list) else [operand]
            return isinstance(held, list) and all(any(_equal(h, n) for h in held) for n in needed)
    return key in metadata and _equal(metadata[key], wanted)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`, `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
