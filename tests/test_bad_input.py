"""Bad input on every served route: a 4xx JSON `{"detail": "..."}` that says what is wrong,
never a 5xx, and nothing changed on the server (reference §1.1–1.2, §2.4; DESIGN "Rules").
Raw aiohttp, so the bytes on the wire are exactly the ones under test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from conftest import GRAPHS as CONFIG

MISSING = "00000000-0000-4000-8000-000000000000"  # a well-formed UUID nothing has
GRAPHS = list(json.loads(CONFIG.read_text())["graphs"])  # in langgraph.json's order

STATEFUL_CREATE = ["/threads/{tid}/runs", "/threads/{tid}/runs/stream", "/threads/{tid}/runs/wait"]
STATELESS_CREATE = ["/runs", "/runs/stream", "/runs/wait"]
RUN_CREATE = STATEFUL_CREATE + STATELESS_CREATE

# every route that reads a JSON body (method, path)
BODY_ROUTES = [
    ("POST", "/assistants/search"),
    ("POST", "/threads"),
    ("POST", "/threads/search"),
    ("PATCH", "/threads/{tid}"),
    ("POST", "/threads/{tid}/history"),
    *[("POST", p) for p in RUN_CREATE],
]


class Api:
    """A raw HTTP client bound to one server, with one existing thread `tid`."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.tid = ""

    async def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        async with self.session.request(method, self.url + path.format(tid=self.tid), data=data, headers=hdrs) as resp:
            text = await resp.text()
            ctype = resp.headers.get("Content-Type", "")
            if ctype.startswith("application/json") and text.strip():
                return resp.status, json.loads(text)
            return resp.status, text

    async def rejected(self, method: str, path: str, body: Any = None, *, status: int | None = None,
                       says: str | list[str] = (), raw: bytes | None = None) -> str:
        """Assert a 4xx JSON error and return its detail."""
        code, answer = await self.call(method, path, body, raw=raw)
        where = f"{method} {path} {str(raw if raw is not None else body)[:120]}"
        assert 400 <= code < 500, f"{where}: {code} {str(answer)[:300]}"
        if status is not None:
            assert code == status, f"{where}: {code} {answer}"
        assert isinstance(answer, dict) and list(answer) == ["detail"], f"{where}: {answer!r}"
        detail = answer["detail"]
        assert isinstance(detail, str) and detail, f"{where}: {answer!r}"
        for word in [says] if isinstance(says, str) else says:
            assert word.lower() in detail.lower(), f"{where}: {detail!r} does not mention {word!r}"
        return detail

    async def snapshot(self) -> Any:
        """Everything a rejected request could have touched."""
        code, threads = await self.call("POST", "/threads/search", {"limit": 1000})
        assert code == 200
        code, runs = await self.call("GET", "/threads/{tid}/runs?limit=1000")
        assert code == 200
        code, state = await self.call("GET", "/threads/{tid}/state")
        assert code == 200
        return sorted(threads, key=lambda t: t["thread_id"]), runs, state


@pytest.fixture
async def api(url: str) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        api = Api(session, url)
        code, thread = await api.call("POST", "/threads", {"metadata": {"owner": "tests"}})
        assert code == 200
        api.tid = thread["thread_id"]
        yield api


# malformed bodies -----------------------------------------------------------------------------

