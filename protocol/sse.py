"""Server-sent event framing, byte for byte as the official server writes it."""

from __future__ import annotations

from functools import lru_cache

HEARTBEAT = b": heartbeat\r\n\r\n"
HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}
_END = b"\r\n\r\n"


def _clean(text: str) -> bytes:
    return text.replace("\r", "").replace("\n", "").encode()


@lru_cache(maxsize=1024)
def _head(event: str) -> bytes:
    """`event: …\\r\\ndata: `: a run has a handful of event names, each framed once."""
    return b"event: " + _clean(event) + b"\r\ndata: "


def frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """`event: …\\r\\ndata: …\\r\\n[id: …\\r\\n]\\r\\n`; `data` is one line of JSON."""
    if event_id is None:
        return b"".join((_head(event), data, _END))
    return b"".join((_head(event), data, b"\r\nid: ", _clean(event_id), _END))


def frame_parts(parts: list[bytes], event: str, data: bytes, seq: int | None) -> None:
    """Append the pieces of `frame(event, data, str(seq))` (no id if `seq` is None) to
    `parts`, to be joined with a batch's other frames in one go."""
    parts.append(_head(event))
    parts.append(data)
    parts.append(_END if seq is None else b"\r\nid: %d\r\n\r\n" % seq)

