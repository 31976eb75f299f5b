"""LangGraph asks at every run, and at every `update_state`, whether the saver's
`aput_writes` takes `task_path` (`inspect.signature`: ~20 µs each time on the development
machine). The server's savers keep the answer on their methods, where `inspect.signature`
looks first (~5 µs)."""

from __future__ import annotations

import inspect
from typing import TypeVar

T = TypeVar("T", bound=type)


def kept_signatures(cls: T) -> T:
    """Class decorator: the signatures of the write methods `cls` itself defines, computed
    once."""
    for name in ("put_writes", "aput_writes"):
        method = cls.__dict__.get(name)
        if method is not None:
            method.__signature__ = inspect.signature(method)
    return cls