MALFORMED = [
    pytest.param(b"{bad json", "invalid json", id="syntax"),
    pytest.param(b'{"metadata": {}', "invalid json", id="truncated"),
    pytest.param(b"\xff\xfe{}", "invalid json", id="not-utf8"),
    pytest.param(b'{"metadata": {"a": "\\ud800"}}', "invalid json", id="lone-surrogate"),
    pytest.param(b"[1, 2]", "object", id="array"),
    pytest.param(b'"a string"', "object", id="string"),
    pytest.param(b"null", "object", id="null"),
    pytest.param(b"42", "object", id="number"),
    pytest.param(b"1e400", "invalid json", id="number-out-of-range"),
    pytest.param(b'{"metadata": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "invalid json", id="deeply-nested"),
    pytest.param(b"", "invalid json", id="empty"),  # as on the official server: no body is no JSON
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_malformed_bodies_are_422_and_change_nothing(api: Api, method: str, path: str) -> None:
    before = await api.snapshot()
    for param in MALFORMED:
        raw, says = param.values
        await api.rejected(method, path, raw=raw, status=422, says=says)
    assert await api.snapshot() == before


# paths ----------------------------------------------------------------------------------------

THREAD_PATHS = [
    ("GET", "/threads/{x}"),
    ("PATCH", "/threads/{x}"),
    ("DELETE", "/threads/{x}"),
    ("GET", "/threads/{x}/state"),
    ("POST", "/threads/{x}/history"),
    ("POST", "/threads/{x}/runs"),
    ("POST", "/threads/{x}/runs/stream"),
    ("POST", "/threads/{x}/runs/wait"),
    ("GET", "/threads/{x}/runs"),
    ("GET", "/threads/{x}/runs/" + MISSING),
    ("DELETE", "/threads/{x}/runs/" + MISSING),
    ("POST", "/threads/{x}/runs/" + MISSING + "/cancel"),
    ("GET", "/threads/{x}/runs/" + MISSING + "/join"),
    ("GET", "/threads/{x}/runs/" + MISSING + "/stream"),
]
RUN_PATHS = [
    ("GET", "/threads/{tid}/runs/{x}"),
    ("DELETE", "/threads/{tid}/runs/{x}"),
    ("POST", "/threads/{tid}/runs/{x}/cancel"),
    ("GET", "/threads/{tid}/runs/{x}/join"),
    ("GET", "/threads/{tid}/runs/{x}/stream"),
]
GOOD_RUN = {"assistant_id": "counter", "input": {"log": []}}
JOINS = ("/join", "/stream")  # of a run


def _body(method: str, path: str) -> Any:
    if method in ("GET", "DELETE") or path.endswith("/cancel"):
        return None
    return GOOD_RUN if "/runs" in path else {}


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "0196b0d2-0000-7000-8000-00000000000g", "%F0%9F%98%80"])
async def test_invalid_uuids_in_paths_are_422(api: Api, bad: str) -> None:
    before = await api.snapshot()
    for method, path in THREAD_PATHS:
        p = path.replace("{x}", bad)
        detail = await api.rejected(method, p, _body(method, p), status=422)
        # the official server's shorter text when a run is created (test_bad_input: missing thread)
        assert detail == ("Invalid thread ID" if (method, path) == ("POST", "/threads/{x}/runs") else "Invalid thread ID: must be a UUID")
    for method, path in RUN_PATHS:
        p = path.replace("{x}", bad)
        await api.rejected(method, p, _body(method, p), status=422, says="Invalid run ID: must be a UUID")
    await api.rejected("GET", f"/assistants/{bad}", status=422, says="Invalid assistant ID: must be a UUID")
    assert await api.snapshot() == before


def _missing_thread(method: str, path: str) -> str:
    """What the official server says of a missing thread, route by route."""
    if method == "PATCH":
        return "Not Found"
    if method == "POST" and path in ("/threads/{x}/runs", "/threads/{x}/runs/stream", "/threads/{x}/runs/wait"):
        return "Thread or assistant not found."  # a run created on it
    return f"Thread with ID {MISSING} not found"


async def test_unknown_thread_is_404_and_creates_nothing(api: Api) -> None:
    before = await api.snapshot()
    for method, path in THREAD_PATHS:
        p = path.replace("{x}", MISSING)
        if "/runs/" + MISSING in p:  # routes of one run may talk about the run instead
            if not p.endswith(JOINS):  # (a join says it in a 200, as on the official server: test_cancel_join)
                await api.rejected(method, p, status=404)
            continue
        detail = await api.rejected(method, p, _body(method, p), status=404)
        assert detail == _missing_thread(method, path), (method, p)
    for method, path in RUN_PATHS:
        if not path.endswith(JOINS):
            await api.rejected(method, path.replace("{x}", MISSING), status=404)
    assert await api.snapshot() == before
    await api.rejected("GET", f"/threads/{MISSING}", status=404)


