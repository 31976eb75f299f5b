"""`/a2a/{assistant_id}` with the real `a2a-sdk` client from PyPI, through both of its
JSON-RPC transports: A2A 1.0 (the card's 1.0 interface) and 0.3 (the compat transport, as
a 0.3 client that reads our card with 0.3's own types gets it). Each sends, streams,
resumes an interrupt, gets and cancels tasks; listing is 1.0's (0.3 has no `ListTasks`).
Then the agent cards, the JSON-RPC envelope (raw HTTP), auth and `http.disable_a2a`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from a2a.client import Client, ClientConfig, ClientFactory
from a2a.compat.v0_3 import conversions
from a2a.compat.v0_3 import types as types_v03
from a2a.helpers import get_artifact_text, get_message_text, get_text_parts, new_data_part, new_message, new_text_part
from a2a.types import (
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskNotCancelableError,
    TaskNotFoundError,
    TaskState,
    UnsupportedOperationError,
)
from google.protobuf.json_format import MessageToDict
from langgraph_sdk.client import LangGraphClient

from auth_support import AUTH_CONFIG, TOKEN_AUTH
from conftest import GRAPHS, MakeServer
from support import until

from threadloom.protocol.ids import system_assistant_id

VERSIONS = ("1.0", "0.3")
TALKER, ASKER, INTERVIEWER, SLOW = (system_assistant_id(g) for g in ("talker", "asker", "interviewer", "slow"))


@contextlib.asynccontextmanager
async def a2a(url: str, assistant_id: str, version: str = "1.0", *, streaming: bool = False, polling: bool = False,
              headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    """The SDK's client for the assistant, speaking `version`: for 1.0 as the SDK resolves
    our card; for 0.3 as a 0.3 client reads it (0.3's pydantic card, then the SDK's own
    conversion, which picks the 0.3 compat transport)."""
    async with httpx.AsyncClient(headers=headers or {}, timeout=30) as http:
        factory = ClientFactory(ClientConfig(httpx_client=http, streaming=streaming, polling=polling))
        if version == "1.0":
            client = await factory.create_from_url(f"{url}/a2a/{assistant_id}")
        else:
            card = (await http.get(f"{url}/a2a/{assistant_id}/.well-known/agent-card.json")).json()
            client = factory.create(conversions.to_core_agent_card(types_v03.AgentCard.model_validate(card)))
        yield client


def user(*parts: Part, context_id: str | None = None, task_id: str | None = None) -> SendMessageRequest:
    return SendMessageRequest(message=new_message(list(parts), context_id=context_id, task_id=task_id, role=Role.ROLE_USER))


async def events(client: Client, request: SendMessageRequest) -> list[StreamResponse]:
    return [event async for event in client.send_message(request)]


async def sent(client: Client, request: SendMessageRequest) -> Task:
    [event] = await events(client, request)
    assert event.HasField("task"), event
    return event.task


def kinds(stream: list[StreamResponse]) -> list[str]:
    return [str(event.WhichOneof("payload")) for event in stream]


# sending, streaming, resuming ----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_send_a_message_and_get_the_task(url: str, version: str) -> None:
    async with a2a(url, TALKER, version) as client:
        task = await sent(client, user(new_text_part("hi")))
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        thread_id, run_id = task.id.split(":")
        assert task.context_id == thread_id and run_id
        [answer] = task.artifacts
        assert answer.name == "Assistant Response" and get_artifact_text(answer) == "done"
        assert [(m.role, get_message_text(m)) for m in task.history] == [
            (Role.ROLE_USER, "hi"), (Role.ROLE_AGENT, "Hello there"), (Role.ROLE_AGENT, "done"),
        ]
        assert {m.task_id for m in task.history} == {task.id}
        # the same context: a second task on the same thread
        again = await sent(client, user(new_text_part("again"), context_id=task.context_id))
        assert again.context_id == task.context_id and again.id != task.id
        got = await client.get_task(GetTaskRequest(id=task.id))
        assert got.status.state == TaskState.TASK_STATE_COMPLETED and get_artifact_text(got.artifacts[0]) == "done"
        assert [get_message_text(m) for m in got.history] == ["hi", "Hello there", "done"]  # up to the task's end


@pytest.mark.parametrize("version", VERSIONS)
async def test_streamed_events_are_whole(url: str, version: str) -> None:
    """The official server sends 0.3-shaped events to a 1.0 client, which reads all but the
    first as empty `StreamResponse`s; here every event parses, in both versions."""
    async with a2a(url, TALKER, version, streaming=True) as client:
        stream = await events(client, user(new_text_part("hi")))
    assert kinds(stream) == ["task", "status_update", "status_update", "artifact_update", "status_update"]
    submitted, hello, done, artifact, completed = stream
    assert submitted.task.status.state == TaskState.TASK_STATE_SUBMITTED
    assert [get_message_text(m) for m in submitted.task.history] == ["hi"]
    assert [e.status_update.status.state for e in (hello, done)] == [TaskState.TASK_STATE_WORKING] * 2
    assert [get_message_text(e.status_update.status.message) for e in (hello, done)] == ["Hello there", "done"]
    assert get_artifact_text(artifact.artifact_update.artifact) == "done"
    assert completed.status_update.status.state == TaskState.TASK_STATE_COMPLETED
    assert {e.status_update.task_id for e in (hello, done, completed)} == {submitted.task.id}


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("version", VERSIONS)
async def test_an_interrupt_is_answered_by_resuming_the_task(url: str, version: str, streaming: bool) -> None:
    async with a2a(url, ASKER, version, streaming=streaming) as client:
        first = await events(client, user(new_data_part({"question": "name?"})))
        task, asked = first[0].task, first[-1]
        state = asked.task.status if asked.HasField("task") else asked.status_update.status
        assert state.state == TaskState.TASK_STATE_INPUT_REQUIRED
        assert get_message_text(state.message) == "name?"  # the question, for a client that reads only the status
        interrupt = MessageToDict(first[-2].artifact_update.artifact if streaming else asked.task.artifacts[0])
        assert interrupt["name"] == "Interrupt" and interrupt["parts"][0]["data"]["value"] == "name?"
        answered = await events(client, user(new_data_part({"resume": "Ada"}), context_id=task.context_id, task_id=task.id))
        done = answered[-1].task if answered[-1].HasField("task") else None
        final = done.status if done is not None else answered[-1].status_update.status
        assert final.state == TaskState.TASK_STATE_COMPLETED
        got = await client.get_task(GetTaskRequest(id=task.id))
        assert got.status.state == TaskState.TASK_STATE_COMPLETED
        # a graph without messages answers with its final values, as JSON
        assert json.loads(get_artifact_text(got.artifacts[0])) == {"answers": ["Ada", "thanks"], "question": "name?"}
        with pytest.raises(UnsupportedOperationError, match="terminal task"):
            await events(client, user(new_data_part({"resume": "again"}), context_id=task.context_id, task_id=task.id))


@pytest.mark.parametrize("version", VERSIONS)
async def test_text_answers_a_conversational_interrupt(url: str, version: str) -> None:
    async with a2a(url, INTERVIEWER, version) as client:
        task = await sent(client, user(new_text_part("hello")))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        done = await sent(client, user(new_text_part("Ada"), context_id=task.context_id, task_id=task.id))
    assert done.id == task.id and done.status.state == TaskState.TASK_STATE_COMPLETED
    assert get_artifact_text(done.artifacts[0]) == "Nice to meet you, Ada!"
    assert [get_message_text(m) for m in done.history] == ["hello", "Nice to meet you, Ada!"]


# cancelling and listing -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_cancel_a_running_task(url: str, version: str, client: LangGraphClient) -> None:
    async with a2a(url, SLOW, version, polling=True) as a:
        task = await sent(a, user(new_data_part({"steps": 10_000, "delay": 0.02, "tag": "t"})))
        assert task.status.state in (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING)
        await until(lambda: client.runs.get(task.context_id, task.id.split(":")[1]), every=0.02)
        cancelled = await a.cancel_task(CancelTaskRequest(id=task.id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        assert (await a.get_task(GetTaskRequest(id=task.id))).status.state == TaskState.TASK_STATE_CANCELED
        with pytest.raises(TaskNotCancelableError):
            await a.cancel_task(CancelTaskRequest(id=task.id))


@pytest.mark.parametrize("version", VERSIONS)
async def test_cancel_a_task_waiting_for_input(url: str, version: str, client: LangGraphClient) -> None:
    async with a2a(url, ASKER, version) as a:
        task = await sent(a, user(new_data_part({"question": "name?"})))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        cancelled = await a.cancel_task(CancelTaskRequest(id=task.id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        assert get_message_text(cancelled.status.message) == "Task was canceled"
        assert (await a.get_task(GetTaskRequest(id=task.id))).status.state == TaskState.TASK_STATE_CANCELED
    assert (await client.threads.get(task.context_id))["status"] == "idle"  # the interrupt no longer waits


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_unknown_task(url: str, version: str) -> None:
    async with a2a(url, TALKER, version) as client:
        for task_id in ("nope", "00000000-0000-4000-8000-000000000000:00000000-0000-4000-8000-000000000000"):
            with pytest.raises(TaskNotFoundError):
                await client.get_task(GetTaskRequest(id=task_id))
        task = await sent(client, user(new_text_part("hi")))
    async with a2a(url, ASKER, version) as other:  # a task is its assistant's
        with pytest.raises(TaskNotFoundError):
            await other.get_task(GetTaskRequest(id=task.id))


async def test_list_tasks(url: str) -> None:
    async with a2a(url, TALKER) as client:
        first = await sent(client, user(new_text_part("one")))
        second = await sent(client, user(new_text_part("two"), context_id=first.context_id))
        third = await sent(client, user(new_text_part("three")))
        listed = await client.list_tasks(ListTasksRequest())
        assert [t.id for t in listed.tasks] == [third.id, second.id, first.id]  # newest first
        assert listed.total_size == 3 and not listed.next_page_token
        assert all(not t.artifacts for t in listed.tasks)
        page = await client.list_tasks(ListTasksRequest(page_size=2, include_artifacts=True))
        assert [t.id for t in page.tasks] == [third.id, second.id] and page.next_page_token == "2"
        assert get_artifact_text(page.tasks[0].artifacts[0]) == "done"
        rest = await client.list_tasks(ListTasksRequest(page_size=2, page_token=page.next_page_token))
        assert [t.id for t in rest.tasks] == [first.id]
        in_context = await client.list_tasks(ListTasksRequest(context_id=first.context_id))
        assert [t.id for t in in_context.tasks] == [second.id, first.id]
        done = await client.list_tasks(ListTasksRequest(status=TaskState.TASK_STATE_COMPLETED, history_length=1))
        assert len(done.tasks) == 3 and all(len(t.history) == 1 for t in done.tasks)
    async with a2a(url, ASKER) as other:
        assert not (await other.list_tasks(ListTasksRequest())).tasks


# the wire: cards, JSON-RPC, the 1.0 / 0.3 shapes --------------------------------------------------


async def rpc(session: aiohttp.ClientSession, url: str, body: Any, *, path: str = TALKER,
              accept: str = "application/json") -> tuple[int, Any]:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"Content-Type": "application/json", "Accept": accept}
    async with session.post(f"{url}/a2a/{path}", data=data, headers=headers) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def test_agent_cards(url: str, session: aiohttp.ClientSession) -> None:
    cards = []
    for path in (f"/a2a/{TALKER}", f"/a2a/{TALKER}/.well-known/agent-card.json", f"/a2a/{TALKER}/.well-known/agent.json",
                 f"/.well-known/agent-card.json?assistant_id={TALKER}", "/.well-known/agent-card.json?assistant_id=talker",
                 "/a2a/talker"):
        async with session.get(url + path) as response:
            assert response.status == 200, path
            cards.append(await response.json())
    assert all(card == cards[0] for card in cards)
    card = cards[0]
    endpoint = f"{url}/a2a/{TALKER}"
    assert card["name"] == "talker" and card["description"] == "talker assistant" and card["url"] == endpoint
    assert card["supportedInterfaces"] == [
        {"url": endpoint, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
        {"url": endpoint, "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
    ]
    assert card["capabilities"]["streaming"] is True and card["capabilities"]["pushNotifications"] is False
    assert card["skills"][0]["metadata"]["inputSchema"] == {"required": ["messages"], "properties": ["messages"], "supportsA2A": True}
    types_v03.AgentCard.model_validate(card)  # a valid 0.3 card as well
    for path, status in (("/.well-known/agent-card.json", 400), ("/a2a/00000000-0000-4000-8000-000000000000", 404),
                         ("/a2a/nosuchgraph", 422)):
        async with session.get(url + path) as response:
            assert response.status == status, path
            assert isinstance((await response.json())["detail"], str)
    status, body = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard"})
    assert (status, body["result"]) == (200, card)


async def test_the_two_versions_on_the_wire(url: str, session: aiohttp.ClientSession) -> None:
    """1.0 method names get 1.0's JSON (no `kind`, enum spellings, `{"task": …}`); 0.3
    aliases get 0.3's (kinds, lower-case roles and states, the task itself)."""
    message = {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}
    _, v1 = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}})
    task = v1["result"]["task"]
    assert "kind" not in task and task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["history"][0] == {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}],
                                  "contextId": task["contextId"], "taskId": task["id"]}
    legacy = {"kind": "message", "messageId": "m2", "role": "user", "parts": [{"kind": "text", "text": "hi"}]}
    _, v03 = await rpc(session, url, {"jsonrpc": "2.0", "id": 2, "method": "message/send", "params": {"message": legacy}})
    old = v03["result"]
    assert old["kind"] == "task" and old["status"]["state"] == "completed"
    assert old["artifacts"][0]["parts"] == [{"kind": "text", "text": "done"}]
    assert {m["role"] for m in old["history"]} == {"user", "agent"} and {m["kind"] for m in old["history"]} == {"message"}
    _, got = await rpc(session, url, {"jsonrpc": "2.0", "id": 3, "method": "tasks/get", "params": {"id": old["id"]}})
    assert got["result"]["kind"] == "task" and got["result"]["id"] == old["id"]
    # history length and scope (talker's last message keeps its id, so a second turn replaces the first's in place)
    _, short = await rpc(session, url, {"jsonrpc": "2.0", "id": 4, "method": "SendMessage", "params": {
        "message": {**message, "messageId": "m3", "contextId": task["contextId"]}, "configuration": {"historyLength": 1},
    }})
    assert [m["parts"][0]["text"] for m in short["result"]["task"]["history"]] == ["Hello there"]
    _, own = await rpc(session, url, {"jsonrpc": "2.0", "id": 5, "method": "GetTask", "params": {
        "id": short["result"]["task"]["id"], "historyScope": "task"}})
    assert [m["parts"][0]["text"] for m in own["result"]["history"]] == ["hi", "Hello there"]
    _, context = await rpc(session, url, {"jsonrpc": "2.0", "id": 6, "method": "GetTask", "params": {
        "id": short["result"]["task"]["id"]}})
    assert [m["parts"][0]["text"] for m in context["result"]["history"]] == ["hi", "Hello there", "done", "hi", "Hello there"]


