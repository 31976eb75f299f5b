"""Authorization filters (`protocol.filters`) compiled to SQL on a JSONB metadata column:
each condition leads with a containment (`@>`), which the column's GIN index
(jsonb_path_ops) serves, and adds the exact test where containment is looser."""

from __future__ import annotations

from typing import Any

from threadloom.protocol.filters import Filter

from .db import to_json


def auth_sql(column: str, filter: Filter | None) -> tuple[list[str], list[Any]]:
    """SQL conditions keeping the rows whose metadata passes `filter` (none without one)."""
    if filter is None:
        return [], []
    sql, args = _all(column, filter)
    return [sql], args


def _all(column: str, filter: Filter) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for key, wanted in filter.items():
        if key in ("$or", "$and"):
            compiled = [_all(column, part) for part in wanted]
            parts.append("(" + f" {key[1:].upper()} ".join(sql for sql, _ in compiled) + ")")
            for _, more in compiled:
                args.extend(more)
        else:
            sql, more = _field(column, key, wanted)
            parts.append(sql)
            args.extend(more)
    return ("(" + " AND ".join(parts) + ")") if parts else "TRUE", args


def _field(column: str, key: str, wanted: Any) -> tuple[str, list[Any]]:
    if isinstance(wanted, dict) and len(wanted) == 1:
        ((op, operand),) = wanted.items()
        if op == "$eq":
            return equals(column, key, operand)
        if op == "$contains":
            needed = operand if isinstance(operand, list) else [operand]
            # containment of arrays is looser than the filter's element equality only
            # for objects inside them, which metadata filters do not hold in practice
            return (
                f"({column} @> %s::jsonb AND jsonb_typeof({column} -> %s) = 'array')",
                [to_json({key: needed}), key],
            )
    return equals(column, key, wanted)


def equals(column: str, key: str, value: Any) -> tuple[str, list[Any]]:
    """`column[key]` equals `value` as JSON (`true` is not `1`, `1` is `1.0`): the
    containment finds candidates through the index, the equality rules out an array or
    object that merely contains `value`."""
    return f"({column} @> %s::jsonb AND {column} -> %s = %s::jsonb)", [to_json({key: value}), key, to_json(value)]
