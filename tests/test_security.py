"""Security basics (issue 6): every response carries an `X-Request-ID` (the client's own
when sane, else a fresh UUID) and runs carry the id of the request that created them;
errors from graphs reach clients masked unless their type is on the allow-list (reference
§1.1); and no secret reaches the logs: `server.redact` unit by unit, then a real
`python -m server` driven with credentials, crashing auth code, a leaky graph and a
webhook whose header comes from the environment, whose whole output is then searched."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import textwrap
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from auth_support import AUTH_CONFIG, Http, Reply, serve, write_project
from conftest import make_app

from threadloom.server import redact
from threadloom.server.redact import REDACTED, Redactor, request_secrets, secret_values

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
WHOAMI = TESTS / "auth" / "whoami.py"
MASKED = "An internal error occurred"
LEAK = "hunter2"  # in the message of the `failing` graph's `Boom` (not an allow-listed type)


def is_fresh_uuid(value: str | None) -> bool:
    try:
        parsed = uuid.UUID(value or "")
    except ValueError:
        return False
    return str(parsed) == value and parsed.version == 4


@pytest.fixture
async def http(url: str, session: aiohttp.ClientSession) -> Http:
    return Http(url, session)


async def raw(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any, str]:
    """Status, headers and the whole body as text (a stream read to its end)."""
    async with session.request(method, url, **kwargs) as resp:
        return resp.status, resp.headers, await resp.text()


async def new_thread(http: Http, **kwargs: Any) -> str:
    reply = await http("POST", "/threads", {}, **kwargs)
    assert reply.status == 200, reply
    return reply.body["thread_id"]


async def finished_run(http: Http, graph: str = "counter", **kwargs: Any) -> tuple[str, str]:
    tid = await new_thread(http, **kwargs)
    reply = await http("POST", f"/threads/{tid}/runs/wait", {"assistant_id": graph, "input": {}}, **kwargs)
    assert reply.status == 200, reply
    runs = await http("GET", f"/threads/{tid}/runs", **kwargs)
    return tid, runs.body[0]["run_id"]


# 1. request ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["abc-123", "A.b:c_d-9", "x" * 128, "7", str(uuid.uuid4())])
async def test_a_sane_request_id_is_echoed(http: Http, given: str) -> None:
    reply = await http("GET", "/ok", headers={"X-Request-ID": given})
    assert reply.status == 200 and reply.headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["x" * 129, "has space", "<script>alert(1)</script>", "a/b", "a;b", "a,b", "ab\tc", "", " ", "é-unicode"]
)
async def test_a_malformed_request_id_is_replaced_by_a_fresh_uuid(http: Http, given: str) -> None:
    reply = await http("GET", "/ok", headers={"X-Request-ID": given})
    assert reply.status == 200
    assert reply.headers["X-Request-ID"] != given and is_fresh_uuid(reply.headers["X-Request-ID"])
    assert len(reply.headers.getall("X-Request-ID")) == 1


async def test_without_a_request_id_every_request_gets_its_own(http: Http) -> None:
    ids = [(await http("GET", "/ok")).headers.get("X-Request-ID") for _ in range(5)]
    ids += [(await http("POST", "/threads", {})).headers.get("X-Request-ID") for _ in range(5)]
    assert all(is_fresh_uuid(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


Request = tuple[str, str, Any, int]  # method, path, body (JSON, or raw bytes), expected status
Case = Callable[[Http], Awaitable[Request]]
COUNTER = {"assistant_id": "counter", "input": {}}
FIXED_THREAD = "00000000-0000-4000-8000-000000000001"


async def _thread(http: Http, method: str, suffix: str, body: Any, status: int) -> Request:
    return method, f"/threads/{await new_thread(http)}{suffix}", body, status


async def _run(http: Http, suffix: str) -> Request:
    tid, rid = await finished_run(http)
    return "GET", f"/threads/{tid}/runs/{rid}{suffix}", None, 200


async def _conflict(http: Http) -> Request:
    body = {"thread_id": FIXED_THREAD, "if_exists": "raise"}
    await http("POST", "/threads", body)
    return "POST", "/threads", body, 409


def _fixed(method: str, path: str, body: Any, status: int) -> Case:
    async def case(http: Http) -> Request:
        return method, path, body, status
    return case


CASES: dict[str, Case] = {
    "200 ok": _fixed("GET", "/ok", None, 200),
    "200 info": _fixed("GET", "/info", None, 200),
    "200 metrics": _fixed("GET", "/metrics", None, 200),
    "200 openapi": _fixed("GET", "/openapi.json", None, 200),
    "200 create thread": _fixed("POST", "/threads", {}, 200),
    "200 search": _fixed("POST", "/threads/search", {}, 200),
    "204 delete thread": lambda h: _thread(h, "DELETE", "", None, 204),
    "404 no such thread": _fixed("GET", f"/threads/{uuid.uuid4()}", None, 404),
    "404 no such route": _fixed("GET", "/no/such/route", None, 404),
    "405 method": _fixed("PUT", "/threads", None, 405),
    "409 conflict": _conflict,
    "422 bad uuid": _fixed("GET", "/threads/not-a-uuid", None, 422),
    "422 bad body": _fixed("POST", "/threads/search", {"limit": "x"}, 422),
    "422 not json": _fixed("POST", "/threads", b"{not json", 422),
    "200 sse stream": lambda h: _thread(h, "POST", "/runs/stream", COUNTER, 200),
    "200 sse stateless": _fixed("POST", "/runs/stream", COUNTER, 200),
    "200 wait": lambda h: _thread(h, "POST", "/runs/wait", COUNTER, 200),
    "200 wait stateless": _fixed("POST", "/runs/wait", COUNTER, 200),
    "200 run": lambda h: _run(h, ""),
    "200 join": lambda h: _run(h, "/join"),
    "200 join stream": lambda h: _run(h, "/stream"),
    "200 cors preflight": _fixed("OPTIONS", "/threads", None, 200),
}


async def send(session: aiohttp.ClientSession, method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    if isinstance(body, bytes):
        kwargs: dict[str, Any] = {"data": body, "headers": {**headers, "Content-Type": "application/json"}}
    else:
        kwargs = {"headers": headers, **({} if body is None else {"json": body})}
    status, resp_headers, _ = await raw(session, method, url, **kwargs)
    return status, resp_headers


@pytest.mark.parametrize("case", list(CASES))
async def test_every_kind_of_response_carries_the_request_id(http: Http, session: aiohttp.ClientSession, case: str) -> None:
    method, path, body, status = await CASES[case](http)
    headers = {"Origin": "https://app.example.com"}
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
    given = f"req-{case.replace(' ', '-')}"
    got, resp_headers = await send(session, method, http.url + path, body, {**headers, "X-Request-ID": given})
    assert (got, resp_headers.get("X-Request-ID")) == (status, given)
    if method == "DELETE" or case.startswith("409"):
        return  # done once
    got, resp_headers = await send(session, method, http.url + path, body, headers)
    assert got == status and is_fresh_uuid(resp_headers.get("X-Request-ID"))


async def test_a_sse_stream_carries_the_request_id_before_its_first_event(
    http: Http, session: aiohttp.ClientSession
) -> None:
    """The header goes out with the stream's headers, not at its end."""
    tid = await new_thread(http)
    body = {"assistant_id": "slow", "input": {"steps": 40, "delay": 0.05, "tag": "t"}}
    async with session.post(f"{http.url}/threads/{tid}/runs/stream", json=body,
                            headers={"X-Request-ID": "sse-early"}) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["X-Request-ID"] == "sse-early"
        first = await resp.content.readline()
        assert first.startswith(b"event: metadata")


