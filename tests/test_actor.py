"""The actor base: one message at a time, failures contained, clean stop."""

from __future__ import annotations

import asyncio

import pytest

from actors.actor import Actor, ActorStopped


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
