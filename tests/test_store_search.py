"""Store searches with a filter on SQLite are answered by an index (`storefields.py`), with
the same items in the same order as LangGraph's own query, whatever was put, replaced or
deleted before, and on a database whose items were stored before the index existed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from langgraph.store.base import PutOp, SearchOp
from langgraph.store.sqlite.aio import AsyncSqliteStore

from threadloom.server.storage.sqlite import storefields
from threadloom.server.storage.sqlite.storage import SqliteStorage

ITEMS = storefields.SMALL + 500  # more than a search may read whole: the index answers
# a line of a plan that reads a whole table: `SCAN store` (a walk `USING INDEX` is stopped by the LIMIT)
SCAN = re.compile(r"\bSCAN (\w+)\b(?! USING (COVERING )?INDEX)(?! VIRTUAL TABLE)")


def _item(i: int) -> PutOp:
    value = {"kind": "abc"[i % 3], "i": i, "flag": i % 2 == 0, "ratio": i / 4, "code": str(i % 7),
             "nested": {"kind": "a"}, "tags": ["x"], "none": None}
    return PutOp(("docs", f"u{i % 5}"), f"item-{i}", value)


async def _seed(store: Any) -> None:
    ops = [_item(i) for i in range(ITEMS)]
    for start in range(0, len(ops), 500):
        await store.abatch(ops[start:start + 500])


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(str(tmp_path / "store.sqlite"))
    try:
        await _seed(opened.store)
        yield opened
    finally:
        await opened.close()


SEARCHES: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("docs",), {"kind": "a"}),
    ((), {"kind": "b"}),
    (("docs",), {"i": 7}),
    (("docs",), {"i": 7.0}),
    (("docs",), {"ratio": 2.5}),
    (("docs",), {"flag": True}),
    (("docs",), {"flag": False, "kind": "c"}),
    (("docs",), {"kind": "a", "i": 300}),
    (("docs",), {"code": "3"}),
    (("docs",), {"code": 3}),  # a string field is not the number
    (("docs",), {"kind": "z"}),
    (("docs", "u1"), {"kind": "a"}),  # a small namespace: LangGraph's query
    (("doc",), {"kind": "a"}),  # not a prefix of `docs`'s segments
    (("docs",), {"tags": ["x"]}),  # not served by the index: LangGraph's
    (("docs",), {"nested.kind": "a"}),
    (("docs",), {"none": None}),
    (("docs",), {"i": {"$gt": 1400}}),
]


async def _both(store: Any, op: SearchOp) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ours = (await store.abatch([op]))[0]
    langgraph = (await AsyncSqliteStore.abatch(store, [op]))[0]
    return [item.dict() for item in ours], [item.dict() for item in langgraph]


@pytest.mark.parametrize("offset", [0, 3, storefields.SMALL])
@pytest.mark.parametrize(("prefix", "where"), SEARCHES, ids=repr)
async def test_a_filtered_search_finds_what_langgraphs_query_finds(
    storage: SqliteStorage, prefix: tuple[str, ...], where: dict[str, Any], offset: int
) -> None:
    ours, langgraph = await _both(storage.store, SearchOp(prefix, where, 10, offset))
    assert ours == langgraph


async def test_the_index_follows_replaced_and_deleted_items(storage: SqliteStorage) -> None:
    store = storage.store
    await store.aput(_item(0).namespace, "item-0", {"kind": "b", "i": -1})  # was kind "a"
    await store.aput(_item(3).namespace, "item-3", {"i": -3})  # was kind "a": now no kind
    await store.adelete(_item(6).namespace, "item-6")
    await store.aput(("docs", "u9"), "new", {"kind": "a", "i": 10**6})
    for op in (SearchOp(("docs",), {"kind": "a"}, 20, 0), SearchOp(("docs",), {"kind": "b"}, 5, 0),
               SearchOp(("docs",), {"i": -1}, 5, 0), SearchOp(("docs",), {"i": 6}, 5, 0)):
        ours, langgraph = await _both(store, op)
        assert ours == langgraph
    assert (await store.asearch(("docs",), filter={"kind": "a"}, limit=1))[0].key == "new"
    assert await store.asearch(("docs",), filter={"i": 6}) == []
    assert [item.key for item in await store.asearch(("docs",), filter={"i": -3})] == ["item-3"]


def _key(item: dict[str, Any]) -> str:
    return str(item["key"])


async def test_items_stored_before_the_index_existed_are_found(tmp_path: Path) -> None:
    path = str(tmp_path / "old.sqlite")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        older = AsyncSqliteStore(conn)
        await older.setup()
        await _seed(older)
    storage = await SqliteStorage.open(path)
    try:  # all; their times tie (LangGraph's store stamps to the second), so their order is not compared
        for prefix, where in SEARCHES[:6]:
            ours, langgraph = await _both(storage.store, SearchOp(prefix, where, ITEMS, 0))
            assert ours and sorted(ours, key=_key) == sorted(langgraph, key=_key)
    finally:
        await storage.close()


@pytest.mark.parametrize(("prefix", "where"), SEARCHES[:11], ids=repr)
async def test_a_filtered_search_reads_neither_a_whole_table_nor_a_whole_namespace(
    storage: SqliteStorage, prefix: tuple[str, ...], where: dict[str, Any]
) -> None:
    conn = storage.store.conn
    statements: list[str] = []
    await conn.set_trace_callback(statements.append)
    try:
        await storage.store.asearch(prefix, filter=where, limit=10)
    finally:
        await conn.set_trace_callback(None)
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert selects
    for sql in selects:
        async with conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
            plan = [row[3] for row in await cur.fetchall()]
        assert not [line for line in plan if SCAN.search(line)], f"{sql}\n" + "\n".join(plan)
        # a sort only of the few items (under SMALL, counted first) of one value in the namespace
        sorts = any("TEMP B-TREE" in line for line in plan)
        assert not sorts or any("store_fields_namespace" in line for line in plan), f"{sql}\n" + "\n".join(plan)
