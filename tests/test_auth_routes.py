"""Custom auth on every route of the API (reference §8), one table row per route: without
credentials and with a bad token a 401 `{"detail"}`; for a user every handler refuses
(`mallory`) a 403; for another user (`bob`) the owner's resources are a 404, filtered out
of searches, counts and lists, or a 409 for a create naming their id (and for a copy of
their thread); for the owner (`alice`) a success. A run's join stream and the thread stream
tell the 403 and 404 as an `error` event in a 200. Both as the official server does. The table is checked against
the live router, so a route added without a row here fails the suite. The routes left open (`/ok`, `/info`, `/docs`,
`/openapi.json`, `/metrics`) and CORS preflights answer without credentials."""

from __future__ import annotations

import json
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from auth_support import (  # noqa: F401  (fixtures)
    AUTH_CALLS,
    AUTH_CONFIG,
    GRAPHS,
    Http,
    bearer,
    Reply,
    Serve,
    auth_url,
    http,
    project,
    serve,
    serve_project,
    TOKEN_AUTH,
    write_project,
)
from conftest import make_app
from langgraph_sdk.auth import types as auth_types

from threadloom.server.auth.middleware import PROTECTED

YEARLY = "0 0 1 1 *"  # never fires during a test
MISSING = "00000000-0000-4000-8000-000000000000"
THREAD_OR_ASSISTANT = "Thread or assistant not found."
SYSTEM_PATHS = ("/", "/ok", "/info", "/docs", "/openapi.json", "/metrics")
# GET, and the catch-all that answers any other method with a 404 (as the official server)
UNPROTECTED = {(method, path) for path in SYSTEM_PATHS for method in ("GET", "*")} | {("GET", "/docs/assets/{name}")}
# the console's page and files: no data in them; what it shows comes through the API, as the user
UNPROTECTED |= {("GET", "/console"), ("GET", "/console/{tail}")}


# what alice owns ---------------------------------------------------------------------------------


async def alice_world(http: Http, *, cron: bool = True, item: bool = True) -> dict[str, str]:
    """Alice's assistant, thread (with a finished run and its checkpoints), cron and store
    item: the path parameters of every route."""
    async def ok(method: str, path: str, body: Any = None) -> Any:
        reply = await http(method, path, body, user="alice")
        assert reply.status == 200, (method, path, reply)
        return reply.body

    assistant = await ok("POST", "/assistants", {"graph_id": "counter", "name": "alice's"})
    thread = await ok("POST", "/threads", {})
    tid = thread["thread_id"]
    run = await ok("POST", f"/threads/{tid}/runs", {"assistant_id": "counter", "input": {}})
    await ok("GET", f"/threads/{tid}/runs/{run['run_id']}/join")
    state = await ok("GET", f"/threads/{tid}/state")
    world = {
        "assistant_id": assistant["assistant_id"], "thread_id": tid, "run_id": run["run_id"],
        "checkpoint_id": state["checkpoint"]["checkpoint_id"], "namespace": "nowhere",
    }
    if cron:
        made = await ok("POST", f"/threads/{tid}/runs/crons", {"assistant_id": "counter", "schedule": YEARLY})
        world["cron_id"] = made["cron_id"]
    if item:
        put = await http("PUT", "/store/items", {"namespace": ["docs"], "key": "k", "value": {"by": "alice"}}, user="alice")
        assert put.status == 204, put
    return world


# expectations --------------------------------------------------------------------------------------

Check = Callable[[Reply, dict[str, str], Http], Awaitable[None]]


def status(code: int, detail: str | None = None) -> Check:
    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert reply.status == code, reply
        if code >= 400:
            assert isinstance(reply.detail, str), reply
        if detail is not None:
            assert reply.detail == detail.format_map(w), reply  # `{assistant_id}`: alice's

    return check


def hidden(key: str, ident: str) -> Check:
    """A list without alice's resource (`shown`: with it)."""

    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert reply.status == 200, reply
        found = [item[key] for item in reply.body]
        assert w[ident] not in found, reply

    return check


