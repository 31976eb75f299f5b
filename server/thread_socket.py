"""One WebSocket on `/threads/{id}/stream/events`: the thread's tape, sent through the
connection's subscriptions, and the commands its client sends, answered on the same
socket. A bad frame gets an error frame; the socket stays open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from aiohttp import WSMsgType, web

from threadloom.protocol.serde import dumps, loads
from threadloom.protocol.v3.envelope import BAD_JSON, ProtocolError, error, parse_command
from threadloom.protocol.v3.filters import command_filter
from threadloom.protocol.v3.subscriptions import DEFAULT_BUFFER, Subscriptions

from .thread_tape import TapeEnded, ThreadTape
from .v3commands import dispatch

log = logging.getLogger(__name__)
BUFFER_ENV = "LSD_PROTOCOL_V2_BUFFER_SIZE"  # the official server's setting, read the same way
TAPE_ENDED = 1011


def buffer_size() -> int:
    try:
        return max(1, int(os.environ.get(BUFFER_ENV, DEFAULT_BUFFER)))
    except ValueError:
        return DEFAULT_BUFFER


class ThreadSocket:
    def __init__(self, request: web.Request, ws: web.WebSocketResponse, tape: ThreadTape) -> None:
        self._request = request
        self._ws = ws
        self._tape = tape
        self._subs = Subscriptions(buffer_size())
        self._interrupts: dict[str, list[str]] = {}
        self._send_lock = asyncio.Lock()  # a subscribe's replay and its reply go out together

    # Connection (what commands need) ---------------------------------------------------

    @property
    def applied_through_seq(self) -> int:
        return self._subs.applied_through_seq

    def seen_interrupt(self, interrupt_id: str) -> list[str] | None:
        return self._interrupts.get(interrupt_id)

    async def subscribe(self, params: dict[str, Any], *, reconnect: bool) -> dict[str, Any]:
        filter = command_filter(params, reconnect=reconnect)
        sid = params.get("subscription_id") if reconnect and isinstance(params.get("subscription_id"), str) else None
        sid, replay = self._subs.subscribe(filter, sid, reconnect=reconnect)
        for envelope in replay:
            await self._send(envelope)
        return {"subscription_id": sid, "replayed_events": len(replay)}

    def unsubscribe(self, subscription_id: str) -> None:
        self._subs.unsubscribe(subscription_id)

    def tree(self) -> dict[str, Any] | None:
        current = self._tape.session.current
        return None if current is None else current.tree()

    # ----------------------------------------------------------------------------------

    async def _send(self, value: Any) -> None:
        await self._ws.send_str(dumps(value).decode())

    async def _follow(self) -> None:
        try:
            async for batch in self._tape.envelopes():
                async with self._send_lock:
                    for envelope in batch:
                        if envelope["method"] == "input.requested":
                            self._interrupts[envelope["params"]["data"]["interrupt_id"]] = envelope["params"]["namespace"]
                        if self._subs.offer(envelope):
                            await self._send(envelope)
        except TapeEnded as exc:
            log.info("thread %s: v3 socket ends: %s", self._tape.thread_id, exc)
            await self._ws.close(code=TAPE_ENDED, message=b"thread stream ended")
        except (ConnectionResetError, RuntimeError):
            pass  # the client left
        finally:
            self._tape.caught_up.set()  # no command waits for a tape that stopped

    async def _command(self, text: str) -> None:
        try:
            value = loads(text)
        except Exception:
            await self._send(error(None, ProtocolError("invalid_argument", BAD_JSON)))
            return
        try:
            command = parse_command(value)
        except ProtocolError as exc:
            await self._send(error(exc.extra.get("id"), exc))
            return
        await self._tape.caught_up.wait()  # a subscription made now replays what the thread held
        async with self._send_lock:
            reply = await dispatch(self._request, self._tape.thread_id, command, self)
            await self._send(reply)

    async def run(self) -> None:
        follower = asyncio.get_running_loop().create_task(self._follow())
        try:
            async for message in self._ws:
                if message.type == WSMsgType.TEXT:
                    await self._command(message.data)
                elif message.type == WSMsgType.BINARY:
                    await self._command(message.data.decode("utf-8", "replace"))
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await follower
