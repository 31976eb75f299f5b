"""What graph code and clients see of a run's config, as on the official server (observed
on `langgraph dev` 0.16.7 with the same probe graphs, `tests/graphs/probe.py`): the
platform's configurable and metadata keys, checkpoint metadata, `LANGGRAPH_CONFIG`, and
graph factories built with the thread's config for state reads and updates."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient


EMPTY_USER = {"langgraph_auth_user": None, "langgraph_auth_user_id": "", "langgraph_auth_permissions": []}


def sdk(url: str) -> LangGraphClient:
    return get_client(url=url, api_key=None)


async def post(url: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.post(url + path, json=body) as resp:
            return resp.status, await resp.json()


# what a run carries --------------------------------------------------------------------------------


async def test_graph_code_sees_the_platform_keys_without_custom_auth(url: str, client: LangGraphClient) -> None:
    tid = (await client.threads.create())["thread_id"]
    seen = await client.runs.wait(tid, "probe", input={})
    [run] = await client.runs.list(tid)
    configurable, metadata = seen["seen_configurable"], seen["seen_metadata"]
    assert {k: configurable[k] for k in EMPTY_USER} == EMPTY_USER
    assert configurable["user_id"] == "" and configurable["__after_seconds__"] == 0
    assert configurable["__request_start_time_ms__"] == run["kwargs"]["config"]["configurable"]["__request_start_time_ms__"]
    assert isinstance(configurable["__request_start_time_ms__"], int)
    assert (configurable["graph_id"], configurable["thread_id"], configurable["run_id"]) == ("probe", tid, run["run_id"])
    assert metadata["created_by"] == "system"
    assert (metadata["graph_id"], metadata["assistant_id"]) == ("probe", run["assistant_id"])
    assert (metadata["thread_id"], metadata["run_id"], metadata["run_attempt"]) == (tid, run["run_id"], 1)
    assert metadata["langgraph_api_url"] == url  # where the run's request reached this server
    assert metadata["langgraph_host"] == "self-hosted" and isinstance(metadata["langgraph_version"], str)
    assert seen["seen_context"] == "None"  # no context given, none configured


async def test_a_run_record_shows_its_config_metadata_and_checkpoint_during(url: str, client: LangGraphClient) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "probe", input={})
    [run] = await client.runs.list(tid)
    kwargs = run["kwargs"]
    assert kwargs["checkpoint_during"] is True and kwargs["durability"] == "async"
    assert {k: kwargs["config"]["configurable"][k] for k in EMPTY_USER} == EMPTY_USER
    metadata = kwargs["config"]["metadata"]
    assert {k: metadata[k] for k in ("created_by", "graph_id", "assistant_id")} == {
        "created_by": "system", "graph_id": "probe", "assistant_id": run["assistant_id"]}
    assert (metadata["run_attempt"], metadata["langgraph_api_url"]) == (1, url)

    # deprecated `checkpoint_during`: kept as given, and true unless given false
    for options, expected in (({"checkpoint_during": False}, (False, "exit")), ({"durability": "exit"}, (True, "exit"))):
        created = await client.runs.create(tid, "probe", input={}, **options)
        await client.runs.join(tid, created["run_id"])
        kwargs = (await client.runs.get(tid, created["run_id"]))["kwargs"]
        assert (kwargs["checkpoint_during"], kwargs["durability"]) == expected, options

    delayed = await client.runs.create(tid, "probe", input={}, after_seconds=3600)
    assert delayed["kwargs"]["config"]["configurable"]["__after_seconds__"] == 3600
    await client.runs.cancel(tid, delayed["run_id"])


async def test_checkpoint_metadata_names_the_thread_the_server_and_the_user(url: str, client: LangGraphClient) -> None:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "probe", input={})
    [run] = await client.runs.list(tid)
    history = await client.threads.get_history(tid, limit=10)
    assert [s["metadata"]["source"] for s in history] == ["loop", "loop", "input"]
    for state in history:
        metadata = state["metadata"]
        assert (metadata["thread_id"], metadata["run_id"], metadata["langgraph_api_url"]) == (tid, run["run_id"], url)
        assert (metadata["langgraph_auth_user_id"], metadata["user_id"], metadata["created_by"]) == ("", "", "system")
    assert await client.threads.get_history(tid, limit=10, metadata={"thread_id": tid}) == history

    # a state update outside any run names the thread and the graph, and no user
    await client.threads.update_state(tid, {"extra": "set"}, as_node="look")
    metadata = (await client.threads.get_state(tid))["metadata"]
    assert {k: v for k, v in metadata.items() if k not in ("step", "parents")} == {
        "source": "update", "graph_id": "probe", "thread_id": tid}
