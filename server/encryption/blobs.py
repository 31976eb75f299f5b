"""Bytes encrypted with the project's blob handlers: checkpoints and their writes, through
LangGraph's public serializer API (`EncryptedSerializer` with a cipher that calls them),
and the stored event logs of resumable runs. Each ciphertext carries the encryption
context it was made in (its decryption is given it back), after a magic prefix and its
length; bytes without the prefix were stored in clear and are read as they are. A
`DecryptResult`'s replacement is not persisted: neither reader can rewrite what it reads."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_sdk import DecryptResult, EncryptionContext

from .context import current
from .handlers import BlobHandler
from .loop import HandlerLoop

CIPHER = "threadloom"  # the name LangGraph appends to a checkpoint's stored type: "msgpack+threadloom"
_MAGIC = b"TLE1"
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class BlobCodec:
    encrypt_blob: BlobHandler
    decrypt_blob: BlobHandler

    async def seal(self, model: str, field: str, data: bytes, context: dict[str, Any]) -> bytes:
        ciphertext: object = await self.encrypt_blob(EncryptionContext(model=model, field=field, metadata=context), data)
        if not isinstance(ciphertext, bytes):
            raise TypeError(f"the blob encryptor returned a {type(ciphertext).__name__}, not bytes")
        header = json.dumps(context).encode()
        return _MAGIC + _LENGTH.pack(len(header)) + header + ciphertext

    async def open(self, model: str, field: str, stored: bytes) -> bytes:
        if not stored.startswith(_MAGIC):
            return stored
        start = len(_MAGIC) + _LENGTH.size
        (length,) = _LENGTH.unpack(stored[len(_MAGIC):start])
        context = json.loads(stored[start:start + length])
        ctx = EncryptionContext(model=model, field=field, metadata=context)
        result: object = await self.decrypt_blob(ctx, stored[start + length:])
        plaintext = result.plaintext if isinstance(result, DecryptResult) else result
        if not isinstance(plaintext, bytes):
            raise TypeError(f"the blob decryptor returned a {type(plaintext).__name__}, not bytes")
        return plaintext


class BlobCipher:
    """LangGraph's `CipherProtocol` (synchronous) over the codec's async handlers."""

    def __init__(self, codec: BlobCodec, loop: HandlerLoop) -> None:
        self._codec, self._loop = codec, loop

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        return CIPHER, self._loop.call(self._codec.seal("checkpoint", "blob", plaintext, current()))

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != CIPHER:
            raise ValueError(f"a checkpoint encrypted with an unknown cipher {ciphername!r}")
        return self._loop.call(self._codec.open("checkpoint", "blob", ciphertext))


def encrypted_serde(codec: BlobCodec, loop: HandlerLoop) -> SerializerProtocol:
    """LangGraph's default serializer, its output encrypted; plaintext checkpoints
    (stored before encryption was configured) are still read."""
    return EncryptedSerializer(BlobCipher(codec, loop), JsonPlusSerializer())
