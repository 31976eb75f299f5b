"""The test project's custom auth: bearer tokens for a few users; everyone sees only
what they own; deleting threads needs the `delete` permission; the store is per user;
`mallory` (permission `blocked`) may do nothing at all (a 403 on every route)."""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

auth = Auth()

USERS: dict[str, dict[str, Any]] = {
    "alice-token": {"identity": "alice", "permissions": ["delete"], "org": "acme"},
    "bob-token": {"identity": "bob", "permissions": ["delete"]},
    "eve-token": {"identity": "eve", "permissions": []},  # may not delete threads
    "mallory-token": {"identity": "mallory", "permissions": ["blocked"]},  # may do nothing
}


@auth.authenticate
async def authenticate(authorization: str | None) -> dict[str, Any]:
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing token", headers={"WWW-Authenticate": "Bearer"})
    user = USERS.get(authorization.removeprefix("Bearer "))
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")
    return user


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> Any:
    """Stamp what a user creates with their identity; show them only what they own."""
    if "blocked" in ctx.permissions:
        return False
    metadata = value.get("metadata")
    if isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on.threads.delete
async def delete_needs_permission(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> Any:
    if "delete" not in ctx.permissions:
        return False
    return {"owner": ctx.user.identity}


@auth.on.store
async def own_namespace(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> Any:
    if "blocked" in ctx.permissions:
        return False
    value["namespace"] = (ctx.user.identity, *value["namespace"])
