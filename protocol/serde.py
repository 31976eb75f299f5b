"""JSON encoding of everything a graph can put on the wire.

LangChain messages are pydantic models (sent as `model_dump()`), interrupts are
dataclasses, `Send` is a plain object; anything unknown becomes its `str()` rather than
breaking a stream. Exceptions are masked unless their type is on the allow-list.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import msgspec

# Exceptions whose message is safe to show to clients; anything else is masked.
_SAFE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, RuntimeError, RecursionError, TimeoutError)
_SAFE_ERROR_NAMES = frozenset(
    {"InvalidUpdateError", "GraphBubbleUp", "EmptyInputError", "TaskNotFound", "HTTPException", "UserInterrupt"}
)
MASKED_MESSAGE = "An internal error occurred"


def _enc_hook(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if hasattr(obj, "_asdict"):
        return obj._asdict()
    if isinstance(obj, BaseException):
        return error_payload(obj)
    if isinstance(obj, deque):
        return list(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if type(obj).__name__ == "Send" and hasattr(obj, "node"):
        return {"node": obj.node, "args": obj.arg}
    return str(obj)


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook, decimal_format="number")
_decoder = msgspec.json.Decoder()


def dumps(value: Any) -> bytes:
    """Compact JSON bytes, always on one line (safe inside an SSE `data:` field)."""
    return _encoder.encode(value)


def loads(data: bytes | str) -> Any:
    return _decoder.decode(data)


def to_builtins(value: Any) -> Any:
    """Plain JSON-shaped Python values, as a client would decode them."""
    return _decoder.decode(_encoder.encode(value))


def error_payload(exc: BaseException) -> dict[str, str]:
    """`{"error": ClassName, "message": …}`, the message masked unless the type is safe."""
    name = type(exc).__name__
    safe = isinstance(exc, _SAFE_ERRORS) or any(
        cls.__name__ in _SAFE_ERROR_NAMES for cls in type(exc).__mro__
    )
    return {"error": name, "message": str(exc) if safe else MASKED_MESSAGE}