async def test_a_missing_run_reads_as_on_the_official_server(api: Api) -> None:
    """GET of a run looks for its thread first: a missing thread is `Thread with ID …
    not found`, a missing run (or another thread's) a bare `Not Found`."""
    assert (await api.call("POST", "/threads/{tid}/runs/wait", GOOD_RUN))[0] == 200
    [run] = (await api.call("GET", "/threads/{tid}/runs"))[1]
    assert await api.rejected("GET", f"/threads/{MISSING}/runs/{run['run_id']}", status=404) == f"Thread with ID {MISSING} not found"
    assert await api.rejected("GET", f"/threads/{{tid}}/runs/{MISSING}", status=404) == "Not Found"
    other = (await api.call("POST", "/threads", {}))[1]
    assert await api.rejected("GET", f"/threads/{other['thread_id']}/runs/{run['run_id']}", status=404) == "Not Found"


# unknown assistants and graphs ---------------------------------------------------------------


@pytest.mark.parametrize("path", RUN_CREATE)
async def test_unknown_graph_is_422_listing_graphs_and_unknown_assistant_uuid_is_404(api: Api, path: str) -> None:
    before = await api.snapshot()
    for name in ["no-such-graph", "", "Counter", "x" * 10_000, "counter ", "ünïcødé-😀"]:
        detail = await api.rejected("POST", path, {"assistant_id": name, "input": {}}, status=422, says="assistant")
        assert detail == (  # the official text, graphs in langgraph.json's order
            f"Invalid assistant: '{name}'. Must be either:\n- A valid assistant UUID, or\n"
            f"- One of the registered graphs: {', '.join(GRAPHS)}"
        )
    await api.rejected("POST", path, {"assistant_id": MISSING, "input": {}}, status=404, says="not found")
    assert await api.snapshot() == before


async def test_assistant_routes_reject_unknowns(api: Api) -> None:
    # a missing assistant, with the official server's text route by route
    for path in ("", "/graph", "/schemas", "/subgraphs", "/subgraphs/child"):
        assert await api.rejected("GET", f"/assistants/{MISSING}{path}", status=404) == "Not Found", path
    for method, path, body in (("PATCH", "", {"name": "x"}), ("POST", "/versions", {}), ("POST", "/latest", {"version": 1})):
        assert await api.rejected(method, f"/assistants/{MISSING}{path}", body, status=404) == f"Assistant {MISSING} not found"
    assert await api.rejected("DELETE", f"/assistants/{MISSING}", status=404) == f"Assistant with ID {MISSING} not found"
    # the versions route reads its id before its body
    await api.rejected("POST", "/assistants/nope/versions", [1], status=422, says="Invalid assistant ID: must be a UUID")
    await api.rejected("GET", "/assistants/counter", status=422, says="Invalid assistant ID")  # a graph id is not an id here (§1.3)
    await api.rejected("POST", "/assistants/search", {"graph_id": "no-such-graph"}, status=404, says="no-such-graph")
    await api.rejected("POST", "/assistants/search", {"select": ["assistant_id", "bogus"]}, status=422, says="bogus")


# wrong types and bad enum values -------------------------------------------------------------

