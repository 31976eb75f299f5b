"""The shapes of custom auth code (reference §8.1, §8.2), each in a small project written
to a scratch folder: every parameter `authenticate` may ask for and every value it may
return, sync and async; what a server refuses to start with; how
`Auth.exceptions.HTTPException`, `AssertionError` and other exceptions from auth code
come out; which handler applies to a (resource, action), most specific first; and
filters a handler may not return."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from auth_support import (  # noqa: F401  (fixtures)
    Http,
    Project,
    Serve,
    project,
    sdk,
    serve_project,
)
from conftest import make_app

from threadloom.server.sections import ConfigError

ROOT = Path(__file__).resolve().parent.parent
MISSING = "00000000-0000-4000-8000-000000000000"


# authenticate: what it is given ------------------------------------------------------------------

PROBE = """
import json, threading
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(request, path, method, headers, authorization, query_params, path_params,
                       scope, scopes, user, body):
    seen = {
        "request": [request.method, request.url.path, request.headers.get("x-probe")],
        "path": path, "method": method,
        "headers": {k.decode(): v.decode() for k, v in headers.items()},
        "headers_bytes": all(isinstance(k, bytes) and isinstance(v, bytes) and k == k.lower() for k, v in headers.items()),
        "authorization": authorization, "query_params": query_params, "path_params": path_params,
        "scope": {"type": scope["type"], "method": scope["method"], "path": scope["path"],
                  "headers_bytes": all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in scope["headers"])},
        "scopes": list(scopes), "user": [getattr(user, "identity", None), getattr(user, "is_authenticated", None)],
        "body": body,
    }
    raise Auth.exceptions.HTTPException(status_code=418, detail=json.dumps(seen))
"""


async def test_authenticate_gets_every_parameter_it_names(serve_project: Serve, session: aiohttp.ClientSession) -> None:
    http = Http(await serve_project(PROBE), session)
    path = f"/threads/{MISSING}/history"
    reply = await http("POST", path + "?limit=3&x=y", {"limit": 3}, headers={
        "Authorization": "Bearer tok", "X-Probe": "Yes",
    })
    assert reply.status == 418, reply
    seen = json.loads(reply.detail)
    assert seen["request"] == ["POST", path, "Yes"]
    assert (seen["path"], seen["method"], seen["authorization"]) == (path, "POST", "Bearer tok")
    assert seen["headers_bytes"] is True
    assert seen["headers"]["x-probe"] == "Yes" and seen["headers"]["authorization"] == "Bearer tok"
    assert seen["query_params"] == {"limit": "3", "x": "y"}
    assert seen["path_params"] == {"thread_id": MISSING}
    assert seen["scope"] == {"type": "http", "method": "POST", "path": path, "headers_bytes": True}
    assert seen["scopes"] == []
    assert seen["user"][1] is False  # nobody is authenticated yet
    assert seen["body"] == {"limit": 3}

    # no Authorization header: None; no body: None
    reply = await http("GET", "/assistants/" + MISSING)
    seen = json.loads(reply.detail)
    assert (seen["authorization"], seen["body"], seen["query_params"]) == (None, None, {})


# authenticate: what it may return ----------------------------------------------------------------

RETURNS = """
from langgraph_sdk import Auth

auth = Auth()

class Creds:
    scopes = ["scoped"]

class Person:
    identity = "object-user"
    display_name = "An Object"
    is_authenticated = True
    permissions = ["obj:read"]

@auth.authenticate
async def authenticate(authorization: str | None):
    kind = (authorization or "").removeprefix("Bearer ")
    if kind == "str":
        return "string-user"
    if kind == "dict":
        return {"identity": "dict-user", "permissions": ["a", "b"], "display_name": "Dict User",
                "is_authenticated": True, "org": "acme", "tier": 3}
    if kind == "bare-dict":
        return {"identity": "bare"}
    if kind == "object":
        return Person()
    if kind == "tuple":
        return (["t:1", "t:2"], "tuple-user")
    if kind == "tuple-dict":
        return (Creds(), {"identity": "tuple-dict-user", "org": "zeta"})
    if kind == "none":
        return None
    if kind == "no-identity":
        return {"permissions": ["x"]}
    if kind == "bad-permissions":
        return {"identity": "x", "permissions": "admin"}
    if kind == "crash":
        raise ValueError("the auth code's own bug")
    raise Auth.exceptions.HTTPException(status_code=401, detail="who are you?")
