"""What a user may do: the project's `@auth.on` handlers (reference §8.2).

The handler for (resource, action) is the most specific one registered: for
`threads.create`, `@auth.on.threads.create`, else `@auth.on.threads`, else a handler for
`create` on every resource, else `@auth.on`. None means allowed. A handler answers
`None`/`True` (allowed), `False` (403), or a filter on the resource's metadata; it may
raise `Auth.exceptions.HTTPException` (its status), and it may change `value` in place
(e.g. stamp an owner into `value["metadata"]`), which the request then uses.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph_sdk import Auth
from langgraph_sdk.auth.types import AuthContext

from threadloom.protocol.errors import Forbidden
from threadloom.protocol.filters import Filter, InvalidFilter, check_filter
from threadloom.protocol.users import AuthUser

from .authenticate import AuthCodeError, AuthError

log = logging.getLogger("threadloom.auth")

ACTIONS = {
    "threads": ("create", "read", "update", "delete", "search", "create_run"),
    "assistants": ("create", "read", "update", "delete", "search"),
    "crons": ("create", "read", "update", "delete", "search"),
    "store": ("put", "get", "search", "delete", "list_namespaces"),
}


class Authorizer:
    def __init__(self, auth: Auth) -> None:
        self._auth = auth
        self._resolved: dict[tuple[str, str], Any] = {}

    def handler(self, resource: str, action: str) -> Any:
        key = (resource, action)
        if key not in self._resolved:
            registered = self._auth._handlers
            for candidate in (key, (resource, "*"), ("*", action), ("*", "*")):
                if registered.get(candidate):
                    self._resolved[key] = registered[candidate][-1]
                    break
            else:
                self._resolved[key] = self._auth._global_handlers[-1] if self._auth._global_handlers else None
        return self._resolved[key]

    def uncovered(self) -> list[str]:
        """The actions no handler covers: open to every authenticated user."""
        return [f"{r}.{a}" for r, actions in ACTIONS.items() for a in actions if self.handler(r, a) is None]

    async def __call__(self, user: AuthUser, resource: str, action: str, value: dict[str, Any]) -> Filter | None:
        """None (allowed, unfiltered) or the filter the handler returned; a 403, or the
        handler's own `HTTPException`, when not allowed."""
        handler = self.handler(resource, action)
        if handler is None:
            return None
        ctx = AuthContext(permissions=user.permissions, user=user, resource=resource, action=action)  # type: ignore[arg-type]
        try:
            result = await handler(ctx=ctx, value=value)
        except Auth.exceptions.HTTPException as exc:
            raise AuthError(exc) from None
        except AssertionError:
            raise Forbidden("Forbidden") from None
        if result is None or result is True:
            return None
        if result is False:
            raise Forbidden("Forbidden")
        try:
            return check_filter(result)
        except InvalidFilter as exc:
            raise AuthCodeError(f"@auth.on handler for {resource}.{action} returned an invalid filter: {exc}") from None