WRONG_TYPES = [
    ("POST", "/threads", {"thread_id": 5}, "thread_id"),
    ("POST", "/threads", {"metadata": []}, "metadata"),
    ("POST", "/threads", {"metadata": "x"}, "metadata"),
    ("POST", "/threads", {"if_exists": 1}, "if_exists"),
    ("POST", "/threads/search", {"limit": "10"}, "limit"),
    ("POST", "/threads/search", {"limit": 1.5}, "limit"),
    ("POST", "/threads/search", {"ids": "x"}, "ids"),
    ("POST", "/threads/search", {"ids": [1]}, "ids"),
    ("POST", "/threads/search", {"metadata": [1]}, "metadata"),
    ("POST", "/threads/search", {"offset": None}, "offset"),
    ("PATCH", "/threads/{tid}", {"metadata": 5}, "metadata"),
    ("PATCH", "/threads/{tid}", {"metadata": ["a"]}, "metadata"),
    ("POST", "/threads/{tid}/history", {"limit": "1"}, "limit"),
    ("POST", "/threads/{tid}/history", {"before": 5}, "before"),
    ("POST", "/threads/{tid}/history", {"metadata": "x"}, "metadata"),
    ("POST", "/threads/{tid}/history", {"checkpoint": "x"}, "checkpoint"),
    ("POST", "/threads/{tid}/history", {"before": {"configurable": 5}}, "checkpoint"),
    ("POST", "/assistants/search", {"limit": "x"}, "limit"),
    ("POST", "/assistants/search", {"metadata": 1}, "metadata"),
    ("POST", "/assistants/search", {"select": "assistant_id"}, "select"),
]
RUN_WRONG_TYPES = [
    ({"input": {}}, "assistant_id"),
    ({"assistant_id": 5}, "assistant_id"),
    ({"assistant_id": None}, "assistant_id"),
    ({"assistant_id": "counter", "config": 5}, "config"),
    ({"assistant_id": "counter", "config": []}, "config"),
    ({"assistant_id": "counter", "config": {"configurable": 5}}, "configurable"),
    ({"assistant_id": "counter", "config": {"configurable": ["a"]}}, "configurable"),
    ({"assistant_id": "counter", "config": {"metadata": "x"}}, "metadata"),
    ({"assistant_id": "counter", "context": 5}, "context"),
    ({"assistant_id": "counter", "metadata": []}, "metadata"),
    ({"assistant_id": "counter", "command": 5}, "command"),
    ({"assistant_id": "counter", "stream_mode": 5}, "stream_mode"),
    ({"assistant_id": "counter", "stream_mode": ["values", 5]}, "stream_mode"),
    ({"assistant_id": "counter", "stream_subgraphs": "yes"}, "stream_subgraphs"),
    ({"assistant_id": "counter", "interrupt_before": "first"}, "interrupt_before"),
    ({"assistant_id": "counter", "interrupt_after": 3}, "interrupt_after"),
    ({"assistant_id": "counter", "webhook": 5}, "webhook"),
    ({"assistant_id": "counter", "feedback_keys": "a"}, "feedback_keys"),
    ({"assistant_id": "counter", "after_seconds": "soon"}, "after_seconds"),
    ({"assistant_id": "counter", "after_seconds": -1}, "after_seconds"),
    ({"assistant_id": "counter", "after_seconds": 1e12}, "after_seconds"),
    ({"assistant_id": "counter", "durability": "never"}, "durability"),
    ({"assistant_id": "counter", "checkpoint_during": "x"}, "checkpoint_during"),
]


async def test_wrong_field_types_name_the_field(api: Api) -> None:
    before = await api.snapshot()
    for method, path, body, field in WRONG_TYPES:
        await api.rejected(method, path, body, status=422, says=field)
    for path in RUN_CREATE:
        for body, field in RUN_WRONG_TYPES:
            await api.rejected("POST", path, body, status=422, says=field)
    for path in STATEFUL_CREATE:  # a stateless run has no checkpoint: ignored there, as on the official server
        await api.rejected("POST", path, {"assistant_id": "counter", "checkpoint": "x"}, status=422, says="checkpoint")
    assert await api.snapshot() == before


ENUMS = [
    ("multitask_strategy", STATEFUL_CREATE),
    ("if_not_exists", STATEFUL_CREATE),
    ("on_completion", STATELESS_CREATE),
    ("on_disconnect", ["/threads/{tid}/runs/stream", "/threads/{tid}/runs/wait", "/runs/stream", "/runs/wait"]),
]


@pytest.mark.parametrize("value", ["bogus", "", "REJECT", 1])
async def test_bad_enum_values_are_422(api: Api, value: Any) -> None:
    before = await api.snapshot()
    for field, paths in ENUMS:
        for path in paths:
            await api.rejected("POST", path, {"assistant_id": "counter", "input": {}, field: value}, status=422, says=field)
    for path in RUN_CREATE:
        for mode in [value, [value], ["values", value]]:
            await api.rejected("POST", path, {"assistant_id": "counter", "input": {}, "stream_mode": mode}, status=422, says="stream_mode")
    await api.rejected("POST", "/threads", {"if_exists": value}, status=422, says="if_exists")
    await api.rejected("POST", "/threads/search", {"status": value}, status=422, says="status")
    await api.rejected("POST", "/assistants/search", {"sort_by": value}, status=422, says="sort_by")
    await api.rejected("POST", "/assistants/search", {"sort_order": value}, status=422, says="sort_order")
    assert await api.snapshot() == before


