"""What graph code and clients see of a run's config, as on the official server (observed
on `langgraph dev` 0.16.7 with the same probe graphs, `tests/graphs/probe.py`): the
platform's configurable and metadata keys, checkpoint metadata, `LANGGRAPH_CONFIG`, and
graph factories built with the thread's config for state reads and updates."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from langgraph_sdk.client import LangGraphClient

from auth_support import auth_url, sdk  # noqa: F401 (a fixture)
from conftest import make_app
from support import slow, until
from threadloom.server.config import ConfigError
from test_cli import EXAMPLE, clean_env, run_to_exit

PROBE = Path(__file__).parent / "graphs" / "probe.py"
GRAPHS = {"probe": f"{PROBE}:graph", "plain": f"{PROBE}:plain", "dynamic": f"{PROBE}:make_dynamic"}
CONFIGS = {
    "probe": {"configurable": {"model": "from-env", "other": 1}, "tags": ["t1"], "recursion_limit": 33},
    "plain": {"configurable": {"model": "plain-env"}},
    "nowhere": {"configurable": {"model": "ignored"}},  # no such graph: ignored
}
EMPTY_USER = {"langgraph_auth_user": None, "langgraph_auth_user_id": "", "langgraph_auth_permissions": []}


async def update_state(session: aiohttp.ClientSession, url: str, thread_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(f"{url}/threads/{thread_id}/state", json=body) as resp:
        return resp.status, await resp.json()


def project(tmp_path: Path, env: dict[str, str] | None = None) -> Path:
    """A langgraph.json serving the probe graphs, with `env`."""
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": GRAPHS, "env": env or {}}))
    return config


@pytest.fixture
async def served(aiohttp_server: Any) -> AsyncIterator[Callable[[Path], Any]]:
    """Serve a langgraph.json; yields an SDK client on it."""
    clients: list[LangGraphClient] = []

    async def serve(config: Path) -> LangGraphClient:
        server: TestServer = await aiohttp_server(make_app(config))
        clients.append(sdk(str(server.make_url("")).rstrip("/")))
        return clients[-1]

    yield serve
    for client in clients:
        await client.http.client.aclose()


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


PLATFORM_KEYS = {"langgraph_api_url", "langgraph_host", "langgraph_plan", "langgraph_version", "run_attempt"}


async def _running(client: LangGraphClient, tid: str, rid: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        run = await client.runs.get(tid, rid)
        return run if run["status"] != "pending" else None

    return await until(check)


async def test_a_run_record_gains_the_platform_keys_when_the_run_starts(url: str, client: LangGraphClient) -> None:
    """As on the official server: created without them, a run's `config.metadata` gains
    the platform keys (and `configurable` a null `__pregel_node_finished`) when it starts."""
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "slow", input=slow("a", 3))
    queued = await client.runs.create(tid, "counter", input={})
    for created in (first, queued):
        assert not PLATFORM_KEYS & set(created["kwargs"]["config"]["metadata"])
        assert "__pregel_node_finished" not in created["kwargs"]["config"]["configurable"]

    running = (await _running(client, tid, first["run_id"]))["kwargs"]["config"]
    metadata = running["metadata"]
    assert {k: metadata[k] for k in ("langgraph_plan", "langgraph_host", "run_attempt", "langgraph_api_url")} == {
        "langgraph_plan": "enterprise", "langgraph_host": "self-hosted", "run_attempt": 1, "langgraph_api_url": url}
    assert running["configurable"]["__pregel_node_finished"] is None
    assert not PLATFORM_KEYS & set((await client.runs.get(tid, queued["run_id"]))["kwargs"]["config"]["metadata"])

    await client.runs.join(tid, queued["run_id"])
    done = await client.runs.get(tid, queued["run_id"])
    assert PLATFORM_KEYS <= set(done["kwargs"]["config"]["metadata"])
    assert done["kwargs"]["config"]["configurable"]["__pregel_node_finished"] is None


async def test_a_run_created_on_a_busy_thread_takes_the_threads_metadata_as_it_is(client: LangGraphClient) -> None:
    """The official server updates a thread's graph and assistant only when a run is created
    on it while it is not busy, and its graph again when a run ends; a run's metadata is
    the thread's as it is at the run's creation."""
    tid = (await client.threads.create(metadata={"own": 1}))["thread_id"]
    slow_run = await client.runs.create(tid, "slow", input=slow("a", 3))
    counter = await client.runs.create(tid, "counter", input={}, metadata={"m": 1})
    assert counter["metadata"] == {
        "created_by": "system", "own": 1, "graph_id": "slow", "assistant_id": counter["assistant_id"], "m": 1}
    assert counter["kwargs"]["config"]["metadata"] == counter["metadata"]
    busy = await client.threads.get(tid)
    assert busy["metadata"] == {"own": 1, "graph_id": "slow", "assistant_id": slow_run["assistant_id"]}

    await client.runs.join(tid, counter["run_id"])
    ended = await client.threads.get(tid)
    assert ended["metadata"] == {"own": 1, "graph_id": "counter", "assistant_id": slow_run["assistant_id"]}
    await client.runs.wait(tid, "counter", input={})
    assert (await client.threads.get(tid))["metadata"]["assistant_id"] == counter["assistant_id"]


async def test_a_run_that_creates_its_thread_has_no_graph_id_in_its_metadata(client: LangGraphClient) -> None:
    """As on the official server: the thread it creates names the graph, the run does not."""
    created = await client.runs.create(str(uuid.uuid4()), "counter", input={}, if_not_exists="create", metadata={"s": 1})
    stateless = await client.runs.create(None, "counter", input={}, on_completion="keep", metadata={"s": 2})
    for run, tag in ((created, 1), (stateless, 2)):
        assert run["metadata"] == {"created_by": "system", "s": tag, "assistant_id": run["assistant_id"]}
        await client.runs.join(run["thread_id"], run["run_id"])
        assert (await client.threads.get(run["thread_id"]))["metadata"]["graph_id"] == "counter"


async def test_a_factorys_run_record_shows_its_plain_configurable_values_in_its_metadata(client: LangGraphClient) -> None:
    """The official server calls a graph factory with the run record's own metadata, which
    config defaulting fills with the configurable's plain values it lacks."""
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "factory", input={}, config={"configurable": {"tag": "blue", "nested": {"no": 1}}})
    await client.runs.wait(tid, "counter", input={}, config={"configurable": {"tag": "blue"}})
    factory, counter = reversed(await client.runs.list(tid))
    metadata = factory["kwargs"]["config"]["metadata"]
    assert {k: metadata[k] for k in ("tag", "thread_id", "run_id", "user_id", "langgraph_auth_user_id")} == {
        "tag": "blue", "thread_id": tid, "run_id": factory["run_id"], "user_id": "", "langgraph_auth_user_id": ""}
    assert "langgraph_request_id" in metadata
    assert not {"nested", "__after_seconds__", "langgraph_auth_permissions"} & set(metadata)
    assert not {"tag", "thread_id", "run_id"} & set(counter["kwargs"]["config"]["metadata"])


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