def shown(key: str, ident: str) -> Check:
    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert reply.status == 200, reply
        assert w[ident] in [item[key] for item in reply.body], reply

    return check


def equals(value: Any) -> Check:
    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert (reply.status, reply.body) == (200, value), reply

    return check


def then(first: Check, *after: tuple[str, str, Any, Check]) -> Check:
    """`first`, then requests alice makes afterwards (method, path, body, check): what
    bob did changed nothing of hers."""

    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        await first(reply, w, http)
        for method, path, body, next_check in after:
            await next_check(await http(method, path.format_map(w), body, user="alice"), w, http)

    return check


def rpc_error(code: int, message: str) -> Check:
    """A JSON-RPC error, in a 200 (`/mcp`, `/a2a`)."""

    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert (reply.status, reply.body["error"]) == (200, {"code": code, "message": message.format_map(w)}), reply

    return check


async def rpc_result(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200 and "result" in reply.body, reply


def v3_error(message: str) -> Check:
    """A v3 command's error reply (`unknown_error`, the refusal's status and text), in a 200."""

    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        assert reply.status == 200 and reply.body == {
            "type": "error", "id": 1, "error": "unknown_error", "message": message}, reply

    return check


async def v3_started(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200 and reply.body["type"] == "success" and "run_id" in reply.body["result"], reply


async def no_events(reply: Reply, w: dict[str, str], http: Http) -> None:
    """A v3 event stream that the user may not read: a 200 without events (as on the
    official server; test_thread_events_rules reads its empty body)."""
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/event-stream; charset=utf-8", reply


async def forbidden(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert (reply.status, reply.body) == (403, {"detail": "Forbidden"}), reply


def sse_error(user: str, message: str, of: str = "R") -> Check:
    """A 200 stream of the run (the join route; `of` "T": of the thread) holding one
    `error` event and nothing else."""

    async def check(reply: Reply, w: dict[str, str], http: Http) -> None:
        path = (R if of == "R" else T).format_map(w)
        assert reply.status == 200 and reply.headers["Content-Type"] == "text/event-stream; charset=utf-8", reply
        if of == "R":
            assert (reply.headers["Location"], reply.headers["Content-Location"]) == (f"{path}/stream", path), reply
        async with http.session.get(f"{http.url}{path}/stream", headers=bearer(user)) as resp:  # the body, this time
            body = await resp.read()
        data = json.dumps({"error": "HTTPException", "message": message}, separators=(",", ":"))
        assert body == f"event: error\r\ndata: {data}\r\n\r\n".encode()

    return check


async def _alice_item(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200 and reply.body is not None, reply
    assert (reply.body["namespace"], reply.body["value"]) == (["alice", "docs"], {"by": "alice"}), reply


ALICE_ITEM_INTACT = ("GET", "/store/items?namespace=docs&key=k", None, _alice_item)


async def _alice_items(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200, reply
    assert [(i["namespace"], i["key"]) for i in reply.body["items"]] == [(["alice", "docs"], "k")], reply


async def _alice_thread(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200 and reply.body["metadata"]["owner"] == "alice", reply


THREAD_INTACT = ("GET", "/threads/{thread_id}", None, _alice_thread)


async def _active_run(http: Http, w: dict[str, str]) -> None:
    """A long run on alice's thread (`active_run_id`), for a cancel to find."""
    tid = w["thread_id"]
    reply = await http("POST", f"/threads/{tid}/runs", {
        "assistant_id": "slow", "input": {"steps": 1000, "delay": 0.05, "tag": "t"}, "multitask_strategy": "enqueue",
    }, user="alice")
    assert reply.status == 200, reply
    w["active_run_id"] = reply.body["run_id"]


async def _active_run_in_path(http: Http, w: dict[str, str]) -> None:
    """The route's `{run_id}` is a long run (a finished one cannot be cancelled)."""
    await _active_run(http, w)
    w["run_id"] = w["active_run_id"]


async def _run_is_active(reply: Reply, w: dict[str, str], http: Http) -> None:
    assert reply.status == 200 and reply.body["status"] in ("pending", "running"), reply


@dataclass
class Row:
    method: str
    route: str  # as the router names it
    body: Any = None  # str values are formatted with the world
    other: Check = field(default_factory=lambda: status(404))  # bob on alice's resources
    refused: Check = field(default_factory=lambda: forbidden)  # mallory
    own: Check = field(default_factory=lambda: status(200))  # alice
    asks: list[str] = field(default_factory=list)  # the (resource.action)s it asks the handlers, sorted
    query: str = ""
    setup: Callable[[Http, dict[str, str]], Awaitable[None]] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the credentials

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def _fill(body: Any, w: dict[str, str]) -> Any:
    if isinstance(body, str):
        return body.format_map(w)
    if isinstance(body, list):
        return [_fill(b, w) for b in body]
    if isinstance(body, dict):
        return {k: _fill(v, w) for k, v in body.items()}
    return body


A = "/assistants/{assistant_id}"
T = "/threads/{thread_id}"
R = "/threads/{thread_id}/runs/{run_id}"
C = "/runs/crons/{cron_id}"
A2A = "/a2a/{assistant_id}"
WS_UPGRADE = {  # a WebSocket handshake (the v3 socket), made as a plain request
    "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}

ROWS = [
    # assistants
    Row("POST", "/assistants", {"graph_id": "counter", "assistant_id": "{assistant_id}", "if_exists": "do_nothing"},
        asks=["assistants.create"], other=status(409)),
    Row("POST", "/assistants/search", {}, asks=["assistants.search"], other=hidden("assistant_id", "assistant_id"),
        own=shown("assistant_id", "assistant_id")),
    Row("POST", "/assistants/count", {}, asks=["assistants.search"], other=equals(0), own=equals(1)),
    Row("GET", A, asks=["assistants.read"]),
    Row("PATCH", A, {"metadata": {"x": 1}}, asks=["assistants.update"], other=then(status(404), ("GET", A, None, status(200)))),
    Row("DELETE", A, asks=["assistants.delete"], other=then(status(404), ("GET", A, None, status(200))), own=status(204)),
    Row("POST", A + "/versions", {}, asks=["assistants.read"]),
    Row("POST", A + "/latest", {"version": 1}, asks=["assistants.update"]),
    Row("GET", A + "/graph", asks=["assistants.read"]),
    Row("GET", A + "/schemas", asks=["assistants.read"]),
    Row("GET", A + "/subgraphs", asks=["assistants.read"]),
    Row("GET", A + "/subgraphs/{namespace}", asks=["assistants.read"]),
    # threads
    Row("POST", "/threads", {"thread_id": "{thread_id}", "if_exists": "do_nothing"}, asks=["threads.create"], other=status(409)),
    Row("POST", "/threads/search", {}, asks=["threads.search"], other=hidden("thread_id", "thread_id"),
        own=shown("thread_id", "thread_id")),
    Row("POST", "/threads/count", {}, asks=["threads.search"], other=equals(0), own=equals(1)),
    Row("POST", "/threads/prune", {"thread_ids": ["{thread_id}"]}, asks=["threads.delete"],
        other=then(equals({"pruned_count": 0}), THREAD_INTACT), own=equals({"pruned_count": 1})),
    Row("GET", T, asks=["threads.read"]),
    Row("PATCH", T, {"metadata": {"x": 1}}, asks=["threads.update"], other=then(status(404), THREAD_INTACT)),
    Row("DELETE", T, asks=["threads.delete"], other=then(status(404), THREAD_INTACT), own=status(204)),
    Row("POST", T + "/copy", asks=["threads.create", "threads.read"], other=status(409, "Conflict")),  # as the official
    Row("GET", T + "/state", asks=["threads.read"]),
    Row("POST", T + "/state", {"values": {"count": 7}}, asks=["threads.update"], other=then(status(404), THREAD_INTACT)),
    Row("GET", T + "/state/{checkpoint_id}", asks=["threads.read"]),
    Row("POST", T + "/state/checkpoint", {"checkpoint": {"checkpoint_id": "{checkpoint_id}"}}, asks=["threads.read"]),
    Row("GET", T + "/history", asks=["threads.read"]),
    Row("GET", T + "/storage", asks=["threads.read"]),
    Row("POST", T + "/history", {"limit": 5}, asks=["threads.read"]),
    Row("GET", T + "/stream", asks=["threads.read"],
        other=sse_error("bob", "404: Thread not found", of="T"), refused=sse_error("mallory", "403: Forbidden", of="T")),
    # runs: on a system assistant only `threads.create_run`; on a user's also `assistants.read`
    Row("POST", T + "/runs", {"assistant_id": "counter", "input": {}}, asks=["threads.create_run"],
        other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", T + "/runs/stream", {"assistant_id": "counter", "input": {}}, asks=["threads.create_run"],
        other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", T + "/runs/wait", {"assistant_id": "counter", "input": {}}, asks=["threads.create_run"],
        other=status(404, THREAD_OR_ASSISTANT)),
    Row("GET", T + "/runs", asks=["threads.search"]),
    Row("GET", R, asks=["threads.read"]),
    Row("DELETE", R, asks=["threads.delete"], other=then(status(404), ("GET", R, None, status(200))), own=status(204)),
    Row("POST", R + "/cancel", asks=["threads.update"], other=then(status(404), ("GET", R, None, _run_is_active)),
        own=status(202), setup=_active_run_in_path),
    Row("GET", R + "/join", asks=["threads.read"]),
    Row("GET", R + "/stream", asks=["threads.read"],
        other=sse_error("bob", "404: Thread not found"), refused=sse_error("mallory", "403: Forbidden")),
    Row("POST", "/runs", {"assistant_id": "{assistant_id}", "input": {}}, asks=["assistants.read", "threads.create_run"],
        other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", "/runs/stream", {"assistant_id": "{assistant_id}", "input": {}},
        asks=["assistants.read", "threads.create_run"], other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", "/runs/wait", {"assistant_id": "{assistant_id}", "input": {}},
        asks=["assistants.read", "threads.create_run"], other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", "/runs/batch", [{"assistant_id": "{assistant_id}", "input": {}}],
        asks=["assistants.read", "threads.create_run"], other=status(404, THREAD_OR_ASSISTANT)),
    Row("POST", "/runs/cancel", {"thread_id": "{thread_id}", "run_ids": ["{active_run_id}"]}, asks=["threads.update"],
        other=then(status(404), ("GET", "/threads/{thread_id}/runs/{active_run_id}", None, _run_is_active)),
        own=status(204), setup=_active_run),
    # crons: creating one also reads its assistant (a user's) and its thread
    Row("POST", "/runs/crons", {"assistant_id": "{assistant_id}", "schedule": YEARLY},
        asks=["assistants.read", "crons.create"], other=status(404, "Assistant '{assistant_id}' not found")),
    Row("POST", T + "/runs/crons", {"assistant_id": "counter", "schedule": YEARLY}, asks=["crons.create", "threads.read"]),
    Row("POST", "/runs/crons/search", {}, asks=["crons.search"], other=hidden("cron_id", "cron_id"),
        own=shown("cron_id", "cron_id")),
    Row("POST", "/runs/crons/count", {}, asks=["crons.search"], other=equals(0), own=equals(1)),
    Row("GET", C, asks=["crons.read"]),
    Row("PATCH", C, {"schedule": "0 0 2 1 *"}, asks=["crons.update"], other=then(status(404), ("GET", C, None, status(200)))),
    Row("DELETE", C, asks=["crons.delete"], other=then(status(404), ("GET", C, None, status(200))), own=status(204)),
    # MCP: a tool is an assistant the user may see, run as a stateless run of theirs
    Row("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "alices", "arguments": {}}},
        asks=["assistants.read", "assistants.search", "threads.create_run"],
        other=rpc_error(-32602, "Unknown tool: alices"), own=rpc_result),
    # A2A: an agent is an assistant the user may see; its tasks live on threads they may see
    *(Row("GET", route, query=query, asks=["assistants.read"], other=status(404, THREAD_OR_ASSISTANT)) for route, query in (
        (A2A, ""), (A2A + "/.well-known/agent-card.json", ""), (A2A + "/.well-known/agent.json", ""),
        ("/.well-known/agent-card.json", "?assistant_id={assistant_id}"), ("/.well-known/agent.json", "?assistant_id={assistant_id}"),
    )),
    *(Row("POST", route, {"jsonrpc": "2.0", "id": 1, "method": "ListTasks"}, asks=["assistants.read", "threads.search"],
          other=rpc_error(-32602, THREAD_OR_ASSISTANT), own=rpc_result) for route in (A2A, A2A + "/")),
    # v3 thread streaming: its runs are runs (`threads.create_run`), its streams read the thread
    Row("POST", T + "/commands", {"id": 1, "method": "run.start", "params": {
        "assistant_id": "slow", "input": {"steps": 1, "delay": 0, "tag": "v"}}},
        asks=["threads.create_run"], refused=v3_error("403: Forbidden"), other=v3_error(f"404: {THREAD_OR_ASSISTANT}"),
        own=v3_started),
    Row("POST", T + "/stream/events", {"channels": ["lifecycle"]}, asks=["threads.read"], refused=no_events, other=no_events),
    Row("GET", T + "/stream/events", asks=["threads.read"], headers=WS_UPGRADE, own=status(101)),
    # store: bob's namespace is his own; alice's item is out of his reach
    Row("PUT", "/store/items", {"namespace": ["docs"], "key": "k", "value": {"by": "bob"}}, asks=["store.put"],
        other=then(status(204), ALICE_ITEM_INTACT), own=status(204)),
    Row("GET", "/store/items", query="?namespace=docs&key=k", asks=["store.get"], other=equals(None), own=_alice_item),
    Row("DELETE", "/store/items", {"namespace": ["docs"], "key": "k"}, asks=["store.delete"],
        other=then(status(204), ALICE_ITEM_INTACT), own=status(204)),
    Row("POST", "/store/items/search", {"namespace_prefix": ["docs"]}, asks=["store.search"],
        other=equals({"items": []}), own=_alice_items),
    Row("POST", "/store/namespaces", {}, asks=["store.list_namespaces"], other=equals({"namespaces": []}),
        own=equals({"namespaces": [["alice", "docs"]]})),
]


# the table against the router -------------------------------------------------------------------


def _router_routes() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(every route, the protected ones) of an app on the auth project."""
    app = make_app(config=AUTH_CONFIG)
    every = {
        (route.method, route.resource.canonical) for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    protected = {(route.method, route.resource.canonical) for route in app[PROTECTED]}
    return every, protected


def test_every_route_has_a_row() -> None:
    every, protected = _router_routes()
    table = {(row.method, row.route) for row in ROWS}
    assert len(table) == len(ROWS), "a route has two rows"
    assert every - UNPROTECTED - table == set(), "routes without a custom-auth row in ROWS"
    assert table - every == set(), "rows for routes the server does not have"
    assert protected == table, "the table's routes and the protected routes differ"
    assert every - protected == UNPROTECTED


# the matrix ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
async def test_route(http: Http, row: Row) -> None:
    w = await alice_world(http, cron="crons" in row.route, item=row.route.startswith("/store"))
    if row.setup is not None:
        await row.setup(http, w)
    path = (row.route + row.query).format_map(w)
    body = _fill(row.body, w)

    # no credentials: the test project's `authenticate` refuses with a challenge
    reply = await http(row.method, path, body, headers=row.headers)
    assert (reply.status, reply.body) == (401, {"detail": "Missing token"}), reply
    assert reply.headers.get("WWW-Authenticate") == "Bearer"
    # a token nobody has
    reply = await http(row.method, path, body, headers={**row.headers, "Authorization": "Bearer stolen"})
    assert (reply.status, reply.body) == (401, {"detail": "Invalid token"}), reply
    # a user every handler refuses
    await row.refused(await http(row.method, path, body, user="mallory", headers=row.headers), w, http)
    # another user: alice's resources are not theirs
    await row.other(await http(row.method, path, body, user="bob", headers=row.headers), w, http)
    # the owner
    await row.own(await http(row.method, path, body, user="alice", headers=row.headers), w, http)


async def test_deleting_a_thread_needs_the_delete_permission(http: Http) -> None:
    """`threads.delete` has its own handler: eve (no `delete` permission) gets a 403 on
    every route that deletes on a thread; reading her own thread is fine."""
    thread = await http("POST", "/threads", {}, user="eve")
    tid = thread.body["thread_id"]
    run = await http("POST", f"/threads/{tid}/runs/wait", {"assistant_id": "counter", "input": {}}, user="eve")
    assert run.status == 200, run
    runs = await http("GET", f"/threads/{tid}/runs", user="eve")
    rid = runs.body[0]["run_id"]
    for method, path, body in (
        ("DELETE", f"/threads/{tid}", None),
        ("DELETE", f"/threads/{tid}/runs/{rid}", None),
        ("POST", "/threads/prune", {"thread_ids": [tid]}),
    ):
        reply = await http(method, path, body, user="eve")
        assert (reply.status, reply.body) == (403, {"detail": "Forbidden"}), (method, path, reply)
    assert (await http("GET", f"/threads/{tid}", user="eve")).status == 200
    assert (await http("GET", f"/threads/{tid}/runs/{rid}", user="eve")).status == 200


# what each route asks the handlers --------------------------------------------------------------

RECORDER = """
from langgraph_sdk import Auth
from auth_support import AUTH_CALLS

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Missing token")
    return authorization.removeprefix("Bearer ").removesuffix("-token")

@auth.on
async def record(ctx: Auth.types.AuthContext, value):
    AUTH_CALLS.append((f"{ctx.resource}.{ctx.action}", dict(value)))
"""

# what the handler for each (resource, action) is told: the SDK's own value types
VALUE_TYPES = {
    "threads.create": auth_types.ThreadsCreate, "threads.read": auth_types.ThreadsRead,
    "threads.update": auth_types.ThreadsUpdate, "threads.delete": auth_types.ThreadsDelete,
    "threads.search": auth_types.ThreadsSearch, "threads.create_run": auth_types.RunsCreate,
    "assistants.create": auth_types.AssistantsCreate, "assistants.read": auth_types.AssistantsRead,
    "assistants.update": auth_types.AssistantsUpdate, "assistants.delete": auth_types.AssistantsDelete,
    "assistants.search": auth_types.AssistantsSearch, "crons.create": auth_types.CronsCreate,
    "crons.read": auth_types.CronsRead, "crons.update": auth_types.CronsUpdate, "crons.delete": auth_types.CronsDelete,
    "crons.search": auth_types.CronsSearch, "store.put": auth_types.StorePut, "store.get": auth_types.StoreGet,
    "store.search": auth_types.StoreSearch, "store.delete": auth_types.StoreDelete,
    "store.list_namespaces": auth_types.StoreListNamespaces,
}
# keys threadloom adds: a cron's metadata (so a handler can stamp it), the search filters crons
# have, and the run a single cancel names
EXTRA_KEYS = {
    "crons.create": {"metadata"}, "crons.update": {"metadata"}, "crons.search": {"enabled", "metadata"},
    "threads.update": {"run_id"},
}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
async def test_route_asks(aiohttp_server: Any, session: Any, tmp_path: Path, row: Row) -> None:
    """Each route asks the handlers for the (resource, action)s of reference §8.2, with
    a value of the SDK's type for it (`Auth.types.on.<resource>.<action>.value`)."""
    graphs = {name: str(GRAPHS / f"{name}.py") + ":graph" for name in ("counter", "slow")}
    http = Http(await serve(aiohttp_server, write_project(tmp_path, RECORDER, graphs=graphs)), session)
    w = await alice_world(http, cron="crons" in row.route, item=row.route.startswith("/store"))
    if row.setup is not None:
        await row.setup(http, w)
    AUTH_CALLS.clear()
    reply = await http(row.method, (row.route + row.query).format_map(w), _fill(row.body, w), user="alice", headers=row.headers)
    assert reply.status < 300, reply
    assert sorted(action for action, _ in AUTH_CALLS) == row.asks
    for action, value in AUTH_CALLS:
        allowed = set(typing.get_type_hints(VALUE_TYPES[action])) | EXTRA_KEYS.get(action, set())
        assert set(value) <= allowed, (action, set(value) - allowed)
        assert value, action


async def test_a_run_tells_create_run_everything(aiohttp_server: Any, session: Any, tmp_path: Path) -> None:
    """The value of `threads.create_run` (reference §8.2) in full."""
    graphs = {"counter": str(GRAPHS / "counter.py") + ":graph"}
    http = Http(await serve(aiohttp_server, write_project(tmp_path, RECORDER, graphs=graphs)), session)
    tid = (await http("POST", "/threads", {}, user="ann")).body["thread_id"]
    AUTH_CALLS.clear()
    body = {"assistant_id": "counter", "input": {"log": []}, "metadata": {"m": 1}, "multitask_strategy": "reject",
            "if_not_exists": "reject", "after_seconds": 0}
    assert (await http("POST", f"/threads/{tid}/runs", body, user="ann")).status == 200
    [(action, value)] = AUTH_CALLS
    assert action == "threads.create_run"
    assert {k: v for k, v in value.items() if k != "kwargs"} == {
        "thread_id": tid, "assistant_id": "counter", "run_id": None, "status": "pending", "metadata": {"m": 1},
        "multitask_strategy": "reject", "if_not_exists": "reject", "after_seconds": 0, "prevent_insert_if_inflight": True,
    }
    assert value["kwargs"]["input"] == {"log": []}
    AUTH_CALLS.clear()
    assert (await http("POST", "/runs/wait", {"assistant_id": "counter"}, user="ann")).status == 200
    assert [(a, v["thread_id"], v["multitask_strategy"]) for a, v in AUTH_CALLS] == [("threads.create_run", None, "enqueue")]


# open routes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SYSTEM_PATHS)
async def test_open_routes_need_no_credentials(http: Http, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer stolen"}):
        reply = await http("GET", path, headers=headers)
        assert reply.status == 200, (path, reply)
        assert reply.headers.get("WWW-Authenticate") is None



CUSTOM_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hello(request):
    return JSONResponse({"hello": "world"})

async def export(request):  # inside the API's /threads/{thread_id}
    return JSONResponse({"export": True})

async def info(request):  # in place of the API's (open) /info
    return JSONResponse({"custom": "info"})

async def me(request):  # who Starlette says the user is
    if "user" not in request.scope:
        return JSONResponse({"identity": None})
    return JSONResponse({"identity": request.user.identity, "scopes": request.auth.scopes})

app = Starlette(routes=[Route("/hello", hello), Route("/threads/export", export), Route("/info", info), Route("/me", me)])
"""

OK = {"Authorization": "Bearer ok"}


@pytest.mark.parametrize("enabled", [False, True], ids=["custom-routes-open", "enable_custom_route_auth"])
async def test_custom_routes_need_a_user_only_when_asked(
    serve_project: Serve, session: Any, enabled: bool
) -> None:
    """The custom app's routes come first and are not the API's: they need a user only
    with `http.enable_custom_route_auth` (reference §8.1), wherever their path is."""
    url = await serve_project(TOKEN_AUTH, files={"custom.py": CUSTOM_APP},
                              http={"app": "./custom.py:app", "enable_custom_route_auth": enabled})
    http = Http(url, session)
    for path, body in (("/hello", {"hello": "world"}), ("/threads/export", {"export": True}), ("/info", {"custom": "info"})):
        reply = await http("GET", path)
        assert reply.status == (401 if enabled else 200), (path, reply)
        assert (await http("GET", path, headers=OK)).body == body
    me = {"identity": "someone", "scopes": []} if enabled else {"identity": None}
    assert (await http("GET", "/me", headers=OK)).body == me  # the app sees the user as Starlette's
    # the API needs a user either way; the open routes stay open
    assert (await http("POST", "/threads/search", {})).status == 401
    assert (await http("POST", "/threads/search", {}, headers=OK)).status == 200
    assert (await http("GET", f"/threads/{MISSING}")).status == 401
    for path in ("/ok", "/docs", "/openapi.json", "/metrics"):
        assert (await http("GET", path)).status == 200, path
    assert (await http("GET", "/nothing/here")).status == 404


async def test_a_mount_prefix_keeps_the_api_protected_and_health_open(serve_project: Serve, session: Any) -> None:
    http = Http(await serve_project(TOKEN_AUTH, http={"mount_prefix": "/api"}), session)
    assert (await http("POST", "/api/threads/search", {})).status == 401
    assert (await http("POST", "/api/threads/search", {}, headers=OK)).status == 200
    assert (await http("PUT", "/api/store/items", {"namespace": ["a"], "key": "k", "value": {}})).status == 401
    for path in ("/ok", "/api/ok", "/metrics", "/api/info", "/api/openapi.json", "/api/docs"):
        assert (await http("GET", path)).status == 200, path


async def test_no_header_skips_authentication(http: Http) -> None:
    """Neither the Studio header (threadloom has no Studio bypass) nor anything else."""
    for headers in ({"x-auth-scheme": "langsmith"}, {"x-api-key": "anything"}, {"Authorization": "Basic YTpi"}):
        reply = await http("POST", "/threads/search", {}, headers=headers)
        assert reply.status == 401, (headers, reply)


async def test_info_says_auth_is_on(http: Http) -> None:
    reply = await http("GET", "/info")
    assert reply.body["threadloom"]["features"]["auth"] is True


async def test_the_api_description_shows_auth_openapi(
    aiohttp_server: Any, session: Any, project: Callable[..., Path]
) -> None:
    """`auth.openapi` (reference §6.2): the security schemes in /openapi.json, required
    by the protected routes, not by the open ones."""
    config = project(TOKEN_AUTH)
    raw = json.loads(config.read_text())
    schemes = {"bearer": {"type": "http", "scheme": "bearer"}}
    raw["auth"]["openapi"] = {"securitySchemes": schemes, "security": [{"bearer": []}]}
    config.write_text(json.dumps(raw))
    http = Http(await serve(aiohttp_server, config), session)
    spec = (await http("GET", "/openapi.json")).body
    assert spec["components"]["securitySchemes"] == schemes
    assert spec["security"] == [{"bearer": []}]
    assert "401" in spec["paths"]["/threads/search"]["post"]["responses"]
    assert "401" in spec["paths"]["/store/items"]["put"]["responses"]
    assert spec["paths"]["/ok"]["get"]["security"] == []


async def test_unknown_paths_are_a_404_not_a_401(http: Http) -> None:
    reply = await http("GET", "/nowhere")
    assert reply.status == 404, reply


@pytest.mark.parametrize("method, path", [
    ("POST", "/threads"), ("GET", "/threads/00000000-0000-4000-8000-000000000000"), ("PUT", "/store/items"),
    ("POST", "/runs/stream"), ("DELETE", "/assistants/00000000-0000-4000-8000-000000000000"),
])
async def test_cors_preflight_needs_no_credentials(http: Http, method: str, path: str) -> None:
    reply = await http("OPTIONS", path, headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert reply.status == 200, reply
    assert reply.headers["Access-Control-Allow-Origin"] in ("*", "https://app.example")
    assert method in reply.headers["Access-Control-Allow-Methods"]
    assert "authorization" in reply.headers["Access-Control-Allow-Headers"].lower()


async def test_a_401_carries_the_cors_headers(http: Http) -> None:
    """A browser must be able to read the 401 (to log the user in again)."""
    reply = await http("POST", "/threads/search", {}, headers={"Origin": "https://app.example"})
    assert reply.status == 401
    assert reply.headers["Access-Control-Allow-Origin"] in ("*", "https://app.example")


async def test_a_refused_user_may_not_prune_even_nothing(http: Http) -> None:
    """`threads.delete` is asked once per thread, and once for an empty list."""
    reply = await http("POST", "/threads/prune", {"thread_ids": []}, user="mallory")
    assert reply.status == 403, reply
    assert (await http("POST", "/threads/prune", {"thread_ids": []}, user="alice")).body == {"pruned_count": 0}