async def test_stream_modes_the_run_endpoints_do_not_serve_are_422(api: Api) -> None:
    for path in RUN_CREATE:
        for mode in ["tools", "lifecycle", "run_modes", "state_update"]:
            await api.rejected("POST", path, {"assistant_id": "counter", "stream_mode": mode}, status=422, says=mode)


# invalid UUIDs in bodies ---------------------------------------------------------------------


async def test_invalid_uuids_in_bodies(api: Api) -> None:
    before = await api.snapshot()
    for bad in ["nope", "", "0196b0d2", "x" * 5000]:
        await api.rejected("POST", "/threads", {"thread_id": bad}, status=422, says="Invalid thread ID")
        await api.rejected("POST", "/threads/search", {"ids": [api.tid, bad]}, says="thread ID")
        for path in STATEFUL_CREATE:
            await api.rejected("POST", path, {"assistant_id": "counter", "checkpoint_id": bad}, status=422, says="checkpoint ID")
    assert await api.snapshot() == before


# rules across fields -------------------------------------------------------------------------


@pytest.mark.parametrize("path", RUN_CREATE)
async def test_configurable_and_context_together_are_400(api: Api, path: str) -> None:
    before = await api.snapshot()
    body = {"assistant_id": "counter", "input": {}, "config": {"configurable": {"a": 1}}, "context": {"b": 2}}
    await api.rejected("POST", path, body, status=400, says=["configurable", "context"])
    assert await api.snapshot() == before


@pytest.mark.parametrize("path", STATELESS_CREATE)
async def test_stateless_resume_is_400(api: Api, path: str) -> None:
    before = await api.snapshot()
    for resume in ["yes", 0, False, {"answer": 1}]:
        body = {"assistant_id": "asker", "command": {"resume": resume}}
        await api.rejected("POST", path, body, status=400, says="You must provide a thread_id when resuming.")
    assert await api.snapshot() == before


# rejected creates change nothing ------------------------------------------------------------

REJECTED_RUNS = [
    {"assistant_id": "no-such-graph", "input": {}},
    {"assistant_id": MISSING, "input": {}},
    {"assistant_id": "counter", "input": {}, "multitask_strategy": "bogus"},
    {"assistant_id": "counter", "input": {}, "stream_mode": "bogus"},
    {"assistant_id": "counter", "input": {}, "config": {"configurable": {"a": 1}}, "context": {"a": 1}},
    {"assistant_id": "counter", "input": {}, "checkpoint_id": "bogus"},
    {"assistant_id": "counter", "input": {}, "after_seconds": -5},
]


@pytest.mark.parametrize("path", STATEFUL_CREATE)
async def test_a_rejected_run_leaves_the_thread_alone(api: Api, path: str) -> None:
    # give the thread some state first, so "unchanged" means something
    code, _ = await api.call("POST", "/threads/{tid}/runs/wait", {"assistant_id": "counter", "input": {"log": ["x"]}})
    assert code == 200
    code, thread = await api.call("GET", "/threads/{tid}")
    before = await api.snapshot()
    for body in REJECTED_RUNS:
        await api.rejected("POST", path, body)
    assert await api.call("GET", "/threads/{tid}") == (200, thread)
    assert await api.snapshot() == before
    code, runs = await api.call("GET", "/threads/{tid}/runs")
    assert code == 200 and len(runs) == 1


@pytest.mark.parametrize("path", STATEFUL_CREATE)
async def test_a_rejected_if_not_exists_create_leaves_no_thread(api: Api, path: str) -> None:
    new_id = "0196b0d2-0000-7000-8000-00000000abcd"
    before = await api.snapshot()
    for body in REJECTED_RUNS:
        await api.rejected("POST", path.replace("{tid}", new_id), {**body, "if_not_exists": "create"})
        await api.rejected("GET", f"/threads/{new_id}", status=404, says=new_id)
        await api.rejected("GET", f"/threads/{new_id}/runs", status=404)
    assert await api.snapshot() == before


