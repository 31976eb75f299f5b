"""LangGraph's checkpoints in the SQLite file, each write all-or-nothing.

LangGraph's own `AsyncSqliteSaver` runs on an autocommit aiosqlite connection and saves
a task's writes with one `executemany` per batch: every row commits on its own, so a
process killed between two rows leaves a task half-saved, and on resume LangGraph takes
a task with stored writes for done and applies only the rows it finds (a run's input
lost, a branch never taken). Its synchronous `SqliteSaver` wraps each call in one
transaction instead. This saver runs that one on a single worker thread: one hop per
call, the transaction begun and committed inside it, so no transaction is ever held
across an await of the event loop, and calls land in the order they were made (a delete
issued after a cancelled run's last write lands after it).

It also keeps what a graph does not know. LangGraph writes a checkpoint's values only
for the channels of the graph that ran, yet its versions for every channel; the official
server's saver keeps one value per channel version, so a value whose version a run of
another graph did not move is still there for the next run of the first graph (a
`count` survives a run of a graph without it between two runs of one that counts).
`SqliteSaver` keeps a checkpoint's values inline: this saver copies forward from the
parent checkpoint the values whose version did not move and that the new checkpoint
lacks, and only those, so what a step cleared or consumed (a `branch:to:…` trigger: its
version moves) stays gone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Self, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.sqlite import SqliteSaver

from ..checkpoint_metadata import OfficialCheckpointMetadata
from ..signatures import kept_signatures
from .worker import Worker

T = TypeVar("T")


def connect(path: str) -> sqlite3.Connection:
    """A connection whose writes begin `IMMEDIATE` transactions (Python opens one before
    the first INSERT/UPDATE/DELETE; `SqliteSaver` commits it at the end of each call)."""
    conn = sqlite3.connect(path, isolation_level="IMMEDIATE", check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    # WAL with synchronous=NORMAL, as for the records: safe across a process crash; a
    # power loss may lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


@kept_signatures
class ThreadedSqliteSaver(BaseCheckpointSaver[str]):
    def __init__(self, conn: sqlite3.Connection, serde: SerializerProtocol | None = None) -> None:
        self._saver = SqliteSaver(conn, serde=serde)
        super().__init__(serde=self._saver.serde)
        self._conn = conn
        self._worker = Worker("threadloom-checkpoints")

    @classmethod
    async def open(cls, path: str, serde: SerializerProtocol | None = None) -> Self:
        """`serde`: how checkpoints are serialized (LangGraph's default if None)."""
        self = cls(connect(path), serde)
        await self._call(self._saver.setup)
        return self

    async def close(self) -> None:
        await self._call(self._conn.close)
        self._worker.shutdown()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """On the worker thread, in the caller's context (the serializer may read its
        context variables)."""
        return await self._worker.call(fn, *args)

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one write transaction on the worker thread: every statement it runs
        commits together, or none does."""

        def run() -> T:
            with self._saver.lock, self._conn:  # commits, or rolls back on an exception
                return work(self._conn)

        return await self._call(run)

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work`'s reads on the worker thread, after the writes queued there."""

        def run() -> T:
            with self._saver.lock:
                return work(self._conn)

        return await self._call(run)

    # The synchronous API: the wrapped saver's, safe from any thread (it takes its lock).

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._saver.get_tuple(config)

    def list(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        return self._saver.list(config, filter=filter, before=before, limit=limit)

    def put(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        return self._saver.put(config, self._with_kept_values(config, checkpoint, new_versions), metadata, new_versions)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        self._saver.put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        self._saver.delete_thread(thread_id)

    def get_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Any:
        return self._saver.get_delta_channel_history(config=config, channels=channels)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self._saver.get_next_version(current, channel)

    def _with_kept_values(self, config: RunnableConfig, checkpoint: Checkpoint, new_versions: ChannelVersions) -> Checkpoint:
        """`checkpoint` with the values of its parent (the checkpoint `config` names) for
        the channels it lacks whose version is the parent's and did not move in this write."""
        values, versions = checkpoint["channel_values"], checkpoint["channel_versions"]
        unmoved = [k for k in versions if k not in values and k not in new_versions]
        parent_id = config["configurable"].get("checkpoint_id")
        if not unmoved or not parent_id:
            return checkpoint
        parent = self._stored(str(config["configurable"]["thread_id"]), config["configurable"].get("checkpoint_ns", ""), parent_id)
        if parent is None:
            return checkpoint
        kept = {
            k: parent["channel_values"][k]
            for k in unmoved
            if k in parent["channel_values"] and parent["channel_versions"].get(k) == versions[k]
        }
        return {**checkpoint, "channel_values": {**values, **kept}} if kept else checkpoint

    def _stored(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> Checkpoint | None:
        with self._saver.cursor(transaction=False) as cur:
            cur.execute(
                "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, checkpoint_ns, checkpoint_id),
            )
            row = cur.fetchone()
        return None if row is None else self.serde.loads_typed((row[0], row[1]))

    # The asynchronous API: the same calls, one hop each to the worker thread.

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._call(self._saver.get_tuple, config)

    async def alist(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        def fetch() -> list[CheckpointTuple]:
            return [*self._saver.list(config, filter=filter, before=before, limit=limit)]

        for item in await self._call(fetch):
            yield item

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        return await self._call(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await self._call(self._saver.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self._call(self._saver.delete_thread, thread_id)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Any:
        return await self._call(lambda: self._saver.get_delta_channel_history(config=config, channels=channels))


class SqliteCheckpointer(OfficialCheckpointMetadata, ThreadedSqliteSaver):
    """The server's saver: checkpoint metadata as the official server's (`checkpoint_metadata`)."""
