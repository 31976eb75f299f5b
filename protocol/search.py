"""Pure helpers of the search endpoints: JSON containment filters, `select` and `extract`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import Unprocessable


def json_contains(document: Any, wanted: Any) -> bool:
    """Postgres' `document @> wanted` on decoded JSON: an object contains another if it has
    each of its keys with a containing value (recursively), an array contains another if
    each wanted element is contained in one of its elements, scalars must be equal (and
    `true` is not `1`)."""
    if isinstance(wanted, dict):
        return isinstance(document, dict) and all(
            key in document and json_contains(document[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(document, list) and all(any(json_contains(d, w) for d in document) for w in wanted)
    if isinstance(wanted, bool) or isinstance(document, bool):
        return isinstance(wanted, bool) and isinstance(document, bool) and wanted == document
    if isinstance(wanted, (int, float)):
        return isinstance(document, (int, float)) and document == wanted
    return type(document) is type(wanted) and document == wanted


def check_select(select: Sequence[str] | None, allowed: Iterable[str]) -> list[str] | None:
    """The fields to keep (None: all), or a 422 listing the unknown ones."""
    if not select:
        return None
    allowed = list(allowed)
    unknown = [field for field in select if field not in allowed]
    if unknown:
        raise Unprocessable(f"Invalid select: unknown field(s) {unknown}; expected any of {allowed}")
    return list(select)


def pick(record: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return dict(record) if fields is None else {k: v for k, v in record.items() if k in fields}


# extract: {"alias": "values.messages[-1].content"} -------------------------------------------

MAX_EXTRACT_PATHS = 10
EXTRACTABLE_ROOTS = ("values", "metadata", "config", "interrupts")
_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(-?\d+)\]")

ExtractPath = tuple[str | int, ...]


def parse_extract(extract: dict[str, str] | None, reserved: Iterable[str]) -> dict[str, ExtractPath]:
    """Validate `extract` (alias → dotted path with `[i]` indexes into one of the thread's
    JSON fields); 422 naming the first problem."""
    if not extract:
        return {}
    if len(extract) > MAX_EXTRACT_PATHS:
        raise Unprocessable(f"extract: at most {MAX_EXTRACT_PATHS} paths, got {len(extract)}")
    taken = sorted(set(extract) & set(reserved))
    if taken:
        raise Unprocessable(f"extract: aliases cannot be thread field names: {taken}")
    parsed: dict[str, ExtractPath] = {}
    for alias, path in extract.items():
        if not _ALIAS.fullmatch(alias):
            raise Unprocessable(f"extract: alias {alias!r} must be an identifier (letters, digits, underscores)")
        parsed[alias] = _parse_path(alias, path)
    return parsed


def _parse_path(alias: str, path: str) -> ExtractPath:
    root = path.split(".", 1)[0].split("[", 1)[0]
    if root not in EXTRACTABLE_ROOTS:
        raise Unprocessable(f"extract: path {path!r} for {alias!r} must start with one of {list(EXTRACTABLE_ROOTS)}")
    steps: list[str | int] = [root]
    position = len(root)
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise Unprocessable(f"extract: invalid path {path!r} for {alias!r} at character {position}")
        key, index = match.groups()
        steps.append(key if key is not None else int(index))
        position = match.end()
    return tuple(steps)


def extract_value(document: Mapping[str, Any], path: ExtractPath) -> Any:
    """The value at `path`, or None where it does not resolve."""
    current: Any = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return None
            current = current[step]
        elif isinstance(current, dict):
            current = current.get(step)
        else:
            return None
    return current