"""

RETURNED = {
    "str": {"identity": "string-user", "display_name": "string-user", "is_authenticated": True, "permissions": []},
    "dict": {"identity": "dict-user", "display_name": "Dict User", "is_authenticated": True, "permissions": ["a", "b"],
             "org": "acme", "tier": 3},
    "bare-dict": {"identity": "bare", "display_name": "bare", "is_authenticated": True, "permissions": []},
    "object": {"identity": "object-user", "display_name": "An Object", "is_authenticated": True, "permissions": ["obj:read"]},
    "tuple": {"identity": "tuple-user", "display_name": "tuple-user", "is_authenticated": True, "permissions": ["t:1", "t:2"]},
    "tuple-dict": {"identity": "tuple-dict-user", "display_name": "tuple-dict-user", "is_authenticated": True,
                   "permissions": ["scoped"], "org": "zeta"},
}


async def _whoami(url: str, token: str) -> dict[str, Any]:
    client = sdk(url, headers={"Authorization": f"Bearer {token}"})
    try:
        result = await client.runs.wait(None, "whoami", input={})
    finally:
        await client.http.client.aclose()
    return result["seen"]


@pytest.mark.parametrize("kind", sorted(RETURNED))
async def test_every_return_form_makes_a_user(serve_project: Serve, kind: str) -> None:
    seen = await _whoami(await serve_project(RETURNS), kind)
    expected = RETURNED[kind]
    assert seen["user"] == expected
    assert (seen["identity"], seen["item"], seen["user_id"]) == (expected["identity"],) * 3
    assert seen["permissions"] == expected["permissions"]


@pytest.mark.parametrize("kind", ["none", "no-identity", "bad-permissions", "crash"])
async def test_what_authenticate_may_not_do_is_a_500(
    serve_project: Serve, session: aiohttp.ClientSession, kind: str
) -> None:
    http = Http(await serve_project(RETURNS), session)
    reply = await http("POST", "/threads", {}, headers={"Authorization": f"Bearer {kind}"})
    assert reply.status == 500, reply
    assert isinstance(reply.detail, str)
    # the server goes on: the next request is answered
    assert (await http("POST", "/threads", {}, headers={"Authorization": "Bearer str"})).status == 200


SYNC = """
import threading
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
def authenticate(authorization: str | None, path: str):
    if authorization != "Bearer sync":
        raise Auth.exceptions.HTTPException(status_code=401, detail="no")
    return {"identity": "sync-user", "thread": threading.current_thread().name,
            "main": threading.current_thread() is threading.main_thread()}
"""


async def test_a_sync_authenticate_runs_off_the_event_loop(serve_project: Serve) -> None:
    seen = await _whoami(await serve_project(SYNC), "sync")
    assert seen["identity"] == "sync-user"
    assert seen["user"]["main"] is False  # a blocking check does not stall the server


OPTIONAL = """
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(headers, tenant: str = "default", *args, **kwargs):
    return {"identity": "optional-" + tenant}