async def test_an_empty_run_list_after_rejections_on_a_fresh_thread(api: Api) -> None:
    for path in STATEFUL_CREATE:
        for body in REJECTED_RUNS:
            await api.rejected("POST", path, body)
    assert await api.call("GET", "/threads/{tid}/runs") == (200, [])
    code, thread = await api.call("GET", "/threads/{tid}")
    assert code == 200
    assert thread["status"] == "idle" and thread["values"] is None and thread["metadata"] == {"owner": "tests"}


# odd values: numbers, strings, sizes ---------------------------------------------------------


async def test_negative_and_huge_limits_and_offsets(api: Api) -> None:
    before = await api.snapshot()
    for limit in [-1, 0, 10**30, 100_000]:
        await api.rejected("POST", "/threads/search", {"limit": limit}, says="limit")
        await api.rejected("POST", "/assistants/search", {"limit": limit}, says="limit")
        await api.rejected("POST", "/threads/{tid}/history", {"limit": limit}, says="limit")
        await api.rejected("GET", f"/threads/{{tid}}/runs?limit={limit}", says="limit")
    for offset in [-1, -(10**30)]:
        await api.rejected("POST", "/threads/search", {"offset": offset}, says="offset")
        await api.rejected("POST", "/assistants/search", {"offset": offset}, says="offset")
        await api.rejected("GET", f"/threads/{{tid}}/runs?offset={offset}", says="offset")
    for junk in ["abc", "1.5", ""]:
        await api.rejected("GET", f"/threads/{{tid}}/runs?limit={junk}", says="limit")
    await api.rejected("GET", "/threads/{tid}/runs?select=bogus", status=422, says="bogus")
    assert await api.snapshot() == before


async def test_odd_but_valid_strings_are_stored_and_returned_as_given(api: Api) -> None:
    odd = {
        "long": "x" * 1_000_000,
        "emoji": "😀👩‍👩‍👧‍👦🏳️‍🌈",
        "rtl": "abc\u202edef\u202c",
        "combining": "e\u0301\u0301\u0301",
        "zero-width": "a\u200b\u200db\ufeff",
        "controls": "tab\tnl\ncr\r\x01",
        "ключ-日本": "значение",
        "": "empty key",
        "big": 2**63 - 1,
        "float": 1.5e300,
    }
    code, thread = await api.call("POST", "/threads", {"metadata": odd})
    assert code == 200, thread
    assert thread["metadata"] == odd
    code, again = await api.call("GET", f"/threads/{thread['thread_id']}")
    assert code == 200 and again["metadata"] == odd
    code, found = await api.call("POST", "/threads/search", {"metadata": {"emoji": odd["emoji"], "rtl": odd["rtl"]}})
    assert code == 200 and [t["thread_id"] for t in found] == [thread["thread_id"]]


async def test_metadata_keys_with_quotes_and_path_characters_can_be_searched(api: Api) -> None:
    odd = {'say "hi"': 1, "a.b": 2, "c[0]": 3, "$": 4, "back\\slash": 5, "*": 6}
    code, thread = await api.call("POST", "/threads", {"metadata": odd})
    assert code == 200
    for key, value in odd.items():
        code, found = await api.call("POST", "/threads/search", {"metadata": {key: value}})
        assert code == 200, (key, found)
        assert [t["thread_id"] for t in found] == [thread["thread_id"]], key
        code, found = await api.call("POST", "/threads/search", {"values": {key: value}})
        assert (code, found) == (200, []), key
        code, found = await api.call("POST", "/assistants/search", {"metadata": {key: value}})
        assert (code, found) == (200, []), key


async def test_too_many_ids_in_a_search_is_422(api: Api) -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(40_000)]
    await api.rejected("POST", "/threads/search", {"ids": ids}, status=422, says="ids")
    code, found = await api.call("POST", "/threads/search", {"ids": [api.tid] * 40_000 + ids[:100]})
    assert code == 200 and [t["thread_id"] for t in found] == [api.tid]


