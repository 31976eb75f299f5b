"""Opening a backend with the project's encryption around it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from langgraph.checkpoint.serde.base import SerializerProtocol

from threadloom.protocol.storage import Storage
from threadloom.server.encryption.blobs import BlobCodec, encrypted_serde
from threadloom.server.encryption.codec import JsonCodec
from threadloom.server.encryption.handlers import Handlers
from threadloom.server.encryption.loop import HandlerLoop
from threadloom.server.encryption.records import RecordCodec

from .storage import EncryptedStorage

OpenBackend = Callable[[SerializerProtocol | None], Awaitable[Storage]]


async def open_encrypted(open_backend: OpenBackend, handlers: Handlers) -> Storage:
    """`open_backend(serde)`: the backend, its saver serializing checkpoints with `serde`
    (None: LangGraph's default, without blob handlers). Checkpoints are encrypted with
    the blob handlers, records with the JSON handlers; what has none stays in clear."""
    loop = HandlerLoop()
    blobs = None
    if handlers.encrypt_blob is not None and handlers.decrypt_blob is not None:
        blobs = BlobCodec(handlers.encrypt_blob, handlers.decrypt_blob)
    records = None
    if handlers.encrypt_json is not None and handlers.decrypt_json is not None:
        records = RecordCodec(JsonCodec(handlers.encrypt_json, handlers.decrypt_json))
    try:
        backend = await open_backend(None if blobs is None else encrypted_serde(blobs, loop))
    except BaseException:
        loop.close()
        raise
    return EncryptedStorage(backend, records, blobs, loop)