async def test_auth_refusals_and_crashes_carry_the_request_id(
    aiohttp_server: Any, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    http = Http(await serve(aiohttp_server, AUTH_CONFIG), session)
    for user, headers, status in [
        (None, {}, 401),
        (None, {"Authorization": "Bearer not-a-user-token"}, 401),
        ("mallory", {}, 403),
        ("alice", {}, 200),
    ]:
        reply = await http("POST", "/threads/search", {}, user=user, headers={**headers, "X-Request-ID": f"auth-{status}"})
        assert (reply.status, reply.headers.get("X-Request-ID")) == (status, f"auth-{status}")
        reply = await http("POST", "/threads/search", {}, user=user, headers=headers)
        assert reply.status == status and is_fresh_uuid(reply.headers.get("X-Request-ID"))
    crashing = Http(await serve(aiohttp_server, write_project(tmp_path / "crash", CRASHING_AUTH)), session)
    reply = await crashing("POST", "/threads/search", {}, headers={
        "Authorization": "Bearer crash-0123456789", "X-Request-ID": "auth-500"})
    assert (reply.status, reply.headers.get("X-Request-ID")) == (500, "auth-500")
    assert reply.body == {"detail": "Internal Server Error"}  # the exception's message is not shown


CRASHING_AUTH = """
    from langgraph_sdk import Auth

    auth = Auth()


    @auth.authenticate
    async def authenticate(authorization: str | None) -> str:
        token = (authorization or "").removeprefix("Bearer ")
        if token.startswith("crash-"):
            raise RuntimeError(f"cannot verify {authorization}")
        if token.startswith("rawcrash-"):
            raise RuntimeError(f"unknown key {token}")
        return "alice"
"""


# the request id a run carries


@pytest.fixture
async def whoami_url(aiohttp_server: Any, tmp_path: Path) -> str:
    """A server without custom auth on a project whose `whoami` graph reports its
    configurable's `langgraph_request_id`."""
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"whoami": f"{WHOAMI}:whoami"}}))
    server = await aiohttp_server(make_app(config=config))
    return str(server.make_url("")).rstrip("/")


