"""The store endpoints, through the real SDK, backed by LangGraph's SQLite store."""

from __future__ import annotations

import asyncio

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


async def test_bad_store_input_is_a_4xx_that_changes_nothing(url):
    async with aiohttp.ClientSession() as http:
        for body in ({"namespace": ["a.b"], "key": "k", "value": {}}, {"namespace": [""], "key": "k", "value": {}},
                     {"namespace": ["a"], "key": "k", "value": "not an object"}, {"key": "k", "value": {}}):
            async with http.put(f"{url}/store/items", json=body) as resp:
                assert resp.status == 422, body
                assert "detail" in await resp.json()
        async with http.get(f"{url}/store/items", params={"namespace": "a"}) as resp:
            assert resp.status == 400
            assert (await resp.json()) == {"detail": "Key is required"}
        async with http.post(f"{url}/store/namespaces", json={}) as resp:
            assert (await resp.json()) == {"namespaces": []}


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
