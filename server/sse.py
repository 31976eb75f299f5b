"""Writing a run's event log to an HTTP client as server-sent events: a plain aiohttp
`StreamResponse` with the official server's headers, and a heartbeat comment while the
stream is idle (so proxies and clients keep it open)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from threadloom.actors.eventlog import EventSource, Overflow
from threadloom.protocol import sse
from threadloom.protocol.errors import ApiError
from threadloom.protocol.serde import dumps

HEARTBEAT_SECONDS = 5.0


class SseResponse(web.StreamResponse):
    """A `text/event-stream` response; from `prepare` until `stop_streaming`, a heartbeat
    comment goes out every `heartbeat` seconds (a timer, and a task only to write one)."""

    def __init__(self, *, headers: dict[str, str] | None = None, heartbeat: float | None = None) -> None:
        super().__init__(status=200, headers={**sse.HEADERS, **(headers or {})})
        # read at construction time, so the interval can be changed (e.g. by tests)
        self._interval = HEARTBEAT_SECONDS if heartbeat is None else heartbeat
        self._timer: asyncio.TimerHandle | None = None
        self._beating: asyncio.Task[None] | None = None
        self._streaming = False

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        writer = await super().prepare(request)
        self._streaming = True
        self._beat_later()
        return writer

    def _beat_later(self) -> None:
        if self._streaming:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self._beat)

    def _beat(self) -> None:
        self._timer = None
        self._beating = asyncio.get_running_loop().create_task(self._write_beat())

    async def _write_beat(self) -> None:
        try:
            await self.write(sse.HEARTBEAT)
        except (ConnectionResetError, RuntimeError):  # the client left, or the stream ended
            return
        finally:
            self._beating = None
        self._beat_later()

    def stop_streaming(self) -> None:
        self._streaming = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._beating is not None:
            self._beating.cancel()
            self._beating = None


def http_error(exc: ApiError) -> dict[str, str]:
    """An API error as the official server reports it inside a 200 (a Starlette
    `HTTPException`, whose text is `"<status>: <detail>"`)."""
    return {"error": "HTTPException", "message": f"{exc.status}: {exc.detail}"}


async def write_error(request: web.Request, exc: ApiError, headers: dict[str, str] | None = None) -> SseResponse:
    """A 200 stream holding only `exc` as an `error` event: how the official server's
    streams that follow something (a run, a thread) say they cannot."""
    return await write_stream(request, None, after=None, headers=headers, prelude=sse.frame("error", dumps(http_error(exc))))


def overflow_frame(missed: int) -> bytes:
    message = f"this stream fell {missed} events behind the run and was closed; rejoin the run to continue"
    return sse.frame("error", dumps({"error": "StreamOverflow", "message": message}))


async def write_stream(
    request: web.Request,
    stream: EventSource | None,
    *,
    after: int | None,
    headers: dict[str, str] | None = None,
    wanted: Callable[[str], bool] | None = None,
    prelude: bytes = b"",
    on_disconnect: Callable[[], None] | None = None,
) -> SseResponse:
    """Send the events of `stream` after sequence number `after` (None: from now on)
    until it closes. Ids go out only for resumable runs, as the official server does.
    A client that goes away ends the stream (and calls `on_disconnect`): no error."""
    response = SseResponse(headers=headers)
    try:
        await response.prepare(request)
        if prelude:
            await response.write(prelude)
        if stream is not None:
            await _send(response, stream, after, wanted)
        response.stop_streaming()
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError) as exc:
        if on_disconnect is not None:
            on_disconnect()
        if isinstance(exc, asyncio.CancelledError):
            raise
    finally:
        response.stop_streaming()
    return response


async def _send(response: SseResponse, stream: EventSource, after: int | None, wanted: Callable[[str], bool] | None) -> None:
    with_ids = stream.resumable
    async for batch in stream.subscribe(after):
        if isinstance(batch, Overflow):
            await response.write(overflow_frame(batch.missed))
            return
        parts: list[bytes] = []  # the batch's frames, joined once and written at once
        for e in batch:
            if wanted is not None and not wanted(e.name):
                continue
            if e.frame is not None and e.framed_with_id is with_ids:
                parts.append(e.frame)
            else:
                sse.frame_parts(parts, e.name, e.data, e.seq if with_ids else None)
        if parts:
            await response.write(b"".join(parts))
