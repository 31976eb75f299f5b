"""The `encryption` section of `langgraph.json`, or the `LANGGRAPH_ENCRYPTION` variable
(the same JSON) that the official server reads it from."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..sections import ConfigError, Section, decode_section

ENV = "LANGGRAPH_ENCRYPTION"
_JS = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")


class EncryptionSection(Section):
    path: str  # "./encryption.py:encryption": a `langgraph_sdk.Encryption`

    def check(self, key: str) -> None:
        module, _, name = self.path.rpartition(":")
        if not module or not name:
            raise ConfigError(f"{key}.path: expected \"./file.py:encryption\", got {self.path!r}")
        if module.endswith(_JS):
            raise ConfigError(f"{key}.path: {self.path} is JavaScript; custom encryption is supported for Python only")


def encryption_section(raw: object, environ: Mapping[str, str]) -> EncryptionSection | None:
    """From langgraph.json's `encryption` (`raw`), else from `LANGGRAPH_ENCRYPTION` in
    `environ`."""
    if raw is not None:
        return decode_section(raw, EncryptionSection, "encryption")
    text = environ.get(ENV)
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{ENV}: invalid JSON: {exc}") from None
    return decode_section(value, EncryptionSection, ENV)
