"""What a compiled graph looks like from the outside: its drawing and its JSON Schemas
(`GET /assistants/{id}/graph`, `/schemas`, `/subgraphs`).

A schema the graph cannot produce (an unsupported type, `typing.TypedDict` on Python
3.11, …) is null, as on the official server; describing a graph never fails as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from langchain_core.utils.pydantic import create_model_v2
from langgraph.channels.base import BaseChannel
from langgraph.pregel import Pregel
from pydantic import TypeAdapter

log = logging.getLogger(__name__)

# configurable keys the platform fills in itself: not part of what a client configures
_PLATFORM_CONFIG_KEYS = ("__pregel_checkpointer", "__pregel_store", "checkpoint_id", "checkpoint_ns", "thread_id")


class NotDrawable(Exception):
    """The graph cannot be drawn (or listed for subgraphs)."""


async def drawing(graph: Pregel, xray: bool | int) -> dict[str, Any]:
    """LangChain's `Graph.to_json()`, without the internal class path in each node's data."""
    try:
        drawn = (await graph.aget_graph(xray=xray)).to_json()
    except NotImplementedError:
        raise NotDrawable("The graph does not support visualization") from None
    except Exception as exc:  # noqa: BLE001 - a graph LangChain cannot draw is the graph's problem, not a 500
        log.warning("could not draw graph %s: %r", graph.name, exc)
        raise NotDrawable(f"The graph could not be drawn: {exc}") from None
    for node in drawn.get("nodes", []):
        if isinstance(data := node.get("data"), dict):
            data.pop("id", None)
    return drawn


def schemas(graph: Pregel) -> dict[str, Any]:
    """input/output/state/config/context JSON Schemas, each None when unavailable."""
    return {
        "input_schema": _or_none(graph, "input", graph.get_input_jsonschema),
        "output_schema": _or_none(graph, "output", graph.get_output_jsonschema),
        "state_schema": _or_none(graph, "state", lambda: _state_schema(graph)),
        "config_schema": _or_none(graph, "config", lambda: _config_schema(graph)),
        "context_schema": _or_none(graph, "context", graph.get_context_jsonschema),
    }


def subgraph_schemas(graph: Pregel, namespace: str | None, recurse: bool) -> dict[str, dict[str, Any]]:
    """`{namespace: schemas}` for the subgraphs (only the one at `namespace` if given)."""
    try:
        found = list(graph.get_subgraphs(namespace=namespace, recurse=recurse))
    except NotImplementedError:
        raise NotDrawable("The graph does not support visualization") from None
    # a Pregel's subgraphs are Pregels: LangGraph types them by their protocol
    return {ns: schemas(cast(Pregel, subgraph)) for ns, subgraph in found}


def _or_none(graph: Pregel, what: str, make: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - any type pydantic cannot describe: null, as the official server
        log.warning("no %s schema for graph %s: %s", what, graph.name, str(exc).partition("\n")[0])
        return None


def _state_schema(graph: Pregel) -> dict[str, Any]:
    """One optional field per channel the graph streams; a channel whose type has no
    JSON Schema becomes `Any` rather than losing the whole schema."""
    fields: dict[str, Any] = {}
    for key in graph.stream_channels_list:
        channel = graph.channels[key]
        kind = channel.UpdateType if isinstance(channel, BaseChannel) else Any
        try:
            TypeAdapter(kind).json_schema()
        except Exception:  # noqa: BLE001 - see the docstring
            kind = Any
        fields[key] = (kind, None)
    return create_model_v2(graph.get_name("State"), field_definitions=fields).model_json_schema()


def _config_schema(graph: Pregel) -> dict[str, Any]:
    """The schema of `config.configurable`: since LangGraph 1.0 that is the context
    schema; `{}` for a graph without one."""
    schema = graph.get_context_jsonschema()
    if not schema:
        return {}
    for key in _PLATFORM_CONFIG_KEYS:
        schema.get("properties", {}).pop(key, None)
    return schema
