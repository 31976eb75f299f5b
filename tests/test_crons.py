"""Crons (reference §2.5) through the real langgraph-sdk client, and the scheduler firing
them on a real server. Schedules use croniter's sixth field (seconds, last) and the
servers poll fast (`cron_poll_seconds`), so nothing waits for a minute to turn."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
import pytest
import time_machine
from aiohttp.test_utils import TestServer
from conftest import make_app
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import UnprocessableEntityError

from threadloom.actors.newcron import new_cron
from threadloom.protocol.requests import CronCreate
from threadloom.server.storage.sqlite.crons import SqliteCrons
from threadloom.server.storage.sqlite.db import Database
from threadloom.server.storage.sqlite.schema import MIGRATIONS

T = TypeVar("T")

EVERY_SECOND = "* * * * * *"
FAST = {"cron_poll_seconds": 0.05}
MISSING = "00000000-0000-4000-8000-000000000000"
CRON_FIELDS = [
    "cron_id", "assistant_id", "thread_id", "user_id", "end_time", "schedule", "timezone", "payload",
    "next_run_date", "metadata", "on_run_completed", "enabled", "created_at", "updated_at",
]
COUNTER_ASSISTANT = str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "counter"))


async def until(check: Callable[[], Awaitable[T]], timeout: float = 15.0) -> T:
    """Poll `check` until it returns something truthy; fail after a generous timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