async def test_bad_json_rpc_gets_json_rpc_errors(url: str, session: aiohttp.ClientSession) -> None:
    cases: list[tuple[Any, int]] = [
        (b"{nope", -32700),
        (b"[]", -32600),
        (json.dumps([{"jsonrpc": "2.0", "id": i, "method": "GetTask", "params": {"id": "x"}} for i in range(500)]), -32600),
        (b"42", -32600),
        ({"jsonrpc": "1.0", "id": 1, "method": "GetTask"}, -32600),
        ({"jsonrpc": "2.0", "id": [1], "method": "GetTask"}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "Nope"}, -32601),
        ({"jsonrpc": "2.0", "id": 1, "method": "tasks/resubscribe", "params": {"id": "x"}}, -32601),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": []}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"messageId": "m", "role": "x", "parts": []}}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"messageId": "m", "role": "user",
                                                                                       "parts": [{"text": "a", "data": {}}]}}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"messageId": "m", "role": "user", "parts": []}}}, -32005),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {
            "messageId": "m", "role": "user", "parts": [{"text": "a"}], "contextId": "not-a-uuid"}}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": 5}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {"pageSize": 0}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {"pageToken": "x"}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {"status": "sleepy"}}, -32602),
    ]
    for body, code in cases:
        status, answer = await rpc(session, url, body)
        assert status == 200 and answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code, (body, answer)
    # an assistant that is not there (and the data-only graph asked to chat)
    status, answer = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}},
                               path="00000000-0000-4000-8000-000000000000")
    assert (status, answer["error"]["code"]) == (200, -32602)
    status, answer = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {
        "message": {"messageId": "m", "role": "user", "parts": [{"text": "a"}]}}}, path=ASKER)
    assert "does not support A2A conversational messages" in answer["error"]["message"]
    assert "['answers', 'question']" in answer["error"]["message"]
    # notifications and responses: nothing to answer
    assert await rpc(session, url, {"jsonrpc": "2.0", "method": "GetTask", "params": {"id": "x"}}) == (202, None)
    # what the client must take
    status, answer = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage",
                                              "params": {"message": {"messageId": "m", "role": "user", "parts": [{"text": "a"}]}}})
    assert status == 400 and answer["error"]["code"] == -32600
    for method in ("DELETE", "PUT"):
        async with session.request(method, f"{url}/a2a/{TALKER}") as response:
            assert response.status == 405


