"""Assistants: system assistants, create/search/count/patch/versions/latest/delete, graphs
and schemas."""

from __future__ import annotations

import uuid

from ..normalize import SYSTEM_ASSISTANT_NAMESPACE
from ..recording import Target
from .base import scenario


def system_id(graph: str) -> str:
    return str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, graph))


@scenario("assistants: system assistants, graphs and schemas")
async def system_assistants(t: Target) -> None:
    counter, nested = system_id("counter"), system_id("nested")
    await t.http("get system assistant", "GET", f"/assistants/{counter}")
    await t.http("get by graph id", "GET", "/assistants/counter")
    await t.http("search by graph_id", "POST", "/assistants/search", json={"graph_id": "counter"})
    await t.http("search system, by name", "POST", "/assistants/search", json={"metadata": {"created_by": "system"}, "name": "count"})
    await t.http("count system", "POST", "/assistants/count", json={"metadata": {"created_by": "system"}})
    await t.http("search, unknown graph", "POST", "/assistants/search", json={"graph_id": "nope"})
    await t.http("graph", "GET", f"/assistants/{counter}/graph")
    await t.http("graph by graph id", "GET", "/assistants/nested/graph")
    await t.http("graph, xray", "GET", f"/assistants/{nested}/graph", params={"xray": "true"})
    await t.http("graph, xray 1", "GET", f"/assistants/{nested}/graph", params={"xray": "1"})
    await t.http("graph, bad xray", "GET", f"/assistants/{nested}/graph", params={"xray": "nope"})
    await t.http("schemas", "GET", f"/assistants/{counter}/schemas")
    await t.http("schemas (chat)", "GET", f"/assistants/{system_id('chat')}/schemas")
    await t.http("schemas (factory)", "GET", f"/assistants/{system_id('factory')}/schemas")
    await t.http("subgraphs", "GET", f"/assistants/{nested}/subgraphs")
    await t.http("subgraphs, recurse", "GET", f"/assistants/{nested}/subgraphs", params={"recurse": "true"})
    await t.http("subgraphs of a namespace", "GET", f"/assistants/{nested}/subgraphs/child")
    await t.http("versions of a system assistant", "POST", f"/assistants/{counter}/versions", json={})
    missing = str(uuid.uuid4())
    await t.http("get missing assistant", "GET", f"/assistants/{missing}")
    await t.http("graph of a missing assistant", "GET", f"/assistants/{missing}/graph")
    await t.http("schemas of a missing assistant", "GET", f"/assistants/{missing}/schemas")


@scenario("assistants: create, patch, versions, delete")
async def assistant_lifecycle(t: Target) -> None:
    aid = str(uuid.uuid4())
    mine = {"scenario": t.tag}
    body = {"assistant_id": aid, "graph_id": "counter", "name": "mine", "metadata": mine, "config": {"tags": ["x"]}}
    await t.http("create", "POST", "/assistants", json=body)
    await t.http("create again (raise)", "POST", "/assistants", json=body)
    await t.http("create again (do_nothing)", "POST", "/assistants", json={**body, "if_exists": "do_nothing"})
    await t.http("create with defaults", "POST", "/assistants", json={"graph_id": "chat", "metadata": mine})
    with_context = {"graph_id": "factory", "name": "with context", "context": {"tag": "c"}, "metadata": mine}
    await t.http("create with context", "POST", "/assistants", json=with_context)
    await t.http("get", "GET", f"/assistants/{aid}")
    patch = {"name": "renamed", "metadata": {"v": 2}, "config": {"configurable": {"k": 1}}}
    await t.http("patch", "PATCH", f"/assistants/{aid}", json=patch)
    await t.http("patch context only", "PATCH", f"/assistants/{aid}", json={"context": {"k": 2}})
    await t.http("versions", "POST", f"/assistants/{aid}/versions", json={})
    await t.http("versions, limit 1", "POST", f"/assistants/{aid}/versions", json={"limit": 1})
    await t.http("set latest to 1", "POST", f"/assistants/{aid}/latest", json={"version": 1})
    await t.http("set latest to a missing version", "POST", f"/assistants/{aid}/latest", json={"version": 42})
    await t.http("search mine", "POST", "/assistants/search", json={"metadata": mine})
    await t.http("search mine, limit 1", "POST", "/assistants/search", json={"metadata": mine, "limit": 1})
    by_name = {"metadata": mine, "sort_by": "name", "sort_order": "asc"}
    await t.http("search mine, sort by name asc", "POST", "/assistants/search", json=by_name)
    await t.http("search mine, select", "POST", "/assistants/search", json={"metadata": mine, "select": ["assistant_id", "name"]})
    await t.http("count mine", "POST", "/assistants/count", json={"metadata": mine})
    await t.http("run on it (wait)", "POST", "/runs/wait", json={"assistant_id": aid, "input": {"log": []}})
    await t.http("delete", "DELETE", f"/assistants/{aid}")
    await t.http("get deleted", "GET", f"/assistants/{aid}")
    await t.http("delete again", "DELETE", f"/assistants/{aid}")
    await t.http("create, unknown graph", "POST", "/assistants", json={"graph_id": "nope"})
    await t.http("create, no graph", "POST", "/assistants", json={"name": "x"})
    both = {"graph_id": "counter", "config": {"configurable": {"a": 1}}, "context": {"a": 1}}
    await t.http("create, configurable and context", "POST", "/assistants", json=both)
    await t.http("create, bad id", "POST", "/assistants", json={"graph_id": "counter", "assistant_id": "nope"})
    await t.http("patch missing", "PATCH", f"/assistants/{uuid.uuid4()}", json={"name": "x"})
    await t.http("search, bad sort_by", "POST", "/assistants/search", json={"sort_by": "nope"})
