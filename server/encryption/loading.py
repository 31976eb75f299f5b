"""Loading the project's `Encryption` object before the server listens."""

from __future__ import annotations

from pathlib import Path

from langgraph_sdk import Encryption

from ..imports import load_object
from ..sections import ConfigError
from .handlers import Handlers
from .section import EncryptionSection


def load_encryption(section: EncryptionSection, base_dir: Path) -> Handlers:
    """The handlers of the `Encryption` that `encryption.path` names; a `ConfigError` if
    it is not one, or registers a handler without its counterpart (data encrypted that
    could not be read back)."""
    encryption = load_object(section.path, base_dir, "encryption.path")
    if not isinstance(encryption, Encryption):
        raise ConfigError(
            f"encryption.path: {section.path} is a {type(encryption).__name__}, not a langgraph_sdk.Encryption"
        )
    handlers = Handlers.of(encryption)
    for kind, encrypt, decrypt in (
        ("json", handlers.encrypt_json, handlers.decrypt_json),
        ("blob", handlers.encrypt_blob, handlers.decrypt_blob),
    ):
        if (encrypt is None) != (decrypt is None):
            missing = "decrypt" if decrypt is None else "encrypt"
            raise ConfigError(f"encryption.path: {section.path} has no @{missing}.{kind} handler to match its other one")
    return handlers