# auth and configuration ---------------------------------------------------------------------------


def project(tmp_path: Path, **extra: Any) -> Path:
    config = json.loads(GRAPHS.read_text())
    graphs = {k: str(GRAPHS.parent / v.removeprefix("./")) for k, v in config["graphs"].items()}
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": graphs, **extra}))
    return path


async def test_a2a_needs_credentials_with_custom_auth(make_server: MakeServer, tmp_path: Path,
                                                    session: aiohttp.ClientSession) -> None:
    (tmp_path / "auth.py").write_text(TOKEN_AUTH)
    url = await make_server(config=project(tmp_path, auth={"path": "./auth.py:auth"}))
    for path in (f"/a2a/{TALKER}", f"/.well-known/agent-card.json?assistant_id={TALKER}"):
        async with session.get(url + path) as response:
            assert response.status == 401
    assert (await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}))[0] == 401
    async with a2a(url, TALKER, headers={"Authorization": "Bearer ok"}) as client:
        task = await sent(client, user(new_text_part("hi")))
        assert get_text_parts(task.artifacts[0].parts) == ["done"]


async def test_disable_a2a(make_server: MakeServer, tmp_path: Path, session: aiohttp.ClientSession) -> None:
    url = await make_server(config=project(tmp_path, http={"disable_a2a": True}))
    for path in (f"/a2a/{TALKER}", f"/.well-known/agent-card.json?assistant_id={TALKER}"):
        async with session.get(url + path) as response:
            assert response.status == 404


