"""The storage port's contract (`protocol/storage/`): the same cases against every
backend (`storage_backends.BACKENDS`), so that they all mean the same by a filter, by
"atomic", by a claim and by "earlier". Fast: no server, no graph."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storage_backends import BACKENDS

from threadloom.protocol.filters import Filter, matches
from threadloom.protocol.priority import ThreadPriority
from threadloom.protocol.resources import Assistant, Cron, Run, RunKwargs, Thread
from threadloom.protocol.search import json_contains
from threadloom.protocol.storage import Storage
from threadloom.protocol.ttl import Expired, ThreadTtl

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# metadata (and values) documents the filters are tried on, by thread id
DOCUMENTS: dict[str, Any] = {
    "plain": {"owner": "alice", "n": 1, "flag": True},
    "float": {"owner": "bob", "n": 1.0, "flag": False},
    "int-flag": {"owner": "alice", "n": 2, "flag": 1},
    "nested": {"owner": "alice", "org": {"team": "x", "level": {"deep": [1, 2]}}},
    "tags": {"owner": "carol", "tags": ["a", "b", {"k": "v"}]},
    "quote": {'we"ird key': "yes", "owner": None},
    "huge": {"n": 2**70, "big": -(10**400)},
    "empty": {},
}
CONTAINMENTS: list[Any] = [
    {}, {"owner": "alice"}, {"n": 1}, {"flag": True}, {"flag": 1}, {"org": {"team": "x"}},
    {"org": {"level": {"deep": [2]}}}, {"org": {}}, {"tags": ["b"]}, {"tags": [{"k": "v"}]}, {"tags": "a"},
    {'we"ird key': "yes"}, {"owner": None}, {"owner": "alice", "n": 2}, {"n": 2**70}, {"big": -(10**400)},
]
AUTH_FILTERS: list[Filter] = [
    {"owner": "alice"}, {"owner": {"$eq": "alice"}}, {"n": 1}, {"flag": True}, {"flag": {"$eq": 1}},
    {"owner": None}, {"org": {"team": "x", "level": {"deep": [1, 2]}}}, {"org": {"team": "x"}},
    {"tags": {"$contains": "a"}}, {"tags": {"$contains": ["a", "b"]}}, {"tags": {"$contains": {"k": "v"}}},
    {"tags": {"$contains": "z"}}, {"owner": {"$contains": "alice"}},
    {"$or": [{"owner": "bob"}, {"owner": "carol"}]}, {"$and": [{"owner": "alice"}, {"n": 2}]},
    {"$or": [{"$and": [{"owner": "alice"}, {"flag": True}]}, {"tags": {"$contains": "b"}}]},
    {'we"ird key': "yes"}, {"n": {"$eq": 2**70}}, {"n": 2**64},
]


@pytest.fixture(params=sorted(BACKENDS))
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with BACKENDS[request.param](tmp_path) as opened:
        yield opened


def at(moment: datetime) -> str:
    return moment.isoformat()


def thread(thread_id: str, *, metadata: dict[str, Any] | None = None, values: Any = None, created: datetime = T0) -> Thread:
    return Thread(
        thread_id=thread_id, created_at=at(created), updated_at=at(created), state_updated_at=at(created),
        metadata=metadata or {}, values=values,
    )


def assistant(assistant_id: str, metadata: dict[str, Any]) -> Assistant:
    return Assistant(
        assistant_id=assistant_id, graph_id="g", config={}, context={}, metadata=metadata, name=assistant_id,
        created_at=at(T0), updated_at=at(T0),
    )


def cron(cron_id: str, *, next_run: datetime | None, metadata: dict[str, Any] | None = None) -> Cron:
    return Cron(
        cron_id=cron_id, assistant_id="a", thread_id=None, user_id=None, end_time=None, schedule="* * * * *",
        timezone=None, payload={}, next_run_date=None if next_run is None else at(next_run.astimezone(UTC)),
        metadata=metadata or {}, on_run_completed=None, enabled=True, created_at=at(T0), updated_at=at(T0),
    )


def run(run_id: str, thread_id: str) -> Run:
    return Run(
        run_id=run_id, thread_id=thread_id, assistant_id="a", metadata={}, status="pending", kwargs=RunKwargs(),
        multitask_strategy="enqueue", created_at=at(T0), updated_at=at(T0),
    )


async def _with_documents(storage: Storage) -> None:
    for thread_id, document in DOCUMENTS.items():
        assert await storage.threads.insert(thread(thread_id, metadata=document, values=document))


# filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", CONTAINMENTS, ids=repr)
async def test_thread_search_by_metadata_and_values_is_json_containment(storage: Storage, wanted: Any) -> None:
    await _with_documents(storage)
    expected = sorted(t for t, document in DOCUMENTS.items() if json_contains(document, wanted))
    for field in ("metadata", "values"):
        query: dict[str, Any] = {"ids": None, "metadata": None, "values": None, "status": None}
        query[field] = wanted
        found = await storage.threads.search(**query, limit=100, offset=0, sort_by="thread_id", sort_order="asc")
        assert [t.thread_id for t in found] == expected, field
        assert await storage.threads.count(**query) == len(expected), field


@pytest.mark.parametrize("filter", AUTH_FILTERS, ids=repr)
async def test_auth_filters_match_as_protocol_filters_says(storage: Storage, filter: Filter) -> None:
    await _with_documents(storage)
    for thread_id, document in DOCUMENTS.items():
        assert await storage.assistants.create(assistant(thread_id, document))
        assert await storage.crons.insert(cron(thread_id, next_run=T0, metadata=document))
    expected = sorted(t for t, document in DOCUMENTS.items() if matches(document, filter))
    threads = await storage.threads.search(
        ids=None, metadata=None, values=None, status=None, limit=100, offset=0, sort_by="thread_id", sort_order="asc",
        auth=filter,
    )
    assert [t.thread_id for t in threads] == expected
    assert await storage.threads.count(auth=filter) == len(expected)
    assistants = await storage.assistants.search(
        graph_ids=["g"], graph_id=None, name=None, metadata=None, limit=100, offset=0, sort_by="assistant_id",
        sort_order="asc", auth=filter,
    )
    assert [a.assistant_id for a in assistants] == expected
    crons = await storage.crons.search(
        assistant_id=None, thread_id=None, enabled=None, metadata=None, limit=100, offset=0, sort_by="cron_id",
        sort_order="asc", auth=filter,
    )
    assert [c.cron_id for c in crons] == expected


async def test_assistant_and_cron_metadata_match_by_equal_top_level_values(storage: Storage) -> None:
    for key, document in DOCUMENTS.items():
        assert await storage.assistants.create(assistant(key, document))
        assert await storage.crons.insert(cron(key, next_run=T0, metadata=document))
    for wanted in ({"owner": "alice"}, {"n": 1}, {"flag": True}, {"org": {"team": "x"}}, {"tags": ["a", "b", {"k": "v"}]}):
        expected = sorted(k for k, d in DOCUMENTS.items() if all(matches(d, {key: {"$eq": v}}) for key, v in wanted.items()))
        found = await storage.assistants.search(
            graph_ids=["g"], graph_id=None, name=None, metadata=wanted, limit=100, offset=0, sort_by="assistant_id",
            sort_order="asc",
        )
        assert [a.assistant_id for a in found] == expected, wanted
        crons = await storage.crons.search(
            assistant_id=None, thread_id=None, enabled=None, metadata=wanted, limit=100, offset=0, sort_by="cron_id",
            sort_order="asc",
        )
        assert [c.cron_id for c in crons] == expected, wanted


# atomic multi-writes --------------------------------------------------------------------


async def test_a_unit_of_work_commits_together(storage: Storage) -> None:
    async with storage.atomic():
        assert await storage.threads.insert(thread("t"))
        await storage.runs.begin(thread("t"), run("r", "t"), create_thread=False)
        async with storage.atomic():  # a nested block joins the outer one
            assert await storage.crons.insert(cron("c", next_run=T0))
    assert await storage.threads.get("t") is not None
    assert await storage.runs.get("r") is not None
    assert await storage.crons.get("c") is not None


async def test_a_unit_of_work_that_raises_writes_nothing(storage: Storage) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with storage.atomic():
            assert await storage.threads.insert(thread("t"))
            await storage.runs.begin(thread("t"), run("r", "t"), create_thread=False)
            raise RuntimeError("boom")
    assert await storage.threads.get("t") is None
    assert await storage.runs.get("r") is None
    assert await storage.threads.insert(thread("t"))  # and the storage goes on


async def test_another_tasks_write_waits_for_the_unit_of_work(storage: Storage) -> None:
    order: list[str] = []
    inside = asyncio.Event()

    async def other() -> None:
        await inside.wait()
        assert await storage.threads.insert(thread("other"))
        order.append("other")

    async def unit() -> None:
        async with storage.atomic():
            assert await storage.threads.insert(thread("unit"))
            inside.set()
            await asyncio.sleep(0.05)
            order.append("unit")

    await asyncio.gather(other(), unit())
    assert order == ["unit", "other"]


async def test_beginning_a_run_on_a_missing_thread_writes_nothing(storage: Storage) -> None:
    with pytest.raises(Exception):
        await storage.runs.begin(thread("t"), run("r", "elsewhere"), create_thread=True)
    assert await storage.threads.get("t") is None
    assert await storage.runs.get("r") is None


# text that SQL quoting must keep as it is: one statement, and several sent at once
ODD_TEXT = {
    "quotes": "it's \"so\"", "backslashes": "C:\\dir\\n", "placeholders": "%s %(name)s %% {}",
    "non-ascii": "é ✓ 😀", "sql": "'); DROP TABLE threads; --", "json": '{"k": [1]}', "controls": "a\nb\tc",
}


async def test_text_of_every_kind_is_read_back_as_written(storage: Storage) -> None:
    begun = thread("t", metadata=ODD_TEXT, values=ODD_TEXT)
    await storage.runs.begin(begun, run("r", "t"), create_thread=True)
    got = await storage.threads.get("t")
    assert got is not None and got.metadata == ODD_TEXT and got.values == ODD_TEXT
    ended = msgspec.structs.replace(begun, metadata={**ODD_TEXT, "ended": "yes"}, status="idle")
    await storage.runs.finish(ended, "r", "success")
    got = await storage.threads.get("t")
    assert got is not None and got.metadata == {**ODD_TEXT, "ended": "yes"} and got.values == ODD_TEXT
    finished = await storage.runs.get("r")
    assert finished is not None and finished.status == "success"
    assert await storage.threads.search(
        ids=None, metadata={"sql": ODD_TEXT["sql"]}, values=None, status=None, limit=10, offset=0,
    ) == [got]


# claims -------------------------------------------------------------------------------


async def test_of_concurrent_claims_of_a_cron_slot_exactly_one_wins(storage: Storage) -> None:
    slot = T0
    assert await storage.crons.insert(cron("c", next_run=slot))
    claims = await asyncio.gather(*(storage.crons.advance("c", slot, slot + timedelta(minutes=i + 1)) for i in range(5)))
    assert sorted(claims) == [False, False, False, False, True]
    after = await storage.crons.get("c")
    assert after is not None and after.next_run_date is not None
    assert datetime.fromisoformat(after.next_run_date) == slot + timedelta(minutes=claims.index(True) + 1)


async def test_a_claim_of_a_slot_already_moved_fails_and_none_disables(storage: Storage) -> None:
    assert await storage.crons.insert(cron("c", next_run=T0))
    assert not await storage.crons.advance("c", T0 - timedelta(minutes=1), T0 + timedelta(minutes=1))
    assert await storage.crons.advance("c", T0, None)
    after = await storage.crons.get("c")
    assert after is not None and (after.enabled, after.next_run_date) == (False, None)
    assert await storage.crons.due(T0 + timedelta(days=1), limit=10) == []


# time ordering --------------------------------------------------------------------------


async def test_due_crons_compare_times_not_texts(storage: Storage) -> None:
    """A due time given in another zone means the same instant."""
    plus_two = timezone(timedelta(hours=2))
    for i, minutes in enumerate((30, 10, 20, 90)):
        assert await storage.crons.insert(cron(f"c{i}", next_run=(T0 + timedelta(minutes=minutes)).astimezone(plus_two)))
    now = (T0 + timedelta(minutes=60)).astimezone(plus_two)  # 02:00 local, 01:00 UTC
    assert [c.cron_id for c in await storage.crons.due(now, limit=10)] == ["c1", "c2", "c0"]
    assert [c.cron_id for c in await storage.crons.due(now, limit=2)] == ["c1", "c2"]
    slot = (T0 + timedelta(minutes=10)).astimezone(plus_two)
    assert await storage.crons.advance("c1", slot, T0 + timedelta(days=1))  # the same instant, another zone


async def test_threads_sort_by_time_with_ties_broken_by_id(storage: Storage) -> None:
    for thread_id, minutes in (("b", 5), ("a", 5), ("c", 1), ("d", 9)):
        assert await storage.threads.insert(thread(thread_id, created=T0 + timedelta(minutes=minutes)))
    for order, expected in (("asc", ["c", "a", "b", "d"]), ("desc", ["d", "b", "a", "c"])):
        found = await storage.threads.search(
            ids=None, metadata=None, values=None, status=None, limit=10, offset=0, sort_by="created_at", sort_order=order,
        )
        assert [t.thread_id for t in found] == expected
    pages = [
        await storage.threads.search(
            ids=None, metadata=None, values=None, status=None, limit=1, offset=i, sort_by="created_at", sort_order="asc",
        )
        for i in range(4)
    ]
    assert [p[0].thread_id for p in pages] == ["c", "a", "b", "d"]


async def test_a_threads_priority_is_kept_apart_from_its_record(storage: Storage) -> None:
    assert await storage.threads.insert(thread("t"))
    assert await storage.threads.priority("t") is None and await storage.threads.priority("gone") is None
    await storage.threads.set_priority("t", ThreadPriority(priority=-5, fairness_group="team"))
    await storage.threads.update(thread("t", metadata={"after": 1}))  # a record write keeps it
    assert await storage.threads.priority("t") == ThreadPriority(priority=-5, fairness_group="team")


async def test_threads_expire_their_ttl_after_their_last_update_longest_expired_first(storage: Storage) -> None:
    for thread_id, minutes in (("a", 10), ("b", 5), ("c", 30), ("none", None)):
        assert await storage.threads.insert(thread(thread_id))
        if minutes is not None:
            await storage.threads.set_ttl(thread_id, ThreadTtl(strategy="delete", minutes=minutes))
    await storage.threads.set_ttl("c", ThreadTtl(strategy="keep_latest", minutes=1))  # the latest TTL counts

    def expired(minutes: float, limit: int = 10, **one: str) -> Any:
        return storage.threads.expired(at(T0 + timedelta(minutes=minutes)), limit, **one)

    assert await expired(0.5) == []
    assert await expired(5) == [Expired("c", "keep_latest"), Expired("b", "delete")]
    assert await expired(10, limit=2) == [Expired("c", "keep_latest"), Expired("b", "delete")]
    assert await expired(10, thread_id="a") == [Expired("a", "delete")] and await expired(9, thread_id="a") == []
    # an update moves the expiry; a busy thread never expires
    await storage.threads.update(msgspec.structs.replace(thread("b"), updated_at=at(T0 + timedelta(minutes=8))))
    await storage.threads.update(msgspec.structs.replace(thread("a"), status="busy"))
    assert await expired(12) == [Expired("c", "keep_latest")]
    # keep_latest, once applied, waits for the next update
    await storage.threads.pruned("c")
    assert await expired(60) == [Expired("b", "delete")]
    await storage.threads.update(msgspec.structs.replace(thread("c"), updated_at=at(T0 + timedelta(minutes=20))))
    assert await expired(21) == [Expired("b", "delete"), Expired("c", "keep_latest")]


async def test_runs_list_newest_first_and_active_in_queue_order(storage: Storage) -> None:
    assert await storage.threads.insert(thread("t"))
    for run_id in ("r1", "r2", "r3"):
        await storage.runs.begin(thread("t"), run(run_id, "t"), create_thread=False)
    await storage.runs.start("r2", RunKwargs(), attempt=1)
    assert [r.run_id for r in await storage.runs.list("t", limit=10, offset=0, status=None)] == ["r3", "r2", "r1"]
    assert [(r.run_id, attempt) for r, attempt in await storage.runs.active("t")] == [("r2", 1), ("r1", 0), ("r3", 0)]
    await storage.runs.finish(None, "r2", "success")
    assert [r.run_id for r in await storage.runs.find_active()] == ["r1", "r3"]
    assert await storage.threads.needing_recovery() == ["t"]


async def test_the_event_sweep_keeps_what_finished_after_the_cutoff(storage: Storage) -> None:
    assert await storage.threads.insert(thread("t"))
    for run_id in ("old", "new", "live"):
        await storage.runs.begin(thread("t"), run(run_id, "t"), create_thread=False)
        await storage.events.append({run_id: [(1, "values", b"{}"), (2, "values", b"{}")]}, heads={}, keep=10)
    await storage.runs.finish(None, "old", "success")
    await storage.runs.finish(None, "new", "success")
    assert await storage.events.unfinished_heads() == {"live": 2}
    # everything finished before a cutoff in the future, in another zone: both finished logs go
    future = (datetime.now(UTC) + timedelta(hours=1)).astimezone(timezone(timedelta(hours=-5)))
    assert await storage.events.sweep(finished_before=datetime.now(UTC) - timedelta(hours=1), keep_runs=10) == 0
    assert await storage.events.sweep(finished_before=future, keep_runs=10) == 2
    assert await storage.events.bounds("old") == (3, 2)  # evicted, its head remembered
    assert [seq for seq, _, _ in await storage.events.read("live", after=0, limit=10)] == [1, 2]


async def test_a_batch_of_events_reads_back_event_by_event_and_is_evicted_event_by_event(storage: Storage) -> None:
    """A batch's events of one run are stored together (one row): reads from any seq,
    limits, bounds and the `keep` eviction still go event by event."""
    assert await storage.threads.insert(thread("t"))
    await storage.runs.begin(thread("t"), run("r", "t"), create_thread=False)
    batch = [(seq, "custom", b'{"i":%d}' % seq) for seq in (1, 2, 4, 5, 6)]  # 3: not stored
    await storage.events.append({"r": batch}, heads={"r": 6}, keep=100)
    await storage.events.append({"r": [(7, "values", b"{}", b"more", True)]}, heads={"r": 7}, keep=100)  # past the third: ignored
    everything = [*batch, (7, "values", b"{}")]
    assert await storage.events.read("r", after=0, limit=100) == everything
    assert await storage.events.read("r", after=2, limit=2) == everything[2:4]
    assert await storage.events.read("r", after=3, limit=100) == everything[2:]
    assert await storage.events.read("r", after=6, limit=100) == everything[5:]
    assert await storage.events.read("r", after=7, limit=100) == []
    assert await storage.events.bounds("r") == (1, 7)
    # keep the last 5 seqs (5..9): the batch's row keeps its 5 and 6
    await storage.events.append({"r": [(8, "values", b"{}"), (9, "values", b"{}")]}, heads={"r": 9}, keep=5)
    assert [seq for seq, _, _ in await storage.events.read("r", after=0, limit=100)] == [5, 6, 7, 8, 9]
    assert await storage.events.bounds("r") == (5, 9)


# the same, on random documents and filters ---------------------------------------------

KEYS = st.sampled_from(["a", 'q"k'])
SCALARS = st.sampled_from([None, True, False, 0, 1, 1.0, "1", 2**70])  # few, so that documents and filters meet
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6)
DOCUMENTS_ = st.dictionaries(KEYS, VALUES, max_size=3)


def _near(documents: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Values the documents hold (and their parts), or look like: what filters should be made of."""
    held = [v for d in documents for v in d.values()]
    parts = [p for v in held if isinstance(v, (list, dict)) for p in (v if isinstance(v, list) else v.values())]
    return st.sampled_from(held + parts) | SCALARS if held else SCALARS


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(DOCUMENTS_, min_size=1, max_size=5), data=st.data())
def test_random_filters_match_as_the_reference_says(
    backend: str, tmp_path: Path, documents: list[dict[str, Any]], data: st.DataObject
) -> None:
    key, value, other = data.draw(KEYS), data.draw(_near(documents)), data.draw(_near(documents))
    wanted = {key: value}
    filter = data.draw(st.sampled_from([
        {key: value}, {key: {"$eq": value}}, {key: {"$contains": value}},
        {"$or": [{key: value}, {"a": other}]}, {"$and": [{key: {"$contains": value}}, {"a": other}]},
    ]))

    async def check() -> None:
        async with BACKENDS[backend](tmp_path / uuid.uuid4().hex) as storage:
            ids = [f"t{i}" for i in range(len(documents))]
            for thread_id, document in zip(ids, documents, strict=True):
                assert await storage.threads.insert(thread(thread_id, metadata=document))
            for query, reference in (
                ({"metadata": wanted, "auth": None}, lambda d: json_contains(d, wanted)),
                ({"metadata": None, "auth": filter}, lambda d: matches(d, filter)),
            ):
                found = await storage.threads.search(
                    ids=None, values=None, status=None, limit=10, offset=0, sort_by="thread_id", sort_order="asc", **query,
                )
                expected = [t for t, d in zip(ids, documents, strict=True) if reference(d)]
                assert [t.thread_id for t in found] == expected, query

    asyncio.run(check())


async def test_the_saver_says_it_takes_a_writes_task_path(storage: Storage) -> None:
    """LangGraph passes `task_path` to the saver's writes only when their signature has
    it (and asks at every run: the server's savers keep the answer, `signatures.py`):
    writes of parallel tasks are then given back in task order."""
    for method in (storage.saver.aput_writes, storage.saver.put_writes):
        assert "task_path" in inspect.signature(method).parameters
    # the one LangGraph's async loop asks about, answered from what the class kept
    assert "__signature__" in vars(storage.saver.aput_writes.__func__)
