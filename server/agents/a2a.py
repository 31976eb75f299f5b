"""`/a2a/{assistant_id}`: each assistant as an A2A agent (reference v3-mcp-a2a §3), over
JSON-RPC, in A2A 1.0 and, under 0.3's method names, in 0.3; and its agent card.

Where the official server differs, deliberately: streamed events are wrapped as A2A 1.0
wants them on 1.0 method names (`protocol/a2a/versions.py`); 1.0 answers carry no 0.3
`kind` tags; the card offers both versions; an assistant may be named by its graph id;
`GetTask` shows the task's artifacts; a task's answer is JSON, not a Python `repr`; a card
for an assistant that cannot be found is the API's 404 (`{"detail"}`), not a 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web

from threadloom.protocol import jsonrpc, sse
from threadloom.protocol.a2a import versions
from threadloom.protocol.a2a.card import HISTORY_SCOPE_HEADER, CardError, agent_card
from threadloom.protocol.a2a.versions import V03, V1
from threadloom.protocol.a2a.wire import ListParams, SendParams, TaskQuery, params_as
from threadloom.protocol.errors import BadRequest
from threadloom.protocol.jsonrpc import INVALID_PARAMS, MESSAGE, RpcError
from threadloom.protocol.resources import Assistant
from threadloom.protocol.serde import dumps

from ..context import PROJECT, runtime
from ..operations import Param, operation
from ..sse import SseResponse
from . import engine, messages, task_methods
from .rpc import accepts, answer, call, error_response, read

routes = web.RouteTableDef()

ASSISTANT = web.RequestKey("a2a_assistant", Assistant)
# the line separators some SSE readers split on besides CR and LF: escaped inside the JSON
_SEPARATORS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _server_version() -> str:
    try:
        return version("threadloom")
    except PackageNotFoundError:
        return "0"


def _base_url(request: web.Request) -> str:
    """Where clients reach this server: `LANGGRAPH_API_URL` if set, else the address the
    request was sent to (through a proxy: the one it names), under the mount prefix."""
    configured = runtime(request).settings.api_url
    if configured:
        return configured.rstrip("/")
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",", 1)[0].strip()
    return f"{scheme}://{request.host}{request.app[PROJECT].http.mount_prefix or ''}"


async def _card(request: web.Request, assistant_id: str) -> dict[str, Any]:
    assistant = await engine.assistant(request, assistant_id)
    schemas = await engine.Schemas(request).of(assistant)
    try:
        card = agent_card(
            assistant_id=assistant.assistant_id, name=assistant.name, description=assistant.description,
            metadata=assistant.metadata, url=f"{_base_url(request)}/a2a/{assistant.assistant_id}",
            input_schema=schemas.get("input_schema") or schemas.get("state_schema"), server_version=_server_version(),
        )
    except CardError as exc:
        raise BadRequest(str(exc)) from None
    return card


CARD = "The assistant's A2A agent card"


@routes.get("/a2a/{assistant_id}")
@routes.get("/a2a/{assistant_id}/.well-known/agent-card.json")
@routes.get("/a2a/{assistant_id}/.well-known/agent.json")
@operation(CARD, response=dict[str, Any])
async def get_card(request: web.Request) -> web.Response:
    return answer(await _card(request, request.match_info["assistant_id"]))


@routes.get("/.well-known/agent-card.json")
@routes.get("/.well-known/agent.json")
@operation(CARD, response=dict[str, Any], query=(
    Param("assistant_id", {"type": "string"}, "The assistant (its id, or a graph id)", required=True),
))
async def get_well_known_card(request: web.Request) -> web.Response:
    assistant_id = request.query.get("assistant_id")
    if not assistant_id:
        raise BadRequest("Missing required query parameter: assistant_id")
    return answer(await _card(request, assistant_id))


# JSON-RPC --------------------------------------------------------------------------------------


def _scope(request: web.Request, given: str | None) -> str:
    scope = given or request.headers.get(HISTORY_SCOPE_HEADER) or "context"
    if scope not in ("context", "task"):
        raise RpcError(INVALID_PARAMS, f"historyScope must be 'context' or 'task', not {scope!r}")
    return scope


def _params(message: jsonrpc.Request, kind: type[Any]) -> Any:
    return params_as(kind, jsonrpc.object_params(message), message.id)


def _send(version: str) -> Callable[[web.Request, jsonrpc.Request], Awaitable[Any]]:
    async def send(request: web.Request, message: jsonrpc.Request) -> Any:
        params: SendParams = _params(message, SendParams)
        assistant = request[ASSISTANT]
        scope = _scope(request, params.history_scope)
        started = await messages.start(request, assistant, params)
        length = params.configuration.history_length if params.configuration else None
        task = await messages.result(request, assistant, started, wait=params.wait, history_length=length, scope=scope)
        return versions.sent(task, version)

    return send


def _get(version: str) -> Callable[[web.Request, jsonrpc.Request], Awaitable[Any]]:
    async def get(request: web.Request, message: jsonrpc.Request) -> Any:
        query: TaskQuery = _params(message, TaskQuery)
        task = await task_methods.get(request, request[ASSISTANT], query, _scope(request, query.history_scope))
        return versions.task(task, version)

    return get


def _cancel(version: str) -> Callable[[web.Request, jsonrpc.Request], Awaitable[Any]]:
    async def cancel(request: web.Request, message: jsonrpc.Request) -> Any:
        return versions.task(await task_methods.cancel(request, request[ASSISTANT], _params(message, TaskQuery)), version)

    return cancel


async def _list(request: web.Request, message: jsonrpc.Request) -> Any:
    params: ListParams = _params(message, ListParams)
    return await task_methods.list_tasks(request, request[ASSISTANT], params, _scope(request, params.history_scope))


async def _extended_card(request: web.Request, message: jsonrpc.Request) -> Any:
    return await _card(request, request[ASSISTANT].assistant_id)


METHODS = {
    "SendMessage": _send(V1), "message/send": _send(V03),
    "GetTask": _get(V1), "tasks/get": _get(V03),
    "CancelTask": _cancel(V1), "tasks/cancel": _cancel(V03),
    "ListTasks": _list,
    "GetExtendedAgentCard": _extended_card, "agent/getAuthenticatedExtendedCard": _extended_card,
}
STREAMING = {"SendStreamingMessage": V1, "message/stream": V03}


def _frame(payload: Any) -> bytes:
    text = dumps(payload).decode()
    for raw, escaped in _SEPARATORS.items():
        text = text.replace(raw, escaped)
    return sse.frame("message", text.encode())


async def _stream(request: web.Request, message: jsonrpc.Request, version: str) -> web.StreamResponse:
    """The task's events as server-sent events, one JSON-RPC response each. An error
    before the run starts is a plain JSON-RPC answer, as a client reads one."""
    try:
        params: SendParams = _params(message, SendParams)
        assistant = request[ASSISTANT]
        started = await messages.start(request, assistant, params)
    except Exception as exc:  # noqa: BLE001 - answered in JSON-RPC (error_response)
        return answer(error_response(request, message, exc))
    response = SseResponse()
    await response.prepare(request)
    try:
        async for event in messages.events(request, assistant, started, params.message):
            await response.write(_frame(jsonrpc.result(message.id, versions.event(event, version))))
    except ConnectionResetError:
        return response  # the client left; the run goes on, as a task does
    except Exception as exc:  # noqa: BLE001 - the stream has begun: the error is its last event
        await response.write(_frame(error_response(request, message, exc)))
    finally:
        response.stop_streaming()
    await response.write_eof()
    return response


@routes.post("/a2a/{assistant_id}")
@routes.post("/a2a/{assistant_id}/")
@operation("A2A JSON-RPC: send (or stream) a message, get, list or cancel tasks", body=MESSAGE, response=Any)
async def serve_a2a(request: web.Request) -> web.StreamResponse:
    try:
        message = await read(request)
    except RpcError as exc:
        return answer(jsonrpc.error_of(exc))
    if isinstance(message, jsonrpc.Reply) or message.notification:
        return web.Response(status=202)
    streaming = STREAMING.get(message.method)
    if not accepts(request, "text/event-stream" if streaming else "application/json"):
        wanted = "text/event-stream" if streaming else "application/json"
        return answer(jsonrpc.error(message.id, jsonrpc.INVALID_REQUEST, f"Accept must include {wanted}"), status=400)
    try:
        request[ASSISTANT] = await engine.assistant(request, request.match_info["assistant_id"])
    except Exception as exc:  # noqa: BLE001 - missing, or not one the user may see: told in JSON-RPC
        return answer(error_response(request, message, exc))
    if streaming is not None:
        return await _stream(request, message, streaming)
    return answer(await call(request, message, METHODS))
