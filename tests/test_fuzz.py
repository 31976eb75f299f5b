"""Hostile input, property-based: every operation of the server's own live `/openapi.json`,
fed by schemathesis (schema-valid and schema-violating bodies) plus our own hostile
mutations (malformed bytes, wrong types, huge values, unicode oddities, odd query strings
and headers), with path and body ids drawn from resources that exist, from well-formed
UUIDs that do not, and from whatever the generator makes.

The JSON-RPC endpoints (`/mcp`, `/a2a/{assistant_id}`) also get their own methods with
hostile params, so that what they parse past the envelope is fuzzed too.

What must hold (issue 4, DESIGN "Rules"): no 5xx and no dropped connection, ever; every
4xx is a JSON `{"detail": <str>}` (but the official `{"error": "Key is required"}` of a
store read without a key); no unhandled error in the server's log; a request with
an invalid body is a 4xx and changes nothing; afterwards the server is healthy and a
normal run works. One summary line (`fuzz: N requests, 0 server errors`) is written to
the terminal, `-s` or not.

The same fuzzing runs a second time (on half the examples) against the custom-auth test
project (tests/auth): resources are seeded as alice and as bob, and each request carries,
drawn per request, alice's or bob's token (so half the known ids are someone else's: 404s),
eve's (no `delete` permission), mallory's (refused everywhere: 403s), a bad token or none
(401s). On top of the invariants above: no protected route answers a request without
valid credentials, or mallory's, with a success; nobody's search shows what another owns;
snapshots (the "changes nothing" check) are taken as each user. Summary line
`fuzz (auth): …`, with the 401/403/404 counts.

The server runs on the test's event loop; the hypothesis driver and its blocking
`requests` session run in a worker thread. Every request is sent with `stream=True` and a
read timeout, so the streaming endpoints (SSE run and thread streams, `/wait`, `/join`)
are fuzzed too: their status and headers are checked, then the connection is dropped.
Only the endpoints that wait for a run by design may run past the timeout.

Deterministic (derandomized hypothesis, no example database) and bounded: `FUZZ_EXAMPLES`
examples per operation and mode. For a longer local run, set THREADLOOM_FUZZ_EXAMPLES (150
sends about 19,000 requests in 3 minutes) and THREADLOOM_FUZZ_SEED for other examples."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import jsonschema
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from schemathesis import GenerationMode

from auth_support import AUTH_CONFIG, bearer
from conftest import GRAPHS, make_app
from threadloom.protocol.ids import system_assistant_id
from threadloom.server.app import MAX_BODY_BYTES
from threadloom.server.mount import PROTECTED_GROUPS, route_group

FUZZ_EXAMPLES = int(os.environ.get("THREADLOOM_FUZZ_EXAMPLES", "20"))
FUZZ_SEED = int(os.environ["THREADLOOM_FUZZ_SEED"]) if os.environ.get("THREADLOOM_FUZZ_SEED") else None
READ_TIMEOUT = 10.0  # seconds to the response headers; only WAITS may take longer
MISSING = "00000000-0000-4000-8000-000000000000"  # well-formed, nothing has it

# Operations that wait for a run to end before they answer (the others answer at once).
WAITS = frozenset({
    ("POST", "/runs/wait"),
    ("POST", "/threads/{thread_id}/runs/wait"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"),  # ?wait=true
})
# JSON-RPC endpoints: what they refuse is a JSON-RPC error object (in a 200, or a 400 for a
# body that is no JSON-RPC request), and a notification (no id) is a 202 that does nothing
JSONRPC = frozenset({("POST", "/mcp"), ("POST", "/a2a/{assistant_id}"), ("POST", "/a2a/{assistant_id}/")})
# Their methods, and the params they read: drawn so that hostile values reach the methods
RPC_METHODS = (
    "initialize", "tools/list", "tools/call", "SendMessage", "SendStreamingMessage", "GetTask", "ListTasks", "CancelTask",
    "GetExtendedAgentCard", "message/send", "message/stream", "tasks/get", "tasks/cancel",
)
RPC_PARAM_SHAPES = (
    lambda h: h, lambda h: {"id": h}, lambda h: {"message": h}, lambda h: {"name": "talker", "arguments": h},
    lambda h: {"name": h}, lambda h: {"cursor": h, "protocolVersion": h}, lambda h: {"pageSize": h, "pageToken": h},
    lambda h: {"contextId": h, "status": h, "historyLength": h}, lambda h: {"id": f"{MISSING}:{MISSING}", "historyScope": h},
    lambda h: {"message": {"messageId": "m", "role": "user", "parts": h}},
    lambda h: {"message": {"messageId": "m", "role": "user", "parts": [{"data": {"question": "q"}}], "taskId": h, "contextId": h}},
    lambda h: {"message": {"messageId": "m", "role": "user", "parts": [{"file": h}, {"raw": h}, {"url": "x", "mediaType": h}]}},
    lambda h: {"message": {"messageId": "m", "role": "user", "parts": [{"text": "hi"}], "command": h}},
)
# Fuzzed last, so that what they delete is still there for the others.
DESTRUCTIVE = frozenset({
    ("DELETE", "/assistants/{assistant_id}"),
    ("DELETE", "/threads/{thread_id}"),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"),
    ("DELETE", "/runs/crons/{cron_id}"),
    ("DELETE", "/store/items"),
    ("POST", "/threads/prune"),
})
# Every query parameter a handler reads (the spec declares them), fed odd values of our own.
QUERY_NAMES = (
    "limit", "offset", "status", "select", "action", "wait", "cancel_on_disconnect", "stream_mode",
    "stream_modes", "xray", "delete_threads", "recurse", "key", "namespace", "refresh_ttl", "format",
    "subgraphs", "before",
)
ODD_STRINGS = (
    "", " ", "\x00", "\u202e\u0644\u0627", "\U0001f9f5\u200d\U0001f9f6", "e\u0301", "\ufeff", "\ud800", "\uffff",
    "../../etc/passwd", "%00", "%2F", "' OR 1=1 --", "$.x", "null", "true", "[1,2]", '["x"]', "{}",
    "-1", "0", "1e999", "NaN", "9" * 40, "a" * 2000, "rollback", "json", "values", "run_modes", "*",
)
HOSTILE_VALUES: tuple[Any, ...] = (
    2**63, -(2**63) - 1, 2**64, 10**100, 1e308, -1e308, float("inf"), float("nan"), -0.0, 0, -1,
    "", "\x00", "\ud800", "\u202e", "A" * 200_000, [None] * 10_000, {"k" * 1000: {"v": [1] * 1000}},
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], True, None, {}, [],
)
EXTREME_NUMBERS = (2**63, 2**64, -(2**63) - 1, 10**30, 1e308, -1e308, 5e-324, -1)
EXTREME_STRINGS = ("", "\x00", "a\x00b", "\u202e\U0001f9f5\u200d", "x" * 100_000)
NEVER = "0 0 1 1 *"  # a cron schedule due on 1 January: nothing fires while the test runs
MALFORMED: tuple[bytes, ...] = (
    b"{", b"{bad json", b'{"a": 1,}', b"\xff\xfe\x00{}", b"\x00", b"[1, 2]", b'"text"', b"null", b"42", b"true",
    b"1e400", b'{"a": NaN}', b'{"a": "\\ud800"}', b'{"a": 1} trailing', b"[" * 50_000 + b"]" * 50_000,
    b'{"metadata": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", b"\xef\xbb\xbf{}", b'{"\x00": 1}',
)
MALFORMED_ANY = (*MALFORMED, b"", b" ", b"{}")  # may be valid for endpoints without a required field
# Authorization headers that name nobody (with custom auth: a 401)
BAD_TOKENS = (
    "Bearer nope", "Bearer ", "Bearer", "bearer alice-token", "Basic YWxpY2U6eA==", "Bearer alice-token\tbob-token",
    "Bearer \xe9", "Bearer " + "x" * 4000, "alice", "null",
)
LAST_EVENT_IDS = ("-", "0", "1", "3-*", "-5", "abc", "1-2-3", "99999999999999999999999", "\xe9", "7\t7")


@dataclass(frozen=True)
class Target:
    """What one fuzz run is against: a project and the credentials its requests carry."""

    name: str  # in the summary line: "fuzz" or "fuzz (auth)"
    config: Path
    examples: int  # per operation and mode
    # whose credentials a generated request carries, drawn per request (a user, "bad token"
    # or "no token"); () without auth
    credentials: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()  # who the resources are seeded as and snapshots taken as; () without auth
    # who a protected route must never serve, and their refusal: a 401 for whoever is not
    # authenticated (authentication comes before anything else); for a user refused by the
    # auth handlers a 403, or the 4xx of a bad request (a body is validated before authorization)
    refused: tuple[tuple[str, int], ...] = ()
    graphs: tuple[str, ...] = ("counter", "asker")

    def headers(self, user: str | None) -> dict[str, str]:
        return bearer(user) if user else {}

    @property
    def main(self) -> str | None:
        """Who seeds the ids `extremes` uses, sends those requests, and checks the health after."""
        return self.owners[0] if self.owners else None


DEFAULT = Target("fuzz", GRAPHS, FUZZ_EXAMPLES)
AUTH = Target(
    "fuzz (auth)", AUTH_CONFIG, max(1, FUZZ_EXAMPLES // 2),
    credentials=("alice", "bob", "eve", "mallory", "bad token", "no token"),
    owners=("alice", "bob"), refused=(("mallory", 403), ("bad token", 401), ("no token", 401)),
    graphs=("counter", "whoami", "made_for"),
)
SNAPSHOT_USERS = ("alice", "bob", "eve")  # whoever could have changed something (mallory can do nothing)


@dataclass
class Known:
    """Ids of resources that exist when the fuzzing starts."""

    assistants: list[str]
    threads: list[str]
    runs: list[tuple[str, str]]  # (thread_id, run_id)
    checkpoints: list[tuple[str, str]]  # (thread_id, checkpoint_id)
    crons: list[str]
    made: str  # an assistant the seeding user made (and owns): the one `extremes` uses
    graphs: list[str] = field(default_factory=lambda: ["counter", "asker"])
    owner: dict[str, str | None] = field(default_factory=dict)  # assistant or thread id -> who seeded it

    def add(self, other: Known) -> None:
        """Also `other`'s ids (another user's); `made` and the first of each list stay ours."""
        self.assistants += other.assistants
        self.threads += other.threads
        self.runs += other.runs
        self.checkpoints += other.checkpoints
        self.crons += other.crons
        self.owner.update(other.owner)

    def owned_by(self, user: str | None, ids: list[str]) -> list[str]:
        return [i for i in ids if self.owner.get(i) == user]

    def pick(self, data: st.DataObject, path: str, name: str) -> str:
        """A known id for path parameter `name` (a thread that owns the run or checkpoint
        chosen for the other parameter, when there is one)."""
        if name in ("thread_id", "run_id") and "{run_id}" in path:
            thread_id, run_id = data.draw(st.sampled_from(self.runs))
            return thread_id if name == "thread_id" else run_id
        if name in ("thread_id", "checkpoint_id") and "{checkpoint_id}" in path:
            thread_id, checkpoint_id = data.draw(st.sampled_from(self.checkpoints))
            return thread_id if name == "thread_id" else checkpoint_id
        pools = {"thread_id": self.threads, "assistant_id": self.assistants, "cron_id": self.crons}
        return data.draw(st.sampled_from(pools.get(name) or ["__root__"]))


@dataclass
class Tally:
    sent: int = 0
    timed_out: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_who: dict[str, Counter[int]] = field(default_factory=dict)  # with custom auth: statuses by credential
    failures: list[str] = field(default_factory=list)

    def count(self, low: int, high: int, who: str | None = None) -> int:
        statuses = self.statuses if who is None else self.by_who.get(who, Counter())
        return sum(n for status, n in statuses.items() if low <= status < high)

    def fail(self, where: str, why: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(f"{where}: {why}")


@dataclass
class Outcome:
    status: int
    body: bytes = b""  # read for an error or a plain JSON answer; a stream is only started
    content_type: str = ""


class Sender:
    """Sends one request, checks the answer, keeps the count."""

    def __init__(self, tally: Tally, refused: tuple[tuple[str, int], ...] = ()) -> None:
        self.tally = tally
        self.refused = dict(refused)
        self.session = requests.Session()

    def send(
        self, method: str, path: str, request: dict[str, Any], *, expect_4xx: bool = False, who: str | None = None,
    ) -> None:
        """`who`: with custom auth, whose credentials `request` carries."""
        where = f"{method} {path} {_describe(request)}" + (f" as {who}" if who else "")
        self.tally.sent += 1
        try:
            outcome = self._send(request)
        except requests.Timeout:
            self.tally.timed_out += 1
            if (method, path) not in WAITS:
                self.tally.fail(where, f"no answer within {READ_TIMEOUT:g}s")
            return
        except requests.ConnectionError as exc:
            self.tally.fail(where, f"connection failed: {exc}")
            return
        status, text = outcome.status, f"{outcome.status} {outcome.content_type} {outcome.body[:300]!r}"
        self.tally.statuses[status] += 1
        if who is not None:
            self.tally.by_who.setdefault(who, Counter())[status] += 1
        refusal = self.refused.get(who) if who is not None and route_group(path) in PROTECTED_GROUPS else None
        rpc_refused = (method, path) in JSONRPC and (_is_rpc_error(outcome) or (status == 202 and not outcome.body))
        if status >= 500:
            self.tally.fail(where, text)
        elif status >= 400 and not _is_detail(outcome) and outcome.body != KEY_REQUIRED and not rpc_refused:
            self.tally.fail(where, f"an error without a JSON detail: {text}")
        elif status < 400 and expect_4xx and not rpc_refused:
            self.tally.fail(where, f"an invalid body was accepted: {text}")
        elif refusal == 401 and status != 401:
            self.tally.fail(where, f"a protected route did not answer {who} with a 401: {text}")
        elif refusal is not None and status < 400 and not rpc_refused and not _tells_in_stream(method, path, refusal, outcome):
            self.tally.fail(where, f"a protected route served {who}: {text}")
        elif status < 400 and outcome.content_type == "application/json" and outcome.body:
            try:
                json.loads(outcome.body)
            except ValueError:
                self.tally.fail(where, f"invalid JSON in a success: {text}")

    def _send(self, request: dict[str, Any]) -> Outcome:
        with self.session.request(**request, stream=True, timeout=(5.0, READ_TIMEOUT), allow_redirects=False) as resp:
            complete = resp.status_code >= 400 or "Content-Length" in resp.headers
            content_type = resp.headers.get("Content-Type", "").split(";")[0]
            return Outcome(resp.status_code, resp.content if complete else b"", content_type)


KEY_REQUIRED = b'{"error":"Key is required"}'


def _tells_in_stream(method: str, path: str, refusal: int, outcome: Outcome) -> bool:
    """A join stream answers a user refused by the handlers (not one unauthenticated) as
    the official server does, with an `error` event in a 200 stream (test_auth_routes
    pins its bytes)."""
    return (
        (method, path) == ("GET", "/threads/{thread_id}/runs/{run_id}/stream") and refusal != 401
        and outcome.content_type == "text/event-stream"
    )


def _is_detail(outcome: Outcome) -> bool:
    try:
        answer = json.loads(outcome.body)
    except ValueError:
        return False
    return (
        outcome.content_type == "application/json" and isinstance(answer, dict) and list(answer) == ["detail"]
        and isinstance(answer["detail"], str) and bool(answer["detail"])
    )


def _is_rpc_error(outcome: Outcome) -> bool:
    try:
        answer = json.loads(outcome.body)
    except ValueError:
        return False
    error = answer.get("error") if isinstance(answer, dict) else None
    return (
        outcome.content_type == "application/json" and answer.get("jsonrpc") == "2.0" and isinstance(error, dict)
        and isinstance(error.get("code"), int) and isinstance(error.get("message"), str) and bool(error["message"])
    )


def _describe(request: dict[str, Any]) -> str:
    body = request.get("data") or b""
    auth = {k: v[:60] for k, v in (request.get("headers") or {}).items() if k.lower() == "authorization"}
    return (
        f"url={request['url'][:200]!r} params={str(request.get('params'))[:200]} body={body[:300]!r}"
        + (f" headers={auth}" if auth else "")
    )


def _dumps(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as `\ud800` escapes; NaN/Infinity are not JSON
    return json.dumps(value).encode()


# requests from schemathesis cases ------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """What the spec says of an operation's JSON body."""

    fields: dict[str, frozenset[str]]  # field name -> its JSON types ("any" if unconstrained)
    required: tuple[str, ...]
    is_list: bool  # a list of such objects (runs/batch)


