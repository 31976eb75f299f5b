"""The one place that reads the handlers an `Encryption` object registered: the SDK
keeps them on attributes for the server to read, as `Auth` does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from langgraph_sdk import Encryption, EncryptionContext

JsonHandler = Callable[[EncryptionContext, dict[str, Any]], Awaitable[Any]]
BlobHandler = Callable[[EncryptionContext, bytes], Awaitable[Any]]
ContextHandler = Callable[[Any, EncryptionContext], Awaitable[Any]]


@dataclass(frozen=True)
class Handlers:
    """What the project registered; None where it registered nothing (that data stays
    in clear)."""

    encrypt_json: JsonHandler | None
    decrypt_json: JsonHandler | None
    encrypt_blob: BlobHandler | None
    decrypt_blob: BlobHandler | None
    context: ContextHandler | None

    @classmethod
    def of(cls, encryption: Encryption) -> Handlers:
        return cls(
            encrypt_json=encryption._json_encryptor,
            decrypt_json=encryption._json_decryptor,
            encrypt_blob=encryption._blob_encryptor,
            decrypt_blob=encryption._blob_decryptor,
            context=encryption._context_handler,
        )
