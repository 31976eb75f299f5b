"""`Target`: one server as a scenario sees it. Every call a scenario makes through it is
recorded as an `Exchange`, so that the same scenario run on two servers yields two lists of
exchanges that can be compared label by label."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .sse import parse_event_stream

# Headers that clients act on; everything else (dates, server name, request ids, lengths)
# is not compared.
COMPARED_HEADERS = ("content-type", "location", "content-location", "x-pagination-total", "x-pagination-next")
SSE_HEADERS = ("cache-control", "x-accel-buffering")  # compared on event streams only
FINAL_STATUSES = frozenset({"success", "error", "timeout", "interrupted"})
ACTIVE_STATUSES = frozenset({"pending", "running"})
MASKED = "<masked: timing-dependent>"
WAIT_TIMEOUT = 60.0  # a guard against hanging, not a timing assertion
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120)
SUBSCRIBE_SETTLE = 0.5  # seconds between a thread stream's headers and what it should see
_RUN_PATH = re.compile(r"/threads/([0-9a-f-]{36})/runs/([0-9a-f-]{36})")

NOTHING: Any = object()  # "no JSON body", distinct from a JSON null


@dataclass
class Exchange:
    """One request and what came back (or one SDK call and its result), as recorded."""

    label: str
    request: str  # e.g. "POST /threads/<id>/runs/stream", for the report
    status: int | None  # None for SDK calls and notes
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # a JSON value, the text of a non-JSON body, or a list of SSE frames
    framing: dict[str, Any] | None = None  # SSE framing facts (see sse.EventStream.framing)


@dataclass
class Reply:
    """What a scenario gets back from `Target.http`, to continue with (unmasked)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    frames: list[dict[str, Any]] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


def mask(value: Any, paths: Iterable[str]) -> Any:
    """Replace what sits at each dotted path (`*` matches any key or index; "" is the whole
    value) with MASKED."""
    for path in paths:
        value = MASKED if path == "" else _mask_one(value, path.split("."))
    return value


def _mask_one(value: Any, parts: list[str]) -> Any:
    if not parts:
        return MASKED
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        return {k: (_mask_one(v, rest) if head in ("*", k) else v) for k, v in value.items()}
    if isinstance(value, list):
        return [(_mask_one(v, rest) if head in ("*", str(i)) else v) for i, v in enumerate(value)]
    return value