"""


async def test_parameters_with_defaults_may_be_anything(serve_project: Serve) -> None:
    assert (await _whoami(await serve_project(OPTIONAL), "x"))["identity"] == "optional-default"


# what a server refuses to start with -----------------------------------------------------------

NOT_STARTING = {
    "unknown parameter": ("""
        from langgraph_sdk import Auth
        auth = Auth()

        @auth.authenticate
        async def authenticate(authorization, tenant):
            return "x"
        """, "tenant"),
    "no authenticate": ("""
        from langgraph_sdk import Auth
        auth = Auth()

        @auth.on
        async def everyone(ctx, value):
            return None
        """, "@auth.authenticate"),
    "not an Auth": ("""
        auth = {"authenticate": None}
        """, "langgraph_sdk.Auth"),
    "missing attribute": ("""
        from langgraph_sdk import Auth
        other = Auth()
        """, "'auth'"),
    "import error": ("""
        import no_such_module_here
        """, "no_such_module_here"),
}


@pytest.mark.parametrize("case", sorted(NOT_STARTING))
def test_unusable_auth_code_is_a_config_error(project: Project, case: str) -> None:
    code, named = NOT_STARTING[case]
    config = project(code)
    with pytest.raises(ConfigError) as raised:
        make_app(config=config)
    message = str(raised.value)
    assert message.startswith("auth.path"), message
    assert "\n" not in message
    assert named in message


def test_a_missing_auth_file_is_a_config_error(project: Project) -> None:
    config = project("from langgraph_sdk import Auth\nauth = Auth()\n")
    raw = json.loads(config.read_text())
    raw["auth"]["path"] = "./nowhere.py:auth"
    config.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=r"^auth\.path: .*nowhere\.py"):
        make_app(config=config)


async def test_the_cli_exits_2_with_one_line_naming_auth_path(project: Project) -> None:
    config = project(NOT_STARTING["no authenticate"][0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLOOM_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "python"), "-m", "server", "--config", str(config), "--memory", "--port", "0",
        cwd=config.parent, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 2, err
    assert len(lines) == 1 and "auth.path" in lines[0] and "@auth.authenticate" in lines[0], lines


# exceptions from auth code ----------------------------------------------------------------------

RAISES = """
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    token = (authorization or "").removeprefix("Bearer ")
    if token == "":
        raise Auth.exceptions.HTTPException(status_code=401, detail="Log in first",
                                            headers={"WWW-Authenticate": 'Bearer realm="test"'})
    if token == "teapot":
        raise Auth.exceptions.HTTPException(status_code=418, detail="I'm a teapot")
    if token == "busy":
        raise Auth.exceptions.HTTPException(status_code=429, detail="Slow down", headers={"Retry-After": "7"})
    if token == "plain":
        raise Auth.exceptions.HTTPException(status_code=403)
    return {"identity": token}

@auth.on
async def by_identity(ctx: Auth.types.AuthContext, value):
    who = ctx.user.identity
    if who == "forbidden":
        raise Auth.exceptions.HTTPException(status_code=403, detail="Not for you", headers={"X-Why": "policy"})
    if who == "hidden":
        raise Auth.exceptions.HTTPException(status_code=404, detail="Nothing here")
    if who == "limited":
        raise Auth.exceptions.HTTPException(status_code=429, detail="Too many", headers={"Retry-After": "3"})
    if who == "asserts":
        assert False, "never"
    if who == "refused":
        return False
    if who == "crashes":
        raise RuntimeError("the handler's own bug")
    if who == "allowed":
        return True
    return None
"""


async def test_authenticate_exceptions_keep_status_detail_and_headers(
    serve_project: Serve, session: aiohttp.ClientSession
) -> None:
    http = Http(await serve_project(RAISES), session)
    reply = await http("POST", "/threads/search", {})
    assert (reply.status, reply.body) == (401, {"detail": "Log in first"})
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="test"'
    reply = await http("POST", "/threads/search", {}, headers={"Authorization": "Bearer teapot"})
    assert (reply.status, reply.body) == (418, {"detail": "I'm a teapot"})
    reply = await http("GET", "/store/items?key=k", headers={"Authorization": "Bearer busy"})
    assert (reply.status, reply.body, reply.headers["Retry-After"]) == (429, {"detail": "Slow down"}, "7")
    reply = await http("POST", "/threads", {}, headers={"Authorization": "Bearer plain"})
    assert (reply.status, reply.body) == (403, {"detail": "Forbidden"})  # the status's own phrase


@pytest.mark.parametrize("who, status, body, headers", [
    ("forbidden", 403, {"detail": "Not for you"}, {"X-Why": "policy"}),
    ("hidden", 404, {"detail": "Nothing here"}, {}),
    ("limited", 429, {"detail": "Too many"}, {"Retry-After": "3"}),
    ("asserts", 403, {"detail": "Forbidden"}, {}),
    ("refused", 403, {"detail": "Forbidden"}, {}),
    ("crashes", 500, None, {}),
])
async def test_handler_exceptions(
    serve_project: Serve, session: aiohttp.ClientSession, who: str, status: int, body: Any, headers: dict[str, str]
) -> None:
    http = Http(await serve_project(RAISES), session)
    made = await http("POST", "/threads", {}, headers={"Authorization": "Bearer allowed"})
    assert made.status == 200, made
    tid = made.body["thread_id"]
    for method, path, sent in (("GET", f"/threads/{tid}", None), ("POST", "/threads/search", {}),
                               ("POST", "/runs/wait", {"assistant_id": "counter"}), ("PUT", "/store/items",
                               {"namespace": ["a"], "key": "k", "value": {}})):
        reply = await http(method, path, sent, headers={"Authorization": f"Bearer {who}"})
        assert reply.status == status, (path, reply)
        assert isinstance(reply.detail, str), reply
        if body is not None:
            assert reply.body == body, (path, reply)
        for name, value in headers.items():
            assert reply.headers.get(name) == value
    # nothing was done on their behalf
    assert (await http("GET", f"/threads/{tid}", headers={"Authorization": "Bearer allowed"})).body["metadata"] == {}


# which handler applies ---------------------------------------------------------------------------

RESOLUTION = """
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    return "someone"

