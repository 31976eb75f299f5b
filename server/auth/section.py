"""The `auth` section of `langgraph.json` (reference §6.2)."""

from __future__ import annotations

import logging
from typing import Any

from ..sections import ConfigError, Section

log = logging.getLogger("threadloom.config")


class AuthSection(Section):
    path: str | None = None  # "./auth.py:auth": a `langgraph_sdk.Auth`
    disable_studio_auth: bool = False
    openapi: dict[str, Any] | None = None  # {securitySchemes, security}: shown in /openapi.json
    # accepted, not supported
    cache: dict[str, Any] | None = None
    allow_langsmith_api_keys: bool | None = None

    def check(self, key: str) -> None:
        if self.path is not None and ":" not in self.path:
            raise ConfigError(f"{key}.path: expected \"./file.py:auth\", got {self.path!r}")
        if self.openapi is not None:
            schemes = self.openapi.get("securitySchemes", {})
            security = self.openapi.get("security", [])
            if not isinstance(schemes, dict) or not isinstance(security, list):
                raise ConfigError(f"{key}.openapi: expected {{\"securitySchemes\": {{…}}, \"security\": […]}}")
        for name in ("cache", "allow_langsmith_api_keys"):
            if getattr(self, name) is not None:
                log.warning("langgraph.json: %s.%s is not supported; ignored", key, name)
