"""At-rest encryption (`encryption` in langgraph.json): a real server on a project whose
`Encryption` is a reversible transform (tests/encryption/reversible.py), driven by the
real SDK. Clients read plaintext everywhere; the database file holds ciphertext for
every encrypted field and every checkpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import make_app
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from threadloom.server.config import ConfigError
from threadloom.server.storage import eventchunks

PROJECT = Path(__file__).parent / "encryption" / "langgraph.json"
GRAPHS = Path(__file__).parent / "graphs"
SECRET = "swordfish"  # what the clients send: never in the file in clear
HEADER = {"X-Encryption-Context": base64.b64encode(json.dumps({"tenant": "t1"}).encode()).decode()}


def calls() -> list[tuple[str, str, str, dict[str, Any]]]:
    return sys.modules["reversible"].CALLS  # type: ignore[no-any-return]


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Straight from the file, read-only: what is at rest."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "encrypted.sqlite"


@pytest.fixture
async def url(aiohttp_server: Any, db: Path) -> str:
    server = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def client(url: str) -> AsyncIterator[LangGraphClient]:
    lg = get_client(url=url, api_key=None, headers=HEADER)
    yield lg
    await lg.http.client.aclose()


async def test_clients_read_plaintext_and_the_file_holds_ciphertext(client: LangGraphClient, db: Path) -> None:
    assistant = await client.assistants.create(
        "counter", context={"model": SECRET},
        metadata={"owner": SECRET, "tenant": "t1"},
    )
    thread = await client.threads.create(metadata={"owner": SECRET, "tenant": "t1"})
    tid = thread["thread_id"]
    run = await client.runs.create(
        tid, assistant["assistant_id"], input={"log": [SECRET]}, metadata={"note": SECRET},
        config={"configurable": {"key": SECRET}},
    )
    await client.runs.join(tid, run["run_id"])
    streamed = [
        part.data
        async for part in client.runs.stream(tid, assistant["assistant_id"], input={"log": [SECRET]}, stream_resumable=True)
    ]
    [resumable] = [r for r in await client.runs.list(tid) if r["kwargs"].get("resumable")]
    replayed = [part.data async for part in client.runs.join_stream(tid, resumable["run_id"], last_event_id="-1")]
    await client.store.put_item(["notes"], "k", {"text": SECRET, "tenant": "t1"})
    cron = await client.crons.create_for_thread(tid, "counter", schedule="0 0 1 1 *", input={"log": [SECRET]},
                                                metadata={"owner": SECRET})

    # every read is plaintext
    assert (await client.assistants.get(assistant["assistant_id"]))["metadata"] == {"owner": SECRET, "tenant": "t1"}
    assert (await client.assistants.get(assistant["assistant_id"]))["context"]["model"] == SECRET
    assert (await client.assistants.get_versions(assistant["assistant_id"]))[0]["context"] == {"model": SECRET}
    read = await client.threads.get(tid)
    assert read["metadata"]["owner"] == SECRET and read["values"]["log"][:2] == [SECRET, "first"]
    state = await client.threads.get_state(tid)
    assert state["values"]["log"].count(SECRET) == 2
    history = await client.threads.get_history(tid)
    assert all(SECRET in step["values"]["log"] for step in history if step["values"].get("log"))
    assert any(step["metadata"].get("note") == SECRET for step in history)  # checkpoint metadata, decrypted
    got = await client.runs.get(tid, run["run_id"])
    assert got["metadata"]["note"] == SECRET and got["kwargs"]["input"] == {"log": [SECRET]}
    assert any(SECRET in json.dumps(data) for data in streamed) and any(SECRET in json.dumps(data) for data in replayed)
    assert (await client.store.get_item(["notes"], "k"))["value"] == {"text": SECRET, "tenant": "t1"}
    assert (await client.store.search_items(["notes"]))["items"][0]["value"]["text"] == SECRET
    crons = await client.crons.search(thread_id=tid)
    assert crons[0]["metadata"] == {"owner": SECRET} and crons[0]["payload"]["input"] == {"log": [SECRET]}
    assert cron["cron_id"] == crons[0]["cron_id"]

    # nothing of it is at rest in clear
    stored = [
        *rows(db, 'SELECT metadata, config, "values", interrupts, error FROM threads'),
        *rows(db, "SELECT metadata, kwargs FROM runs"),
        *rows(db, "SELECT body FROM assistants"),
        *rows(db, "SELECT body FROM assistant_versions"),
        *rows(db, "SELECT metadata, payload FROM crons"),
        *rows(db, "SELECT value FROM store"),
    ]
    text = json.dumps([[str(c) for c in row] for row in stored])
    assert SECRET not in text
    marked = "__encryption_context__"
    [(metadata, config, values)] = rows(db, f"SELECT metadata, config, \"values\" FROM threads WHERE thread_id = '{tid}'")
    assert all(marked in json.loads(field) for field in (metadata, values))
    assert marked in json.loads(config)["configurable"]
    for metadata, kwargs in rows(db, "SELECT metadata, kwargs FROM runs"):
        kwargs = json.loads(kwargs)
        assert marked in json.loads(metadata) and marked in kwargs["input"] and marked in kwargs["config"]["configurable"]
    [(body,)] = rows(db, f"SELECT body FROM assistants WHERE assistant_id = '{assistant['assistant_id']}'")
    assert marked in json.loads(body)["metadata"] and marked in json.loads(body)["context"]
    [(metadata, payload)] = rows(db, "SELECT metadata, payload FROM crons")
    assert marked in json.loads(metadata) and marked in json.loads(payload)["input"]
    [(value,)] = rows(db, "SELECT value FROM store")
    assert json.loads(value)[marked] == {"tenant": "t1", "from_handler": True}
    events = [  # each event's data, whether its row holds it alone or with its batch's
        (event_data,)
        for data, last_seq in rows(db, "SELECT data, last_seq FROM run_events")
        for event_data in ([data] if last_seq is None else [e[2] for e in eventchunks.unpack(bytes(data))])
    ]
    assert events and all(bytes(data).startswith(b"TLE1") and SECRET.encode() not in bytes(data) for (data,) in events)
    blobs = rows(db, "SELECT type, checkpoint FROM checkpoints") + rows(db, "SELECT type, value FROM writes")
    assert blobs and all(kind.endswith("+threadloom") for kind, _ in blobs if kind is not None)
    assert not any(SECRET.encode() in bytes(blob) for _, blob in blobs)
    metadata = [json.loads(m) for (m,) in rows(db, f"SELECT metadata FROM checkpoints WHERE thread_id = '{tid}'")]
    assert all(m[marked] == {"tenant": "t1", "from_handler": True} for m in metadata)
    assert any(m.get("note", "").startswith("B64:") and m["key"].startswith("B64:") for m in metadata)
    assert SECRET not in json.dumps(metadata)
    assert {m["source"] for m in metadata} == {"input", "loop"}  # what LangGraph reads stays in clear



async def test_the_context_handlers_output_is_every_handlers_context_also_for_what_the_run_writes(
    client: LangGraphClient,
) -> None:
    thread = await client.threads.create()
    calls().clear()
    await client.runs.wait(thread["thread_id"], "asker", input={"question": SECRET})
    assert (await client.threads.get(thread["thread_id"]))["interrupts"]  # read back through decryption
    made = {(handler, model, field) for handler, model, field, _ in calls()}
    assert {("encrypt.json", "run", "input"), ("encrypt.json", "thread", "values"), ("encrypt.json", "thread", "interrupts"),
            ("encrypt.json", "checkpoint", "metadata"), ("encrypt.blob", "checkpoint", "blob")} <= made
    made_in = {json.dumps(context) for handler, _, _, context in calls() if handler.startswith("encrypt")}
    assert made_in == {json.dumps({"tenant": "t1", "from_handler": True})}
    # decryption is given the context stored with the data: the system assistant was stored at start-up, in none
    assert ("decrypt.json", "assistant", "metadata", {}) in calls()


async def test_a_bad_encryption_context_header_is_a_422(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for bad in ("not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"{nope").decode()):
            async with session.post(f"{url}/threads", json={}, headers={"X-Encryption-Context": bad}) as resp:
                assert resp.status == 422
                assert (await resp.json())["detail"].startswith("Invalid X-Encryption-Context header: ")


async def test_an_encryptor_that_changes_keys_or_data_already_marked_is_a_clear_422_and_nothing_is_written(
    url: str, client: LangGraphClient,
) -> None:
    async def refused(metadata: dict[str, Any]) -> str:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/threads", json={"metadata": metadata}, headers=HEADER) as resp:
                assert resp.status == 422
                return str((await resp.json())["detail"])

    assert "JSON encryptor must preserve key structure" in await refused({"drop_me": 1, "kept": 2})
    assert "refusing to encrypt it twice" in await refused({"__encryption_context__": {}})
    assert await client.threads.search() == []


async def test_search_matches_keys_the_encryptor_leaves_in_clear_only(client: LangGraphClient) -> None:
    """Filters compare what is stored: `tenant` is left in clear by this encryptor,
    `owner` is not (as on the official server)."""
    thread = await client.threads.create(metadata={"tenant": "t1", "owner": "alice"})
    await client.runs.wait(thread["thread_id"], "counter", input={}, metadata={"tenant": "t1", "owner": "alice"})
    assert len(await client.threads.get_history(thread["thread_id"], metadata={"tenant": "t1"})) == 4
    assert await client.threads.get_history(thread["thread_id"], metadata={"owner": "alice"}) == []
    await client.assistants.create("counter", metadata={"tenant": "t1", "owner": "alice"})
    assert len(await client.threads.search(metadata={"tenant": "t1"})) == 1
    assert await client.threads.search(metadata={"owner": "alice"}) == []
    assert len(await client.assistants.search(metadata={"tenant": "t1"})) == 1
    assert await client.assistants.search(metadata={"owner": "alice"}) == []
    await client.store.put_item(["notes"], "k", {"tenant": "t1", "owner": "alice"})
    assert len((await client.store.search_items(["notes"], filter={"tenant": "t1"}))["items"]) == 1
    assert (await client.store.search_items(["notes"], filter={"owner": "alice"}))["items"] == []


async def test_what_was_stored_before_encryption_is_read_as_it_is(aiohttp_server: Any, db: Path) -> None:
    plain = await aiohttp_server(make_app(config=GRAPHS / "langgraph.json", db=str(db)))
    lg = get_client(url=str(plain.make_url("")).rstrip("/"), api_key=None)
    thread = await lg.threads.create(metadata={"owner": SECRET})
    await lg.runs.wait(thread["thread_id"], "counter", input={"log": [SECRET]})
    await lg.http.client.aclose()
    await plain.close()
    encrypted = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(encrypted.make_url("")).rstrip("/"), api_key=None)
    assert (await lg.threads.get(thread["thread_id"]))["metadata"]["owner"] == SECRET
    assert (await lg.threads.get_state(thread["thread_id"]))["values"]["log"][0] == SECRET
    await lg.runs.wait(thread["thread_id"], "counter", input={"log": ["more"]})  # stored encrypted from now on
    assert (await lg.threads.get_state(thread["thread_id"]))["values"]["log"] == [SECRET, "first", "second", "more", "first", "second"]
    await lg.http.client.aclose()
    [(metadata,)] = rows(db, f"SELECT metadata FROM threads WHERE thread_id = '{thread['thread_id']}'")
    assert json.loads(metadata)["owner"].startswith("B64:")


def _project(tmp_path: Path, code: str, **config: Any) -> Path:
    (tmp_path / "enc.py").write_text(code)
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"counter": str(GRAPHS / "counter.py") + ":graph"}, **config}))
    return path


def _config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        make_app(config=path)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_what_encryption_names_is_checked_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "from langgraph_sdk import Encryption\nencryption = Encryption()\nnot_one = object()\n"
    js = _project(tmp_path, code, encryption={"path": "./enc.js:encryption"})
    assert "JavaScript" in _config_error(js)
    other = _project(tmp_path, code, encryption={"path": "./enc.py:not_one"})
    assert "not a langgraph_sdk.Encryption" in _config_error(other)
    half = code + "@encryption.encrypt.json\nasync def e(ctx, data):\n    return data\n"
    assert "no @decrypt.json handler" in _config_error(_project(tmp_path, half, encryption={"path": "./enc.py:encryption"}))
    monkeypatch.setenv("LANGGRAPH_ENCRYPTION", json.dumps({"path": "./enc.py:not_one"}))
    assert "not a langgraph_sdk.Encryption" in _config_error(_project(tmp_path, code))
    monkeypatch.setenv("LANGGRAPH_ENCRYPTION", "{")
    assert "LANGGRAPH_ENCRYPTION: invalid JSON" in _config_error(_project(tmp_path, code))


async def test_each_run_writes_in_the_context_of_the_request_that_created_it(url: str, db: Path) -> None:
    """Runs queued on one thread by requests with different contexts: each run's
    checkpoints are encrypted in its own request's context, whichever message started it."""
    clients = {
        tenant: get_client(url=url, api_key=None, headers={
            "X-Encryption-Context": base64.b64encode(json.dumps({"tenant": tenant}).encode()).decode(),
        })
        for tenant in ("t1", "t2", "t3")
    }
    thread = await clients["t1"].threads.create()
    tid = thread["thread_id"]
    runs = {tenant: await lg.runs.create(tid, "counter", input={"log": [tenant]}) for tenant, lg in clients.items()}
    await clients["t1"].runs.join(tid, runs["t3"]["run_id"])
    for tenant, run in runs.items():
        stored = rows(db, f"SELECT metadata FROM checkpoints WHERE json_extract(metadata, '$.run_id') = '{run['run_id']}'")
        assert stored and {json.loads(m)["__encryption_context__"]["tenant"] for (m,) in stored} == {tenant}
    for lg in clients.values():
        await lg.http.client.aclose()


