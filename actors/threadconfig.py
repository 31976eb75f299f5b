"""A run's and a thread's `config`. Pure functions."""

from __future__ import annotations

from typing import Any

_NESTED = ("configurable", "metadata")


def top_level(config: dict[str, Any] | None) -> dict[str, Any]:
    """The plain keys of a config (tags, recursion_limit…): not `configurable` or `metadata`."""
    return {k: v for k, v in (config or {}).items() if k not in _NESTED}