async def test_a_langgraph_command_resumes_a_task(url: str, session: aiohttp.ClientSession) -> None:
    """LangGraph's extension: a message may carry the `Command` to resume with."""
    asked = {"messageId": "q", "role": "ROLE_USER", "parts": [{"data": {"question": "name?"}}]}
    _, first = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": asked}},
                         path=ASKER)
    task = first["result"]["task"]
    answer = {"messageId": "a", "role": "ROLE_USER", "parts": [], "taskId": task["id"], "contextId": task["contextId"],
              "command": {"resume": "Bo"}}
    _, done = await rpc(session, url, {"jsonrpc": "2.0", "id": 2, "method": "SendMessage", "params": {"message": answer}},
                        path=ASKER)
    assert done["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert json.loads(done["result"]["task"]["artifacts"][0]["parts"][0]["text"])["answers"] == ["Bo", "thanks"]


@pytest.mark.parametrize("method, file", [
    ("SendMessage", {"url": "https://example.com/a.png", "mediaType": "image/png", "filename": "a.png"}),
    ("message/send", {"kind": "file", "file": {"uri": "https://example.com/a.png", "mimeType": "image/png", "name": "a.png"}}),
])
async def test_files_become_content_blocks(url: str, session: aiohttp.ClientSession, client: LangGraphClient,
                                           method: str, file: dict[str, Any]) -> None:
    """A file is passed on as a LangChain content block (its URL is never fetched), and
    shown back as the part it was, in the caller's version."""
    message = {"messageId": "f1", "role": "user", "parts": [{"text": "look"}, file]}
    _, answer = await rpc(session, url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"message": message}})
    task = answer["result"].get("task", answer["result"])
    parts = task["history"][0]["parts"]
    assert parts[1] == file and parts[0]["text"] == "look"
    state = await client.threads.get_state(task["contextId"])
    human = state["values"]["messages"][0]
    assert human["content"] == [{"type": "text", "text": "look"}, {
        "type": "image", "mime_type": "image/png", "url": "https://example.com/a.png", "extras": {"filename": "a.png"}}]
    assert human["additional_kwargs"]["a2a"]["task_start_id"]


