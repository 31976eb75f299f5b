"""Any process serves any request (issue 13): a request about a thread that another live
process of the cluster supervises is sent on to that process over HTTP, and its answer
(a stream included) comes back as it is produced.

Why forward rather than admit runs in the database: the owner's supervisor then keeps
deciding everything about its thread in its mailbox, one message at a time, exactly as
in one process (all four multitask strategies, rollback of the checkpoints, joins and
thread streams from its in-memory event logs), so no guarantee needs a second
implementation in SQL. The cost is a hop for requests that land on a non-owner, and a
503 (Retry-After) if the owner dies while the request is on its way; runs it admitted are
in the database and are taken over with it.

A forwarded request carries `X-Threadloom-Forwarded` and is never forwarded again: if the
thread changed hands meanwhile, the process it reached serves it (its supervisor fails to
acquire the thread, a 503 with Retry-After, if another live process holds it).

A stream of a thread (`/threads/{id}/stream`, the v3 `/threads/{id}/stream/events` over
SSE or a WebSocket) is served by the thread's owner, and opening one on a thread nobody
supervises makes this process its owner for as long as it is open: every run made on the
thread meanwhile, from whichever process, is then sent here and reaches the stream."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from threadloom.actors.actor import ActorStopped
from threadloom.actors.supervisor import NotOwner
from threadloom.protocol.a2a import tasks as a2a_tasks
from threadloom.protocol.errors import ServiceUnavailable
from threadloom.protocol.ids import is_uuid, parse_uuid

from .context import CLUSTER, RUNTIME
from .http import raw_body
from .relay import Unreachable, passed_headers, relay

FORWARDED = "X-Threadloom-Forwarded"
_THREAD = re.compile(r"^/threads/([^/]+)(?:/|$)")
_THREAD_STREAM = re.compile(r"^/threads/[^/]+/stream(?:/events)?/?$")
_A2A = re.compile(r"^/a2a/[^/]+/?$")
SESSION = web.AppKey("forwarding_session", aiohttp.ClientSession)


def install(app: web.Application) -> None:
    app.cleanup_ctx.append(_session)
    app.middlewares.append(forward)


async def _session(app: web.Application) -> AsyncIterator[None]:
    # streams hold their connection as long as a run: no pool limit and no total timeout;
    # bodies go back as they came (compressed or not)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout, auto_decompress=False
    ) as session:
        app[SESSION] = session
        yield


@web.middleware
async def forward(request: web.Request, handler: Handler) -> web.StreamResponse:
    cluster = request.config_dict.get(CLUSTER)
    forwarded = FORWARDED in request.headers
    watching = _THREAD_STREAM.match(request.path) is not None
    if cluster is None or (forwarded and not watching):
        return await handler(request)
    thread_id = await _thread_of(request)
    if thread_id is None:
        return await handler(request)
    if not forwarded and (owner := await cluster.owner_url(thread_id)):
        return await _proxy(request, owner)
    if watching:
        async with request.config_dict[RUNTIME].supervisors.watch(thread_id) as supervised:
            if supervised:
                return await handler(request)
    else:
        try:
            return await handler(request)
        except ActorStopped as exc:
            if not isinstance(exc.__cause__, NotOwner):
                raise
    # nobody held the thread at the look-up, but another process acquired it before this
    # one's supervisor could (which failed before doing anything): that process answers
    if not forwarded and (owner := await cluster.owner_url(thread_id)):
        return await _proxy(request, owner)
    raise ServiceUnavailable("this thread is changing hands between the server's processes: retry shortly")


async def _thread_of(request: web.Request) -> str | None:
    """The thread a request is about: in its path, or the body of `POST /threads`, or the
    context an A2A JSON-RPC request names (`POST /a2a/{assistant_id}`)."""
    if (match := _THREAD.match(request.path)) is not None:
        return _canonical(match[1])
    if request.method != "POST" or not request.can_read_body:
        return None
    if request.path.rstrip("/") == "/threads":
        return _canonical((await _json_body(request) or {}).get("thread_id"))
    if _A2A.match(request.path) is not None:
        return _canonical(a2a_tasks.context_of(await _json_body(request)))
    return None


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    """The request's body as JSON; None if it is not (the handler says what is wrong)."""
    try:
        found = json.loads(await raw_body(request) or b"{}")
    except (ValueError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def _canonical(value: object) -> str | None:
    """The thread's id as the handlers spell it (a UUID written in capitals, or in
    braces, is the same thread), or None if it is not one (the handler answers that)."""
    return parse_uuid(value, "thread") if isinstance(value, str) and is_uuid(value) else None


async def _proxy(request: web.Request, owner: str) -> web.StreamResponse:
    try:
        return await relay(request, request.config_dict[SESSION], owner, {FORWARDED: "1"})
    except Unreachable as exc:
        return _unreachable(exc)


def _unreachable(exc: Exception) -> web.Response:
    # the owner died: its lease runs out, then another process takes the thread over
    return web.json_response(
        {"detail": f"the process supervising this thread cannot be reached ({exc}): retry shortly"},
        status=503, headers={"Retry-After": "1"},
    )


async def ask_owner(request: web.Request, owner: str, path: str, payload: Any) -> tuple[int, Any]:
    """`POST owner+path` with `payload` as JSON and the caller's headers (the owner
    authorizes again), for a request about several threads (`/threads/prune`,
    `/runs/cancel`) whose parts only the owners' supervisors may do: the owner's status
    and JSON answer (None without a body). A 503 if the owner cannot be reached or
    fails."""
    headers = {**passed_headers(request), FORWARDED: "1"}
    try:
        async with request.config_dict[SESSION].post(owner + path, json=payload, headers=headers) as answer:
            raw = await answer.read()
            if answer.status < 500:
                return answer.status, json.loads(raw) if raw else None
            detail = f"the process supervising a thread answered {answer.status}"
    except aiohttp.ClientConnectionError as exc:
        detail = f"the process supervising a thread cannot be reached ({exc})"
    raise ServiceUnavailable(f"{detail}: retry shortly")
