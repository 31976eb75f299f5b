"""Server-sent event framing, byte for byte as the official server writes it."""

from __future__ import annotations

HEARTBEAT = b": heartbeat\r\n\r\n"
HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}


def _clean(text: str) -> bytes:
    return text.replace("\r", "").replace("\n", "").encode()


def frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """`event: …\\r\\ndata: …\\r\\n[id: …\\r\\n]\\r\\n`; `data` is one line of JSON."""
    out = b"event: " + _clean(event) + b"\r\ndata: " + data + b"\r\n"
    if event_id is not None:
        out += b"id: " + _clean(event_id) + b"\r\n"
    return out + b"\r\n"
