"""Stable placeholders for what legitimately differs between two servers running the same
scenario: ids, times, the servers' own URLs and SSE event ids.

Ids become `<kind#n>`, numbered per kind in order of first appearance within a scenario,
so one extra id on one side shifts only the numbers of its own kind. The kind comes from
where the id is seen with a name (a `thread_id` key, a `/runs/<id>` path segment, a
`node:<id>` namespace); the ids the servers derive alike (system assistants) get fixed names.
Times keep their format (fraction digits and offset), as clients parse them.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .recording import Exchange

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID = re.compile(rf"{UUID}|(?<![0-9a-fA-F-])[0-9a-f]{{32}}(?![0-9a-fA-F-])")  # uuids; interrupt ids (32 hex)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?")
_SERVER_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|0\.0\.0\.0):\d+")
_PATH_KINDS = re.compile(rf"/(threads|runs|assistants|crons|state)/({UUID})")
# A checkpoint namespace segment, node:<task id>, alone or in an event name (`values|node:<id>`).
_NAMESPACE = re.compile(rf"(?:^|\|)[A-Za-z_][\w-]*:({UUID})(?=$|\|)")
_SEGMENT_KINDS = {"threads": "thread", "runs": "run", "assistants": "assistant", "crons": "cron", "state": "checkpoint"}
KEY_KINDS = {
    "thread_id": "thread",
    "run_id": "run",
    "assistant_id": "assistant",
    "checkpoint_id": "checkpoint",
    "parent_checkpoint_id": "checkpoint",
    "cron_id": "cron",
    "langgraph_request_id": "request",
}
# Values that are a time in another form than ISO text.
KEY_PLACEHOLDERS = {
    "__request_start_time_ms__": "<epoch-ms>",
    # v3 events: a time, and a stream id whose format is the server's (any stable unique id
    # serves the SDK, which dedupes by it)
    "timestamp": "<epoch-ms>",
    "event_id": "<event-id>",
}

# LangGraph API's namespace for the system assistants: uuid5(this, graph_id) on both servers.
SYSTEM_ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def system_assistant_names(graph_ids: Iterable[str]) -> dict[str, str]:
    return {str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, g)): f"<assistant:{g}>" for g in graph_ids}


def _time_placeholder(match: re.Match[str]) -> str:
    fraction, offset = match[1], match[2]
    return f"<time{'.' + str(len(fraction)) if fraction else ''}{offset or ''}>"


class Normalizer:
    """Rewrites one server's exchanges of one scenario; learn() them all first."""

    def __init__(self, fixed: Mapping[str, str]) -> None:
        self.fixed = {k.lower(): v for k, v in fixed.items()}
        self.kinds: dict[str, str] = {}  # id → kind, from its named appearances
        self.names: dict[str, str] = {}  # id → placeholder, assigned on first appearance
        self.counts: Counter[str] = Counter()

    # --- learning the kinds ---------------------------------------------------------------

    def learn(self, exchanges: Sequence[Exchange]) -> None:
        # Request lines first: the same on both servers, so kinds learned there agree.
        for exchange in exchanges:
            self._learn_text(exchange.request)
        for exchange in exchanges:
            for text in exchange.headers.values():
                self._learn_text(text)
            self._learn_value(exchange.body, None)

    def _learn_value(self, value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._learn_text(str(k))  # ids are keys too (interrupts by task id, messages/metadata)
                self._learn_value(v, str(k))
        elif isinstance(value, list):
            for v in value:
                self._learn_value(v, key)
        elif isinstance(value, str):
            if key in KEY_KINDS and re.fullmatch(UUID, value):
                self.kinds.setdefault(value.lower(), KEY_KINDS[key])
            self._learn_text(value)

    def _learn_text(self, text: str) -> None:
        for ident in _NAMESPACE.findall(text):
            self.kinds.setdefault(ident.lower(), "task")
        for segment, ident in _PATH_KINDS.findall(text):
            self.kinds.setdefault(ident.lower(), _SEGMENT_KINDS[segment])

    # --- rewriting ------------------------------------------------------------------------

    def _placeholder(self, ident: str) -> str:
        ident = ident.lower()
        if ident in self.fixed:
            return self.fixed[ident]
        if ident not in self.names:
            kind = self.kinds.get(ident, "id")
            self.counts[kind] += 1
            self.names[ident] = f"<{kind}#{self.counts[kind]}>"
        return self.names[ident]

    def text(self, text: str) -> str:
        text = _SERVER_URL.sub("<server-url>", text)
        text = _ISO_TIME.sub(_time_placeholder, text)
        return _ID.sub(lambda m: self._placeholder(m[0]), text)

    def value(self, value: Any, key: str | None = None) -> Any:
        if key in KEY_PLACEHOLDERS and value is not None:
            return KEY_PLACEHOLDERS[key]
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def exchange(self, exchange: Exchange) -> Exchange:
        body = exchange.body
        if exchange.framing is not None and isinstance(body, list):
            # SSE ids: the official server uses `<epoch-ms>-0`, any unique increasing id will do
            # for clients; whether a frame has an id is what is compared.
            body = [{**f, "id": "<event-id>"} if "id" in f else f for f in body]
        return replace(
            exchange,
            request=self.text(exchange.request),
            headers={k: self.text(v) for k, v in exchange.headers.items()},
            body=self.value(body),
        )


def normalize_all(exchanges: list[Exchange], fixed: Mapping[str, str]) -> list[Exchange]:
    normalizer = Normalizer(fixed)
    normalizer.learn(exchanges)
    return [normalizer.exchange(e) for e in exchanges]
