"""Hostile input, property-based: every operation of the server's own live `/openapi.json`,
fed by schemathesis (schema-valid and schema-violating bodies) plus our own hostile
mutations (malformed bytes, wrong types, huge values, unicode oddities, odd query strings
and headers), with path and body ids drawn from resources that exist, from well-formed
UUIDs that do not, and from whatever the generator makes.

What must hold (issue 4, DESIGN "Rules"): no 5xx and no dropped connection, ever; every
4xx is a JSON `{"detail": <str>}`; no unhandled error in the server's log; a request with
an invalid body is a 4xx and changes nothing; afterwards the server is healthy and a
normal run works. One summary line (`fuzz: N requests, 0 server errors`) is written to
the terminal, `-s` or not.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from langgraph_sdk.client import LangGraphClient
from schemathesis import GenerationMode

from server.app import MAX_BODY_BYTES

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
# Fuzzed last, so that what they delete is still there for the others.
DESTRUCTIVE = frozenset({
    ("DELETE", "/assistants/{assistant_id}"),
    ("DELETE", "/threads/{thread_id}"),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"),
    ("DELETE", "/runs/crons/{cron_id}"),
    ("DELETE", "/store/items"),
    ("POST", "/threads/prune"),
})
# Every query parameter a handler reads (server/routes/*.py); the spec does not list them.
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
LAST_EVENT_IDS = ("-", "0", "1", "3-*", "-5", "abc", "1-2-3", "99999999999999999999999", "\xe9", "7\t7")


@dataclass
class Known:
    """Ids of resources that exist when the fuzzing starts."""

    assistants: list[str]
    threads: list[str]
    runs: list[tuple[str, str]]  # (thread_id, run_id)
    checkpoints: list[tuple[str, str]]  # (thread_id, checkpoint_id)
    crons: list[str]
    graphs: list[str] = field(default_factory=lambda: ["counter", "asker"])

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
    failures: list[str] = field(default_factory=list)

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

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.session = requests.Session()

    def send(self, method: str, path: str, request: dict[str, Any], *, expect_4xx: bool = False) -> None:
        where = f"{method} {path} {_describe(request)}"
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
        if status >= 500:
            self.tally.fail(where, text)
        elif status >= 400 and not _is_detail(outcome):
            self.tally.fail(where, f"an error without a JSON detail: {text}")
        elif status < 400 and expect_4xx:
            self.tally.fail(where, f"an invalid body was accepted: {text}")
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


def _is_detail(outcome: Outcome) -> bool:
    try:
        answer = json.loads(outcome.body)
    except ValueError:
        return False
    return (
        outcome.content_type == "application/json" and isinstance(answer, dict) and list(answer) == ["detail"]
        and isinstance(answer["detail"], str) and bool(answer["detail"])
    )


def _describe(request: dict[str, Any]) -> str:
    body = request.get("data") or b""
    return f"url={request['url'][:200]!r} params={str(request.get('params'))[:200]} body={body[:300]!r}"


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


def bodies(spec: dict[str, Any]) -> dict[tuple[str, str], Body]:
    components = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return components[ref.rsplit("/", 1)[-1]] if ref else schema

    def kinds(schema: dict[str, Any]) -> frozenset[str]:
        schema = resolve(schema)
        if "anyOf" in schema:
            return frozenset().union(*(kinds(s) for s in schema["anyOf"]))
        if "enum" in schema:
            return frozenset({"enum"})
        return frozenset({schema.get("type", "any")})

    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None:
                schema = resolve(content["schema"])
                is_list = schema.get("type") == "array"
                schema = resolve(schema["items"]) if is_list else schema
                fields = {name: kinds(field) for name, field in schema.get("properties", {}).items()}
                found[(method.upper(), path)] = Body(fields, tuple(schema.get("required", ())), is_list)
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


def _set_body(request: dict[str, Any], raw: bytes) -> None:
    request.pop("json", None)
    request["data"] = raw
    request["headers"] = {**request.get("headers", {}), "Content-Type": "application/json"}


class Fuzzer:
    """Drives hypothesis over the operations of one live schema (in a worker thread)."""

    def __init__(self, spec: dict[str, Any], base: str, known: Known) -> None:
        self.schema = schemathesis.openapi.from_dict(spec)
        self.bodies = bodies(spec)
        self.base = base
        self.known = known
        self.tally = Tally()
        self.sender = Sender(self.tally)
        ops = [result.ok() for result in self.schema.get_all_operations()]
        self.operations = sorted(ops, key=lambda op: (self.label(op) in DESTRUCTIVE, op.path, op.method))

    @staticmethod
    def label(op: Any) -> tuple[str, str]:
        return op.method.upper(), op.path

    def request(self, op: Any, case: schemathesis.Case, data: st.DataObject, *, valid_ids: bool) -> dict[str, Any]:
        _fill_known(op, case, self.known, data, body=valid_ids)
        kwargs = case.as_transport_kwargs(base_url=self.base)
        request = {k: v for k, v in kwargs.items() if k in ("method", "url", "headers", "params", "json", "data")}
        if "json" in request:
            _set_body(request, _dumps(request["json"]))
        return request

    def invalid_bodies(self) -> None:
        """Only invalid bodies (schema-violating, or not JSON at all): every answer a 4xx."""
        for op in self.operations:
            if self.label(op) not in self.bodies:
                continue

            def test(case: schemathesis.Case, data: st.DataObject, op: Any = op) -> None:
                request = self.request(op, case, data, valid_ids=False)
                raw = request.get("data")
                # a blank body reads as `{}` (valid for some), so it gets malformed bytes instead
                if data.draw(st.integers(0, 3), label="malformed") == 0 or not (raw or b"").strip():
                    _set_body(request, data.draw(st.sampled_from(MALFORMED)))
                self.sender.send(*self.label(op), request, expect_4xx=True)

            _run(op, GenerationMode.NEGATIVE, test)

    def extremes(self) -> None:
        """Not random: each field of each body, in an otherwise valid request on existing
        resources, set to each extreme of its kind (numbers past 64 bits or any float's
        range, NUL and bidi characters, 100,000-character strings)."""
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
                    self.sender.send(*self.label(op), request)
        too_large = {"method": "POST", "url": self.base + "/threads", "headers": {}}
        _set_body(too_large, b'{"metadata": {"x": "' + b"x" * MAX_BODY_BYTES + b'"}}')
        self.sender.send("POST", "/threads", too_large, expect_4xx=True)

    def base_body(self, body: Body) -> dict[str, Any]:
        """The required fields, with values that pass validation."""
        valid = {
            "assistant_id": self.known.assistants[-1], "graph_id": "counter", "schedule": NEVER, "namespace": ["fuzz"],
            "key": "k", "value": {}, "thread_ids": [], "checkpoint": {}, "version": 1,
        }
        return {name: valid[name] for name in body.required}

    def path(self, template: str) -> str:
        """`template` with the ids of resources that exist."""
        thread_id, run_id = self.known.runs[0]
        return template.format(
            thread_id=thread_id, run_id=run_id, assistant_id=self.known.assistants[-1], cron_id=self.known.crons[0],
            checkpoint_id=self.known.checkpoints[0][1], namespace="fuzz",
        )

    def everything(self) -> None:
        """Valid-looking and hostile requests on every operation: never a 5xx."""
        for op in self.operations:
            with_body = self.label(op) in self.bodies
            for mode in [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if with_body else [GenerationMode.POSITIVE]:

                def test(case: schemathesis.Case, data: st.DataObject, op: Any = op) -> None:
                    request = self.request(op, case, data, valid_ids=True)
                    self.mutate(op, request, data)
                    self.sender.send(*self.label(op), request)

                _run(op, mode, test)

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
        how = data.draw(st.sampled_from(["as generated", "as generated", "malformed", "hostile values"]), label="body")
        if how == "malformed":
            _set_body(request, data.draw(st.sampled_from(MALFORMED_ANY)))
        elif how == "hostile values":
            raw = request.get("data")
            value = json.loads(raw) if isinstance(raw, bytes) and raw[:1] == b"{" else {}
            names = st.sampled_from(sorted(body.fields) or ["metadata"])
            for name in data.draw(st.lists(names, min_size=1, max_size=3, unique=True), label="fields"):
                value[name] = data.draw(st.sampled_from(HOSTILE_VALUES), label=name)
            _set_body(request, _dumps(value))


def _run(op: Any, mode: GenerationMode, test: Callable[[schemathesis.Case, st.DataObject], None]) -> None:
    @settings(max_examples=FUZZ_EXAMPLES, derandomize=FUZZ_SEED is None, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(case=op.as_strategy(generation_mode=mode), data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        test(case, data)

    (run if FUZZ_SEED is None else seed(FUZZ_SEED)(run))()


# setup and checks on the real server ----------------------------------------------------------


async def _seed(client: LangGraphClient) -> Known:
    """A few of everything, all settled (no run left going) before the fuzzing starts."""
    assistants = [a["assistant_id"] for a in await client.assistants.search(graph_id="counter")]
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
    return Known(assistants, threads, runs, checkpoints, crons)


async def _snapshot(session: aiohttp.ClientSession, url: str, known: Known) -> Any:
    """Everything a rejected request could have touched."""

    async def get(method: str, path: str, body: Any = None) -> Any:
        async with session.request(method, url + path, json=body) as resp:
            assert resp.status == 200, f"{method} {path}: {resp.status}"
            return await resp.json()

    def by(key: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda item: item[key])

    snap: dict[str, Any] = {
        "threads": by("thread_id", await get("POST", "/threads/search", {"limit": 1000})),
        "assistants": by("assistant_id", await get("POST", "/assistants/search", {"limit": 1000})),
        "crons": by("cron_id", await get("POST", "/runs/crons/search", {"limit": 1000})),
        "store": await get("POST", "/store/items/search", {"namespace_prefix": [], "limit": 1000}),
    }
    for assistant_id in known.assistants:
        snap[assistant_id] = await get("POST", f"/assistants/{assistant_id}/versions", {"limit": 1000})
    for thread_id in known.threads:
        snap[thread_id] = (
            await get("GET", f"/threads/{thread_id}/runs?limit=1000"),
            await get("POST", f"/threads/{thread_id}/history", {"limit": 1000}),
        )
    return snap


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


# The server shares this process: its own use of `random` while hypothesis draws (in the
# worker thread) looks to hypothesis like a strategy using `random`.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_fuzz_every_operation_no_server_errors(
    url: str, client: LangGraphClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    pytestconfig: pytest.Config,
) -> None:
    known = await _seed(client)
    caplog.set_level(logging.ERROR)
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/openapi.json") as resp:
            assert resp.status == 200
            fuzzer = Fuzzer(await resp.json(), url, known)
        assert len(fuzzer.operations) >= 50, "the live spec lost operations"
        tally = fuzzer.tally

        before = await _snapshot(session, url, known)
        await asyncio.to_thread(fuzzer.invalid_bodies)
        rejected = tally.sent
        assert not tally.failures, "\n".join(tally.failures)
        assert await _snapshot(session, url, known) == before, "a rejected request changed something"

        await asyncio.to_thread(fuzzer.extremes)
        await asyncio.to_thread(fuzzer.everything)

        def count(low: int, high: int) -> int:
            return sum(n for status, n in tally.statuses.items() if low <= status < high)

        summary = (
            f"fuzz: {tally.sent} requests, {count(500, 600)} server errors "
            f"({len(fuzzer.operations)} operations; {rejected} invalid bodies, all rejected; "
            f"{count(400, 500)} 4xx, {count(200, 400)} 2xx; {tally.timed_out} waits cut at {READ_TIMEOUT:g}s)"
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

        # still healthy: stop whatever the fuzzing left going, then a normal run works
        async with session.post(url + "/runs/cancel", json={"status": "all"}) as resp:
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