async def test_a_run_carries_the_id_of_the_request_that_created_it(whoami_url: str, session: aiohttp.ClientSession) -> None:
    http = Http(whoami_url, session)
    tid = await new_thread(http)
    spoof = {"assistant_id": "whoami", "input": {}, "config": {"configurable": {"langgraph_request_id": "spoofed"}}}
    created = await http("POST", f"/threads/{tid}/runs", spoof, headers={"X-Request-ID": "abc-123"})
    assert created.status == 200 and created.headers["X-Request-ID"] == "abc-123"
    rid = created.body["run_id"]
    assert created.body["kwargs"]["config"]["configurable"]["langgraph_request_id"] == "abc-123"
    joined = await http("GET", f"/threads/{tid}/runs/{rid}/join", headers={"X-Request-ID": "someone-else"})
    assert joined.body["seen"]["request_id"] == "abc-123"  # what the graph saw
    read = await http("GET", f"/threads/{tid}/runs/{rid}", headers={"X-Request-ID": "someone-else"})
    assert read.body["kwargs"]["config"]["configurable"]["langgraph_request_id"] == "abc-123"
    state = await http("GET", f"/threads/{tid}/state")
    assert state.body["values"]["seen"]["request_id"] == "abc-123"

    # no X-Request-ID: the run carries the one the server made up (and sent back)
    again = await http("POST", f"/threads/{tid}/runs/wait", {"assistant_id": "whoami", "input": {}})
    assert is_fresh_uuid(again.headers["X-Request-ID"])
    assert again.body["seen"]["request_id"] == again.headers["X-Request-ID"]
    runs = await http("GET", f"/threads/{tid}/runs")
    assert {r["kwargs"]["config"]["configurable"]["langgraph_request_id"] for r in runs.body} == {
        "abc-123", again.headers["X-Request-ID"]}

    # a malformed one is not what the run carries either
    bad = await http("POST", "/runs/wait", {"assistant_id": "whoami", "input": {}}, headers={"X-Request-ID": "<x>"})
    assert bad.body["seen"]["request_id"] == bad.headers["X-Request-ID"] != "<x>"


async def test_streamed_and_stateless_runs_carry_the_request_id(whoami_url: str, session: aiohttp.ClientSession) -> None:
    http = Http(whoami_url, session)
    tid = await new_thread(http)
    for path in (f"/threads/{tid}/runs/stream", "/runs/stream"):
        status, headers, text = await raw(session, "POST", whoami_url + path, json={"assistant_id": "whoami", "input": {}},
                                          headers={"X-Request-ID": "stream-7"})
        assert status == 200 and headers["X-Request-ID"] == "stream-7"
        values = [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: {\"seen\"")]
        assert values and values[-1]["seen"]["request_id"] == "stream-7", text
    waited = await http("POST", "/runs/wait", {"assistant_id": "whoami", "input": {}}, headers={"X-Request-ID": "wait-8"})
    assert (waited.headers["X-Request-ID"], waited.body["seen"]["request_id"]) == ("wait-8", "wait-8")


# 2. errors from graphs ---------------------------------------------------------------------------


def sse_events(text: str) -> list[tuple[str, Any]]:
    events, name = [], None
    for line in text.splitlines():
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: ") and name is not None:
            events.append((name, json.loads(line[len("data: "):])))
    return events


EXPECTED = {
    True: {"error": "Boom", "message": MASKED},  # Boom("database password is hunter2")
    False: {"error": "ValueError", "message": "kaboom"},  # an allow-listed type: shown as it is
}


