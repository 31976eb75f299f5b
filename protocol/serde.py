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
# ... and these, by name, when the libraries that define them do (a project's own class of
# the same name is not vouched for)
_SAFE_ERROR_NAMES = frozenset(
    {"InvalidUpdateError", "GraphBubbleUp", "EmptyInputError", "TaskNotFound", "HTTPException", "UserInterrupt"}
)
_SAFE_ERROR_PACKAGES = frozenset({"langgraph", "langgraph_sdk", "starlette", "fastapi", "aiohttp"})
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


def _safe(cls: type) -> bool:
    return issubclass(cls, _SAFE_ERRORS) or any(
        c.__name__ in _SAFE_ERROR_NAMES and c.__module__.partition(".")[0] in _SAFE_ERROR_PACKAGES for c in cls.__mro__
    )


_SAFE_NAMES = frozenset(c.__name__ for c in _SAFE_ERRORS) | _SAFE_ERROR_NAMES | {"GraphRecursionError"}


def error_payload(exc: BaseException) -> dict[str, str]:
    """`{"error": ClassName, "message": …}`, the message masked unless the type is safe."""
    return {"error": type(exc).__name__, "message": str(exc) if _safe(type(exc)) else MASKED_MESSAGE}


def error_message(exc: BaseException) -> str:
    """The text of an error a graph raised, fit for a client: masked unless the type is
    safe (`error_payload`)."""
    return (str(exc) or repr(exc)) if _safe(type(exc)) else MASKED_MESSAGE


def error_repr(error: BaseException | str) -> str:
    """`ClassName('message')`, as a task's error shows in a thread's state, masked alike.
    Read back from a checkpoint the error is already such a string: only its class name is
    left to judge by."""
    if isinstance(error, BaseException):
        payload = error_payload(error)
        return f"{payload['error']}({payload['message']!r})"
    name = error.partition("(")[0]
    return error if name in _SAFE_NAMES else f"{name}({MASKED_MESSAGE!r})"
