"""Filters compiled to SQLite SQL: JSON containment (`protocol.search.json_contains`,
Postgres' `@>`) and authorization filters (`protocol.filters.matches`), over a column
holding JSON text.

SQL, not a Python function registered on the connection: the filter runs inside SQLite
(no row decoded in Python to be thrown away), and the same data compiles to each
backend's own SQL. JSON values are walked with `json_each`, whose rows carry a value's
`type` (`null`, `true`, `false`, `integer`, `real`, `text`, `array`, `object`), its
`atom` (the SQL value of a scalar) and its `value` (the JSON text of a container); keys
are compared as values, never spliced into a JSON path, so any key works.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

from threadloom.protocol.filters import Filter

Sql = tuple[str, list[Any]]
_TRUE: Sql = ("1", [])


class _Aliases:
    """Fresh table aliases for nested `json_each`s of one statement."""

    def __init__(self) -> None:
        self._next: Iterator[int] = itertools.count()

    def __call__(self) -> str:
        return f"j{next(self._next)}"


def every(parts: list[Sql]) -> Sql:
    """All of `parts` hold (true when there are none)."""
    if not parts:
        return _TRUE
    return " AND ".join(f"({sql})" for sql, _ in parts), [a for _, args in parts for a in args]


def _some(parts: list[Sql]) -> Sql:
    """One of `parts` (two or more: `$or`) holds."""
    return " OR ".join(f"({sql})" for sql, _ in parts), [a for _, args in parts for a in args]


def _scalar(node: str, wanted: Any) -> Sql:
    """The `json_each` row `node` holds the scalar `wanted` (`true` is not `1`, `1` is `1.0`)."""
    if wanted is None:
        return f"{node}.type = 'null'", []
    if isinstance(wanted, bool):
        return f"{node}.type = ?", ["true" if wanted else "false"]
    if isinstance(wanted, (int, float)):
        return f"{node}.type IN ('integer', 'real') AND {node}.atom = ?", [as_sqlite(wanted)]
    return f"{node}.type = 'text' AND {node}.atom = ?", [wanted]


def as_sqlite(number: int | float) -> int | float:
    """A number as SQLite's JSON holds it: an integer beyond 64 bits as a real (infinite
    past the range of a float)."""
    if isinstance(number, int) and not -(2**63) <= number < 2**63:
        try:
            return float(number)
        except OverflowError:
            return math.inf if number > 0 else -math.inf
    return number


def _inside(node: str) -> str:
    """The JSON text of the row `node`'s elements (its `value` is JSON only for a
    container, and json_each of NULL is empty)."""
    return f"CASE WHEN {node}.type IN ('object', 'array') THEN {node}.value END"


def _member(json: str, node: str, test: Sql, key: Any = None) -> Sql:
    """Some element of the container `json` (at `key`, if given) passes `test` on `node`."""
    sql, args = test
    if key is None:
        return f"EXISTS (SELECT 1 FROM json_each({json}) AS {node} WHERE {sql})", args
    return f"EXISTS (SELECT 1 FROM json_each({json}) AS {node} WHERE {node}.key = ? AND {sql})", [key, *args]


def _contains(node: str, wanted: Any, alias: _Aliases) -> Sql:
    """The `json_each` row `node` contains `wanted` (`json_contains`)."""
    if isinstance(wanted, dict):
        parts: list[Sql] = [(f"{node}.type = 'object'", [])]
        for key, value in wanted.items():
            child = alias()
            parts.append(_member(_inside(node), child, _contains(child, value, alias), key))
        return every(parts)
    if isinstance(wanted, list):
        parts = [(f"{node}.type = 'array'", [])]
        for value in wanted:
            child = alias()
            parts.append(_member(_inside(node), child, _contains(child, value, alias)))
        return every(parts)
    return _scalar(node, wanted)


def _equal(node: str, wanted: Any, alias: _Aliases) -> Sql:
    """The `json_each` row `node` equals `wanted` as JSON (`protocol.filters._equal`)."""
    if isinstance(wanted, dict):
        parts = [(f"{node}.type = 'object' AND (SELECT count(*) FROM json_each({_inside(node)})) = ?", [len(wanted)])]
        for key, value in wanted.items():
            child = alias()
            parts.append(_member(_inside(node), child, _equal(child, value, alias), key))
        return every(parts)
    if isinstance(wanted, list):
        parts = [(f"{node}.type = 'array' AND json_array_length({_inside(node)}) = ?", [len(wanted)])]
        for index, value in enumerate(wanted):
            child = alias()
            parts.append(_member(_inside(node), child, _equal(child, value, alias), index))
        return every(parts)
    return _scalar(node, wanted)


def _root(column: str, node: str, test: Sql) -> Sql:
    """`test` on the whole JSON document in `column` (as a one-row `json_tree`)."""
    sql, args = test
    return f"EXISTS (SELECT 1 FROM json_tree({column}) AS {node} WHERE {node}.parent IS NULL AND {sql})", args


def contains(column: str, wanted: Any) -> Sql:
    """`column` (JSON text; NULL never matches) contains `wanted`."""
    alias = _Aliases()
    node = alias()
    return _root(column, node, _contains(node, wanted, alias))


def _field(column: str, key: str, wanted: Any, alias: _Aliases) -> Sql:
    node = alias()
    if isinstance(wanted, dict) and len(wanted) == 1:
        ((op, operand),) = wanted.items()
        if op == "$eq":
            return _member(column, node, _equal(node, operand, alias), key)
        if op == "$contains":
            needed = operand if isinstance(operand, list) else [operand]
            parts: list[Sql] = [(f"{node}.type = 'array'", [])]
            for value in needed:
                held = alias()
                parts.append(_member(_inside(node), held, _equal(held, value, alias)))
            return _member(column, node, every(parts), key)
    return _member(column, node, _equal(node, wanted, alias), key)


def _matches(column: str, filter: Filter, alias: _Aliases) -> Sql:
    parts: list[Sql] = []
    for key, wanted in filter.items():
        if key == "$or":
            parts.append(_some([_matches(column, part, alias) for part in wanted]))
        elif key == "$and":
            parts.append(every([_matches(column, part, alias) for part in wanted]))
        else:
            parts.append(_field(column, key, wanted, alias))
    return every(parts)


def auth(column: str, filter: Filter | None) -> Sql:
    """`column`'s metadata object (JSON text) passes the authorization filter (all rows
    without one; a NULL or non-object metadata passes only a filter with no field)."""
    if filter is None:
        return _TRUE
    return _matches(f"CASE json_type({column}) WHEN 'object' THEN {column} ELSE '{{}}' END", filter, _Aliases())


def member_lookups(id_column: str, members: str, scope: Sql, wanted: Any) -> list[Sql]:
    """What a side table of top-level JSON members (`members`: rows of key, json_each
    type, atom and the owner's id in `id_column`, within `scope`) says of the top level
    of a filter: an index lookup per key, true of every row whose document holds the key
    with an equal scalar, or with an object or array, as `wanted` has. A necessary
    condition of containment and of equality, kept beside the full test, so that SQLite
    starts from the few rows it finds instead of scanning. None for a non-object filter."""
    if not isinstance(wanted, dict):
        return []
    scope_sql, scope_args = scope
    lookup = f"{id_column} IN (SELECT {id_column} FROM {members} WHERE {scope_sql} AND key = ? AND "
    parts: list[Sql] = []
    for key, value in wanted.items():
        args = [*scope_args, key]
        if isinstance(value, (dict, list)):
            parts.append((lookup + "type = ?)", [*args, "object" if isinstance(value, dict) else "array"]))
        elif value is None:
            parts.append((lookup + "type = 'null')", args))
        elif isinstance(value, bool):
            parts.append((lookup + "type = ?)", [*args, "true" if value else "false"]))
        elif isinstance(value, (int, float)):
            parts.append((lookup + "type IN ('integer', 'real') AND atom = ?)", [*args, as_sqlite(value)]))
        else:
            parts.append((lookup + "type = 'text' AND atom = ?)", [*args, value]))
    return parts


def has_keys(column: str, wanted: dict[str, Any] | None) -> Sql:
    """`column`'s JSON object holds each key of `wanted` with an equal value (the
    `metadata` of assistant and cron searches)."""
    alias = _Aliases()
    parts: list[Sql] = []
    for key, value in (wanted or {}).items():
        node = alias()
        parts.append(_member(column, node, _equal(node, value, alias), key))
    return every(parts)
