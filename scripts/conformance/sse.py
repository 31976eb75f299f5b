"""Raw `text/event-stream` bytes → frames, plus the framing facts clients depend on.

We parse the bytes ourselves rather than through a client library, so that the line
endings and the order of the fields inside a frame are visible and can be compared.
Comment lines (heartbeats) are counted but never compared: when they come is timing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# A CR at the very end may be the first half of a CRLF still in flight: not a line end yet.
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r(?!\Z)|\n)")
_ENDINGS = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}


@dataclass
class Frame:
    event: str | None
    data: Any  # the JSON value of the joined data lines, or their text when not JSON
    id: str | None
    fields: tuple[str, ...]  # field names in the order they came, e.g. ("event", "data", "id")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event, "data": self.data}
        if self.id is not None:
            out["id"] = self.id
        return out


@dataclass
class EventStream:
    frames: list[Frame] = field(default_factory=list)
    frame_ends: list[int] = field(default_factory=list)  # byte offset just past each frame
    line_endings: set[str] = field(default_factory=set)
    comments: int = 0
    trailing: str = ""  # bytes after the last line ending (a frame cut short)

    def framing(self) -> dict[str, Any]:
        """What is compared about the framing: line endings, field orders, a cut-off tail."""
        return {
            "line_endings": sorted(self.line_endings),
            "field_orders": sorted({",".join(f.fields) for f in self.frames}),
            "unterminated_tail": bool(self.trailing.strip()),
        }


def _utf8(latin1: str) -> str:
    return latin1.encode("latin-1").decode("utf-8", errors="replace")


def _decode_data(lines: list[str]) -> Any:
    text = "\n".join(_utf8(line) for line in lines)
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_event_stream(raw: bytes) -> EventStream:
    # Decoded as latin-1 so that character offsets are byte offsets (frame_ends); the data
    # lines are turned back into UTF-8 text one by one.
    text = raw.decode("latin-1")
    stream = EventStream()
    event: str | None = None
    event_id: str | None = None
    data: list[str] = []
    fields: list[str] = []
    end = 0
    for match in _LINE.finditer(text):
        end = match.end()
        line = match[1]
        if line == "":
            if fields:
                stream.line_endings.add(_ENDINGS[match[2]])
                stream.frames.append(Frame(event, _decode_data(data) if data else None, event_id, tuple(fields)))
                stream.frame_ends.append(match.end())
            event, event_id, data, fields = None, None, [], []
            continue
        if line.startswith(":"):  # a comment (heartbeat): when it comes is timing, so not compared
            stream.comments += 1
            continue
        stream.line_endings.add(_ENDINGS[match[2]])
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        fields.append(name)
        if name == "event":
            event = _utf8(value)
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = _utf8(value)
    # Bytes after the last line ending, or a frame whose closing blank line never came.
    stream.trailing = text[end:] or ("<frame without its blank line>" if fields else "")
    return stream
