"""The actor base: one message at a time, failures contained, clean stop."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref

import pytest

from threadloom.actors.actor import Actor, ActorStopped, AskTimeout
from threadloom.actors.mailbox import Mailbox

GUARD_SECONDS = 30.0  # how long to wait for what must happen: not a timing assertion


class Recorder(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[object] = []
        self.active = 0
        self.max_active = 0

    async def receive(self, message: object) -> object:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(0)
            if message == "boom":
                raise ValueError("boom")
            self.seen.append(message)
            return f"got {message}"
        finally:
            self.active -= 1


async def test_messages_are_handled_one_at_a_time_in_order():
    actor = Recorder()
    actor.start()
    replies = await asyncio.gather(*(actor.ask(i) for i in range(50)))
    assert replies == [f"got {i}" for i in range(50)]
    assert actor.seen == list(range(50))
    assert actor.max_active == 1
    await actor.stop()


async def test_a_failing_message_fails_only_itself():
    actor = Recorder()
    actor.start()
    actor.tell("boom")  # logged, not raised
    with pytest.raises(ValueError, match="boom"):
        await actor.ask("boom")
    assert await actor.ask("after") == "got after"
    await actor.stop()


async def test_stop_handles_what_was_sent_then_refuses_more():
    actor = Recorder()
    actor.start()
    for i in range(5):
        actor.tell(i)
    await actor.stop()
    assert actor.seen == [0, 1, 2, 3, 4]
    with pytest.raises(ActorStopped):
        await actor.ask("late")
    with pytest.raises(ActorStopped):
        actor.tell("late")


class FailsToStart(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.stopped_hook = False

    async def on_start(self) -> None:
        await asyncio.sleep(0)
        raise OSError("recovery failed")

    async def on_stop(self) -> None:
        self.stopped_hook = True


async def test_an_actor_whose_start_fails_stops_instead_of_serving():
    """Serving without what `on_start` should have set up (a supervisor without the runs
    it was to recover) would be wrong: it stops, and says why to whoever asks."""
    actor = FailsToStart()
    actor.start()
    asked = asyncio.ensure_future(actor.ask("queued before the failure"))
    with pytest.raises(ActorStopped, match="failed to start") as stopped:
        await asked
    assert isinstance(stopped.value.__cause__, OSError)
    assert actor.seen == [] and actor.stopped and actor.stopped_hook
    with pytest.raises(ActorStopped):
        await actor.ask("later")
    await actor.stop()  # a no-op now


class Slow(Actor):
    async def receive(self, message: object) -> object:
        await asyncio.sleep(float(message))  # type: ignore[arg-type]
        return message


async def test_an_ask_gives_up_after_its_timeout_and_the_actor_goes_on():
    actor = Slow()
    actor.start()
    with pytest.raises(AskTimeout, match="within 0.05 s"):
        await actor.ask(0.5, timeout=0.05)
    assert await actor.ask(0, timeout=5) == 0  # the slow one was handled, then this
    await actor.stop()


async def test_idle_supervisors_are_reaped_and_respawned_on_demand(aiohttp_server):
    from langgraph_sdk import get_client

    from conftest import make_app
    from threadloom.server.context import RUNTIME

    app = make_app(supervisor_idle_seconds=0.05)
    server = await aiohttp_server(app)
    client = get_client(url=str(server.make_url("")).rstrip("/"), api_key=None)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "counter", input={"log": ["a"]})
    assert len(app[RUNTIME].supervisors) == 1
    for _ in range(100):
        if len(app[RUNTIME].supervisors) == 0:
            break
        await asyncio.sleep(0.02)
    assert len(app[RUNTIME].supervisors) == 0
    # a fresh supervisor picks the thread up again, history intact
    result = await client.runs.wait(thread["thread_id"], "counter", input={"log": ["b"]})
    assert result["log"] == ["a", "first", "second", "b", "first", "second"]
    await client.http.client.aclose()



WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


class WhoAsks(Actor):
    async def receive(self, message: object) -> object:
        seen = WHO.get()
        await asyncio.sleep(0)
        WHO.set("the actor")  # for this message's handling only
        return seen


async def test_a_message_is_handled_in_its_senders_context():
    actor = WhoAsks()
    actor.start()

    async def ask_as(who: str) -> object:
        WHO.set(who)
        return await actor.ask(None)

    assert await asyncio.gather(ask_as("alice"), ask_as("bob")) == ["alice", "bob"]
    assert await actor.ask(None) == "nobody" and WHO.get() == "nobody"
    await actor.stop()


async def test_an_actors_own_work_is_done_in_no_senders_context():
    started_as: list[str] = []

    class Starter(WhoAsks):
        async def on_start(self) -> None:
            started_as.append(WHO.get())

    WHO.set("alice")
    actor = Starter()
    actor.start()  # e.g. spawned on a request of alice's
    assert await actor.ask(None) == "alice"
    assert started_as == ["nobody"]
    await actor.stop()


async def test_a_mailbox_gives_its_items_in_order_and_waits_for_the_next() -> None:
    box: Mailbox[int] = Mailbox()
    assert box.empty()
    with pytest.raises(IndexError):
        box.get_nowait()
    waiting = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    box.put_nowait(1)
    box.put_nowait(2)
    assert await waiting == 1
    box.put_nowait(3)
    assert [await box.get(), box.get_nowait()] == [2, 3] and box.empty()


async def test_a_reader_cancelled_while_it_waits_leaves_the_mailbox_usable() -> None:
    box: Mailbox[str] = Mailbox()
    waiting = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    box.put_nowait("after")
    assert await asyncio.wait_for(box.get(), GUARD_SECONDS) == "after"


async def test_started_returns_at_once_for_an_actor_already_started() -> None:
    actor = Recorder()
    actor.start()
    await asyncio.wait_for(actor.started(), GUARD_SECONDS)
    await asyncio.wait_for(actor.started(), GUARD_SECONDS)
    assert await actor.ask("x") == "got x"
    await actor.stop()


class _Payload:
    pass


_SENDER: contextvars.ContextVar[_Payload] = contextvars.ContextVar("sender")


async def test_an_actor_waiting_for_its_next_message_keeps_nothing_of_the_last() -> None:
    """Neither the message, nor its reply, nor its sender's context (a finished run's,
    with what LangGraph keeps in it): an idle supervisor holds none of its last run."""

    class Forgetful(Actor):
        async def receive(self, message: object) -> object:
            return message

    actor = Forgetful()
    actor.start()

    async def send() -> tuple[weakref.ref[_Payload], weakref.ref[_Payload]]:
        message, sender = _Payload(), _Payload()
        _SENDER.set(sender)
        assert await actor.ask(message) is message
        return weakref.ref(message), weakref.ref(sender)

    message, sender = await asyncio.create_task(send())  # its own context, dropped after
    await asyncio.sleep(0)
    gc.collect()
    assert message() is None and sender() is None
    await actor.stop()


_OWN: contextvars.ContextVar[str] = contextvars.ContextVar("own")
_REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request")


async def test_what_an_actor_kept_of_its_start_holds_for_each_message_over_its_senders() -> None:
    """The fence of a thread's lease is set up by its supervisor's start and must hold for
    what it does for any request; the request's own context holds too."""

    class Holder(Actor):
        async def on_start(self) -> None:
            _OWN.set("the actor's")
            self.keep_own_context()

        async def receive(self, message: object) -> object:
            return _OWN.get(None), _REQUEST.get(None)

    actor = Holder()
    actor.start()

    async def request() -> object:
        _OWN.set("the sender's")
        _REQUEST.set("its request")
        return await actor.ask("who?")

    assert await asyncio.create_task(request()) == ("the actor's", "its request")
    handed = actor.with_kept(contextvars.Context())  # e.g. a run picked up after a restart
    assert handed.get(_OWN) == "the actor's"
    await actor.stop()