async def test_checkpoint_metadata_keeps_what_the_official_servers_saver_adds(client: LangGraphClient) -> None:
    """Beyond LangGraph's plain values: object values of `configurable`, the checkpoint a
    state update or a run started from, and a subgraph call's node, path and triggers."""
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "nested", input={"trail": []}, config={"configurable": {"cfg": {"a": [1]}}})
    history = await client.threads.get_history(tid, limit=10)
    assert history[0]["metadata"]["cfg"] == {"a": [1]}
    [task] = next(s for s in history if s["next"] == ["child"])["tasks"]
    [inner] = await client.threads.get_history(tid, limit=1, checkpoint={"checkpoint_ns": f"child:{task['id']}"})
    metadata = inner["metadata"]
    assert {k: metadata[k] for k in ("langgraph_node", "langgraph_path", "langgraph_step", "langgraph_triggers")} == {
        "langgraph_node": "child", "langgraph_path": ["__pregel_pull", "child"], "langgraph_step": 1,
        "langgraph_triggers": ["branch:to:child"]}
    assert (metadata["checkpoint_ns"], metadata["cfg"], metadata["thread_id"]) == (f"child:{task['id']}", {"a": [1]}, tid)
    assert "langgraph_request_id" in metadata and "langgraph_auth_permissions" not in metadata

    start = history[-1]["checkpoint_id"]
    await client.threads.update_state(tid, {"trail": ["u"]}, checkpoint_id=start)
    assert (await client.threads.get_state(tid))["metadata"]["checkpoint_id"] == start
    await client.runs.wait(tid, "nested", input={"trail": []}, checkpoint_id=start)
    assert (await client.threads.get_state(tid))["metadata"]["checkpoint_id"] == start


