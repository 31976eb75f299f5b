"""At-rest encryption (`encryption` in langgraph.json): a real server on a project whose
`Encryption` is a reversible transform (tests/encryption/reversible.py), driven by the
real SDK. Clients read plaintext everywhere; the database file holds ciphertext for
every encrypted field and every checkpoint."""

from __future__ import annotations

import base64
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_app
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

PROJECT = Path(__file__).parent / "encryption" / "langgraph.json"
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
async def client(aiohttp_server: Any, db: Path) -> AsyncIterator[LangGraphClient]:
    server = await aiohttp_server(make_app(config=PROJECT, db=str(db)))
    lg = get_client(url=str(server.make_url("")).rstrip("/"), api_key=None, headers=HEADER)
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
    streamed = [part.data async for part in client.runs.stream(tid, assistant["assistant_id"], input={"log": [SECRET]})]
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
    assert history[-1]["values"] == {} or SECRET in json.dumps(history)
    got = await client.runs.get(tid, run["run_id"])
    assert got["metadata"]["note"] == SECRET and got["kwargs"]["input"] == {"log": [SECRET]}
    assert any(SECRET in json.dumps(data) for data in streamed)
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
    blobs = rows(db, "SELECT type, checkpoint FROM checkpoints") + rows(db, "SELECT type, value FROM writes")
    assert blobs and all(kind.endswith("+threadloom") for kind, _ in blobs if kind is not None)
    assert not any(SECRET.encode() in bytes(blob) for _, blob in blobs)
    metadata = [json.loads(m) for (m,) in rows(db, f"SELECT metadata FROM checkpoints WHERE thread_id = '{tid}'")]
    assert all(m[marked] == {"tenant": "t1", "from_handler": True} for m in metadata)
    assert any(m.get("note", "").startswith("B64:") and m["key"].startswith("B64:") for m in metadata)
    assert SECRET not in json.dumps(metadata)
    assert {m["source"] for m in metadata} == {"input", "loop"}  # what LangGraph reads stays in clear

