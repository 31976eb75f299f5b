"""Loading the project code `langgraph.json` names besides its graphs (the embedding
function, the custom app): `./path/file.py:attr` relative to the config, or `module:attr`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .graphs import _load_module, import_error
from .sections import ConfigError


def load_object(spec: str, base_dir: Path, key: str) -> Any:
    """The attribute `spec` names; problems are a `ConfigError` naming `key`."""
    module_part, _, attr = spec.rpartition(":")
    if not module_part or not attr:
        raise ConfigError(f"{key}: expected \"./file.py:name\", got {spec!r}")
    if "/" in module_part or module_part.endswith(".py"):
        file = (base_dir / module_part).resolve()
        if not file.is_file():
            raise ConfigError(f"{key}: file not found: {file}")
    try:
        module = _load_module(module_part, base_dir)
    except Exception as exc:
        raise ConfigError(f"{key}: could not import {module_part}: {import_error(exc, base_dir)}") from None
    if not hasattr(module, attr):
        raise ConfigError(f"{key}: {module_part} has no attribute {attr!r}")
    return getattr(module, attr)