async def test_a_body_over_the_size_limit_is_413(api: Api) -> None:
    before = await api.snapshot()
    raw = b'{"metadata": {"a": "' + b"x" * (33 * 1024 * 1024) + b'"}}'
    await api.rejected("POST", "/threads", raw=raw, status=413, says="too large")
    await api.rejected("POST", "/threads/{tid}/runs", raw=raw, status=413, says="too large")
    assert await api.snapshot() == before


# what is accepted ----------------------------------------------------------------------------


async def test_unknown_fields_are_accepted_and_ignored(api: Api) -> None:
    extra = {"bogus": 1, "strict_resume": True, "nested": {"deep": [1, 2]}}
    code, thread = await api.call("POST", "/threads", {"metadata": {"k": "v"}, **extra})
    assert code == 200 and thread["metadata"] == {"k": "v"}
    assert "bogus" not in thread
    code, found = await api.call("POST", "/threads/search", {"metadata": {"k": "v"}, **extra})
    assert code == 200 and [t["thread_id"] for t in found] == [thread["thread_id"]]
    code, patched = await api.call("PATCH", f"/threads/{thread['thread_id']}", {"metadata": {"k2": 2}, **extra})
    assert code == 200 and patched["metadata"] == {"k": "v", "k2": 2}
    code, result = await api.call("POST", "/threads/{tid}/runs/wait", {"assistant_id": "counter", "input": {"log": []}, **extra})
    assert code == 200 and result == {"log": ["first", "second"], "count": 2}
    code, history = await api.call("POST", "/threads/{tid}/history", {"limit": 2, **extra})
    assert code == 200 and len(history) == 2
    code, assistants = await api.call("POST", "/assistants/search", {"graph_id": "counter", "bogus": 1})
    assert code == 200 and [a["graph_id"] for a in assistants] == ["counter"]


async def test_an_empty_body_is_no_json_and_an_empty_object_means_defaults(api: Api) -> None:
    """As on the official server: a route that reads a body wants JSON, `{}` at least."""
    for path in ("/threads", "/threads/search", "/threads/{tid}/runs"):
        assert await api.rejected("POST", path, raw=b"", status=422) == "Invalid JSON in request body"
    code, thread = await api.call("POST", "/threads", {})
    assert code == 200 and thread["metadata"] == {}
    code, _ = await api.call("POST", "/threads/search", {})
    assert code == 200


# routing -------------------------------------------------------------------------------------


async def test_unknown_routes_are_404_json_and_wrong_methods_405_json(api: Api) -> None:
    """A wrong method on an API route is a 405; on a system route (`/ok`, `/info`…) a 404,
    as on the official server (test_system)."""
    for method, path in [("GET", "/nope"), ("POST", "/threads/{tid}/nope"), ("GET", "/runs/" + MISSING + "/stream"),
                         ("GET", "/threads/{tid}/runs/" + MISSING + "/nope"), ("GET", "/assistants"),
                         ("DELETE", "/ok"), ("POST", "/info")]:
        await api.rejected(method, path, status=404 if path != "/assistants" else None)
    for method, path in [("PUT", "/threads"), ("PUT", "/assistants/search"),
                         ("PUT", "/threads/{tid}"), ("GET", "/threads/{tid}/history"), ("DELETE", "/threads/{tid}/runs"),
                         ("GET", "/runs/wait"), ("PATCH", "/threads/{tid}/runs/" + MISSING)]:
        code, answer = await api.call(method, path)
        if (method, path) == ("GET", "/threads/{tid}/history") and code == 200:
            continue  # GET history is an official route too (§2.2); serving it is fine
        assert code == 405, (method, path, code, answer)
        assert isinstance(answer, dict) and answer["detail"], (method, path, answer)


async def test_health_and_info_ignore_junk(api: Api) -> None:
    assert await api.call("GET", "/ok?check_db=banana") == (200, {"ok": True, "services": {}})
    code, info = await api.call("GET", "/info", raw=b"{not json")
    assert code == 200 and info["flags"]["assistants"] is True
