"""A reversible stand-in for real encryption, so tests can see what is stored: JSON
values become "B64:" + base64 of their JSON, except the keys in CLEAR; blobs are XORed
behind a "XOR:" prefix. Every call's (model, field, context metadata) is recorded."""

import base64
import json

from langgraph_sdk import Encryption, EncryptionContext

encryption = Encryption()

CLEAR = {"tenant"}  # left in clear by this encryptor: what search can filter on
PREFIX = "B64:"
BLOB_PREFIX = b"XOR:"
CALLS: list[tuple[str, str, str, dict]] = []  # (handler, model, field, ctx.metadata)


def _xor(blob: bytes) -> bytes:
    return bytes(b ^ 0x5A for b in blob)


@encryption.encrypt.json
async def encrypt_json(ctx: EncryptionContext, data: dict) -> dict:
    CALLS.append(("encrypt.json", ctx.model, ctx.field, dict(ctx.metadata)))
    if "drop_me" in data:  # breaks key preservation, on purpose
        return {k: v for k, v in data.items() if k != "drop_me"}
    return {
        k: v if k in CLEAR else PREFIX + base64.b64encode(json.dumps(v).encode()).decode()
        for k, v in data.items()
    }


@encryption.decrypt.json
async def decrypt_json(ctx: EncryptionContext, data: dict) -> dict:
    CALLS.append(("decrypt.json", ctx.model, ctx.field, dict(ctx.metadata)))
    return {
        k: json.loads(base64.b64decode(v[len(PREFIX):])) if isinstance(v, str) and v.startswith(PREFIX) else v
        for k, v in data.items()
    }


@encryption.encrypt.blob
async def encrypt_blob(ctx: EncryptionContext, blob: bytes) -> bytes:
    CALLS.append(("encrypt.blob", ctx.model, ctx.field, dict(ctx.metadata)))
    return BLOB_PREFIX + _xor(blob)


@encryption.decrypt.blob
async def decrypt_blob(ctx: EncryptionContext, blob: bytes) -> bytes:
    CALLS.append(("decrypt.blob", ctx.model, ctx.field, dict(ctx.metadata)))
    assert blob.startswith(BLOB_PREFIX)
    return _xor(blob[len(BLOB_PREFIX):])


@encryption.context
async def context(user, ctx: EncryptionContext) -> dict:
    return {**ctx.metadata, "from_handler": True}