def says(name):
    async def handler(ctx: Auth.types.AuthContext, value):
        raise Auth.exceptions.HTTPException(status_code=418, detail=f"{name} for {ctx.resource}.{ctx.action}")
    handler.__name__ = name.replace(".", "_").replace("*", "any")
    return handler

auth.on(says("global"))
auth.on.threads.create(says("threads.create"))
auth.on.threads(says("threads.*"))
auth.on(actions="read")(says("*.read"))
auth.on(actions="delete")(says("*.delete"))
auth.on.crons.create(says("crons.create"))
auth.on.store.put(says("store.put"))
auth.on(resources="store", actions=["get", "search"])(says("store.get|search"))
"""

# (request, the handler that answers, for which resource.action)
RESOLVED = [
    (("POST", "/threads", {}), "threads.create", "threads.create"),
    (("GET", f"/threads/{MISSING}", None), "threads.*", "threads.read"),  # (resource, *) over (*, action)
    (("DELETE", f"/threads/{MISSING}", None), "threads.*", "threads.delete"),
    (("POST", "/threads/search", {}), "threads.*", "threads.search"),
    (("POST", f"/threads/{MISSING}/runs", {"assistant_id": "counter"}), "threads.*", "threads.create_run"),
    (("GET", f"/assistants/{MISSING}", None), "*.read", "assistants.read"),  # (*, action) over global
    (("DELETE", f"/assistants/{MISSING}", None), "*.delete", "assistants.delete"),
    (("POST", "/assistants", {"graph_id": "counter"}), "global", "assistants.create"),
    (("POST", "/assistants/search", {}), "global", "assistants.search"),
    (("PATCH", f"/assistants/{MISSING}", {"name": "x"}), "global", "assistants.update"),
    (("POST", "/runs/crons", {"assistant_id": "counter", "schedule": "0 0 1 1 *"}), "crons.create", "crons.create"),
    (("GET", f"/runs/crons/{MISSING}", None), "*.read", "crons.read"),
    (("DELETE", f"/runs/crons/{MISSING}", None), "*.delete", "crons.delete"),
    (("POST", "/runs/crons/search", {}), "global", "crons.search"),
    (("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}}), "store.put", "store.put"),
    (("GET", "/store/items?namespace=a&key=k", None), "store.get|search", "store.get"),
    (("POST", "/store/items/search", {}), "store.get|search", "store.search"),
    (("DELETE", "/store/items", {"namespace": ["a"], "key": "k"}), "*.delete", "store.delete"),
    (("POST", "/store/namespaces", {}), "global", "store.list_namespaces"),
]


async def test_the_most_specific_handler_applies(serve_project: Serve, session: aiohttp.ClientSession) -> None:
    http = Http(await serve_project(RESOLUTION), session)
    answers = []
    for (method, path, body), handler, action in RESOLVED:
        reply = await http(method, path, body, headers={"Authorization": "Bearer x"})
        answers.append((method, path, reply.status, reply.detail))
    assert answers == [(m, p, 418, f"{h} for {a}") for (m, p, _), h, a in RESOLVED]


NO_HANDLERS = """
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="no")
    return authorization.removeprefix("Bearer ").removesuffix("-token")

@auth.on.threads.create
async def only_this(ctx, value):
    return False