async def test_a_resumable_runs_stored_events_are_read_back_in_clear_after_a_restart(aiohttp_server: Any, db: Path) -> None:
    first = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(first.make_url("")).rstrip("/"), api_key=None, headers=HEADER)
    thread = await lg.threads.create()
    run = await lg.runs.create(thread["thread_id"], "counter", input={"log": [SECRET]}, stream_resumable=True)
    await lg.runs.join(thread["thread_id"], run["run_id"])
    await lg.http.client.aclose()
    await first.close()
    second = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(second.make_url("")).rstrip("/"), api_key=None)
    replayed = [part async for part in lg.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="-1")]
    await lg.http.client.aclose()
    assert any(part.event == "values" and SECRET in part.data["log"] for part in replayed)


async def test_a_graph_uses_the_store_in_clear_from_synchronous_code_and_it_is_stored_encrypted(
    client: LangGraphClient, db: Path,
) -> None:
    thread = await client.threads.create()
    state = await client.runs.wait(thread["thread_id"], "memory", input={"note": SECRET})
    assert state["recalled"] == SECRET
    assert (await client.store.get_item(["memories"], "note"))["value"] == {"text": SECRET}
    [(value,)] = rows(db, "SELECT CAST(value AS TEXT) FROM store")
    assert SECRET not in value and json.loads(value)["text"].startswith("B64:")


