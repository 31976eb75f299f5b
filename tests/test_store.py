"""The store endpoints, through the real SDK, backed by LangGraph's SQLite store."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import aiohttp


async def test_put_get_search_delete(client):
    await client.store.put_item(["users", "ann"], "prefs", {"theme": "dark", "lang": "en"})
    await client.store.put_item(["users", "bob"], "prefs", {"theme": "light", "lang": "en"})
    item = await client.store.get_item(["users", "ann"], "prefs")
    assert item["namespace"] == ["users", "ann"]
    assert item["key"] == "prefs"
    assert item["value"] == {"theme": "dark", "lang": "en"}
    assert item["created_at"] and item["updated_at"]

    found = await client.store.search_items(["users"], filter={"theme": "light"})
    assert [i["namespace"] for i in found["items"]] == [["users", "bob"]]
    everything = await client.store.search_items(["users"], limit=10)
    assert len(everything["items"]) == 2

    namespaces = await client.store.list_namespaces(prefix=["users"])
    assert sorted(namespaces["namespaces"]) == [["users", "ann"], ["users", "bob"]]
    assert (await client.store.list_namespaces(max_depth=1))["namespaces"] == [["users"]]

    await client.store.delete_item(["users", "ann"], "prefs")
    assert await client.store.get_item(["users", "ann"], "prefs") is None


LABEL = "Namespace label '{}' must be a non-empty string without periods"
BAD_STORE_INPUT = [  # (method, path, params, body) -> (status, body): the official texts and keys
    ("PUT", "/store/items", None, {"namespace": ["a.b"], "key": "k", "value": {}}, 422, {"detail": LABEL.format("a.b")}),
    ("PUT", "/store/items", None, {"namespace": ["a", ""], "key": "k", "value": {}}, 422, {"detail": LABEL.format("")}),
    ("PUT", "/store/items", None, {"namespace": ["langgraph", ""], "key": "k", "value": {}}, 422, {"detail": LABEL.format("")}),
    ("PUT", "/store/items", None, {"namespace": [], "key": "k", "value": {}}, 400, {"detail": "Namespace cannot be empty."}),
    ("PUT", "/store/items", None, {"namespace": ["langgraph", "x"], "key": "k", "value": {}}, 400,
     {"detail": """Root label for namespace cannot be "langgraph". Got: ('langgraph', 'x')"""}),
    ("GET", "/store/items", {"namespace": "a"}, None, 400, {"error": "Key is required"}),  # `error`, not `detail`
    ("GET", "/store/items", {"namespace": "a", "key": ""}, None, 400, {"error": "Key is required"}),
    ("GET", "/store/items", {"key": "k"}, None, 422, {"detail": LABEL.format("")}),
    ("GET", "/store/items", {"namespace": "a..b", "key": "k"}, None, 422, {"detail": LABEL.format("")}),
    ("DELETE", "/store/items", None, {"namespace": ["a", ""], "key": "k"}, 422, {"detail": LABEL.format("")}),
    ("POST", "/store/items/search", None, {"namespace_prefix": ["a", ""]}, 422, {"detail": LABEL.format("")}),
    ("POST", "/store/namespaces", None, {"suffix": [""]}, 422, {"detail": LABEL.format("")}),
]


async def test_bad_store_input_answers_as_the_official_server_and_changes_nothing(url):
    """Its status, key and text; only the 422 for a bad label is JSON here, as every error
    (the official body is plain text: a deliberate difference, scripts/conformance/deliberate.py)."""
    async with aiohttp.ClientSession() as http:
        for method, path, params, body, status, answer in BAD_STORE_INPUT:
            async with http.request(method, f"{url}{path}", params=params, json=body) as resp:
                assert (resp.status, resp.content_type) == (status, "application/json"), (method, params, body)
                assert await resp.json() == answer, (method, params, body)
        async with http.put(f"{url}/store/items", json={"namespace": ["a"], "key": "k", "value": "not an object"}) as resp:
            assert resp.status == 422 and "detail" in await resp.json()
        async with http.post(f"{url}/store/namespaces", json={}) as resp:
            assert (await resp.json()) == {"namespaces": []}


async def test_an_update_is_newer_than_what_it_replaced_even_within_a_second(client):
    """Items are stamped to the microsecond (LangGraph's SQLite store stamps to the
    second), strictly increasing: an update sorts after the original whenever it comes,
    and a search, most recently updated first as LangGraph's Postgres store (the official
    production server's) answers, lists it first. The official dev server's in-memory
    store lists items in insertion order: a deliberate difference (scripts/conformance/deliberate.py)."""
    await client.store.put_item(["times"], "first", {"v": 1})
    original = await client.store.get_item(["times"], "first")
    await client.store.put_item(["times"], "second", {"v": 1})
    await client.store.put_item(["times"], "first", {"v": 2})
    updated = await client.store.get_item(["times"], "first")
    second = await client.store.get_item(["times"], "second")

    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00"  # as Python's isoformat (no zero microseconds)
    assert all(re.fullmatch(stamp, i[k]) for i in (original, updated, second) for k in ("created_at", "updated_at"))
    times = [datetime.fromisoformat(i["updated_at"]) for i in (original, second, updated)]
    assert times == sorted(set(times))  # all different, in the order written
    found = await client.store.search_items(["times"])
    assert [(i["key"], i["value"]) for i in found["items"]] == [("first", {"v": 2}), ("second", {"v": 1})]


async def test_store_writes_and_runs_share_the_database_without_stalling(client):
    """The store holds transactions across awaits on its own connection; records writes
    on the event loop must wait for it without blocking the loop (no deadlock)."""
    thread = await client.threads.create()

    async def writes(n: int) -> None:
        for i in range(n):
            await client.store.put_item(["load"], f"k{i}", {"i": i})

    async def runs(n: int) -> None:
        for i in range(n):
            await client.runs.wait(thread["thread_id"], "counter", input={"log": [str(i)]})

    await asyncio.wait_for(asyncio.gather(writes(60), runs(15), writes(60)), 60)
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["count"] == 30
    assert len((await client.store.search_items(["load"], limit=100))["items"]) == 60
