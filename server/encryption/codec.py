"""Encrypting one JSON object with the project's JSON handlers, as the official server
stores it: the keys the server reads stay in clear, the handler must give back exactly
the keys it was given, and `__encryption_context__` marks the result with the context
it was encrypted in (what decryption is given back). An object without the marker is
plaintext and read as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph_sdk import DecryptResult, EncryptionContext

from threadloom.protocol.errors import Unprocessable

from .fields import Model, is_system_key
from .handlers import JsonHandler

MARKER = "__encryption_context__"


class EncryptionError(Unprocessable):
    """Data the project's encryption cannot store: a 422 to whoever sent it."""


@dataclass(frozen=True)
class JsonCodec:
    encrypt_json: JsonHandler
    decrypt_json: JsonHandler

    async def encrypt(self, model: Model, field: str, data: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        if MARKER in data:
            raise EncryptionError(f"{model}.{field} already carries {MARKER}: refusing to encrypt it twice")
        clear, secret = _split(model, data)
        if not secret:
            return data
        encrypted = await self.encrypt_json(EncryptionContext(model=model, field=field, metadata=context), secret)
        _check_keys(secret, encrypted, model, field)
        return {**encrypted, **clear, MARKER: context}

    async def decrypt(self, model: Model, field: str, stored: dict[str, Any]) -> dict[str, Any]:
        if MARKER not in stored:
            return stored
        data = dict(stored)
        context = data.pop(MARKER)
        clear, secret = _split(model, data)
        result = await self.decrypt_json(EncryptionContext(model=model, field=field, metadata=context), secret)
        plaintext = result.plaintext if isinstance(result, DecryptResult) else result
        return {**plaintext, **clear}


def _split(model: Model, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    clear: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for key, value in data.items():
        (clear if is_system_key(model, key) else secret)[key] = value
    return clear, secret


def _check_keys(given: dict[str, Any], returned: object, model: str, field: str) -> None:
    if not isinstance(returned, dict):
        raise EncryptionError(
            f"JSON encryptor must preserve key structure: it returned a {type(returned).__name__} for {model}.{field}"
        )
    if returned.keys() != given.keys():
        added, removed = sorted(returned.keys() - given.keys()), sorted(given.keys() - returned.keys())
        raise EncryptionError(
            f"JSON encryptor must preserve key structure: for {model}.{field} it added {added} and removed {removed}"
        )
