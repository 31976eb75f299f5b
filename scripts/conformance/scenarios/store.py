"""The store: put, get, search, list namespaces, delete, and their errors."""

from __future__ import annotations

from ..recording import Target
from .base import scenario


@scenario("store: items, search, namespaces, errors")
async def store(t: Target) -> None:
    ns = ["cmp", t.tag]
    await t.http("put", "PUT", "/store/items", json={"namespace": [*ns, "a"], "key": "k1", "value": {"n": 1, "color": "red"}})
    await t.http("put another", "PUT", "/store/items", json={"namespace": [*ns, "a"], "key": "k2", "value": {"n": 2, "color": "blue"}})
    await t.http("put in a deeper namespace", "PUT", "/store/items", json={"namespace": [*ns, "b", "c"], "key": "k3", "value": {"n": 3}})
    await t.http("get", "GET", "/store/items", params={"namespace": ".".join([*ns, "a"]), "key": "k1"})
    await t.http("update k1", "PUT", "/store/items", json={"namespace": [*ns, "a"], "key": "k1", "value": {"n": 10, "color": "red"}})
    await t.http("get updated", "GET", "/store/items", params={"namespace": ".".join([*ns, "a"]), "key": "k1"})
    await t.http("get missing", "GET", "/store/items", params={"namespace": ".".join([*ns, "a"]), "key": "nope"})
    await t.http("get without key", "GET", "/store/items", params={"namespace": ".".join(ns)})
    await t.http("search prefix", "POST", "/store/items/search", json={"namespace_prefix": ns})
    await t.http("search, filter", "POST", "/store/items/search", json={"namespace_prefix": ns, "filter": {"color": "red"}})
    await t.http("search, limit 1 offset 1", "POST", "/store/items/search", json={"namespace_prefix": ns, "limit": 1, "offset": 1})
    await t.http("search, query without index", "POST", "/store/items/search", json={"namespace_prefix": ns, "query": "red"})
    await t.http("search without prefix", "POST", "/store/items/search", json={"filter": {"scenario": t.tag}})
    await t.http("namespaces", "POST", "/store/namespaces", json={"prefix": ns})
    await t.http("namespaces, max_depth 3", "POST", "/store/namespaces", json={"prefix": ns, "max_depth": 3})
    await t.http("namespaces, suffix", "POST", "/store/namespaces", json={"prefix": ["cmp"], "suffix": ["a"]})
    await t.http("delete", "DELETE", "/store/items", json={"namespace": [*ns, "a"], "key": "k2"})
    await t.http("get deleted", "GET", "/store/items", params={"namespace": ".".join([*ns, "a"]), "key": "k2"})
    await t.http("delete missing", "DELETE", "/store/items", json={"namespace": [*ns, "a"], "key": "k2"})
    await t.http("put, label with a dot", "PUT", "/store/items", json={"namespace": ["a.b"], "key": "k", "value": {}})
    await t.http("put, empty label", "PUT", "/store/items", json={"namespace": ["", "x"], "key": "k", "value": {}})
    await t.http("put, empty namespace", "PUT", "/store/items", json={"namespace": [], "key": "k", "value": {}})
    await t.http("put, value not an object", "PUT", "/store/items", json={"namespace": ns, "key": "k", "value": 3})
    await t.http("put, no key", "PUT", "/store/items", json={"namespace": ns, "value": {}})
    await t.http("put, invalid JSON", "PUT", "/store/items", data=b"{nope")
    await t.http("delete, no key", "DELETE", "/store/items", json={"namespace": ns})
    await t.http("search, bad limit", "POST", "/store/items/search", json={"namespace_prefix": ns, "limit": -1})
    await t.http("namespaces, bad max_depth", "POST", "/store/namespaces", json={"max_depth": "x"})
    await t.sdk_call("sdk get_item missing", t.sdk.store.get_item([*ns, "a"], "nope"))
    await t.sdk_call("sdk search_items", t.sdk.store.search_items(ns))
    await t.sdk_call("sdk list_namespaces", t.sdk.store.list_namespaces(prefix=ns))