async def test_a_run_resumed_after_a_restart_writes_in_the_context_of_the_request_that_submitted_it(
    aiohttp_server: Any, db: Path,
) -> None:
    other = {"X-Encryption-Context": base64.b64encode(json.dumps({"tenant": "t2"}).encode()).decode()}
    first = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(first.make_url("")).rstrip("/"), api_key=None, headers=other)
    thread = await lg.threads.create()
    run = await lg.runs.create(thread["thread_id"], "counter", input={"log": [SECRET]}, after_seconds=1)
    await lg.http.client.aclose()
    await first.close()  # before it started: still pending
    second = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(second.make_url("")).rstrip("/"), api_key=None)  # no context of its own
    await lg.runs.join(thread["thread_id"], run["run_id"])
    await lg.http.client.aclose()
    stored = rows(db, f"SELECT metadata FROM checkpoints WHERE json_extract(metadata, '$.run_id') = '{run['run_id']}'")
    assert stored and {json.loads(m)["__encryption_context__"]["tenant"] for (m,) in stored} == {"t2"}


async def test_a_crons_runs_write_in_the_context_of_the_request_that_created_it(aiohttp_server: Any, db: Path) -> None:
    server = await aiohttp_server(make_app(config=PROJECT, db=str(db), cron_poll_seconds=0.05))
    url = str(server.make_url("")).rstrip("/")
    maker = get_client(url=url, api_key=None, headers={
        "X-Encryption-Context": base64.b64encode(json.dumps({"tenant": "t4"}).encode()).decode(),
    })
    thread = await maker.threads.create()
    cron = await maker.crons.create_for_thread(thread["thread_id"], "counter", schedule="* * * * * *", input={"log": ["c"]})
    await maker.http.client.aclose()
    lg = get_client(url=url, api_key=None)
    for _ in range(200):
        runs = [r for r in await lg.runs.list(thread["thread_id"]) if r["status"] == "success"]
        if runs:
            break
        await asyncio.sleep(0.05)
    await lg.crons.delete(cron["cron_id"])
    await lg.http.client.aclose()
    assert runs and runs[0]["kwargs"]["input"] == {"log": ["c"]}
    stored = rows(db, f"SELECT metadata FROM checkpoints WHERE json_extract(metadata, '$.run_id') = '{runs[0]['run_id']}'")
    assert stored and {json.loads(m)["__encryption_context__"]["tenant"] for (m,) in stored} == {"t4"}
