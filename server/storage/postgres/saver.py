"""LangGraph's `AsyncPostgresSaver` as the server's checkpointer.

- Checkpoint metadata as the official server's (`..checkpoint_metadata`).
- A checkpoint keeps the values of channels a graph does not know: LangGraph's saver
  stores non-primitive values per channel version (`checkpoint_blobs`), so those are
  found again by their version, but inlines primitive values in the checkpoint row; a
  run of another graph on the thread would drop them. `aput` copies forward from the
  parent checkpoint the inline values whose version did not move and that the new
  checkpoint lacks, as `..saver` does for SQLite.
- A write whose connection broke (a restarted server, a terminated backend) is tried
  again while the pool reconnects, for up to `RETRY_SECONDS`: every write LangGraph's
  saver makes is an upsert, safe to repeat; a run in flight goes on instead of failing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg_pool import AsyncConnectionPool

from ..checkpoint_metadata import OfficialCheckpointMetadata
from ..signatures import kept_signatures
from ..unavailable import StorageUnavailable
from .fence import wait_local

T = TypeVar("T")
RETRY_SECONDS = 60.0


READ_RETRY_SECONDS = 5.0


async def retry_broken(call: Callable[[], Awaitable[T]], seconds: float = RETRY_SECONDS, pool: Any = None) -> T:
    """`await call()`, again while the connection fails, for up to `seconds`; then
    `StorageUnavailable` (a 503 where a request waits for it)."""
    deadline = time.monotonic() + seconds
    delay = 0.05
    while True:
        try:
            return await call()
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise
            if time.monotonic() + delay > deadline:
                raise StorageUnavailable(f"the database connection failed: {exc}") from exc
            if isinstance(pool, AsyncConnectionPool):
                await pool.check()  # the other idle connections died with this one: replace them
            else:
                await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)


def _at_path(metadata: Any, dotted: str) -> Any:
    """`metadata["a"]["b"]` for "a.b"; None where a step is missing."""
    for key in dotted.split("."):
        if not isinstance(metadata, dict):
            return None
        metadata = metadata.get(key)
    return metadata


@kept_signatures
class RetryingPostgresSaver(AsyncPostgresSaver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writing: dict[str, set[asyncio.Task[Any]]] = {}  # by thread

    async def aput(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        await wait_local()

        async def put() -> RunnableConfig:
            kept = await retry_broken(lambda: self._with_kept_values(config, checkpoint, new_versions), pool=self.conn)
            return await retry_broken(lambda: super(RetryingPostgresSaver, self).aput(config, kept, metadata, new_versions), pool=self.conn)

        return await self._whole(config, put())

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await wait_local()
        await self._whole(
            config, retry_broken(lambda: super(RetryingPostgresSaver, self).aput_writes(config, writes, task_id, task_path), pool=self.conn)
        )

    async def _whole(self, config: RunnableConfig, write: Coroutine[Any, Any, T]) -> T:
        """`write`, carried to its end even when its caller is cancelled (a run stopped by
        interrupt or rollback). Cancelling a statement in flight does not stop the server:
        it may still commit after the cancelled run's checkpoints were deleted. `settled`
        waits for these writes."""
        thread_id = str(config["configurable"]["thread_id"])
        task = asyncio.ensure_future(write)
        writing = self._writing.setdefault(thread_id, set())
        writing.add(task)
        task.add_done_callback(lambda done: self._done_writing(thread_id, done))
        return await asyncio.shield(task)

    def _done_writing(self, thread_id: str, task: asyncio.Task[Any]) -> None:
        writing = self._writing.get(thread_id)
        if writing is not None:
            writing.discard(task)
            if not writing:
                del self._writing[thread_id]
        if not task.cancelled():
            task.exception()  # its caller may have gone: reported there, or nowhere

    async def settled(self, thread_id: str) -> None:
        """Once every checkpoint write begun on `thread_id` so far has ended."""
        writing = self._writing.get(thread_id)
        if writing:
            await asyncio.wait(list(writing))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await retry_broken(lambda: super(RetryingPostgresSaver, self).aget_tuple(config), READ_RETRY_SECONDS, pool=self.conn)

    async def alist(
        self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None, limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """As LangGraph's SQLite saver filters (the default backend's): a dotted key reaches
        into nested metadata, and None matches a missing key too. Those keys are checked
        here; the others by the database (`@>`)."""
        loose = {k: v for k, v in (filter or {}).items() if "." in k or v is None}
        exact = {k: v for k, v in (filter or {}).items() if k not in loose} or None
        try:
            if not loose:
                async for item in super().alist(config, filter=filter, before=before, limit=limit):
                    yield item
                return
            found = 0
            async for item in super().alist(config, filter=exact, before=before, limit=None):
                if all(_at_path(item.metadata, key) == value for key, value in loose.items()):
                    yield item
                    found += 1
                    if limit is not None and found >= limit:
                        return
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise StorageUnavailable(f"the database connection failed: {exc}") from exc

    async def _with_kept_values(
        self, config: RunnableConfig, checkpoint: Checkpoint, new_versions: ChannelVersions
    ) -> Checkpoint:
        values, versions = checkpoint["channel_values"], checkpoint["channel_versions"]
        unmoved = [k for k in versions if k not in values and k not in new_versions]
        configurable = config["configurable"]
        parent_id = configurable.get("checkpoint_id")
        if not unmoved or not parent_id:
            return checkpoint
        assert isinstance(self.conn, AsyncConnectionPool)  # `PostgresStorage` gives it its pool
        async with self.conn.connection() as conn:
            cur = await conn.execute(
                "SELECT checkpoint -> 'channel_values' AS vals, checkpoint -> 'channel_versions' AS vers FROM checkpoints "
                "WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id = %s",
                (str(configurable["thread_id"]), configurable.get("checkpoint_ns", ""), parent_id),
                prepare=False,
            )
            row = await cur.fetchone()
        if row is None:
            return checkpoint
        parent_values, parent_versions = row["vals"] or {}, row["vers"] or {}
        kept = {
            k: parent_values[k]
            for k in unmoved
            if k in parent_values and parent_versions.get(k) == versions[k]
        }
        return {**checkpoint, "channel_values": {**values, **kept}} if kept else checkpoint


class PostgresCheckpointer(OfficialCheckpointMetadata, RetryingPostgresSaver):
    """The server's saver on PostgreSQL."""