async def test_tasks_are_their_users(make_server: MakeServer, tmp_path: Path, session: aiohttp.ClientSession) -> None:
    """With the auth test project's owner-only rules: bob sees none of alice's tasks, and
    cannot add to her context (a JSON-RPC error, streaming or not)."""
    url = await make_server(config=project(tmp_path, auth={"path": str(AUTH_CONFIG.parent / "auth.py") + ":auth"}))
    alice, bob = {"Authorization": "Bearer alice-token"}, {"Authorization": "Bearer bob-token"}
    async with a2a(url, TALKER, headers=alice) as client:
        task = await sent(client, user(new_text_part("hi")))
    async with a2a(url, TALKER, headers=bob) as client:
        with pytest.raises(TaskNotFoundError):
            await client.get_task(GetTaskRequest(id=task.id))
        assert not (await client.list_tasks(ListTasksRequest())).tasks
    intrude = {"messageId": "b", "role": "user", "parts": [{"text": "mine now"}], "contextId": task.context_id}
    for method, accept in (("SendMessage", "application/json"), ("SendStreamingMessage", "text/event-stream")):
        async with session.post(f"{url}/a2a/{TALKER}", headers={**bob, "Accept": accept}, json={
            "jsonrpc": "2.0", "id": 1, "method": method, "params": {"message": intrude}}) as response:
            assert (response.status, (await response.json())["error"]) == (
                200, {"code": -32602, "message": "Thread or assistant not found."}), method