async def test_under_custom_auth_a_state_update_names_the_user_by_user_id(auth_url: str) -> None:
    alice = sdk(auth_url, "alice")
    try:
        tid = (await alice.threads.create())["thread_id"]
        await alice.runs.wait(tid, "counter", input={})
        assert (await alice.threads.get_state(tid))["metadata"]["langgraph_auth_user_id"] == "alice"
        await alice.threads.update_state(tid, {"count": 7})
        metadata = (await alice.threads.get_state(tid))["metadata"]
        assert {k: v for k, v in metadata.items() if k not in ("step", "parents")} == {
            "source": "update", "graph_id": "counter", "thread_id": tid, "user_id": "alice"}
    finally:
        await alice.http.client.aclose()


# LANGGRAPH_CONFIG ------------------------------------------------------------------------------------


async def test_langgraph_config_gives_system_assistants_their_config(tmp_path: Path, served: Any) -> None:
    client = await served(project(tmp_path, {"LANGGRAPH_CONFIG": json.dumps(CONFIGS)}))
    found = {a["graph_id"]: a for a in await client.assistants.search(metadata={"created_by": "system"})}
    assert set(found) == set(GRAPHS)
    assert (found["probe"]["config"], found["probe"]["context"]) == (CONFIGS["probe"], {"model": "from-env", "other": 1})
    assert (found["plain"]["config"], found["plain"]["context"]) == (CONFIGS["plain"], {"model": "plain-env"})
    assert (found["dynamic"]["config"], found["dynamic"]["context"]) == ({}, {})

    tid = (await client.threads.create())["thread_id"]
    seen = await client.runs.wait(tid, "probe", input={})
    assert (seen["seen_configurable"]["model"], seen["seen_configurable"]["other"]) == ("from-env", 1)
    assert seen["seen_context"] == {"model": "from-env", "other": 1}  # the graph's context_schema is filled
    [run] = await client.runs.list(tid)
    assert (run["kwargs"]["config"]["tags"], run["kwargs"]["config"]["recursion_limit"]) == (["t1"], 33)
    assert run["kwargs"]["context"] == {"model": "from-env", "other": 1}

    # the run's own context or configurable goes over the assistant's
    seen = await client.runs.wait(tid, "probe", input={}, context={"temperature": 0.5})
    assert seen["seen_context"] == {"model": "from-env", "other": 1, "temperature": 0.5}
    seen = await client.runs.wait(tid, "probe", input={}, config={"configurable": {"model": "mine"}, "tags": ["x"]})
    assert seen["seen_context"] == {"model": "mine", "other": 1}
    [latest, *_] = await client.runs.list(tid)
    assert latest["kwargs"]["config"]["tags"] == ["x"] and latest["kwargs"]["config"]["recursion_limit"] == 33

    # a graph without a context_schema gets the context all the same, as on the official server
    plain = await client.runs.wait(None, "plain", input={})
    assert plain["seen_context"] == {"model": "plain-env"}


