"""The user a request is made as (reference §8.1), and how runs carry it to the graph.

A run's `config.configurable` holds the user as `langgraph_auth_user` (a JSON object:
identity, display_name, is_authenticated, permissions and whatever else `authenticate`
returned in a dict), `langgraph_auth_user_id` and `langgraph_auth_permissions`, as on the
official server (null, `""` and `[]` without custom auth). Graphs, factories and crons
get it back as an `AuthUser`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

USER_KEY = "langgraph_auth_user"
USER_ID_KEY = "langgraph_auth_user_id"
PERMISSIONS_KEY = "langgraph_auth_permissions"


class AuthUser(dict[str, Any]):
    """A user that is both a dict (`user["identity"]`, `dict(user)`, JSON) and an object
    with `langgraph_sdk.Auth.types.BaseUser`'s properties (`user.identity`)."""

    @property
    def identity(self) -> str:
        return str(self.get("identity", ""))

    @property
    def display_name(self) -> str:
        return str(self.get("display_name") or self.identity)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.get("is_authenticated", True))

    @property
    def permissions(self) -> Sequence[str]:
        return list(self.get("permissions") or [])

    def __getattr__(self, name: str) -> Any:  # what `authenticate` returned beyond the four
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


ANONYMOUS = AuthUser(identity="", display_name="", is_authenticated=False, permissions=[])


def run_configurable(user: AuthUser | None) -> dict[str, Any]:
    """The keys a run created by `user` carries in its configurable. Without custom auth
    they are there all the same, empty (a null user, `""`, `[]`), as on the official
    server: graph code that reads them must not fail here when it works there."""
    return {
        USER_KEY: None if user is None else dict(user),
        USER_ID_KEY: "" if user is None else user.identity,
        PERMISSIONS_KEY: [] if user is None else list(user.permissions),
        "user_id": "" if user is None else user.identity,
    }


def reader_configurable(user: AuthUser | None) -> dict[str, Any]:
    """The keys a state read or update (outside any run) carries: none without custom
    auth; with it, the user (a graph factory is made for them) and `user_id`, not
    `langgraph_auth_user_id`: what the official server's update checkpoints show."""
    if user is None:
        return {}
    return {k: v for k, v in run_configurable(user).items() if k != USER_ID_KEY}


def from_configurable(configurable: dict[str, Any] | None) -> AuthUser | None:
    """The user a run's (or a read's) configurable names, if any."""
    saved = (configurable or {}).get(USER_KEY)
    if isinstance(saved, AuthUser):
        return saved
    return AuthUser(saved) if isinstance(saved, dict) else None
