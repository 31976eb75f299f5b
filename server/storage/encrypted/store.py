"""LangGraph's store with its items' values encrypted at rest, for the graphs and the
/store routes alike. Search filters and the embedding index see what is stored: only
the keys the project's encryptor leaves in clear can be filtered on or indexed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from langgraph.store.base import BaseStore, Item, Op, PutOp, Result, SearchItem

from threadloom.server.encryption.records import RecordCodec


class EncryptedStore(BaseStore):
    def __init__(self, inner: BaseStore, codec: RecordCodec) -> None:
        self._inner, self._codec = inner, codec
        self._loop = asyncio.get_running_loop()
        self.supports_ttl = inner.supports_ttl
        self.ttl_config = inner.ttl_config

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        sealed = [
            op._replace(value=await self._codec.seal_dict("store", dict(op.value)))
            if isinstance(op, PutOp) and op.value is not None else op
            for op in ops
        ]
        return [await self._open(result) for result in await self._inner.abatch(sealed)]

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """From a graph's synchronous code, on a worker thread (as LangGraph's async
        stores do): the handlers are async, and run on the server's loop."""
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            raise RuntimeError("the store's synchronous API was called on the event loop: use its async methods (aget, aput…)")
        return asyncio.run_coroutine_threadsafe(self.abatch(ops), self._loop).result()

    async def _open(self, result: Result) -> Result:
        if isinstance(result, list):
            return [await self._open_item(item) if isinstance(item, Item) else item for item in result]
        return await self._open_item(result) if isinstance(result, Item) else result

    async def _open_item(self, item: Any) -> Any:
        value = await self._codec.open_dict("store", item.value)
        if isinstance(item, SearchItem):
            return SearchItem(item.namespace, item.key, value, item.created_at, item.updated_at, item.score)
        return Item(value=value, key=item.key, namespace=item.namespace, created_at=item.created_at, updated_at=item.updated_at)
