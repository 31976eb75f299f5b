"""Custom auth end to end through the real SDK (reference §8): handlers that stamp what a
user creates, filters of every kind on reads, searches, counts, creates and runs, system
assistants, the user as the graph (and a graph factory, and a cron) sees it, the
per-user store, and a server without `auth` being unchanged.

The route-by-route matrix is test_auth_routes.py; the shapes of auth code (parameters,
return values, exceptions, handler resolution, startup errors) are test_auth_forms.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from auth_support import (  # noqa: F401  (fixtures)
    AUTH_CONFIG,
    FACTORY_CALLS,
    Http,
    Serve,
    auth_url,
    clients,
    http,
    project,
    sdk,
    serve,
    serve_project,
)
from conftest import make_app
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import ConflictError, NotFoundError
from support import until

from threadloom.protocol.ids import system_assistant_id

Clients = dict[str, LangGraphClient]
THREAD_OR_ASSISTANT = "Thread or assistant not found."


async def refused(call: Awaitable[Any]) -> tuple[int, Any]:
    """The status and detail of an SDK call that must fail (`runs.wait` raises a bare
    `httpx.HTTPStatusError`, the other methods a `langgraph_sdk.errors` subclass)."""
    try:
        await call
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code, exc.response.json().get("detail")
    raise AssertionError("the call succeeded")


# the owner stamp (tests/auth: the global handler writes metadata.owner) ------------------------


async def test_threads_are_stamped_with_their_owner(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    thread = await alice.threads.create(metadata={"owner": "bob", "topic": "x"})
    assert thread["metadata"] == {"owner": "alice", "topic": "x"}  # not who they claim
    tid = thread["thread_id"]
    assert (await alice.threads.get(tid))["metadata"]["owner"] == "alice"
    with pytest.raises(NotFoundError):
        await bob.threads.get(tid)
    assert tid not in [t["thread_id"] for t in await bob.threads.search(metadata={"owner": "alice"})]
    assert await bob.threads.count(metadata={"owner": "alice"}) == 0
    assert await alice.threads.count() == 1


async def test_assistants_are_stamped_with_their_owner(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    assistant = await alice.assistants.create("counter", metadata={"owner": "bob"}, name="mine")
    assert assistant["metadata"] == {"owner": "alice"}
    aid = assistant["assistant_id"]
    with pytest.raises(NotFoundError):
        await bob.assistants.get(aid)
    assert [a["assistant_id"] for a in await alice.assistants.search()] == [aid]
    assert await bob.assistants.search() == []
    assert (await bob.assistants.count(), await alice.assistants.count()) == (0, 1)


async def test_patching_cannot_remove_the_owner(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    tid = (await alice.threads.create())["thread_id"]
    patched = await alice.threads.update(tid, metadata={"owner": "bob", "topic": "y"})
    assert patched["metadata"]["owner"] == "alice"
    patched = await alice.threads.update(tid, metadata={"owner": None})
    assert patched["metadata"]["owner"] == "alice"
    with pytest.raises(NotFoundError):
        await bob.threads.get(tid)

    aid = (await alice.assistants.create("counter"))["assistant_id"]
    patched_assistant = await alice.assistants.update(aid, metadata={"owner": "bob"})
    assert patched_assistant["metadata"]["owner"] == "alice"
    assert patched_assistant["version"] == 2
    with pytest.raises(NotFoundError):
        await bob.assistants.get(aid)


async def test_patching_a_missing_or_hidden_thread_is_a_bare_not_found(clients: Clients) -> None:
    """As on the official server: `Not Found`, and for a missing thread before the handler
    is asked, so even a user it refuses everything (mallory) gets the 404, not a 403."""
    alice, bob, mallory = clients["alice"], clients["bob"], clients["mallory"]
    tid = (await alice.threads.create())["thread_id"]
    missing = str(uuid.uuid4())
    assert await refused(bob.threads.update(tid, metadata={"x": 1})) == (404, "Not Found")
    assert await refused(alice.threads.update(missing, metadata={"x": 1})) == (404, "Not Found")
    assert await refused(mallory.threads.update(missing, metadata={"x": 1})) == (404, "Not Found")
    assert await refused(mallory.threads.update(tid, metadata={"x": 1})) == (403, "Forbidden")


async def test_a_copy_belongs_to_who_copied(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    tid = (await alice.threads.create(metadata={"topic": "z"}))["thread_id"]
    await alice.runs.wait(tid, "counter", input={})
    copy = await alice.threads.copy(tid)
    assert copy["metadata"]["owner"] == "alice" and copy["metadata"]["topic"] == "z"
    with pytest.raises(NotFoundError):
        await bob.threads.get(copy["thread_id"])
    # someone else's thread cannot be copied: a 409 `Conflict`, as on the official server
    assert await refused(bob.threads.copy(tid)) == (409, "Conflict")
    assert await refused(clients["mallory"].threads.copy(tid)) == (403, "Forbidden")
    assert await bob.threads.count() == 0


async def test_joining_someone_elses_run_is_refused_as_the_official_server_does(clients: Clients) -> None:
    """The join stream says so in an `error` event of a 200 stream (the SDK yields it):
    a thread of someone else is `404: Thread not found`, a refusal `403: Forbidden`.
    The JSON join answers the same with a plain 404 or 403. Alice's own missing run is
    `Run not found`."""
    alice = clients["alice"]
    tid = (await alice.threads.create())["thread_id"]
    rid = (await alice.runs.create(tid, "counter", input={}))["run_id"]
    await alice.runs.join(tid, rid)

    async def join_stream(user: str, run_id: str) -> list[tuple[str, Any]]:
        return [(p.event, p.data) async for p in clients[user].runs.join_stream(tid, run_id)]

    def error(message: str) -> list[tuple[str, Any]]:
        return [("error", {"error": "HTTPException", "message": message})]

    assert await join_stream("bob", rid) == error("404: Thread not found")
    assert await join_stream("mallory", rid) == error("403: Forbidden")
    missing = "00000000-0000-4000-8000-000000000000"
    assert await join_stream("alice", missing) == error("404: Run not found")
    assert await refused(clients["bob"].runs.join(tid, rid)) == (404, "Thread not found")
    assert await refused(clients["mallory"].runs.join(tid, rid)) == (403, "Forbidden")
    assert await alice.runs.join(tid, missing) == {"__error__": error("404: Run not found")[0][1]}


async def test_runs_that_create_their_thread_stamp_it(clients: Clients) -> None:
    """The owner `threads.create_run` writes into the run's metadata lands on the thread
    the run creates: a run with `if_not_exists=create`, and a kept stateless run."""
    alice, bob = clients["alice"], clients["bob"]
    tid = str(uuid.uuid4())
    await alice.runs.wait(tid, "counter", input={}, if_not_exists="create")
    thread = await alice.threads.get(tid)
    assert thread["metadata"]["owner"] == "alice"
    run = (await alice.runs.list(tid))[0]
    assert run["metadata"]["owner"] == "alice"
    with pytest.raises(NotFoundError):
        await bob.threads.get(tid)
    with pytest.raises(NotFoundError):
        await bob.runs.list(tid)

    stateless = await alice.runs.create(None, "counter", input={}, on_completion="keep")
    await alice.runs.join(stateless["thread_id"], stateless["run_id"])
    kept = await alice.threads.get(stateless["thread_id"])
    assert kept["metadata"]["owner"] == "alice"
    with pytest.raises(NotFoundError):
        await bob.threads.get(stateless["thread_id"])


async def test_crons_are_stamped_with_their_owner(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    tid = (await alice.threads.create())["thread_id"]
    on_thread = await alice.crons.create_for_thread(tid, "counter", schedule="0 0 1 1 *", metadata={"owner": "bob"})
    stateless = await alice.crons.create("counter", schedule="0 0 1 1 *")
    for cron in (on_thread, stateless):
        assert cron["metadata"]["owner"] == "alice"
        assert cron["user_id"] == "alice"
    # the payload shows the request's metadata as the handler left it; none if it had none (as there)
    assert (on_thread["payload"]["metadata"], "metadata" in stateless["payload"]) == ({"owner": "alice"}, False)
    assert sorted(c["cron_id"] for c in await alice.crons.search()) == sorted([on_thread["cron_id"], stateless["cron_id"]])
    assert await bob.crons.search() == []
    assert await bob.crons.count() == 0
    with pytest.raises(NotFoundError):
        await bob.crons.delete(on_thread["cron_id"])
    with pytest.raises(NotFoundError):  # bob may not read alice's thread to run a cron on it
        await bob.crons.create_for_thread(tid, "counter", schedule="0 0 1 1 *")


async def test_patching_a_cron_cannot_give_it_away(clients: Clients) -> None:
    """`crons.update` is told the PATCH's metadata, so the owner stamp holds: otherwise bob
    would see (and could change) a cron that runs as alice."""
    alice, bob = clients["alice"], clients["bob"]
    cron = await alice.crons.create("counter", schedule="0 0 1 1 *")
    patched = await alice.crons.update(cron["cron_id"], metadata={"owner": "bob", "note": "x"})
    assert patched["metadata"] == {"owner": "alice", "note": "x"}
    assert await bob.crons.search() == []


async def test_a_stateless_crons_threads_belong_to_its_owner(aiohttp_server: Any) -> None:
    url = await serve(aiohttp_server, cron_poll_seconds=0.05)
    alice, bob = sdk(url, "alice"), sdk(url, "bob")
    try:
        cron = await alice.crons.create("whoami", schedule="* * * * * *", input={}, on_run_completed="keep")
        threads = await until(alice.threads.search, timeout=15)
        await alice.crons.delete(cron["cron_id"])
        assert threads[0]["metadata"]["owner"] == "alice"
        assert await bob.threads.search() == []
        with pytest.raises(NotFoundError):
            await bob.threads.get(threads[0]["thread_id"])
    finally:
        await alice.http.client.aclose()
        await bob.http.client.aclose()


async def test_cancelling_all_runs_cancels_only_ones_own(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    slow = {"steps": 1000, "delay": 0.05, "tag": "t"}
    alices = (await alice.threads.create())["thread_id"]
    alices_run = await alice.runs.create(alices, "slow", input=slow)
    assert await refused(bob.runs.cancel_many(status="all")) == (404, "No runs found to cancel.")
    assert await refused(bob.runs.cancel_many(status="pending")) == (404, "No runs found to cancel.")
    bobs = (await bob.threads.create())["thread_id"]
    bobs_run = await bob.runs.create(bobs, "slow", input=slow)
    await bob.runs.cancel_many(status="all")
    await until(lambda: _status_in(bob, bobs, bobs_run["run_id"], ("interrupted", "error", "success")))
    assert (await alice.runs.get(alices, alices_run["run_id"]))["status"] in ("pending", "running")
    await alice.runs.cancel_many(status="all")
    await until(lambda: _status_in(alice, alices, alices_run["run_id"], ("interrupted",)))


async def _status_in(client: LangGraphClient, tid: str, rid: str, statuses: tuple[str, ...]) -> bool:
    return (await client.runs.get(tid, rid))["status"] in statuses


# filters of every kind ------------------------------------------------------------------------------

FILTERS = '''
from langgraph_sdk import Auth

auth = Auth()

# each user sees what their filter matches; "admin" sees everything
FILTERS = {
    "plain": {"team": "red"},
    "eq": {"team": {"$eq": "red"}},
    "contains": {"tags": {"$contains": "blue"}},
    "contains-all": {"tags": {"$contains": ["red", "blue"]}},
    "or": {"$or": [{"team": "red"}, {"team": "blue"}]},
    "and": {"$and": [{"team": "red"}, {"level": 2}]},
    "nested": {"$or": [{"$and": [{"team": "green"}, {"level": 2}]}, {"team": "blue"}]},
    "several-keys": {"team": "green", "level": {"$eq": 2}},
    "typed": {"level": {"$eq": "2"}},
}

@auth.authenticate
async def authenticate(authorization: str | None):
    if not authorization:
        raise Auth.exceptions.HTTPException(status_code=401, detail="no")
    return authorization.removeprefix("Bearer ").removesuffix("-token")

@auth.on
async def by_filter(ctx: Auth.types.AuthContext, value):
    return FILTERS.get(ctx.user.identity)
'''

RESOURCES = {  # name: metadata
    "red": {"team": "red", "tags": ["red", "blue"], "level": 2},
    "blue": {"team": "blue", "tags": ["blue"], "level": 1},
    "green": {"team": "green", "tags": [], "level": 2},
    "bare": {},
}

VISIBLE = {
    "plain": {"red"},
    "eq": {"red"},
    "contains": {"red", "blue"},
    "contains-all": {"red"},
    "or": {"red", "blue"},
    "and": {"red"},
    "nested": {"green", "blue"},
    "several-keys": {"green"},
    "typed": set(),  # "2" is not 2
}


@pytest.fixture
async def filtered(serve_project: Serve) -> Any:
    """A server where each user's filter is a FILTERS entry; threads and assistants for
    each of RESOURCES, made by the admin."""
    url = await serve_project(FILTERS)
    admin = sdk(url, "admin")
    threads, assistants = {}, {}
    for name, metadata in RESOURCES.items():
        threads[name] = (await admin.threads.create(metadata={**metadata, "name": name}))["thread_id"]
        assistants[name] = (await admin.assistants.create("counter", metadata={**metadata, "name": name}))["assistant_id"]
    yield url, threads, assistants
    await admin.http.client.aclose()


@pytest.mark.parametrize("user", sorted(VISIBLE))
async def test_filters_on_threads(filtered: Any, user: str) -> None:
    url, threads, _ = filtered
    client = sdk(url, user)
    try:
        visible = VISIBLE[user]
        # search and count
        found = {t["metadata"]["name"] for t in await client.threads.search(limit=100)}
        assert found == visible
        assert await client.threads.count() == len(visible)
        assert await client.threads.count(metadata={"level": 2}) == len(visible & {"red", "green"})
        for name, tid in threads.items():
            if name in visible:
                assert (await client.threads.get(tid))["thread_id"] == tid
                assert (await client.threads.get_state(tid))["values"] == {}
                continue
            # a read
            with pytest.raises(NotFoundError):
                await client.threads.get(tid)
            with pytest.raises(NotFoundError):
                await client.threads.get_state(tid)
            # a create naming a hidden id: taken, even with if_exists=do_nothing
            for if_exists in ("raise", "do_nothing"):
                with pytest.raises(ConflictError):
                    await client.threads.create(thread_id=tid, if_exists=if_exists)
            # a run on a hidden thread
            assert await refused(client.runs.create(tid, "counter", input={})) == (404, THREAD_OR_ASSISTANT)
            assert await refused(client.runs.wait(tid, "counter", input={})) == (404, THREAD_OR_ASSISTANT)
        # a run on a visible thread works (and makes the thread busy for nobody else)
        if visible:
            name = sorted(visible)[0]
            result = await client.runs.wait(threads[name], "counter", input={})
            assert result["log"] == ["first", "second"]
    finally:
        await client.http.client.aclose()


@pytest.mark.parametrize("user", sorted(VISIBLE))
async def test_filters_on_assistants(filtered: Any, user: str) -> None:
    url, _, assistants = filtered
    client = sdk(url, user)
    try:
        visible = VISIBLE[user]
        found = {a["metadata"]["name"] for a in await client.assistants.search(limit=100)}
        assert found == visible  # the system assistants have none of these keys
        assert await client.assistants.count() == len(visible)
        for name, aid in assistants.items():
            if name in visible:
                assert (await client.assistants.get(aid))["assistant_id"] == aid
                assert (await client.runs.wait(None, aid, input={}))["log"] == ["first", "second"]
                continue
            with pytest.raises(NotFoundError):
                await client.assistants.get(aid)
            for if_exists in ("raise", "do_nothing"):
                with pytest.raises(ConflictError):
                    await client.assistants.create("counter", assistant_id=aid, if_exists=if_exists)
            assert await refused(client.runs.wait(None, aid, input={})) == (404, THREAD_OR_ASSISTANT)
    finally:
        await client.http.client.aclose()


async def test_a_filter_holds_with_the_requests_own(filtered: Any) -> None:
    """The handler's filter and the request's metadata filter both hold."""
    url, _, _ = filtered
    client = sdk(url, "or")
    try:
        assert {t["metadata"]["name"] for t in await client.threads.search(metadata={"level": 1})} == {"blue"}
        assert await client.threads.search(metadata={"team": "green"}) == []
        assert await client.threads.count(metadata={"team": "green"}) == 0
        assert {a["metadata"]["name"] for a in await client.assistants.search(metadata={"level": 2})} == {"red"}
    finally:
        await client.http.client.aclose()


# system assistants ---------------------------------------------------------------------------------


async def test_system_assistants_run_for_everyone_but_are_not_listed(clients: Clients) -> None:
    """The owner filter hides the system assistants (their metadata has no owner) from
    search and get, as on the official server; runs on them work for every user."""
    for user in ("alice", "bob", "eve"):
        client = clients[user]
        assert (await client.runs.wait(None, "counter", input={}))["log"] == ["first", "second"]
        thread = await client.threads.create()
        assert (await client.runs.wait(thread["thread_id"], "counter", input={}))["log"] == ["first", "second"]
        by_id = await client.runs.wait(None, system_assistant_id("counter"), input={})
        assert by_id["log"] == ["first", "second"]
        assert await client.assistants.search(graph_id="counter") == []
        with pytest.raises(NotFoundError):
            await client.assistants.get(system_assistant_id("counter"))


async def test_a_users_assistant_runs_only_for_them(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    aid = (await alice.assistants.create("counter"))["assistant_id"]
    assert (await alice.runs.wait(None, aid, input={}))["log"] == ["first", "second"]
    alices = (await alice.threads.create())["thread_id"]
    assert (await alice.runs.wait(alices, aid, input={}))["log"] == ["first", "second"]
    bobs = (await bob.threads.create())["thread_id"]
    for thread_id in (None, bobs):
        assert await refused(bob.runs.wait(thread_id, aid, input={})) == (404, THREAD_OR_ASSISTANT)
        assert await refused(bob.runs.create(thread_id, aid, input={})) == (404, THREAD_OR_ASSISTANT)
    assert await refused(bob.crons.create(aid, schedule="0 0 1 1 *")) == (404, f"Assistant '{aid}' not found")
    assert await bob.runs.list(bobs) == []


# the user, as the graph sees it -----------------------------------------------------------------


async def test_runs_carry_the_user_to_the_graph(auth_url: str) -> None:
    alice = sdk(auth_url, "alice", headers={"X-Request-ID": "req-alice-1"})
    eve = sdk(auth_url, "eve")
    try:
        seen = (await alice.runs.wait(None, "whoami", input={}))["seen"]
        assert seen["user"] == {
            "identity": "alice", "display_name": "alice", "is_authenticated": True, "permissions": ["delete"], "org": "acme",
        }
        assert (seen["identity"], seen["item"], seen["user_id"]) == ("alice", "alice", "alice")  # attribute and item access
        assert seen["permissions"] == ["delete"]
        assert seen["request_id"] == "req-alice-1"

        thread = await eve.threads.create()
        run = await eve.runs.create(thread["thread_id"], "whoami", input={})
        await eve.runs.join(thread["thread_id"], run["run_id"])
        state = await eve.threads.get_state(thread["thread_id"])
        assert state["values"]["seen"]["user_id"] == "eve" and state["values"]["seen"]["permissions"] == []
        configurable = (await eve.runs.get(thread["thread_id"], run["run_id"]))["kwargs"]["config"]["configurable"]
        assert configurable["user_id"] == "eve" and configurable["langgraph_auth_user_id"] == "eve"
    finally:
        await alice.http.client.aclose()
        await eve.http.client.aclose()


SPOOF = {
    "langgraph_auth_user_id": "root", "langgraph_auth_user": {"identity": "root", "permissions": ["admin"]},
    "user_id": "root", "langgraph_auth_permissions": ["admin"],
}


async def test_a_request_cannot_claim_another_user(clients: Clients) -> None:
    """The user keys a client sends (run config or context, the assistant's) lose to the
    server's."""
    alice = clients["alice"]
    tid = (await alice.threads.create())["thread_id"]
    assistant = (await alice.assistants.create("whoami", config={"configurable": SPOOF}))["assistant_id"]
    for thread_id, assistant_id, extra in (
        (None, "whoami", {"config": {"configurable": SPOOF}}),
        (None, "whoami", {"context": SPOOF}),
        (tid, "whoami", {"config": {"configurable": SPOOF}}),
        (None, assistant, {}),
    ):
        seen = (await alice.runs.wait(thread_id, assistant_id, input={}, **extra))["seen"]
        assert (seen["user_id"], seen["identity"], seen["permissions"]) == ("alice", "alice", ["delete"]), extra
    made = (await alice.runs.wait(None, "made_for", input={}, config={"configurable": SPOOF}))["seen"]
    assert made["made_for"] == "alice"


async def test_a_graph_factory_is_made_for_the_user(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    thread = await alice.threads.create()
    tid = thread["thread_id"]
    FACTORY_CALLS.clear()
    result = await alice.runs.wait(tid, "made_for", input={})
    assert result["seen"] == {"made_for": "alice", "access": "threads.create_run"}
    assert ("threads.create_run", "alice") in FACTORY_CALLS

    FACTORY_CALLS.clear()
    await alice.threads.get_state(tid)
    await alice.threads.get_history(tid)
    assert FACTORY_CALLS and all(call == ("threads.read", "alice") for call in FACTORY_CALLS), FACTORY_CALLS

    FACTORY_CALLS.clear()
    made_for = await alice.assistants.create("made_for")
    await alice.assistants.get_schemas(made_for["assistant_id"])
    await alice.assistants.get_graph(made_for["assistant_id"])
    assert FACTORY_CALLS and all(call == ("assistants.read", "alice") for call in FACTORY_CALLS), FACTORY_CALLS

    FACTORY_CALLS.clear()
    bobs = (await bob.runs.wait(None, "made_for", input={}))["seen"]
    assert bobs["made_for"] == "bob"
    assert all(who == "bob" for _, who in FACTORY_CALLS), FACTORY_CALLS


async def test_a_cron_runs_as_the_user_who_made_it(aiohttp_server: Any) -> None:
    url = await serve(aiohttp_server, cron_poll_seconds=0.05)
    alice = sdk(url, "alice")
    try:
        tid = (await alice.threads.create())["thread_id"]
        cron = await alice.crons.create_for_thread(
            tid, "whoami", schedule="* * * * * *", input={}, config={"configurable": SPOOF}
        )

        async def fired() -> Any:
            runs = await alice.runs.list(tid)
            done = [r for r in runs if r["status"] == "success"]
            return done[0] if done else None

        run = await until(fired, timeout=15)
        await alice.crons.delete(cron["cron_id"])
        seen = (await alice.threads.get_state(tid))["values"]["seen"]
        assert seen["user_id"] == "alice" and seen["user"]["org"] == "acme" and seen["permissions"] == ["delete"]
        assert run["kwargs"]["config"]["configurable"]["langgraph_auth_user_id"] == "alice"
        assert run["metadata"]["owner"] == "alice"  # the cron's metadata, stamped, though its payload has none
    finally:
        await alice.http.client.aclose()


async def test_a_cron_still_runs_as_its_user_after_a_restart(database: Any, tmp_path: Any) -> None:
    db = str(database(tmp_path / "threadloom.sqlite"))
    first = TestServer(make_app(config=AUTH_CONFIG, db=db, cron_poll_seconds=3600))  # never gets to fire it
    await first.start_server()
    alice = sdk(str(first.make_url("")).rstrip("/"), "alice")
    try:
        tid = (await alice.threads.create())["thread_id"]
        await alice.crons.create_for_thread(tid, "whoami", schedule="* * * * * *", input={})
    finally:
        await alice.http.client.aclose()
        await first.close()

    second = TestServer(make_app(config=AUTH_CONFIG, db=db, cron_poll_seconds=0.05))
    await second.start_server()
    alice = sdk(str(second.make_url("")).rstrip("/"), "alice")
    try:
        async def seen() -> Any:
            return ((await alice.threads.get_state(tid))["values"] or {}).get("seen")

        assert (await until(seen, timeout=15))["user"]["identity"] == "alice"
    finally:
        await alice.http.client.aclose()
        await second.close()


async def test_the_request_id_reaches_runs_of_every_kind(http: Http) -> None:
    sent = {"X-Request-ID": "req-42"}
    tid = (await http("POST", "/threads", {}, user="bob")).body["thread_id"]
    reply = await http("POST", f"/threads/{tid}/runs/wait", {"assistant_id": "whoami", "input": {}}, user="bob", headers=sent)
    assert reply.headers["X-Request-ID"] == "req-42"
    assert reply.body["seen"]["request_id"] == "req-42"
    reply = await http("POST", "/runs/wait", {"assistant_id": "whoami", "input": {}}, user="bob",
                       headers={"X-Request-ID": "req-43"})
    assert reply.body["seen"]["request_id"] == "req-43"
    # a refused request still names its id
    reply = await http("POST", "/runs/wait", {"assistant_id": "whoami"}, headers={"X-Request-ID": "req-44"})
    assert (reply.status, reply.headers["X-Request-ID"]) == (401, "req-44")


# the store ------------------------------------------------------------------------------------------


async def test_the_store_is_per_user(clients: Clients) -> None:
    alice, bob = clients["alice"], clients["bob"]
    await alice.store.put_item(["notes"], "todo", {"text": "alice's"})
    await bob.store.put_item(["notes"], "other", {"text": "bob's"})
    item = await alice.store.get_item(["notes"], "todo")
    assert (item["namespace"], item["value"]) == (["alice", "notes"], {"text": "alice's"})
    assert await bob.store.get_item(["notes"], "todo") is None
    # the prefix is added to what a user names: they cannot reach into another's namespace
    assert await bob.store.get_item(["alice", "notes"], "todo") is None
    assert [i["key"] for i in (await alice.store.search_items(["notes"]))["items"]] == ["todo"]
    assert [i["key"] for i in (await bob.store.search_items(["notes"]))["items"]] == ["other"]
    assert (await bob.store.search_items([]))["items"][0]["namespace"] == ["bob", "notes"]
    assert (await alice.store.list_namespaces())["namespaces"] == [["alice", "notes"]]
    assert (await bob.store.list_namespaces(prefix=["notes"]))["namespaces"] == [["bob", "notes"]]
    await bob.store.delete_item(["notes"], "todo")  # his own (missing) item
    assert (await alice.store.get_item(["notes"], "todo"))["value"] == {"text": "alice's"}


STORE_FILTER = '''
from langgraph_sdk import Auth

auth = Auth()

@auth.authenticate
async def authenticate(authorization: str | None):
    return (authorization or "Bearer nobody").removeprefix("Bearer ").removesuffix("-token")

@auth.on.store.search
async def own_items(ctx: Auth.types.AuthContext, value):
    return {"owner": ctx.user.identity}
'''


async def test_a_store_search_filter_holds_with_the_requests(serve_project: Serve) -> None:
    url = await serve_project(STORE_FILTER)
    ann, ben = sdk(url, "ann"), sdk(url, "ben")
    try:
        for who, client in (("ann", ann), ("ben", ben)):
            for color in ("red", "blue"):
                await client.store.put_item(["shared"], f"{who}-{color}", {"owner": who, "color": color})
        keys = [i["key"] for i in (await ann.store.search_items(["shared"], limit=100))["items"]]
        assert sorted(keys) == ["ann-blue", "ann-red"]
        red = [i["key"] for i in (await ann.store.search_items(["shared"], filter={"color": "red"}))["items"]]
        assert red == ["ann-red"]
        # asking for another's items shows nothing: both filters hold, and no item is both
        assert (await ann.store.search_items(["shared"], filter={"owner": "ben"}))["items"] == []
        # operators on the same field combine
        mine = await ann.store.search_items(["shared"], filter={"owner": {"$ne": "ben"}, "color": "blue"})
        assert [i["key"] for i in mine["items"]] == ["ann-blue"]
        # get is not filtered by this handler (it only covers search)
        assert (await ann.store.get_item(["shared"], "ben-red"))["value"]["owner"] == "ben"
    finally:
        await ann.http.client.aclose()
        await ben.http.client.aclose()


# without auth ----------------------------------------------------------------------------------------


async def test_without_auth_nothing_changes(url: str) -> None:
    """No `auth` in langgraph.json: no 401s, and runs carry an empty user (null, `""`,
    `[]`), as on the official server, so graph code reading it works the same."""
    client = sdk(url)  # no credentials at all
    try:
        thread = await client.threads.create(metadata={"topic": "open"})
        assert thread["metadata"] == {"topic": "open"}  # no owner stamp
        run = await client.runs.create(thread["thread_id"], "counter", input={})
        await client.runs.join(thread["thread_id"], run["run_id"])
        configurable = (await client.runs.get(thread["thread_id"], run["run_id"]))["kwargs"]["config"]["configurable"]
        assert configurable["user_id"] == ""
        assert (configurable["langgraph_auth_user"], configurable["langgraph_auth_user_id"],
                configurable["langgraph_auth_permissions"]) == (None, "", [])
        await client.store.put_item(["open"], "k", {"v": 1})
        assert (await client.store.get_item(["open"], "k"))["namespace"] == ["open"]
        assert len(await client.assistants.search()) > 0  # the system assistants are listed
    finally:
        await client.http.client.aclose()