@pytest.fixture(autouse=True)
def fixed_clock() -> Any:
    """Every test starts at the same instant (the clock then runs): which of 07:00, 08:00
    and 09:00 comes next must not depend on the hour the suite runs at."""
    with time_machine.travel(datetime(2026, 1, 15, 0, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
async def fast(make_server: Callable[..., Awaitable[str]]) -> Any:
    """A client on a server whose scheduler polls every 50 ms."""
    lg = get_client(url=await make_server(**FAST), api_key=None)
    yield lg
    await lg.http.client.aclose()


async def raw(client: LangGraphClient, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
    resp = await client.http.client.request(method, path, json=body)
    payload = resp.json() if resp.content and resp.headers.get("content-type", "").startswith("application/json") else None
    return resp.status_code, payload, dict(resp.headers)


async def runs_on(client: LangGraphClient, thread_id: str) -> list[dict[str, Any]]:
    return await client.runs.list(thread_id, limit=100)


# records -----------------------------------------------------------------------------------


async def test_stateless_cron_record(client: LangGraphClient) -> None:
    cron = await client.crons.create(
        "counter", schedule="0 9 * * *", input={"log": ["x"]}, metadata={"team": "a"}, stream_mode=["values"]
    )
    assert list(cron) == CRON_FIELDS
    assert uuid.UUID(cron["cron_id"]).version == 7
    assert cron["assistant_id"] == COUNTER_ASSISTANT  # a graph id stands for its system assistant
    # as on the official server: no user is "", no time zone given is null (UTC applies)
    assert (cron["thread_id"], cron["user_id"], cron["end_time"]) == (None, "", None)
    assert (cron["on_run_completed"], cron["enabled"], cron["timezone"]) == ("delete", True, None)
    assert cron["metadata"] == {"team": "a"}
    assert cron["payload"] == {  # the request as sent, with the assistant's id and the cron's in the config
        "assistant_id": COUNTER_ASSISTANT, "schedule": "0 9 * * *", "input": {"log": ["x"]}, "metadata": {"team": "a"},
        "stream_mode": ["values"], "config": {"configurable": {"cron_id": cron["cron_id"]}},
    }
    next_run = datetime.fromisoformat(cron["next_run_date"])
    assert next_run > datetime.now(UTC) and (next_run.hour, next_run.minute, next_run.second) == (9, 0, 0)
    status, fetched, _ = await raw(client, "GET", f"/runs/crons/{cron['cron_id']}")
    assert (status, fetched) == (200, cron)


async def test_thread_cron_record_and_timezone(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "chat", schedule="0 9 * * *", timezone=ZoneInfo("America/New_York")
    )
    assert cron["thread_id"] == thread["thread_id"]
    assert cron["on_run_completed"] is None  # only stateless crons have one
    assert cron["timezone"] == "America/New_York"
    local = datetime.fromisoformat(cron["next_run_date"]).astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 0)  # 09:00 in New York, whatever the offset today


async def test_update(client: LangGraphClient) -> None:
    end = datetime.now(UTC) + timedelta(days=30)
    cron = await client.crons.create(
        "counter", schedule="0 9 * * *", input={"log": ["a"]}, metadata={"a": 1}, end_time=end,
        config={"tags": ["t"]},
    )
    updated = await client.crons.update(
        cron["cron_id"], schedule="30 10 * * *", input={"log": ["b"]}, metadata={"b": 2}, enabled=False,
        on_run_completed="keep",
    )
    assert updated["schedule"] == "30 10 * * *"
    assert datetime.fromisoformat(updated["next_run_date"]).strftime("%H:%M") == "10:30"
    assert updated["metadata"] == {"a": 1, "b": 2}  # merged
    # the body shallow-merged into the payload, its metadata and cron fields too, as on the official server
    assert updated["payload"] == {
        **cron["payload"], "schedule": "30 10 * * *", "input": {"log": ["b"]}, "metadata": {"b": 2}, "enabled": False,
        "on_run_completed": "keep",
    }
    assert (updated["enabled"], updated["on_run_completed"]) == (False, "keep")
    assert datetime.fromisoformat(updated["end_time"]) == end
    assert updated["created_at"] == cron["created_at"] and updated["updated_at"] > cron["updated_at"]

    assert updated["timezone"] is None  # still none given
    status, changed, _ = await raw(client, "PATCH", f"/runs/crons/{cron['cron_id']}", {"unknown": 1})
    assert (status, changed["payload"]["unknown"]) == (200, 1)  # any field goes to the payload, as there

    cleared = await client.crons.update(cron["cron_id"], end_time=None)
    assert cleared["end_time"] is None
    # a public address, not a name: the webhook check resolves names, and tests run offline
    kept = await client.crons.update(cron["cron_id"], webhook="https://8.8.8.8/hook")
    assert kept["end_time"] is None and kept["schedule"] == "30 10 * * *"  # not given: unchanged
    assert (kept["payload"]["end_time"], kept["payload"]["webhook"]) == (None, "https://8.8.8.8/hook")
    status, fetched, _ = await raw(client, "GET", f"/runs/crons/{cron['cron_id']}")
    assert (status, fetched) == (200, kept)


async def test_delete(client: LangGraphClient) -> None:
    cron = await client.crons.create("counter", schedule="0 9 * * *")
    await client.crons.delete(cron["cron_id"])
    assert (await raw(client, "GET", f"/runs/crons/{cron['cron_id']}"))[0] == 404
    assert (await raw(client, "DELETE", f"/runs/crons/{cron['cron_id']}"))[0] == 404


async def test_deleting_the_thread_deletes_its_crons(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(thread["thread_id"], "counter", schedule="0 9 * * *")
    await client.threads.delete(thread["thread_id"])
    assert (await raw(client, "GET", f"/runs/crons/{cron['cron_id']}"))[0] == 404


async def test_search_and_count(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    first = await client.crons.create("counter", schedule="0 9 * * *", metadata={"k": "x"})
    second = await client.crons.create("counter", schedule="0 8 * * *", metadata={"k": "y"}, enabled=False)
    third = await client.crons.create_for_thread(thread["thread_id"], "chat", schedule="0 7 * * *")

    assert _ids(await client.crons.search()) == _ids([third, second, first])  # newest first
    assert _ids(await client.crons.search(sort_by="next_run_date", sort_order="asc")) == _ids([third, second, first])
    assert _ids(await client.crons.search(assistant_id=COUNTER_ASSISTANT)) == _ids([second, first])
    assert _ids(await client.crons.search(assistant_id=COUNTER_ASSISTANT, enabled=True)) == _ids([first])
    assert _ids(await client.crons.search(thread_id=thread["thread_id"])) == _ids([third])
    assert _ids(await client.crons.search(metadata={"k": "y"})) == _ids([second])
    assert await client.crons.search(select=["cron_id", "enabled"], limit=1) == [{"cron_id": third["cron_id"], "enabled": True}]
    assert await client.crons.count() == 3
    assert await client.crons.count(assistant_id=COUNTER_ASSISTANT) == 2
    for route in ("search", "count"):  # an assistant's id, not a graph id, as on the official server
        status, answer, _ = await raw(client, "POST", f"/runs/crons/{route}", {"assistant_id": "counter"})
        assert (status, answer) == (422, {"detail": "Invalid assistant ID: must be a UUID"})
    assert await client.crons.count(thread_id=thread["thread_id"]) == 1
    assert await client.crons.count(metadata={"k": "x"}) == 1

    status, page, headers = await raw(client, "POST", "/runs/crons/search", {"limit": 2})
    assert status == 200 and _ids(page) == _ids([third, second])
    assert (headers["x-pagination-total"], headers["x-pagination-next"]) == ("3", "2")  # the real total
    status, page, headers = await raw(client, "POST", "/runs/crons/search", {"limit": 2, "offset": 2})
    assert _ids(page) == _ids([first]) and headers["x-pagination-total"] == "3" and "x-pagination-next" not in headers


def bad_schedule(schedule: str) -> str:
    """The official server's text for what is not a cron expression."""
    return (
        f"Invalid cron schedule: '{schedule}'. Reason: Invalid cron schedule. Ensure the schedule uses the standard "
        "cron format (minute hour day_of_month month day_of_week). Example: '*/5 * * * *' for every 5 minutes."
    )


def bad_timezone(name: str) -> str:
    return f"Invalid timezone: '{name}'. Use IANA timezone format (e.g. 'America/New_York')."


def _ids(crons: list[dict[str, Any]]) -> list[str]:
    return [c["cron_id"] for c in crons]


async def test_bad_input_changes_nothing(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    tid = thread["thread_id"]
    good = {"assistant_id": "counter", "schedule": "0 9 * * *"}
    bad_creates = [
        ({"assistant_id": "counter"}, 422, "schedule"),
        ({**good, "schedule": "every day"}, 422, bad_schedule("every day")),
        ({**good, "schedule": "61 * * * *"}, 422, bad_schedule("61 * * * *")),
        ({**good, "schedule": "0 0 30 2 *"}, 400, "failed to find next date"),  # it never fires
        ({**good, "timezone": "Mars/Olympus"}, 422, bad_timezone("Mars/Olympus")),
        ({**good, "timezone": "America"}, 422, bad_timezone("America")),  # a directory: a 500 on the official server
        ({**good, "timezone": ""}, 400, "ZoneInfo keys must be normalized relative paths, got: "),
        ({**good, "timezone": "Mars/Olympus", "schedule": "nope"}, 422, bad_timezone("Mars/Olympus")),  # first
        ({**good, "end_time": "tomorrow"}, 422, "Invalid end_time"),
        ({**good, "enabled": "yes"}, 422, "enabled"),
        ({**good, "assistant_id": MISSING}, 404, f"Assistant '{MISSING}' not found"),
        ({**good, "assistant_id": "no-such-graph"}, 404, "Assistant 'no-such-graph' not found"),  # as the official server
        ({**good, "stream_mode": "everything"}, 422, "stream_mode"),
        ({**good, "durability": "forever"}, 422, "durability"),
        ({**good, "config": {"configurable": {"a": 1}}, "context": {"a": 1}}, 400, "both configurable and context"),
        ({**good, "multitask_strategy": "shove"}, 422, "multitask_strategy"),
    ]
    for path in ("/runs/crons", f"/threads/{tid}/runs/crons"):
        for body, status, says in bad_creates:
            code, answer, _ = await raw(client, "POST", path, body)
            assert (code, list(answer)) == (status, ["detail"]), (path, body, answer)
            assert says in answer["detail"], (body, answer)
        code, answer, _ = await raw(client, "POST", path, [good])
        assert code == 422, answer
    missing_thread = (
        f"Thread with ID '{MISSING}' not found. Please verify the ID is correct and the thread hasn't been deleted or expired."
    )
    assert (await raw(client, "POST", f"/threads/{MISSING}/runs/crons", good))[:2] == (404, {"detail": missing_thread})
    # the schedule is checked before the thread
    code, answer, _ = await raw(client, "POST", f"/threads/{MISSING}/runs/crons", {**good, "schedule": "nope"})
    assert (code, answer) == (422, {"detail": bad_schedule("nope")})
    # a thread's cron has no on_run_completed: ignored there, as on the official server
    code, answer, _ = await raw(client, "POST", "/runs/crons", {**good, "on_run_completed": "archive"})
    assert (code, answer["detail"].split("\n")[0]) == (422, '"archive" is not one of "delete" or "keep"')
    assert (await raw(client, "POST", "/threads/not-a-uuid/runs/crons", good))[0] == 422
    assert await client.crons.count() == 0

    cron = await client.crons.create("counter", schedule="0 9 * * *", input={"log": ["a"]})
    path = f"/runs/crons/{cron['cron_id']}"
    for body, status in [
        (None, 422), ({}, 400), ({"schedule": None}, 422),  # no JSON, a null: as there
        ({"schedule": "nope"}, 422), ({"timezone": "Nowhere"}, 422), ({"end_time": "soon"}, 422),
        ({"enabled": 3}, 422), ({"stream_mode": "everything"}, 422), ({"context": {"a": 1}, "config": {"configurable": {"b": 1}}}, 400),
    ]:
        code, answer, _ = await raw(client, "PATCH", path, body)
        assert (code, list(answer)) == (status, ["detail"]), (body, answer)
    assert (await raw(client, "GET", path))[1] == cron  # unchanged
    # the official server's texts, checked in its order: the body, the time zone, the cron, the schedule
    for cron_id, body, status, detail in [
        (cron["cron_id"], {}, 400, "Request body cannot be empty"),
        (cron["cron_id"], {"schedule": "nope"}, 422, bad_schedule("nope")),
        (cron["cron_id"], {"timezone": "Nowhere"}, 422, bad_timezone("Nowhere")),
        (MISSING, {}, 400, "Request body cannot be empty"),
        (MISSING, {"timezone": "Nowhere"}, 422, bad_timezone("Nowhere")),
        (MISSING, {"schedule": "nope"}, 404, f"Cron '{MISSING}' not found"),
        (MISSING, {"enabled": False}, 404, f"Cron '{MISSING}' not found"),
    ]:
        code, answer, _ = await raw(client, "PATCH", f"/runs/crons/{cron_id}", body)
        assert (code, answer) == (status, {"detail": detail}), (cron_id, body)
    for method in ("GET", "DELETE"):
        assert (await raw(client, method, f"/runs/crons/{MISSING}"))[:2] == (404, {"detail": "Not Found"})
    for method in ("GET", "PATCH", "DELETE"):
        assert (await raw(client, method, "/runs/crons/not-a-uuid", {"enabled": False}))[0] == 422
    for body in ({"limit": 0}, {"offset": -1}, {"select": ["cron_id", "secret"]}, {"sort_by": "schedule"}, {"thread_id": "x"}):
        code, answer, _ = await raw(client, "POST", "/runs/crons/search", body)
        assert (code, list(answer)) == (422, ["detail"]), (body, answer)


# the scheduler -------------------------------------------------------------------------------


async def test_thread_cron_fires_on_its_thread(fast: LangGraphClient) -> None:
    thread = await fast.threads.create()
    tid = thread["thread_id"]
    cron = await fast.crons.create_for_thread(tid, "counter", schedule=EVERY_SECOND, input={})
    runs = await until(lambda: _at_least(runs_on(fast, tid), 2))
    assert all(run["assistant_id"] == COUNTER_ASSISTANT for run in runs)
    assert all(run["kwargs"]["config"]["configurable"]["cron_id"] == cron["cron_id"] for run in runs)
    await fast.crons.delete(cron["cron_id"])
    for run in runs:
        await fast.runs.join(tid, run["run_id"])
    state = await fast.threads.get_state(tid)
    assert state["values"]["log"][:4] == ["first", "second", "first", "second"]  # one thread, runs in turn


async def _at_least(items: Awaitable[list[Any]], n: int) -> list[Any] | None:
    found = await items
    return found if len(found) >= n else None


async def test_stateless_cron_keep_makes_a_thread_per_fire(fast: LangGraphClient) -> None:
    tag = str(uuid.uuid4())
    cron = await fast.crons.create(
        "counter", schedule=EVERY_SECOND, input={}, metadata={"tag": tag}, on_run_completed="keep"
    )
    threads = await until(lambda: _at_least(fast.threads.search(metadata={"tag": tag}), 2))
    await fast.crons.update(cron["cron_id"], enabled=False)
    assert len({t["thread_id"] for t in threads}) == len(threads)
    done = await until(lambda: _idle(fast, threads[-1]["thread_id"]))
    assert done["values"]["log"] == ["first", "second"]


async def _idle(client: LangGraphClient, thread_id: str) -> dict[str, Any] | None:
    thread = await client.threads.get(thread_id)
    return thread if thread["status"] == "idle" and thread["values"] else None


async def test_stateless_cron_deletes_its_thread_after_the_run(fast: LangGraphClient) -> None:
    tag = str(uuid.uuid4())
    cron = await fast.crons.create("slow", schedule=EVERY_SECOND, input={"steps": 3, "delay": 0.2}, metadata={"tag": tag})
    assert cron["on_run_completed"] == "delete"
    await until(lambda: fast.threads.search(metadata={"tag": tag}))  # a fire's thread, while it runs
    await fast.crons.update(cron["cron_id"], enabled=False)
    await until(lambda: _none(fast.threads.search(metadata={"tag": tag})))  # ...gone once done


async def _none(items: Awaitable[list[Any]]) -> bool:
    return not await items


async def test_end_time_disables_the_cron(fast: LangGraphClient) -> None:
    thread = await fast.threads.create()
    end = datetime.now(UTC) + timedelta(seconds=1.5)
    cron = await fast.crons.create_for_thread(thread["thread_id"], "counter", schedule=EVERY_SECOND, input={}, end_time=end)

    async def finished() -> dict[str, Any] | None:
        _, current, _ = await raw(fast, "GET", f"/runs/crons/{cron['cron_id']}")
        return current if not current["enabled"] else None

    current = await until(finished)
    assert current["next_run_date"] is None
    assert await runs_on(fast, thread["thread_id"])  # it did fire before its end


async def test_a_failing_fire_does_not_stop_the_scheduler(fast: LangGraphClient, caplog: pytest.LogCaptureFixture) -> None:
    busy = await fast.threads.create()
    tid = busy["thread_id"]
    long_run = await fast.runs.create(tid, "slow", input={"steps": 10, "delay": 0.2})
    # while the thread is busy every fire of this cron is rejected...
    await fast.crons.create_for_thread(tid, "counter", schedule=EVERY_SECOND, input={}, multitask_strategy="reject")
    # ...and the other cron still fires meanwhile
    tag = str(uuid.uuid4())
    other = await fast.crons.create("counter", schedule=EVERY_SECOND, input={}, metadata={"tag": tag}, on_run_completed="keep")
    await until(lambda: _at_least(fast.threads.search(metadata={"tag": tag}), 2))
    await fast.crons.delete(other["cron_id"])
    assert "Thread is already running a task" in caplog.text
    await fast.runs.join(tid, long_run["run_id"])
    runs = await until(lambda: _at_least(runs_on(fast, tid), 2))  # free again: the next fire gets through
    assert runs[-1]["run_id"] == long_run["run_id"] and runs[0]["assistant_id"] == COUNTER_ASSISTANT


async def _serve(db: str, **settings: Any) -> tuple[TestServer, LangGraphClient]:
    server = TestServer(make_app(db=db, **settings))
    await server.start_server()
    return server, get_client(url=str(server.make_url("")).rstrip("/"), api_key=None)


async def _close(server: TestServer, client: LangGraphClient) -> None:
    await client.http.client.aclose()
    await server.close()


async def test_a_cron_survives_a_restart(database: Any, tmp_path: Any) -> None:
    db = str(database(tmp_path / "threadloom.sqlite"))
    server, client = await _serve(db, cron_poll_seconds=3600)  # this one never gets to fire it
    thread = await client.threads.create()
    tid = thread["thread_id"]
    cron = await client.crons.create_for_thread(tid, "counter", schedule=EVERY_SECOND, input={})
    assert await runs_on(client, tid) == []
    await _close(server, client)

    server, client = await _serve(db, **FAST)
    try:
        run = (await until(lambda: runs_on(client, tid)))[0]
        assert run["kwargs"]["config"]["configurable"]["cron_id"] == cron["cron_id"]
    finally:
        await _close(server, client)


def test_a_database_from_before_keeps_its_crons(tmp_path: Any) -> None:
    """The migration that lets `timezone` be null rebuilds the table: its rows, the user
    a cron runs as, and the cascade from its thread survive."""
    path = str(tmp_path / "threadloom.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE threadloom_schema (version INTEGER NOT NULL)")
    for version, script in enumerate(MIGRATIONS[:4], start=1):  # the schema before it
        conn.executescript(f"BEGIN; {script}; INSERT INTO threadloom_schema VALUES ({version}); COMMIT;")
    now = "2026-01-15T00:00:00+00:00"
    conn.execute("INSERT INTO threads VALUES ('t', ?, ?, ?, '{}', 'idle', '{}', NULL, '{}', NULL)", (now, now, now))
    conn.execute(
        "INSERT INTO crons VALUES ('c', 'a', 't', 'u', '0 9 * * *', 'UTC', NULL, ?, 1, NULL, '{}', '{}', ?, ?, '{\"identity\": \"u\"}')",
        (now, now, now),
    )
    conn.close()
    db = Database(path)
    try:
        crons = SqliteCrons(db)
        cron = asyncio.run(crons.get("c"))
        assert cron is not None and (cron.thread_id, cron.timezone, cron.schedule) == ("t", "UTC", "0 9 * * *")
        assert asyncio.run(crons.user("c")) == {"identity": "u"}
        assert asyncio.run(crons.insert(msgspec.structs.replace(cron, cron_id="d", timezone=None)))
        db.conn.execute("DELETE FROM threads WHERE thread_id = 't'")
        assert db.conn.execute("SELECT count(*) FROM crons").fetchone()[0] == 0
    finally:
        db.conn.close()


async def test_a_slot_is_claimed_once(tmp_path: Any) -> None:
    """The claim is a compare-and-set on the database: of two schedulers that both read a
    cron as due, only the first to write fires it."""
    db = Database(str(tmp_path / "threadloom.sqlite"))
    try:
        await _claim_twice(SqliteCrons(db))
    finally:
        db.conn.close()


async def _claim_twice(crons: SqliteCrons) -> None:
    cron = new_cron(CronCreate(schedule=EVERY_SECOND, assistant_id=COUNTER_ASSISTANT), {}, assistant_id=COUNTER_ASSISTANT, thread_id=None)
    assert await crons.insert(cron)
    assert cron.next_run_date is not None
    slot, later = datetime.fromisoformat(cron.next_run_date), datetime(2999, 1, 1, tzinfo=UTC)
    assert [c.cron_id for c in await crons.due(later, limit=10)] == [cron.cron_id]
    assert await crons.advance(cron.cron_id, slot, later)
    assert not await crons.advance(cron.cron_id, slot, datetime(2998, 1, 1, tzinfo=UTC))  # the slot is taken
    assert (await crons.get(cron.cron_id)).next_run_date == later.isoformat()
    assert await crons.due(slot, limit=10) == []
    assert await crons.advance(cron.cron_id, later, None)  # no next slot: disabled
    current = await crons.get(cron.cron_id)
    assert (current.enabled, current.next_run_date) == (False, None)