async def test_the_process_environment_wins_over_langgraph_json(
    tmp_path: Path, served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGGRAPH_CONFIG", json.dumps({"plain": {"configurable": {"model": "process"}}}))
    client = await served(project(tmp_path, {"LANGGRAPH_CONFIG": json.dumps(CONFIGS)}))
    found = {a["graph_id"]: a["config"] for a in await client.assistants.search(metadata={"created_by": "system"})}
    assert found == {"plain": {"configurable": {"model": "process"}}, "probe": {}, "dynamic": {}}


@pytest.mark.parametrize(("value", "words"), [
    ("{not json", ["invalid JSON"]),
    ('["probe"]', ["JSON object"]),
    ('{"probe": 1}', ["probe", "object"]),
    ('{"probe": {"tags": "t1"}}', ["probe", "tags"]),
    ('{"probe": {"configurable": []}}', ["probe", "configurable"]),
])
def test_a_bad_langgraph_config_stops_the_server(tmp_path: Path, value: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        make_app(project(tmp_path, {"LANGGRAPH_CONFIG": value}))
    message = str(info.value)
    assert message.startswith("LANGGRAPH_CONFIG") and "\n" not in message
    assert all(word in message for word in words), message


async def test_the_cli_reports_bad_langgraph_config_in_one_line(tmp_path: Path) -> None:
    code, out, err = await run_to_exit("--config", str(EXAMPLE), "--memory", "--port", "0",
                                       cwd=tmp_path, env=clean_env(LANGGRAPH_CONFIG="{not json"))
    lines = err.strip().splitlines()
    assert (code, out, len(lines)) == (2, "", 1), err
    assert lines[0].startswith("threadloom: error: ") and "LANGGRAPH_CONFIG: invalid JSON" in lines[0]


# graph factories and the thread's config ------------------------------------------------------------


async def _dynamic_thread(client: LangGraphClient, **run: Any) -> tuple[str, str]:
    """A thread whose run used an assistant whose config gives the `dynamic` graph its
    `extra` node; (thread id, assistant id)."""
    assistant = await client.assistants.create("dynamic", config={"configurable": {"extra": True}})
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, assistant["assistant_id"], input={}, **run)
    return tid, assistant["assistant_id"]


async def test_a_state_update_finds_a_node_only_the_threads_config_builds(client: LangGraphClient) -> None:
    tid, _ = await _dynamic_thread(client)
    assert (await client.threads.get_state(tid))["values"]["extra"] == "ran"
    await client.threads.update_state(tid, {"extra": "patched"}, as_node="extra")
    state = await client.threads.get_state(tid)
    assert state["values"]["extra"] == "patched" and state["next"] == []
    # the graph was built with the thread's config, and its update checkpoint says so
    assert {k: v for k, v in state["metadata"].items() if k not in ("step", "parents")} == {
        "source": "update", "extra": True, "graph_id": "dynamic", "thread_id": tid}


async def test_state_reads_build_the_graph_with_the_threads_config(client: LangGraphClient) -> None:
    tid, _ = await _dynamic_thread(client, interrupt_before=["extra"])
    state = await client.threads.get_state(tid)
    assert state["next"] == ["extra"] and [t["name"] for t in state["tasks"]] == ["extra"]
    assert (await client.threads.get_state(tid, subgraphs=True))["next"] == ["extra"]
    assert (await client.threads.get_state(tid, checkpoint_id=state["checkpoint_id"]))["next"] == ["extra"]
    [latest] = await client.threads.get_history(tid, limit=1)
    assert latest["next"] == ["extra"] and latest["checkpoint_id"] == state["checkpoint_id"]
    # ...and the run goes on into the node that config builds
    assistant_id = (await client.threads.get(tid))["metadata"]["assistant_id"]
    assert (await client.runs.wait(tid, assistant_id, input=None))["extra"] == "ran"


async def test_only_what_runs_left_on_the_thread_builds_the_graph(
    url: str, client: LangGraphClient, session: aiohttp.ClientSession
) -> None:
    """As on the official server: not the thread's `metadata.assistant_id` alone, not a
    run's own configurable, not a copy (whose config is empty)."""
    missing = (400, {"detail": "Node extra does not exist"})
    _, assistant_id = await _dynamic_thread(client)
    named = await client.threads.create(metadata={"graph_id": "dynamic", "assistant_id": assistant_id})
    as_extra = {"values": {}, "as_node": "extra"}
    assert await update_state(session, url, named["thread_id"], as_extra) == missing

    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "dynamic", input={}, config={"configurable": {"extra": True}}, interrupt_before=["extra"])
    assert (await client.threads.get_state(tid))["next"] == []
    assert await update_state(session, url, tid, as_extra) == missing

    source, _ = await _dynamic_thread(client)
    copy = await client.threads.copy(source)
    assert await update_state(session, url, copy["thread_id"], as_extra) == missing


async def test_runs_merge_their_assistants_config_into_the_threads(client: LangGraphClient) -> None:
    """The thread's own values win; a run's configurable is not kept, its tags are."""
    first = await client.assistants.create(
        "probe", config={"configurable": {"extra": True, "tag": "d"}, "tags": ["dt"], "recursion_limit": 20})
    second = await client.assistants.create("probe", config={"configurable": {"tag": "e", "more": 1}, "tags": ["et"]})
    tid = (await client.threads.create())["thread_id"]
    assert (await client.threads.get(tid))["config"] == {}
    await client.runs.wait(tid, first["assistant_id"], input={}, config={"configurable": {"runkey": 1}, "tags": ["rt"]})
    expected = {"configurable": {"extra": True, "tag": "d"}, "recursion_limit": 20, "tags": ["rt"]}
    assert (await client.threads.get(tid))["config"] == expected
    seen = await client.runs.wait(tid, second["assistant_id"], input={})
    assert (await client.threads.get(tid))["config"] == {**expected, "configurable": {"extra": True, "tag": "d", "more": 1}}
    # the run: assistant < thread < run configurable; the assistant's tags, not the thread's
    assert {k: seen["seen_configurable"].get(k) for k in ("extra", "tag", "more", "runkey")} == {
        "extra": True, "tag": "d", "more": 1, "runkey": None}
    [latest, _] = await client.runs.list(tid)
    assert latest["kwargs"]["config"]["tags"] == ["et"] and "recursion_limit" not in latest["kwargs"]["config"]
