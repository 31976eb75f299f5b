"""Checkpoints encrypted with the project's blob handlers, through LangGraph's public
serializer API: `EncryptedSerializer` with a cipher that calls them. Each ciphertext
carries the encryption context it was made in (its decryption is given it back), after
a magic prefix and its length. A `DecryptResult`'s replacement is not persisted: the
serializer cannot rewrite a checkpoint it is reading."""

from __future__ import annotations

import json
import struct

from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_sdk import DecryptResult, EncryptionContext

from .context import current
from .handlers import BlobHandler
from .loop import HandlerLoop

CIPHER = "threadloom"  # the name LangGraph appends to the stored type: "msgpack+threadloom"
_MAGIC = b"TLE1"
_LENGTH = struct.Struct(">I")


class BlobCipher:
    """LangGraph's `CipherProtocol` over the project's async blob handlers."""

    def __init__(self, encrypt: BlobHandler, decrypt: BlobHandler, loop: HandlerLoop) -> None:
        self._encrypt, self._decrypt, self._loop = encrypt, decrypt, loop

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        context = current()
        ciphertext: object = self._loop.call(self._encrypt(EncryptionContext(model="checkpoint", field="blob", metadata=context), plaintext))
        if not isinstance(ciphertext, bytes):
            raise TypeError(f"the blob encryptor returned a {type(ciphertext).__name__}, not bytes")
        header = json.dumps(context).encode()
        return CIPHER, _MAGIC + _LENGTH.pack(len(header)) + header + ciphertext

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != CIPHER or not ciphertext.startswith(_MAGIC):
            raise ValueError(f"a checkpoint encrypted with an unknown cipher {ciphername!r}")
        start = len(_MAGIC) + _LENGTH.size
        (length,) = _LENGTH.unpack(ciphertext[len(_MAGIC):start])
        context = json.loads(ciphertext[start:start + length])
        ctx = EncryptionContext(model="checkpoint", field="blob", metadata=context)
        result: object = self._loop.call(self._decrypt(ctx, ciphertext[start + length:]))
        plaintext = result.plaintext if isinstance(result, DecryptResult) else result
        if not isinstance(plaintext, bytes):
            raise TypeError(f"the blob decryptor returned a {type(plaintext).__name__}, not bytes")
        return plaintext


def encrypted_serde(encrypt: BlobHandler, decrypt: BlobHandler, loop: HandlerLoop) -> SerializerProtocol:
    """LangGraph's default serializer, its output encrypted; plaintext checkpoints
    (stored before encryption was configured) are still read."""
    return EncryptedSerializer(BlobCipher(encrypt, decrypt, loop), JsonPlusSerializer())