@pytest.mark.parametrize("secret", [True, False], ids=["masked", "shown"])
async def test_graph_errors_are_masked_unless_allow_listed(
    http: Http, session: aiohttp.ClientSession, secret: bool
) -> None:
    expected, body = EXPECTED[secret], {"assistant_id": "failing", "input": {"secret": secret}}
    seen: list[str] = []

    # streams, thread-bound and stateless: the `error` event
    tid = await new_thread(http)
    for path in (f"/threads/{tid}/runs/stream", "/runs/stream"):
        status, _, text = await raw(session, "POST", http.url + path, json=body)
        assert status == 200 and sse_events(text)[-1] == ("error", expected), text
        seen.append(text)

    # /wait, thread-bound and stateless: `{"__error__": …}`
    tid = await new_thread(http)
    for path in (f"/threads/{tid}/runs/wait", "/runs/wait"):
        status, _, text = await raw(session, "POST", http.url + path, json=body)
        assert (status, json.loads(text)) == (200, {"__error__": expected})
        seen.append(text)

    # read back: the thread's error, the run, its join and its stream
    thread = await http("GET", f"/threads/{tid}")
    assert thread.body["status"] == "error" and thread.body["error"] == expected
    runs = await http("GET", f"/threads/{tid}/runs")
    rid = runs.body[0]["run_id"]
    assert runs.body[0]["status"] == "error"
    for path in (f"/threads/{tid}", f"/threads/{tid}/runs", f"/threads/{tid}/runs/{rid}"):
        seen.append((await raw(session, "GET", http.url + path))[2])
    status, _, text = await raw(session, "GET", f"{http.url}/threads/{tid}/runs/{rid}/join")
    assert json.loads(text) == {"__error__": expected}
    seen.append(text)
    status, _, text = await raw(session, "POST", f"{http.url}/threads/search", json={})
    seen.append(text)
    assert all(LEAK not in text for text in seen)
    if not secret:
        assert any("kaboom" in text for text in seen)


async def test_the_sdk_sees_the_masked_error(client: Any) -> None:
    thread = await client.threads.create()
    parts = [p async for p in client.runs.stream(thread["thread_id"], "failing", input={"secret": True})]
    assert (parts[-1].event, parts[-1].data) == ("error", EXPECTED[True])
    waited = await client.runs.wait(thread["thread_id"], "failing", input={"secret": True}, raise_error=False)
    assert waited == {"__error__": EXPECTED[True]}


async def test_the_thread_state_does_not_show_the_masked_message(http: Http, session: aiohttp.ClientSession) -> None:
    tid = await new_thread(http)
    await http("POST", f"/threads/{tid}/runs/wait", {"assistant_id": "failing", "input": {"secret": True}})
    state = (await raw(session, "GET", f"{http.url}/threads/{tid}/state"))[2]
    history = (await raw(session, "POST", f"{http.url}/threads/{tid}/history", json={}))[2]
    assert "Boom" in state  # the failed task is there
    assert LEAK not in state and LEAK not in history


# 3. secrets never logged: server.redact --------------------------------------------------------