"""


async def test_without_a_handler_everything_is_allowed(serve_project: Serve, caplog: pytest.LogCaptureFixture) -> None:
    """Fail-open, with a warning at start naming what no handler covers."""
    with caplog.at_level("WARNING", logger="threadloom.auth"):
        url = await serve_project(NO_HANDLERS)
    warning = " ".join(r.getMessage() for r in caplog.records if r.name == "threadloom.auth")
    assert "threads.read" in warning and "store.put" in warning and "threads.create," not in warning + ","
    ann, ben = sdk(url, "ann"), sdk(url, "ben")
    try:
        assistant = await ann.assistants.create("counter")
        assert (await ben.assistants.get(assistant["assistant_id"]))["assistant_id"] == assistant["assistant_id"]
        await ann.store.put_item(["shared"], "k", {"v": 1})
        assert (await ben.store.get_item(["shared"], "k"))["value"] == {"v": 1}
        with pytest.raises(Exception) as refused:
            await ben.threads.create()
        assert getattr(refused.value, "response").status_code == 403
    finally:
        await ann.http.client.aclose()
        await ben.http.client.aclose()


# filters a handler may not return ------------------------------------------------------------------

INVALID_FILTERS = """
from langgraph_sdk import Auth

auth = Auth()

FILTERS = {
    "three-deep": {"$or": [{"$and": [{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}]}, {"d": 4}]},
    "lonely-or": {"$or": [{"a": 1}]},
    "empty-and": {"$and": []},
    "unknown-top": {"$nor": [{"a": 1}, {"b": 2}]},
    "unknown-op": {"a": {"$gt": 1}},
    "two-ops": {"a": {"$eq": 1, "$contains": 1}},
    "not-a-dict": ["a", 1],
    "or-of-strings": {"$or": ["a", "b"]},
}

@auth.authenticate
async def authenticate(authorization: str | None):
    return (authorization or "Bearer fine").removeprefix("Bearer ")

@auth.on
async def filtered(ctx: Auth.types.AuthContext, value):
    return FILTERS.get(ctx.user.identity)
"""

BAD_FILTERS = ["three-deep", "lonely-or", "empty-and", "unknown-top", "unknown-op", "two-ops", "not-a-dict", "or-of-strings"]


async def test_invalid_filters_are_a_500_not_a_crash(serve_project: Serve, session: aiohttp.ClientSession) -> None:
    http = Http(await serve_project(INVALID_FILTERS), session)
    made = await http("POST", "/threads", {"metadata": {"a": 1}}, headers={"Authorization": "Bearer fine"})
    assert made.status == 200, made
    tid = made.body["thread_id"]
    for name in BAD_FILTERS:
        for method, path, body in (
            ("GET", f"/threads/{tid}", None), ("POST", "/threads/search", {}), ("POST", "/assistants/count", {}),
            ("POST", f"/threads/{tid}/runs/wait", {"assistant_id": "counter"}),
        ):
            reply = await http(method, path, body, headers={"Authorization": f"Bearer {name}"})
            assert reply.status == 500, (name, path, reply)
            assert isinstance(reply.detail, str), (name, path, reply)
    # the server goes on, and nothing ran on the thread
    assert (await http("GET", f"/threads/{tid}/runs", headers={"Authorization": "Bearer fine"})).body == []
    assert (await http("GET", "/ok")).status == 200


def test_filters_two_deep_are_fine() -> None:
    from threadloom.protocol.filters import InvalidFilter, check_filter, matches

    two_deep = {"$or": [{"$and": [{"a": 1}, {"b": {"$contains": "x"}}]}, {"c": {"$eq": 3}}]}
    assert check_filter(two_deep) is two_deep
    assert matches({"a": 1, "b": ["x", "y"]}, two_deep)
    assert matches({"c": 3}, two_deep)
    assert not matches({"a": 1, "b": ["y"]}, two_deep)
    assert not matches(None, two_deep)
    with pytest.raises(InvalidFilter):
        check_filter({"$or": [{"$and": [{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}]}, {"d": 4}]})
    # JSON equality: true is not 1, 1 is 1.0, "1" is not 1
    assert matches({"a": 1.0}, {"a": 1}) and not matches({"a": True}, {"a": 1}) and not matches({"a": "1"}, {"a": 1})
    assert not matches({}, {"a": None}) and matches({"a": None}, {"a": None})
