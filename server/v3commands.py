"""The commands of the v3 protocol that act on the thread (`run.start`, `input.respond`),
and the dispatch of every command, for `POST /threads/{id}/commands` and the WebSocket.
Runs go through the same pipeline as the classic routes: `threads.create_run`
authorization, the thread's supervisor, its multitask strategy."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from threadloom.protocol.errors import ApiError
from threadloom.protocol.ids import is_uuid
from threadloom.protocol.v3 import runs as v3runs
from threadloom.protocol.v3.envelope import Command, ProtocolError, error, success
from threadloom.protocol.v3.filters import command_filter
from threadloom.protocol.v3.requests import NO_BOUND_RUN, NO_INTERRUPTED_RUN

from .context import api_url, authorize_run, caller, runtime

RESPOND_WAIT = 5.0  # seconds: how long `input.respond` waits for a running run to record its interrupts


class Connection(Protocol):
    """What a WebSocket connection offers the commands bound to it."""

    @property
    def applied_through_seq(self) -> int: ...

    def seen_interrupt(self, interrupt_id: str) -> list[str] | None:
        """The namespace of an `input.requested` this connection's session made, if any."""
        ...

    async def subscribe(self, params: dict[str, Any], *, reconnect: bool) -> dict[str, Any]: ...

    def unsubscribe(self, subscription_id: str) -> None: ...

    def tree(self) -> dict[str, Any] | None: ...


async def _submit(request: web.Request, thread_id: str, req: v3runs.V3RunCreate) -> dict[str, Any]:
    if not is_uuid(thread_id):
        raise ProtocolError("unknown_error", "422: Invalid thread ID")
    try:
        req, assistant = await authorize_run(request, thread_id, req)  # type: ignore[assignment]
        run, _ = await runtime(request).submit(thread_id, req, assistant, caller(request), api_url=api_url(request))
    except ApiError as exc:
        raise ProtocolError("unknown_error", f"{exc.status}: {exc.detail}") from None
    return {"run_id": run.run_id}


async def _pending_interrupts(request: web.Request, thread_id: str) -> tuple[dict[str, Any], str | None]:
    """The interrupts the thread waits on (by id: their namespace is not recorded) and the
    assistant of its runs. No barrier: the thread as it is now (see README, v3)."""
    thread = await runtime(request).storage.threads.get(thread_id) if is_uuid(thread_id) else None
    if thread is None:
        return {}, None
    found = {i["id"]: i for task in (thread.interrupts or {}).values() for i in task if isinstance(i, dict) and "id" in i}
    return found, thread.metadata.get("assistant_id")


async def _until_running_run_ends(request: web.Request, thread_id: str) -> None:
    """Wait (at most `RESPOND_WAIT` seconds) for the thread's running run to end. A run
    that asked for input ends at once, but its interrupts are recorded on the thread only
    when it has (its status is persisted before its log closes): a client that answers the
    `input.requested` event at once must not be told the interrupt is unknown."""
    rt = runtime(request)
    for run in await rt.storage.runs.list(thread_id, limit=10, offset=0, status="running"):
        log = rt.streams.get(run.run_id)
        if log is not None and not log.closed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_closed(log.subscribe(log.head)), RESPOND_WAIT)


async def _closed(events: AsyncIterator[Any]) -> None:
    async for _ in events:
        pass


async def run_start(request: web.Request, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
    pending, _ = await _pending_interrupts(request, thread_id)
    return await _submit(request, thread_id, v3runs.run_start(params, resume=bool(pending)))


async def input_respond(
    request: web.Request, thread_id: str, params: dict[str, Any], connection: Connection | None,
) -> dict[str, Any]:
    given = v3runs.answers(params)
    pending, assistant_id = await _pending_interrupts(request, thread_id)
    if any(answer.interrupt_id not in pending for answer in given) and is_uuid(thread_id):
        await _until_running_run_ends(request, thread_id)
        pending, assistant_id = await _pending_interrupts(request, thread_id)
    if assistant_id is None:
        raise ProtocolError("no_such_run", NO_INTERRUPTED_RUN)
    for answer in given:
        seen = connection.seen_interrupt(answer.interrupt_id) if connection is not None else None
        if seen is not None and seen != answer.namespace:
            raise ProtocolError("no_such_interrupt", "Interrupt namespace does not match the pending interrupt.")
        if answer.interrupt_id not in pending:
            raise ProtocolError("no_such_interrupt", f"Unknown or already-consumed interrupt: {answer.interrupt_id}")
    await _submit(request, thread_id, v3runs.respond_run(params, assistant_id, given))
    return {}


async def dispatch(request: web.Request, thread_id: str, command: Command, connection: Connection | None) -> dict[str, Any]:
    """The reply envelope to `command` (an error envelope if it fails)."""
    try:
        result = await _result(request, thread_id, command, connection)
    except ProtocolError as exc:
        return error(command.id, exc)
    return success(command.id, result, 0 if connection is None else connection.applied_through_seq)


async def _result(request: web.Request, thread_id: str, command: Command, connection: Connection | None) -> dict[str, Any]:
    method, params = command.method, command.params
    if method == "run.start":
        return await run_start(request, thread_id, params)
    if method == "input.respond":
        return await input_respond(request, thread_id, params, connection)
    if method in ("subscription.subscribe", "subscription.reconnect"):
        reconnect = method == "subscription.reconnect"
        if connection is None:  # over HTTP nothing follows the thread: validated, then dropped
            command_filter(params, reconnect=reconnect)
            if reconnect:
                raise ProtocolError("no_such_run", NO_BOUND_RUN)
            return {"subscription_id": _new_id(), "replayed_events": 0}
        return await connection.subscribe(params, reconnect=reconnect)
    if method == "subscription.unsubscribe":
        sid = params.get("subscription_id")
        if connection is None or not isinstance(sid, str):
            raise ProtocolError("no_such_subscription", f"Unknown subscription: {sid}")
        connection.unsubscribe(sid)
        return {}
    if method == "agent.getTree":
        tree = None if connection is None else connection.tree()
        if tree is None:
            raise ProtocolError("no_such_run", NO_BOUND_RUN)
        return {"tree": tree}
    raise ProtocolError("unknown_command", f"Unknown protocol command: {method}")


def _new_id() -> str:
    return str(uuid.uuid4())