@pytest.fixture
def redactor() -> Redactor:
    return Redactor({"sk-test-secret-value", "whsec-secret-value"})


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer alice-token-1", "alice-token-1"),
    ("authorization=Bearer alice-token-1", "alice-token-1"),
    ("{'Authorization': 'Bearer alice-token-1', 'Host': '127.0.0.1'}", "alice-token-1"),
    ('{"authorization": "Basic dXNlcjpwYXNz"}', "dXNlcjpwYXNz"),
    ("<CIMultiDictProxy('Host': 'h', 'Authorization': 'Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl')>", "eyJhbGciOi"),
    ("x-api-key: sk-abc-123456", "sk-abc-123456"),
    ('{"X-Api-Key": "sk-abc-123456"}', "sk-abc-123456"),
    # the `headers` an @auth.authenticate gets are bytes
    ("{b'host': b'h', b'x-api-key': b'sk-abc-123456', b'authorization': b'Bearer tok-987654'}", "sk-abc-123456"),
    ("{b'host': b'h', b'x-api-key': b'sk-abc-123456', b'authorization': b'Bearer tok-987654'}", "tok-987654"),
    ("cannot verify Bearer sk_live_abcdef0123", "abcdef0123"),
    ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c"),
    ('{"password": "correct horse battery staple"}', "horse"),
    ("password=hunter22 user=bob", "hunter22"),
    ("openai_api_key='sk-proj-abcdef123'", "sk-proj-abcdef123"),
    ('{"client_secret": "cs-000111222", "access_token": "at-333444555"}', "cs-000111222"),
    ('{"client_secret": "cs-000111222", "access_token": "at-333444555"}', "at-333444555"),
    ("GET /threads?api_key=qk-abcdef123&limit=3", "qk-abcdef123"),
    ("connecting to postgres://app:db-pass-777@db:5432/app", "db-pass-777"),
    ("the key is sk-test-secret-value.", "sk-test-secret-value"),  # a known secret, anywhere
    ("header X-Webhook-Token=whsec-secret-value", "whsec-secret-value"),
    ("Cookie: session=sess-abcdef-0123", "sess-abcdef-0123"),
    ('Traceback (most recent call last):\n  File "auth.py", line 9, in authenticate\n'
     "    raise RuntimeError(f\"cannot verify {authorization}\")\nRuntimeError: cannot verify Bearer crash-0123456789",
     "crash-0123456789"),
])
def test_redact_hides_credentials(redactor: Redactor, text: str, secret: str) -> None:
    out = redactor.redact(text)
    assert secret not in out and REDACTED in out, out
    assert redactor.redact(out) == out  # idempotent: a record redacted twice reads the same


@pytest.mark.parametrize("text", [
    "run 01a2 failed: ValueError('kaboom')",
    "unhandled error on GET /threads/search (request 9b6b82d2-1747-4469-82f0-0ff5dee535bf)",
    "langgraph.json: basic configuration loaded; token expired; the bearer of bad news",
    "Bearer authentication is required",
    "max_tokens=100 prompt_tokens: 5 total_tokens=7",
    "{'secret': True, 'api_key': None, 'password': ''}",
    "serving on http://127.0.0.1:2024/threads",
    "webhook of run r1 to https://hooks.example.com/x failed (attempt 3): HTTP 500",
    "keyboard monkey keys turkey",
])
def test_redact_leaves_ordinary_text_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


_WORDS = ["Authorization", "x-api_key", "API-KEY", "ApiKey", "client_secret", "PASSWORD", "passwd", "token",
          "Credentials", "cookie", "Bearer", "basic", "Digest", "https://user", "name", "é", "\u212a"]
_SEPARATORS = [": ", "=", " ", '": "', "'=b'", ":", "", "@"]
_VALUES = ["abc-123_XYZ.9", "Tok3n/xyz=", "pw@host", "none", "host/path", "words here", ""]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS), st.sampled_from(_VALUES),
                          st.sampled_from(["", " ", "&", ";", "\n"])), max_size=4))
def test_the_quick_look_for_clues_never_skips_a_line_the_patterns_would_change(parts: list[tuple[str, ...]]) -> None:
    """`redact` skips the patterns for a line without any word they need: it must give
    what the patterns give on every line."""
    text = "".join("".join(part) for part in parts)
    patterns = redact._URL_USERINFO.sub(rf"\1{REDACTED}@", redact._SCHEME.sub(redact._scheme, redact._FIELD.sub(redact._field, text)))
    assert Redactor().redact(text) == patterns


def test_secret_values_picks_secret_looking_variables() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-test-secret-value", "GITHUB_TOKEN": "ghp_abcdef123", "AWS_SECRET_ACCESS_KEY": "aws-secret-1",
        "DB_PASSWORD": "hunter22", "DB_PASS": "hunter33", "SECRET": "plain-secret", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json",
        "LG_WEBHOOK_TOKEN": "whsec-secret-value", "LG_WEBHOOK_URL_PART": "abcdef-part", "MY_HOOK_SIGNING": "signing-v1",
        "SHORT_KEY": "abc",  # too short to redact safely
        "HOME": "/root/home", "PATH": "/usr/bin:/bin", "PWD": "/work/main", "TOKENIZERS_PARALLELISM": "false",
        "LANG": "C.UTF-8", "KEYBOARD": "us-intl",
    }
    found = secret_values(environ, ["LG_WEBHOOK_", "MY_HOOK_"])
    assert found == {
        "sk-test-secret-value", "ghp_abcdef123", "aws-secret-1", "hunter22", "hunter33", "plain-secret", "/k.json",
        "whsec-secret-value", "abcdef-part", "signing-v1",
    }
    assert secret_values(environ, [""]) == secret_values(environ)  # an empty prefix is not "everything"