def _jsonable(value: Any) -> Any:
    """SDK results (NamedTuples, httpx headers…) as plain JSON values."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    return json.loads(json.dumps(value, default=str))


def _stream_part(part: Any) -> Any:
    """An SDK StreamPart; its event id, if any, as a placeholder (see normalize.py on SSE ids)."""
    value = _jsonable(part)
    if isinstance(value, dict) and value.get("id") is not None:
        value["id"] = "<event-id>"
    return value


async def _read_until(response: aiohttp.ClientResponse, until: Callable[[dict[str, Any]], bool], limit: float) -> bytes:
    """A body up to the end of the first SSE frame that satisfies `until`, or all of it
    until EOF, or what came within `limit` seconds."""
    raw = b""
    try:
        async with asyncio.timeout(limit):
            async for chunk in response.content.iter_any():
                raw += chunk
                stream = parse_event_stream(raw)
                for end, frame in zip(stream.frame_ends, stream.frames):
                    if until(frame.as_json()):
                        return raw[:end]
    except TimeoutError:
        pass
    return raw


def _decode_body(raw: bytes) -> Any:
    """JSON when it parses (whatever the content-type says: that is compared apart), else text."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Target:
    """One server, driven by a scenario: raw HTTP through `http`, the SDK through `sdk_call`."""

    def __init__(self, name: str, url: str, session: aiohttp.ClientSession, sdk: Any, tag: str) -> None:
        self.name = name
        self.url = url
        self.session = session
        self.sdk = sdk  # a langgraph_sdk client pointed at this server
        self.tag = tag  # unique per scenario: metadata that keeps searches to this scenario's records
        self.exchanges: list[Exchange] = []
        self.runs: dict[str, str] = {}  # run_id → thread_id of every run seen, for `settle`

    # --- recording ------------------------------------------------------------------------

    def _label(self, label: str) -> str:
        """Labels are the comparison keys: a repeated label gets `#2`, `#3`…"""
        taken = {e.label for e in self.exchanges}
        if label not in taken:
            return label
        n = 2
        while f"{label} #{n}" in taken:
            n += 1
        return f"{label} #{n}"

    def record(self, exchange: Exchange) -> None:
        exchange.label = self._label(exchange.label)
        self.exchanges.append(exchange)

    def note(self, label: str, value: Any) -> None:
        """Record a value the scenario derived (e.g. a run's final status)."""
        self.record(Exchange(label, "note", None, body=_jsonable(value)))

    # --- raw HTTP -------------------------------------------------------------------------

    async def http(
        self,
        label: str,
        method: str,
        path: str,
        *,
        json: Any = NOTHING,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        mask_paths: Iterable[str] = (),
        record: bool = True,
    ) -> Reply:
        """Send one request, read the whole body (an event stream until EOF), record it."""
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "params": params, "timeout": REQUEST_TIMEOUT}
        if json is not NOTHING:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
            kwargs["headers"].setdefault("Content-Type", "application/json")
        async with self.session.request(method, self.url + path, **kwargs) as response:
            raw = await response.read()
            reply = self._reply(response, raw)
        self._remember_runs(reply)
        if record:
            self.record(self._exchange(label, f"{method} {path}", reply, raw, list(mask_paths)))
        return reply

    async def stream_until(
        self,
        label: str,
        path: str,
        until: Callable[[dict[str, Any]], bool],
        during: Callable[[], Coroutine[Any, Any, Any]] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        limit: float = WAIT_TIMEOUT,
        method: str = "GET",
        json: Any = NOTHING,
    ) -> Reply:
        """GET (or `method`, with a `json` body) an event stream that does not end by itself
        (a thread stream): once its headers are in, run `during` (e.g. start a run), read
        until a frame satisfies `until` (or for `limit` seconds at most), close it, and
        record what came."""
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "params": params, "timeout": REQUEST_TIMEOUT}
        if json is not NOTHING:
            kwargs["json"] = json
        async with self.session.request(method, self.url + path, **kwargs) as response:
            if during is not None:  # the official server subscribes only after its headers went out:
                await asyncio.sleep(SUBSCRIBE_SETTLE)  # under load, what follows at once can be missed
            action: asyncio.Task[Any] | None = asyncio.create_task(during()) if during else None
            raw = await _read_until(response, until, limit)
            if action is not None:
                await action
            reply = self._reply(response, raw)
        self.record(self._exchange(label, f"{method} {path}", reply, raw, []))
        return reply

    def _reply(self, response: aiohttp.ClientResponse, raw: bytes) -> Reply:
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/event-stream"):
            frames = [f.as_json() for f in parse_event_stream(raw).frames]
            return Reply(response.status, response.headers, frames, frames)
        return Reply(response.status, response.headers, _decode_body(raw))

    def _exchange(self, label: str, request: str, reply: Reply, raw: bytes, mask_paths: list[str]) -> Exchange:
        names: tuple[str, ...] = COMPARED_HEADERS
        framing = None
        if reply.headers.get("content-type", "").startswith("text/event-stream"):
            names = COMPARED_HEADERS + SSE_HEADERS
            framing = parse_event_stream(raw).framing()
        headers = {h: reply.headers[h] for h in names if h in reply.headers}
        return Exchange(label, request, reply.status, headers, mask(reply.body, mask_paths), framing)

    def _remember_runs(self, reply: Reply) -> None:
        if match := _RUN_PATH.search(reply.headers.get("content-location", "")):
            self.runs[match[2]] = match[1]
        bodies = reply.body if isinstance(reply.body, list) else [reply.body]
        for body in bodies:
            if isinstance(body, dict) and {"run_id", "thread_id", "status"} <= body.keys() and body["thread_id"]:
                self.runs[body["run_id"]] = body["thread_id"]

    # --- the SDK --------------------------------------------------------------------------

    async def sdk_call(self, label: str, call: Awaitable[Any] | AsyncIterator[Any], mask_paths: Iterable[str] = ()) -> Any:
        """Await `call` (or drain it, for a stream) and record its result or the error it raised."""
        try:
            if isinstance(call, AsyncIterator):
                result: Any = [_stream_part(part) async for part in call]
            else:
                result = _jsonable(await call)
            recorded = {"result": result}
        except Exception as exc:  # the error class and status are what the comparison needs
            result = exc
            response = getattr(exc, "response", None)
            recorded = {"raises": type(exc).__name__, "status": getattr(response, "status_code", None)}
        self.record(Exchange(label, "sdk", None, body=mask(recorded, mask_paths)))
        return result

    # --- waiting (never recorded: how long things take is not compared) -------------------

    async def run_status(self, thread_id: str, run_id: str) -> str | None:
        async with self.session.get(f"{self.url}/threads/{thread_id}/runs/{run_id}", timeout=REQUEST_TIMEOUT) as r:
            return (await r.json())["status"] if r.status == 200 else None

    async def wait_run(self, thread_id: str, run_id: str, until: frozenset[str] = FINAL_STATUSES) -> str | None:
        """Poll the run until its status is in `until`; None if it disappears (deleted)."""
        deadline = time.monotonic() + WAIT_TIMEOUT
        while time.monotonic() < deadline:
            status = await self.run_status(thread_id, run_id)
            if status is None or status in until:
                return status
            await asyncio.sleep(0.05)
        raise TimeoutError(f"run {run_id} still not {sorted(until)} after {WAIT_TIMEOUT:.0f} s")

    async def wait_items(self, thread_id: str, tag: str) -> None:
        """Poll until the `slow` graph's run tagged `tag` has written its first item: the run
        is then inside the graph with a checkpoint behind it, so a cancel lands mid-run."""
        deadline = time.monotonic() + WAIT_TIMEOUT
        while time.monotonic() < deadline:
            async with self.session.get(f"{self.url}/threads/{thread_id}/state", timeout=REQUEST_TIMEOUT) as r:
                state = await r.json() if r.status == 200 else {}
            values = state.get("values") or {}
            if any(str(item).startswith(f"{tag}:") for item in values.get("items", [])):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no item {tag}:0 on thread {thread_id} after {WAIT_TIMEOUT:.0f} s")

    async def wait_thread(self, thread_id: str, give_up_after: float | None = None) -> None:
        """Poll until the thread is no longer busy. With `give_up_after`, stop waiting after
        that many seconds without failing: for where the official server leaves a thread
        `busy` for good (a rollback that nobody streams)."""
        deadline = time.monotonic() + (give_up_after or WAIT_TIMEOUT)
        while time.monotonic() < deadline:
            async with self.session.get(f"{self.url}/threads/{thread_id}", timeout=REQUEST_TIMEOUT) as r:
                if r.status != 200 or (await r.json())["status"] != "busy":
                    return
            await asyncio.sleep(0.05)
        if give_up_after is None:
            raise TimeoutError(f"thread {thread_id} still busy after {WAIT_TIMEOUT:.0f} s")

    async def settle(self) -> None:
        """Cancel whatever a scenario left running: the official dev server runs one run at a
        time, so a leftover run would delay the next scenario's runs."""
        for run_id, thread_id in list(self.runs.items()):
            if await self.run_status(thread_id, run_id) in ACTIVE_STATUSES:
                cancel = f"{self.url}/threads/{thread_id}/runs/{run_id}/cancel?wait=0"
                async with self.session.post(cancel, timeout=REQUEST_TIMEOUT):
                    pass
                await self.wait_run(thread_id, run_id)
