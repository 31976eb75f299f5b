"""Loading the project's `Auth` object and checking it before the server listens."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from langgraph_sdk import Auth

from ..imports import load_object
from ..sections import ConfigError

# what `authenticate` may ask for by name (reference §8.1)
AUTHENTICATE_PARAMS = frozenset({
    "request", "body", "user", "path", "method", "scopes", "path_params", "query_params", "headers",
    "authorization", "scope",
})


def load_auth(spec: str, base_dir: Path) -> Auth:
    """The `Auth` that `auth.path` names; a `ConfigError` if it is not one, has no
    `@auth.authenticate`, or that function asks for what no request gives."""
    auth = load_object(spec, base_dir, "auth.path")
    if not isinstance(auth, Auth):
        raise ConfigError(f"auth.path: {spec} is a {type(auth).__name__}, not a langgraph_sdk.Auth")
    fn = auth._authenticate_handler
    if fn is None:
        raise ConfigError(f"auth.path: {spec} has no @auth.authenticate function")
    unknown = [
        name for name, p in inspect.signature(fn).parameters.items()
        if name not in AUTHENTICATE_PARAMS and p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if unknown:
        raise ConfigError(
            f"auth.path: @auth.authenticate {fn.__name__} asks for {unknown}; it may take any of {sorted(AUTHENTICATE_PARAMS)}"
        )
    return auth


def authenticate_params(auth: Auth) -> list[str]:
    """The parameters `authenticate` asks for."""
    fn: Any = auth._authenticate_handler
    return [name for name in inspect.signature(fn).parameters if name in AUTHENTICATE_PARAMS]
