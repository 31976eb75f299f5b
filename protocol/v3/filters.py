"""What a connection (or one WebSocket subscription) wants: channels, namespace
prefixes, depth, and `since` (only events numbered after it)."""

from __future__ import annotations

from typing import Any

import msgspec

from .envelope import ProtocolError

METHODS = ("lifecycle", "values", "updates", "messages", "tools", "custom", "tasks", "checkpoints", "input.requested")
CHANNELS = frozenset({"values", "updates", "messages", "tools", "custom", "lifecycle", "input", "tasks", "checkpoints"})
SSE_NO_CHANNELS = "channels is required and must be a non-empty array"
SUBSCRIBE_NO_CHANNELS = "subscription.subscribe requires a non-empty channels array."
SUBSCRIBE_BAD_CHANNEL = "subscription.subscribe received an unsupported channel."
RECONNECT_NO_SINCE = "subscription.reconnect requires a non-negative integer since."


class BadFilter(Exception):
    """An SSE body that is no filter: a 400 with this text."""


class Filter(msgspec.Struct, frozen=True):
    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] = ()
    depth: int | None = None
    since: int | None = None

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether an event envelope passes this filter (`since` aside)."""
        method = event["method"]
        channel = "input" if method == "input.requested" else method
        if channel not in self.channels:
            if method != "custom" or not any(c == f"custom:{_custom_name(event)}" for c in self.channels):
                return False
        if not self.namespaces:
            return True
        ns = event["params"].get("namespace") or []
        return any(_under(ns, prefix, self.depth) for prefix in self.namespaces)


def _custom_name(event: dict[str, Any]) -> Any:
    data = event["params"].get("data")
    return data.get("name") if isinstance(data, dict) else None


def _under(ns: list[str], prefix: tuple[str, ...], depth: int | None) -> bool:
    """`["inner"]` is a prefix of `["inner:<task id>"]`: a segment without `:` matches an
    event segment with its task id removed."""
    if len(ns) < len(prefix):
        return False
    for want, got in zip(prefix, ns):
        if want != got and (":" in want or got.split(":", 1)[0] != want):
            return False
    return depth is None or len(ns) - len(prefix) <= depth


def _channels_ok(value: Any) -> tuple[list[Any], list[Any]]:
    channels = value if isinstance(value, list) else []
    bad = [c for c in channels if not isinstance(c, str) or not (c in CHANNELS or c.startswith("custom:"))]
    return channels, bad


def _scope(params: dict[str, Any]) -> tuple[tuple[tuple[str, ...], ...], int | None]:
    raw = params.get("namespaces")
    namespaces = tuple(
        tuple(ns) for ns in (raw if isinstance(raw, list) else [])
        if isinstance(ns, list) and all(isinstance(s, str) for s in ns)
    )
    depth = params.get("depth")
    return namespaces, depth if type(depth) is int and depth >= 0 else None


def _since(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def sse_filter(body: Any) -> Filter:
    """The body of `POST /threads/{id}/stream/events`; `BadFilter` with the official 400
    text if it is none."""
    if not isinstance(body, dict):
        raise BadFilter("Invalid JSON body")
    channels, bad = _channels_ok(body.get("channels"))
    if not channels:
        raise BadFilter(SSE_NO_CHANNELS)
    if bad:
        shown = ", ".join(str(c) for c in bad)
        raise BadFilter(
            f"channels contains unsupported entries: {shown}. Allowed: values, updates, messages, tools, custom, "
            "lifecycle, input, tasks, or any `custom:<name>`."
        )
    namespaces, depth = _scope(body)
    return Filter(frozenset(channels), namespaces, depth, _since(body.get("since")))


def command_filter(params: dict[str, Any], *, reconnect: bool = False) -> Filter:
    """The params of `subscription.subscribe` / `subscription.reconnect`."""
    channels, bad = _channels_ok(params.get("channels"))
    if not channels:
        raise ProtocolError("invalid_argument", SUBSCRIBE_NO_CHANNELS)
    if bad:
        raise ProtocolError("invalid_argument", SUBSCRIBE_BAD_CHANNEL)
    since = _since(params.get("since"))
    if reconnect and since is None:
        raise ProtocolError("invalid_argument", RECONNECT_NO_SINCE)
    namespaces, depth = _scope(params)
    return Filter(frozenset(channels), namespaces, depth, since)