def test_request_secrets_are_the_credentials_among_the_headers() -> None:
    headers = [("Host", "127.0.0.1:2024"), ("Authorization", "Bearer tok-987654"), ("X-Api-Key", "sk-abc-123456"),
               ("Cookie", "session=sess-abcdef-0123; theme=dark"), ("X-Request-ID", "abc-123"),
               ("User-Agent", "langgraph-sdk-py/0.4"), ("X-Service-Key", "svc-key-5555")]
    assert set(request_secrets(headers)) >= {"tok-987654", "sk-abc-123456", "sess-abcdef-0123",
                                             "svc-key-5555"}
    assert not {"127.0.0.1:2024", "abc-123", "langgraph-sdk-py/0.4", "dark"} & set(request_secrets(headers))


def test_the_credentials_of_the_request_being_served_are_redacted(redactor: Redactor) -> None:
    token = redact.serving([("Authorization", "Bearer plainlettersonly")])
    try:  # a token quoted without its scheme is only recognisable as the request's own
        assert redactor.redact("unknown key plainlettersonly") == f"unknown key {REDACTED}"
    finally:
        redact.served(token)
    assert redactor.redact("unknown key plainlettersonly") == "unknown key plainlettersonly"


def _record(msg: str, *args: Any, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_redacts_message_arguments_and_traceback(redactor: Redactor) -> None:
    try:
        raise RuntimeError("cannot use sk-test-secret-value")
    except RuntimeError as exc:
        record = _record("calling with %s and %r", {"Authorization": "Bearer tok-987654"}, "whsec-secret-value", exc=exc)
    assert redactor.filter(record) is True
    text = logging.Formatter().format(record)
    assert "calling with" in text and "RuntimeError: cannot use" in text and "Traceback" in text
    for secret in ("tok-987654", "sk-test-secret-value", "whsec-secret-value"):
        assert secret not in text
    stacked = logging.LogRecord("t", logging.INFO, __file__, 1, "x", None, None, sinfo="Stack: token=tk-1234567")
    redactor.filter(stacked)
    assert "tk-1234567" not in logging.Formatter().format(stacked)
    # a bad format string: the filter must not raise (that would raise at the log call,
    # not report a logging error); the handler then prints msg and args as they are
    broken = _record("bad %d format", "sk-test-secret-value")
    assert redactor.filter(broken) is True
    assert "sk-test-secret-value" not in repr((broken.msg, broken.args))


def test_install_covers_handlers_added_later(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A graph module that logs through its own handler (added after the server started)
    is redacted too."""
    monkeypatch.setenv("THREADLOOM_TEST_API_KEY", "sk-installed-secret")
    monkeypatch.setattr(redact, "_installed", None)  # put back afterwards
    factory = logging.getLogRecordFactory()
    root_handlers = list(logging.getLogger().handlers)
    logger = logging.getLogger("threadloom.test.own_handler")
    own = logging.StreamHandler(sys.stderr)
    try:
        installed = redact.install(prefixes=["LG_WEBHOOK_"])
        logger.addHandler(own)
        logger.propagate = False
        logger.error("key %s, header %s", "sk-installed-secret", "Authorization: Bearer tok-987654")
    finally:
        logging.setLogRecordFactory(factory)
        for handler in root_handlers:
            handler.removeFilter(installed)
        logger.removeHandler(own)
        logger.propagate = True
    err = capsys.readouterr().err
    assert "key [redacted], header Authorization: Bearer [redacted]" in err
    assert "sk-installed-secret" not in err and "tok-987654" not in err


async def test_errors_logged_while_serving_a_request_hide_its_credentials(
    aiohttp_server: Any, session: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The request-id middleware tells the redactor which credentials the request carries:
    a token quoted without its scheme is redacted too."""
    http = Http(await serve(aiohttp_server, write_project(tmp_path / "crash", CRASHING_AUTH)), session)
    caplog.handler.addFilter(Redactor())
    with caplog.at_level(logging.ERROR):
        reply = await http("POST", "/threads/search", {}, headers={
            "Authorization": "Bearer rawcrash-plainletters", "X-Request-ID": "raw-1"})
    assert reply.status == 500
    assert "unhandled error on POST /threads/search (request raw-1)" in caplog.text
    assert "RuntimeError: unknown key [redacted]" in caplog.text
    assert "plainletters" not in caplog.text


# 3. secrets never logged: a real server ---------------------------------------------------------

SECRET_ENV = {
    "OPENAI_API_KEY": "sk-test-secret-value",
    "LG_WEBHOOK_TOKEN": "whsec-secret-value",
    "DATABASE_URL": "postgres://app:db-pass-777@localhost/app",
}
VALID = "valid-token-5f3a9c"
TOKENS = {
    "valid": VALID,
    "invalid": "invalid-token-8b2d4e",
    "crash": "crash-token-7d1e2f",  # authenticate raises RuntimeError(f"cannot verify {authorization}")
    "rawcrash": "rawcrash-token-qwerty",  # ... RuntimeError(f"unknown key {token}"): no scheme to spot
    "chatty": "chatty-token-3c4d5e",  # ... logs the headers it was given (bytes)
}
API_KEY_HEADER = "sk-header-key-123456"
SECRETS = [*SECRET_ENV.values(), "db-pass-777", *TOKENS.values(), API_KEY_HEADER]

PROJECT_AUTH = f"""
    import logging

    from langgraph_sdk import Auth

    auth = Auth()
    log = logging.getLogger("project.auth")


    @auth.authenticate
    async def authenticate(authorization: str | None, headers: dict) -> dict:
        token = (authorization or "").removeprefix("Bearer ")
        if token.startswith("crash-"):
            raise RuntimeError(f"cannot verify {{authorization}}")
        if token.startswith("rawcrash-"):
            raise RuntimeError(f"unknown key {{token}}")
        if token.startswith("chatty-"):
            log.warning("authenticating with headers %s", headers)
            log.warning("x-api-key is %s", headers.get(b"x-api-key"))
        if token in ({VALID!r}, {TOKENS["chatty"]!r}):
            return {{"identity": "alice"}}
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")
"""

LEAKY_GRAPH = """
    import logging
    import os
    import sys
    from typing import TypedDict

    from langgraph.graph import START, StateGraph

    # project code with its own handler, added after the server installed its redaction
    log = logging.getLogger("project.graph")
    log.addHandler(logging.StreamHandler(sys.stderr))
    log.propagate = False


    class LeakyError(Exception):
        pass


    class State(TypedDict, total=False):
        how: str


    def leak(state: State) -> State:
        key = os.environ["OPENAI_API_KEY"]
        log.warning("calling the model with OPENAI_API_KEY=%s via %s", key, os.environ["DATABASE_URL"])
        if state.get("how") == "value":
            raise ValueError(f"the model refused key {key}")  # allow-listed: the client sees it, the log does not
        raise LeakyError(f"the model refused key {key}")


    graph = StateGraph(State).add_node("leak", leak).add_edge(START, "leak").compile()
"""


class Receiver:
    """A webhook endpoint on 127.0.0.1."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], Any]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((dict(request.headers), await request.json()))
        self.arrived.set()
        return web.Response(text="ok")


class Served:
    def __init__(self, proc: asyncio.subprocess.Process, url: str, lines: list[str], reader: asyncio.Task[None]) -> None:
        self.proc, self.url, self.lines, self.reader = proc, url, lines, reader

    @property
    def output(self) -> str:
        return "".join(self.lines)


async def start_server(config: Path, env: dict[str, str]) -> Served:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--config", str(config), "--memory", "--port", "0", "--host", "127.0.0.1",
        cwd=config.parent, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        assert proc.stdout is not None
        while line := (await proc.stdout.readline()).decode(errors="replace"):
            lines.append(line)
            if "serving on http://" in line and not ready.done():
                ready.set_result(line.split("serving on ", 1)[1].strip())
        if not ready.done():
            ready.set_exception(RuntimeError("the server exited before it was ready:\n" + "".join(lines)))

    reader = asyncio.get_running_loop().create_task(read())
    url = await asyncio.wait_for(ready, 60)
    return Served(proc, url, lines, reader)


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[Receiver, str]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    server = await aiohttp_server(app)
    return got, str(server.make_url("/hook"))


async def test_a_real_server_never_logs_a_secret(tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
    hook, hook_url = receiver
    project = tmp_path / "project"
    project.mkdir()
    (project / "auth.py").write_text(textwrap.dedent(PROJECT_AUTH))
    (project / "leaky.py").write_text(textwrap.dedent(LEAKY_GRAPH))
    (project / "langgraph.json").write_text(json.dumps({
        "graphs": {"leaky": "./leaky.py:graph"},
        "auth": {"path": "./auth.py:auth"},
        "webhooks": {
            "url": {"require_https": False, "disable_loopback": False, "disable_private_ips": False},
            "headers": {"X-Webhook-Token": "${{ env.LG_WEBHOOK_TOKEN }}"},
        },
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLOOM_")}
    env.update(SECRET_ENV, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    served = await start_server(project / "langgraph.json", env)
    try:
        async with aiohttp.ClientSession() as session:
            async def call(method: str, path: str, token: str | None, body: Any = None, **headers: str) -> Reply:
                sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **headers}
                return await Http(served.url, session)(method, path, body, headers=sent)

            assert (await call("POST", "/threads/search", VALID, {})).status == 200
            assert (await call("POST", "/threads/search", TOKENS["invalid"], {})).status == 401
            assert (await call("POST", "/threads/search", None, {})).status == 401
            crashed = await call("POST", "/threads/search", TOKENS["crash"], {}, **{"X-Request-ID": "sec-crash-1"})
            assert (crashed.status, crashed.body) == (500, {"detail": "Internal Server Error"})
            crashed = await call("GET", f"/threads/{uuid.uuid4()}", TOKENS["rawcrash"], **{"X-Request-ID": "sec-crash-2"})
            assert crashed.status == 500
            chatty = await call("POST", "/threads/search", TOKENS["chatty"], {}, **{"X-Api-Key": API_KEY_HEADER})
            assert chatty.status == 200

            tid = (await call("POST", "/threads", VALID, {})).body["thread_id"]
            failed = await call("POST", f"/threads/{tid}/runs/wait", VALID,
                                {"assistant_id": "leaky", "input": {}, "webhook": hook_url})
            assert failed.body == {"__error__": {"error": "LeakyError", "message": MASKED}}
            shown = await call("POST", "/runs/wait", VALID, {"assistant_id": "leaky", "input": {"how": "value"}})
            assert shown.body["__error__"]["error"] == "ValueError"  # allow-listed: shown to the client
            await asyncio.wait_for(hook.arrived.wait(), 30)
    finally:
        code = None
        if served.proc.returncode is None:
            served.proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(served.proc.wait(), 30)
        await asyncio.wait_for(served.reader, 30)
    log = served.output
    assert code == 0, log

    # the webhook went out with its secret header, and an error payload as masked as the API's
    headers, payload = hook.calls[0]
    assert headers.get("X-Webhook-Token") == SECRET_ENV["LG_WEBHOOK_TOKEN"]
    assert payload["status"] == "error" and payload["error"] == {"error": "LeakyError", "message": MASKED}

    # the log tells what happened...
    assert "unhandled error on POST /threads/search (request sec-crash-1)" in log, log
    assert "RuntimeError: cannot verify Bearer [redacted]" in log, log
    assert "(request sec-crash-2)" in log and "RuntimeError: unknown key [redacted]" in log, log
    assert "authenticating with headers" in log and "b'authorization': b'Bearer [redacted]'" in log, log
    assert "x-api-key is b'[redacted]'" in log, log
    assert "calling the model with OPENAI_API_KEY=[redacted] via postgres://app:[redacted]@localhost/app" in log, log
    assert "LeakyError" in log and "failed" in log, log
    # ...and no secret at all
    leaked = [secret for secret in SECRETS if secret in log]
    assert not leaked, f"leaked {leaked}:\n{log}"


async def test_a_graph_that_fails_at_import_does_not_leak_a_secret(tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(
        "import os\nraise RuntimeError(f\"cannot reach the model with key {os.environ['OPENAI_API_KEY']}\")\n"
    )
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": {"g": "./g.py:graph"}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLOOM_")}
    env.update(SECRET_ENV, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--memory", "--port", "0", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
    assert proc.returncode == 2 and "could not import" in out, out
    assert SECRET_ENV["OPENAI_API_KEY"] not in out, out


def test_scrub_redacts_text_printed_outside_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the server prints itself (a one-line startup error) can be redacted too."""
    monkeypatch.setenv("THREADLOOM_TEST_API_KEY", "sk-scrubbed-secret")
    monkeypatch.setenv("LG_WEBHOOK_SIGNING", "whsec-scrubbed")
    assert redact.scrub("key sk-scrubbed-secret, hook whsec-scrubbed, Bearer tok-987654") == (
        f"key {REDACTED}, hook {REDACTED}, Bearer {REDACTED}")
