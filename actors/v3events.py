"""The producer of a v3 (thread-centric streaming) run: LangGraph's own
`astream_events(version="v3")`, each ProtocolEvent published to the run's log under its
method name (`method|ns…` in a subgraph), as the official server stores them. The
per-connection session (`protocol.v3.session`) turns the stored events into what clients
see; nothing here knows about connections."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import asyncio

from threadloom.protocol.serde import dumps, error_payload
from threadloom.protocol.v3.runs import V3_MARKER

Publish = Callable[[str, bytes], None]


def is_v3(config: dict[str, Any]) -> bool:
    """Whether a run was started by `run.start`/`input.respond` (its config says so)."""
    return bool((config.get("configurable") or {}).get(V3_MARKER))


def _stored(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as stored: a `messages` event keeps only its content-block event (the
    model's call metadata is not sent; a finished message a node returned, the legacy
    shape, is dropped, as the official session drops it)."""
    params = event.get("params") or {}
    if event.get("method") == "messages":
        data = params.get("data")
        if isinstance(data, tuple | list):
            data = data[0] if data else None
        if not isinstance(data, dict) or "event" not in data:
            return None
        params = {**params, "data": data}
    return {"type": "event", "method": event.get("method"), "params": params}


def _note(publish: Publish, data: dict[str, Any]) -> None:
    """A root lifecycle note for the session, which owns the root lifecycle: why the run
    failed or was cancelled (stored with the run's events, so every replay knows)."""
    publish("lifecycle", dumps({"type": "event", "method": "lifecycle", "params": {"namespace": [], "data": data}}))


async def stream_v3(
    graph: Any, graph_input: Any, config: dict[str, Any], options: dict[str, Any], publish: Publish,
    cancel_reason: Callable[[], str | None],
) -> None:
    """Run `graph` to the end, publishing every event it produces."""
    try:
        with warnings.catch_warnings():  # "the v3 streaming protocol on Pregel is experimental"
            warnings.simplefilter("ignore")
            events = await graph.astream_events(graph_input, config, version="v3", **options)
        async for event in events:
            if not isinstance(event, dict):
                continue
            stored = _stored(event)
            if stored is None:
                continue
            ns = (stored["params"] or {}).get("namespace") or []
            name = "|".join([str(stored["method"]), *map(str, ns)])
            publish(name, dumps(stored))
    except asyncio.CancelledError:
        _note(publish, {"event": "interrupted", "cause": cancel_reason() or "cancelled"})
        raise
    except Exception as exc:
        _note(publish, {"event": "failed", "error": error_payload(exc)["message"]})
        raise


def classic_values(chunk: Any) -> Any:
    """A v3 run's stored root `values` event as the classic routes (`/wait`, `/join`)
    give a run's result: its state, with `__interrupt__` if it carries interrupts. Any
    other chunk as it is."""
    if not (isinstance(chunk, dict) and chunk.get("type") == "event" and chunk.get("method") == "values"):
        return chunk
    params = chunk.get("params") or {}
    data = params.get("data")
    interrupts = params.get("interrupts")
    if interrupts and isinstance(data, dict):
        return {**data, "__interrupt__": interrupts}
    return data