def body_validators(spec: dict[str, Any]) -> dict[tuple[str, str], Callable[[bytes | None], bool]]:
    """For each operation with a JSON body: whether some bytes are a body its schema allows,
    judged by python-jsonschema (not by the server's own validator)."""
    found: dict[tuple[str, str], Callable[[bytes | None], bool]] = {}
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            schema = (((operation.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
            if schema is None:
                continue
            validator = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})

            def valid(raw: bytes | None, validator: Any = validator) -> bool:
                try:
                    return validator.is_valid(json.loads(raw or b""))
                except (ValueError, RecursionError):  # not JSON, or nested past what Python parses
                    return False

            found[(method.upper(), path)] = valid
    return found


def bodies(spec: dict[str, Any]) -> dict[tuple[str, str], Body]:
    components = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return components[ref.rsplit("/", 1)[-1]] if ref else schema

    def kinds(schema: dict[str, Any]) -> frozenset[str]:
        schema = resolve(schema)
        for alternatives in ("anyOf", "oneOf"):
            if alternatives in schema:
                return frozenset().union(*(kinds(s) for s in schema[alternatives]))
        if "enum" in schema:
            return frozenset({"enum"})
        types = schema.get("type", "any")
        return frozenset(types if isinstance(types, list) else [types])

    def merged(schema: dict[str, Any]) -> dict[str, Any]:
        """An object schema, its `allOf` parts (a streaming run body) merged."""
        schema = resolve(schema)
        parts = [merged(part) for part in schema.get("allOf", [])] + [schema]
        return {
            "properties": {k: v for part in parts for k, v in part.get("properties", {}).items()},
            "required": [name for part in parts for name in part.get("required", ())],
        }

    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None:
                schema = resolve(content["schema"])
                is_list = schema.get("type") == "array"
                schema = merged(schema["items"] if is_list else schema)
                fields = {name: kinds(field) for name, field in schema["properties"].items()}
                found[(method.upper(), path)] = Body(fields, tuple(schema["required"]), is_list)
    return found


def _fill_known(op: Any, case: schemathesis.Case, known: Known, data: st.DataObject, *, body: bool) -> None:
    """Replace some path parameters (and, if `body`, body ids) with existing or missing ones."""
    for name in list(case.path_parameters or {}):
        source = data.draw(st.sampled_from(["generated", "known", "known", "missing"]), label=f"path {name}")
        if source == "known":
            case.path_parameters[name] = known.pick(data, op.path, name)
        elif source == "missing":
            case.path_parameters[name] = str(data.draw(st.uuids(version=4)))
    for value in case.body if isinstance(case.body, list) else [case.body]:
        if not isinstance(value, dict):
            continue
        value.pop("webhook", None)  # never let a run call out of the machine
        if not body or not data.draw(st.booleans(), label="known body ids"):
            continue
        for key, pool in (("assistant_id", known.assistants), ("thread_id", known.threads), ("graph_id", known.graphs)):
            if key in value or data.draw(st.booleans()):
                value[key] = data.draw(st.sampled_from([*pool, MISSING]))
        for key, pool in (("run_ids", [r for _, r in known.runs]), ("thread_ids", known.threads)):
            if key in value:
                value[key] = data.draw(st.lists(st.sampled_from([*pool, MISSING]), max_size=3))


def _bodies_only(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` without the query and header parameters: a negative case of it can only be
    wrong in its body (or its path), so that its being refused is what is tested."""
    return {**spec, "paths": {
        path: {method: {
            **operation, "parameters": [p for p in operation.get("parameters", []) if p["in"] == "path"],
        } for method, operation in ops.items()}
        for path, ops in spec["paths"].items()
    }}


def _without_security(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` without its security requirements (custom auth's `auth.openapi`): the
    credentials are ours to choose, and a negative case must not be one whose only fault is
    a missing or malformed Authorization header, with a valid body."""
    spec = {**spec, "paths": {
        path: {method: {k: v for k, v in operation.items() if k != "security"} for method, operation in ops.items()}
        for path, ops in spec["paths"].items()
    }}
    spec.pop("security", None)
    spec["components"] = {k: v for k, v in spec.get("components", {}).items() if k != "securitySchemes"}
    return spec


def _set_body(request: dict[str, Any], raw: bytes) -> None:
    request.pop("json", None)
    request["data"] = raw
    request["headers"] = {**request.get("headers", {}), "Content-Type": "application/json"}


class Fuzzer:
    """Drives hypothesis over the operations of one live schema (in a worker thread)."""

    def __init__(self, spec: dict[str, Any], base: str, known: Known, target: Target = DEFAULT) -> None:
        self.schema = schemathesis.openapi.from_dict(_without_security(spec))
        self.body_schema = schemathesis.openapi.from_dict(_bodies_only(_without_security(spec)))
        self.bodies = bodies(spec)
        self.valid_body = body_validators(spec)
        self.base = base
        self.known = known
        self.target = target
        self.tally = Tally()
        self.sender = Sender(self.tally, target.refused)
        self.operations = self._sorted(self.schema)
        self.body_operations = self._sorted(self.body_schema)

    def _sorted(self, schema: Any) -> list[Any]:
        ops = [result.ok() for result in schema.get_all_operations()]
        return sorted(ops, key=lambda op: (self.label(op) in DESTRUCTIVE, op.path, op.method))

    @staticmethod
    def label(op: Any) -> tuple[str, str]:
        return op.method.upper(), op.path

    def request(
        self, op: Any, case: schemathesis.Case, data: st.DataObject, *, valid_ids: bool,
    ) -> tuple[dict[str, Any], str | None]:
        """The request for `case`, and (with custom auth) whose credentials it carries."""
        who = data.draw(st.sampled_from(self.target.credentials), label="credentials") if self.target.credentials else None
        authorization: str | None = None
        if who == "bad token":
            authorization = data.draw(st.sampled_from(BAD_TOKENS), label="bad token")
        elif who not in (None, "no token"):
            authorization = bearer(who)["Authorization"]
        _fill_known(op, case, self.known, data, body=valid_ids)
        kwargs = case.as_transport_kwargs(base_url=self.base)
        request = {k: v for k, v in kwargs.items() if k in ("method", "url", "headers", "params", "json", "data")}
        if "json" in request:
            _set_body(request, _dumps(request["json"]))
        if who is not None:  # instead of whatever schemathesis made of the spec's security scheme
            headers = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() != "authorization"}
            request["headers"] = headers if authorization is None else {**headers, "Authorization": authorization}
        return request, who

    def _main(self, request: dict[str, Any]) -> dict[str, Any]:
        """`request` as the user who seeded `known.made` and the first of each list."""
        request["headers"] = {**request.get("headers", {}), **self.target.headers(self.target.main)}
        return request

    def invalid_bodies(self) -> None:
        """Only invalid bodies (schema-violating, or not JSON at all): every answer a 4xx."""
        for op in self.body_operations:
            if self.label(op) not in self.bodies:
                continue

            def test(case: schemathesis.Case, data: st.DataObject, op: Any = op) -> None:
                request, who = self.request(op, case, data, valid_ids=False)
                raw = request.get("data")
                # a blank body reads as `{}` (valid for some), so it gets malformed bytes instead
                if data.draw(st.integers(0, 3), label="malformed") == 0 or not (raw or b"").strip():
                    _set_body(request, data.draw(st.sampled_from(MALFORMED)))
                # schemathesis' negative mode now and then makes a body the schema allows (a
                # mutation another branch of an anyOf accepts): not an invalid body, not sent
                if self.valid_body.get(self.label(op), lambda _: False)(request.get("data")):
                    return
                self.sender.send(*self.label(op), request, expect_4xx=True, who=who)

            _run(op, GenerationMode.NEGATIVE, test, self.target.examples)

    def extremes(self) -> None:
        """Not random: each field of each body, in an otherwise valid request on existing
        resources, set to each extreme of its kind (numbers past 64 bits or any float's
        range, NUL and bidi characters, 100,000-character strings). With custom auth, as the
        user who owns those resources: the values must get past auth to be tested at all."""
        for op in self.operations:
            body = self.bodies.get(self.label(op))
            if body is None or self.label(op) in DESTRUCTIVE:
                continue
            for name, kinds in body.fields.items():
                values: list[Any] = []
                if kinds & {"integer", "number", "any"}:
                    values += EXTREME_NUMBERS
                if kinds & {"string", "any"}:
                    values += EXTREME_STRINGS
                if kinds & {"object", "any"}:
                    values += [{"recursion_limit": n, "k": {"v": n}} for n in EXTREME_NUMBERS[:3]]
                for value in values:
                    item = {**self.base_body(body), name: value}
                    request = {"method": op.method.upper(), "url": self.base + self.path(op.path), "headers": {}}
                    _set_body(request, _dumps([item] if body.is_list else item))
                    self.sender.send(*self.label(op), self._main(request), who=self.target.main)
        too_large = {"method": "POST", "url": self.base + "/threads", "headers": {}}
        _set_body(too_large, b'{"metadata": {"x": "' + b"x" * MAX_BODY_BYTES + b'"}}')
        self.sender.send("POST", "/threads", self._main(too_large), expect_4xx=True, who=self.target.main)

    def base_body(self, body: Body) -> dict[str, Any]:
        """The required fields, with values that pass validation."""
        valid = {
            "assistant_id": self.known.made, "graph_id": "counter", "schedule": NEVER, "namespace": ["fuzz"],
            "key": "k", "value": {}, "thread_ids": [], "checkpoint": {}, "version": 1, "jsonrpc": "2.0", "method": "ping",
        }
        return {name: valid[name] for name in body.required}

    def path(self, template: str) -> str:
        """`template` with the ids of resources that exist."""
        thread_id, run_id = self.known.runs[0]
        return template.format(
            thread_id=thread_id, run_id=run_id, assistant_id=self.known.made, cron_id=self.known.crons[0],
            checkpoint_id=self.known.checkpoints[0][1], namespace="fuzz",
        )

    def everything(self) -> None:
        """Valid-looking and hostile requests on every operation: never a 5xx."""
        for op in self.operations:
            with_body = self.label(op) in self.bodies
            for mode in [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if with_body else [GenerationMode.POSITIVE]:

                def test(case: schemathesis.Case, data: st.DataObject, op: Any = op) -> None:
                    request, who = self.request(op, case, data, valid_ids=True)
                    self.mutate(op, request, data)
                    self.sender.send(*self.label(op), request, who=who)

                _run(op, mode, test, self.target.examples)

    def mutate(self, op: Any, request: dict[str, Any], data: st.DataObject) -> None:
        """Our own hostile additions on top of what schemathesis generated: odd query
        parameters and Last-Event-ID headers, malformed bytes, hostile field values."""
        if data.draw(st.booleans(), label="query"):
            values = st.sampled_from(ODD_STRINGS) | st.text(max_size=20)
            query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), values, max_size=3), label="query")
            # encoded here: a lone surrogate goes out as the (invalid UTF-8) bytes it stands for
            request["params"] = "&".join(f"{k}={quote(v, safe='', errors='surrogatepass')}" for k, v in query.items())
        if "stream" in op.path and data.draw(st.booleans(), label="Last-Event-ID?"):
            last = data.draw(st.sampled_from(LAST_EVENT_IDS), label="Last-Event-ID")
            request["headers"] = {**request.get("headers", {}), "Last-Event-ID": last}
        body = self.bodies.get(self.label(op))
        if body is None:
            return
        if self.label(op) in JSONRPC and data.draw(st.booleans(), label="a known method"):
            shape = data.draw(st.sampled_from(RPC_PARAM_SHAPES), label="params")
            params = shape(data.draw(st.sampled_from(HOSTILE_VALUES), label="hostile"))
            request_id = data.draw(st.sampled_from([1, "x", None]), label="id")
            message = {"jsonrpc": "2.0", "method": data.draw(st.sampled_from(RPC_METHODS), label="method"), "params": params}
            _set_body(request, _dumps(message if request_id is None else {**message, "id": request_id}))
            return
        how = data.draw(st.sampled_from(["as generated", "as generated", "malformed", "hostile values"]), label="body")
        if how == "malformed":
            _set_body(request, data.draw(st.sampled_from(MALFORMED_ANY)))
        elif how == "hostile values":
            raw = request.get("data")
            try:
                value = json.loads(raw) if isinstance(raw, bytes) and raw[:1] == b"{" else {}
            except ValueError:  # a negative case's body need not be JSON (nor UTF-8) at all
                value = {}
            names = st.sampled_from(sorted(body.fields) or ["metadata"])
            for name in data.draw(st.lists(names, min_size=1, max_size=3, unique=True), label="fields"):
                value[name] = data.draw(st.sampled_from(HOSTILE_VALUES), label=name)
            _set_body(request, _dumps(value))


def _run(
    op: Any, mode: GenerationMode, test: Callable[[schemathesis.Case, st.DataObject], None], examples: int,
) -> None:
    # Named as the global it was: derandomized hypothesis seeds from the source of `run`,
    # decorators included, so this keeps the examples of the default run as they were.
    FUZZ_EXAMPLES = examples  # noqa: N806

    @settings(max_examples=FUZZ_EXAMPLES, derandomize=FUZZ_SEED is None, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(case=op.as_strategy(generation_mode=mode), data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        test(case, data)

    (run if FUZZ_SEED is None else seed(FUZZ_SEED)(run))()


# setup and checks on the real server ----------------------------------------------------------


async def _seed(client: LangGraphClient, graphs: tuple[str, ...], user: str | None = None) -> Known:
    """A few of everything, all settled (no run left going) before the fuzzing starts;
    made by `user` (with custom auth) through `client`."""
    assistants = [a["assistant_id"] for a in await client.assistants.search(graph_id="counter")]
    if user is not None and not assistants:  # a user's search does not show the system assistants
        assistants.append(system_assistant_id("counter"))
    made = await client.assistants.create("counter", config={"tags": ["fuzz"]}, metadata={"owner": "fuzz"}, name="fuzzed")
    await client.assistants.update(made["assistant_id"], metadata={"version": 2})
    assistants.append(made["assistant_id"])
    threads, runs, checkpoints = [], [], []
    for i in range(3):
        thread = await client.threads.create(metadata={"n": i})
        threads.append(thread["thread_id"])
        if i < 2:
            for _ in range(i + 1):
                run = await client.runs.create(thread["thread_id"], made["assistant_id"], input={"log": ["x"]})
                await client.runs.join(thread["thread_id"], run["run_id"])
                runs.append((thread["thread_id"], run["run_id"]))
            for state in await client.threads.get_history(thread["thread_id"], limit=3):
                checkpoints.append((thread["thread_id"], state["checkpoint"]["checkpoint_id"]))
    if "asker" in graphs:  # a thread left interrupted
        asked = await client.threads.create()
        threads.append(asked["thread_id"])
        asker = (await client.assistants.search(graph_id="asker"))[0]["assistant_id"]
        await client.runs.wait(asked["thread_id"], asker, input={"question": "?"})
        runs.append((asked["thread_id"], (await client.runs.list(asked["thread_id"]))[0]["run_id"]))
    crons = [
        (await client.crons.create_for_thread(threads[0], made["assistant_id"], schedule=NEVER))["cron_id"],
        (await client.crons.create(made["assistant_id"], schedule=NEVER))["cron_id"],
    ]
    await client.store.put_item(["fuzz", "a"], "k", {"v": 1})
    owner = {made["assistant_id"]: user, **{thread_id: user for thread_id in threads}}
    return Known(assistants, threads, runs, checkpoints, crons, made["assistant_id"], list(graphs), owner)


async def _snapshot(session: aiohttp.ClientSession, url: str, known: Known, user: str | None = None) -> Any:
    """Everything a rejected request could have touched (that `user` can see)."""
    headers = bearer(user) if user else {}

    async def get(method: str, path: str, body: Any = None) -> Any:
        async with session.request(method, url + path, json=body, headers=headers) as resp:
            assert resp.status == 200, f"{method} {path} as {user}: {resp.status}"
            return await resp.json()

    def by(key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda item: item[key])

    snap: dict[str, Any] = {
        "threads": by("thread_id", await get("POST", "/threads/search", {"limit": 1000})),
        "assistants": by("assistant_id", await get("POST", "/assistants/search", {"limit": 1000})),
        "crons": by("cron_id", await get("POST", "/runs/crons/search", {"limit": 1000})),
        "store": await get("POST", "/store/items/search", {"namespace_prefix": [], "limit": 1000}),
    }
    for assistant_id in known.owned_by(user, known.assistants):
        snap[assistant_id] = await get("POST", f"/assistants/{assistant_id}/versions", {"limit": 1000})
    for thread_id in known.owned_by(user, known.threads):
        snap[thread_id] = (
            await get("GET", f"/threads/{thread_id}/runs?limit=1000"),
            await get("POST", f"/threads/{thread_id}/history", {"limit": 1000}),
        )
    return snap


async def _snapshots(session: aiohttp.ClientSession, url: str, known: Known, target: Target) -> Any:
    """The snapshot as each user who could have changed something."""
    return [await _snapshot(session, url, known, user) for user in (SNAPSHOT_USERS if target.owners else [None])]


async def _leaks(session: aiohttp.ClientSession, url: str) -> list[str]:
    """With the test project's owner-only auth: what a user's search shows that they do not own."""
    leaks = []
    for user in SNAPSHOT_USERS:
        for path in ("/threads/search", "/assistants/search", "/runs/crons/search"):
            async with session.post(url + path, json={"limit": 1000}, headers=bearer(user)) as resp:
                assert resp.status == 200, f"POST {path} as {user}: {resp.status}"
                for item in await resp.json():
                    if (item.get("metadata") or {}).get("owner") != user:
                        leaks.append(f"POST {path} as {user} shows {item}"[:400])
    return leaks


def _server_errors(records: list[logging.LogRecord]) -> list[str]:
    """Errors the server logged for a request: an unhandled exception in a handler (also
    after a stream started, where no 500 can be sent) or in a task nobody awaited. Not
    the ConnectionResetError of a stream whose client went away: this test hangs up on
    every stream once it has its status (aiohttp logs that as an error, with a traceback)."""
    return [
        f"{r.name}: {r.getMessage()[:300]} {r.exc_info[1] if r.exc_info else ''}"
        for r in records
        if r.levelno >= logging.ERROR and r.name.split(".")[0] in ("aiohttp", "server", "asyncio", "actors")
        and not (r.exc_info and isinstance(r.exc_info[1], ConnectionResetError))
    ]


@pytest.fixture(params=[DEFAULT, AUTH], ids=["default", "auth"])
async def target(request: pytest.FixtureRequest) -> Target:
    return request.param


@pytest.fixture
async def served(target: Target, aiohttp_server: Any) -> AsyncIterator[tuple[str, LangGraphClient]]:
    """A server on the target's project, and the SDK on it (as the target's main user)."""
    server = await aiohttp_server(make_app(config=target.config))
    url = str(server.make_url("")).rstrip("/")
    lg = get_client(url=url, api_key=None, headers=target.headers(target.main))
    yield url, lg
    await lg.http.client.aclose()


# The server shares this process: its own use of `random` while hypothesis draws (in the
# worker thread) looks to hypothesis like a strategy using `random`.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzz_every_operation_no_server_errors(
    target: Target, served: tuple[str, LangGraphClient], caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str], pytestconfig: pytest.Config,
) -> None:
    url, client = served
    known = await _seed(client, target.graphs, target.main)
    for other in target.owners[1:]:  # another user's ids: the main user gets 404s on them, and they don't
        lg = get_client(url=url, api_key=None, headers=target.headers(other))
        known.add(await _seed(lg, target.graphs, other))
        await lg.http.client.aclose()
    caplog.set_level(logging.ERROR)
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/openapi.json") as resp:
            assert resp.status == 200
            fuzzer = Fuzzer(await resp.json(), url, known, target)
        assert len(fuzzer.operations) >= 50, "the live spec lost operations"
        tally = fuzzer.tally

        before = await _snapshots(session, url, known, target)
        await asyncio.to_thread(fuzzer.invalid_bodies)
        rejected = tally.sent
        assert not tally.failures, "\n".join(tally.failures)
        assert await _snapshots(session, url, known, target) == before, "a rejected request changed something"

        await asyncio.to_thread(fuzzer.extremes)
        await asyncio.to_thread(fuzzer.everything)

        count = tally.count
        summary = (
            f"{target.name}: {tally.sent} requests, {count(500, 600)} server errors "
            f"({len(fuzzer.operations)} operations; {rejected} invalid bodies, all rejected; "
            f"{count(400, 500)} 4xx, {count(200, 400)} 2xx; {tally.timed_out} waits cut at {READ_TIMEOUT:g}s)"
        )
        if target.credentials:
            statuses = tally.statuses
            by_who = ", ".join(f"{who} {count(200, 400, who)}/{count(400, 500, who)}" for who in target.credentials)
            summary += (
                f"\n{target.name}: {statuses[401]} 401, {statuses[403]} 403, {statuses[404]} 404; "
                f"2xx/4xx by credentials: {by_who}"
            )
        reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        with capsys.disabled():  # for CI's log, captured output or not
            if reporter is not None:
                reporter.write(f"\n{summary}\n")
            else:
                print(summary)
        assert not tally.failures, summary + "\n" + "\n".join(tally.failures)
        assert not _server_errors(caplog.records), "\n".join(_server_errors(caplog.records))
        assert count(200, 300) and count(400, 500), "the fuzzing never got past, or never hit, validation"
        if target.credentials:  # each credential got where it should, somewhere
            reached = [(user, status) for user in target.owners for status in (200, 404)]  # (404: the other's ids)
            for who, status in reached + list(target.refused):
                assert tally.by_who.get(who, Counter())[status], f"{who} never got a {status}"
            assert not (leaks := await _leaks(session, url)), "\n".join(leaks)

        # still healthy: stop whatever the fuzzing left going, then a normal run works
        for user in SNAPSHOT_USERS if target.owners else [None]:
            async with session.post(url + "/runs/cancel", json={"status": "all"}, headers=target.headers(user)) as resp:
                assert resp.status in (204, 404)
        async with session.get(url + "/ok") as resp:
            assert resp.status == 200
    # (on a new assistant: the fuzzing may have deleted the graph's own one)
    assistant = await client.assistants.create("counter")
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], assistant["assistant_id"], input={"log": []})
    assert result == {"log": ["first", "second"], "count": 2}


async def test_an_undecodable_body_is_a_400_and_the_server_goes_on(url: str) -> None:
    """Bytes that are not in the Content-Encoding they name: aiohttp cannot read the body.
    (An encoding aiohttp does not know, such as `br` without Brotli, it answers itself, in
    plain text, before the application sees the request.)"""
    async with aiohttp.ClientSession() as session:
        for encoding in ("gzip", "deflate"):
            headers = {"Content-Type": "application/json", "Content-Encoding": encoding, "Connection": "close"}
            async with session.post(url + "/threads", data=b'{"metadata": {}}', headers=headers) as resp:
                assert resp.status == 400, encoding
                assert (await resp.json())["detail"].startswith("Invalid request body"), encoding
        async with session.post(url + "/threads/search", json={"limit": 1000}) as resp:
            assert resp.status == 200 and await resp.json() == []  # nothing was created


# the v3 WebSocket (`/threads/{id}/stream/events`) -----------------------------------------------

WS_METHODS = (
    "run.start", "input.respond", "subscription.subscribe", "subscription.unsubscribe", "subscription.reconnect",
    "agent.getTree", "state.get", "input.inject", "", "nope", "\x00", "run.start " * 50,
)
WS_ERRORS = frozenset({
    "invalid_argument", "unknown_command", "unknown_error", "no_such_run", "no_such_subscription", "no_such_interrupt",
    "unsupported", "resume_gap",
})
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from([*ODD_STRINGS, "slow", "chat", "asker", "values", "lifecycle", "custom:x"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
_params = st.one_of(
    _json_values,
    st.fixed_dictionaries({}, optional={
        "assistant_id": _json_values | st.sampled_from(["slow", "chat", "nosuch"]), "input": _json_values,
        "config": _json_values, "metadata": _json_values, "multitaskStrategy": _json_values,
        "langsmith_tracer": _json_values, "channels": _json_values | st.just(["values", "lifecycle"]),
        "since": _json_values, "namespaces": _json_values, "depth": _json_values, "subscription_id": _json_values,
        "interrupt_id": _json_values, "namespace": _json_values, "response": _json_values, "responses": _json_values,
    }),
)
_WELL_FORMED = (
    {"method": "subscription.subscribe", "params": {"channels": ["values", "lifecycle"]}},
    {"method": "subscription.subscribe", "params": {"channels": ["messages"], "namespaces": [["x"]], "depth": 1}},
    {"method": "subscription.reconnect", "params": {"channels": ["lifecycle"], "since": 0}},
    {"method": "agent.getTree", "params": {}},
    {"method": "input.respond", "params": {"interrupt_id": "x", "response": 1}},
    {"method": "run.start", "params": {"assistant_id": "slow", "input": {"steps": 1, "delay": 0, "tag": "f"}}},
)
_frames = st.one_of(
    st.builds(
        lambda i, c, k, v: json.dumps({"id": i, **c, "params": {**c["params"], **({k: v} if k else {})}}),
        st.integers(min_value=0, max_value=2**31), st.sampled_from(_WELL_FORMED),
        st.sampled_from(["", "channels", "since", "params", "config", "namespaces", "depth", "input"]), _json_values,
    ),
    st.text(max_size=200),
    st.builds(lambda v: json.dumps(v), _json_values),
    st.builds(
        lambda i, m, p: json.dumps({"id": i, "method": m, "params": p}),
        st.integers(min_value=-(2**40), max_value=2**40) | _json_values, st.sampled_from(WS_METHODS) | st.text(max_size=30), _params,
    ),
)


def _fuzz_socket(ws_url: str, tally: Tally) -> None:
    """Every frame gets exactly one reply (events aside), an error or a success envelope,
    and the socket stays open."""
    from websockets.sync.client import connect

    with connect(ws_url, max_size=None) as ws:

        @seed(FUZZ_SEED if FUZZ_SEED is not None else 3)
        @settings(max_examples=FUZZ_EXAMPLES * 10, deadline=None, database=None, derandomize=FUZZ_SEED is None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(frame=_frames)
        def send(frame: str) -> None:
            tally.sent += 1
            ws.send(frame)
            while True:
                reply = json.loads(ws.recv(timeout=READ_TIMEOUT))
                if reply.get("type") != "event":
                    break
            if reply.get("type") == "error":
                tally.statuses[400] += 1
                if reply.get("error") not in WS_ERRORS or not isinstance(reply.get("message"), str):
                    tally.fail(f"WS {frame[:200]!r}", f"not a protocol error: {reply}")
            elif reply.get("type") == "success" and isinstance(reply.get("result"), dict):
                tally.statuses[200] += 1
            else:
                tally.fail(f"WS {frame[:200]!r}", f"not a reply: {reply}")

        send()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzz_the_thread_socket(
    url: str, client: LangGraphClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    """Malformed frames, unknown commands and hostile params on the v3 WebSocket of a
    thread: protocol errors, never a dropped socket or a server error; the server goes on."""
    caplog.set_level(logging.ERROR)
    tally = Tally()
    tid = (await client.threads.create())["thread_id"]
    await asyncio.to_thread(_fuzz_socket, url.replace("http://", "ws://") + f"/threads/{tid}/stream/events", tally)
    assert not tally.failures, "\n".join(tally.failures)
    assert not _server_errors(caplog.records), _server_errors(caplog.records)
    with capsys.disabled():
        print(f"\nfuzz (v3 socket): {tally.sent} frames, {tally.statuses[400]} protocol errors, {tally.statuses[200]} successes")
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "slow", input={"steps": 2, "delay": 0, "tag": "ok"})
    assert result["items"] == ["ok:0", "ok:1"]


async def test_a_socket_that_stops_reading_holds_up_nobody(url: str, client: LangGraphClient) -> None:
    """A WebSocket client that subscribes to a thread making many events (a model streaming
    some 20,000 tokens), then never reads: the run ends, other clients are served, and
    closing the socket frees it."""
    from support import until

    tid = (await client.threads.create())["thread_id"]
    words = " ".join(f"w{i}" for i in range(10_000))
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/threads/{tid}/stream/events")
        await ws.send_json({"id": 1, "method": "subscription.subscribe", "params": {"channels": ["messages", "values"]}})
        await ws.send_json({"id": 2, "method": "run.start", "params": {
            "assistant_id": "chat", "input": {"messages": [{"role": "user", "content": words}]}}})
        # never read `ws` again: meanwhile the run ends, and other clients are served
        [run] = await until(lambda: client.runs.list(tid))
        joined = await client.runs.join(tid, run["run_id"])
        assert joined["messages"][-1]["content"][0]["text"].endswith("w9999")
        other = await client.threads.create()
        result = await client.runs.wait(other["thread_id"], "slow", input={"steps": 1, "delay": 0, "tag": "s"})
        assert result["items"] == ["s:0"]
        assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
        await ws.close()
