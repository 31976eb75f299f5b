"""A minimal actor: a mailbox drained by one task, `tell` and `ask`, lifecycle hooks.

Messages are handled one at a time, so an actor's own state needs no lock. A handler that
raises fails only that message: an `ask` gets the exception, a `tell` is logged, and the
actor goes on with the next message. An actor whose `on_start` raises does not serve
without what it failed to set up: it stops, and every `ask` gets `ActorStopped`. Each
message is handled in a copy of its sender's context (`contextvars`): what the sender's
context variables say about who it acts for (e.g. the request's encryption context)
holds for what the actor does about it, with what the actor set up for itself at its
start on top (`keep_own_context`: the fence of a thread's lease).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

from .mailbox import Mailbox

log = logging.getLogger(__name__)

_STOP = object()


class ActorStopped(RuntimeError):
    pass


class AskTimeout(TimeoutError):
    """No reply within the `ask`'s timeout (the message may still be handled later)."""


class Actor:
    def __init__(self) -> None:
        self._mailbox: Mailbox[tuple[Any, asyncio.Future[Any] | None, contextvars.Context | None]] = Mailbox()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._started = False
        self._starting: asyncio.Future[None] | None = None  # made for whoever waits for the start
        self._start_failure: BaseException | None = None
        self._kept: contextvars.Context | None = None  # see `keep_own_context`

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """The actor's own work (`on_start`, `on_stop`) is done in a fresh context: it
        belongs to no sender, whoever happened to start it."""
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name=type(self).__name__, context=contextvars.Context())

    async def stop(self) -> None:
        """Handle what is already in the mailbox, then stop."""
        if self._task is None:
            return
        if not self._stopping:
            self._stopping = True
            self._mailbox.put_nowait((_STOP, None, None))
        await asyncio.shield(self._task)

    async def started(self) -> None:
        """Returns once `on_start` has run (whatever its outcome)."""
        if not self._started:
            if self._starting is None:
                self._starting = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._starting)

    async def on_start(self) -> None:
        """Runs before the first message."""

    def keep_own_context(self) -> None:
        """From now on, what the actor's own context holds (what its start has set up so
        far: it began empty) is in force for every message it handles, on top of the
        message's sender's context; and for what it hands the same to (`with_kept`)."""
        self._kept = contextvars.copy_context()

    def with_kept(self, context: contextvars.Context) -> contextvars.Context:
        """`context`, a copy not entered anywhere, with what `keep_own_context` kept set in
        it (changed in place)."""
        if self._kept is not None:
            for var, value in self._kept.items():
                context.run(var.set, value)
        return context

    async def on_stop(self) -> None:
        """Runs after the last message."""

    async def receive(self, message: Any) -> Any:
        raise NotImplementedError

    def after_message(self) -> None:
        """Runs after each message, whatever its outcome."""

    # messaging ---------------------------------------------------------------------------

    def tell(self, message: Any) -> None:
        if self._stopping:
            raise ActorStopped(f"{type(self).__name__} is stopping")
        self._mailbox.put_nowait((message, None, contextvars.copy_context()))

    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        """The reply to `message`; `AskTimeout` if none comes within `timeout` seconds."""
        if self._stopping:
            raise ActorStopped(f"{type(self).__name__} is stopping")
        reply = asyncio.get_running_loop().create_future()
        self._mailbox.put_nowait((message, reply, contextvars.copy_context()))
        try:
            return await asyncio.wait_for(reply, timeout)
        except TimeoutError:
            if reply.cancelled():  # ours: the handler's own TimeoutError sets the reply
                raise AskTimeout(f"{type(self).__name__} did not answer {type(message).__name__} within {timeout} s") from None
            raise

    @property
    def idle(self) -> bool:
        return self._mailbox.empty()

    @property
    def stopped(self) -> bool:
        """It stopped (or is stopping) and takes no more messages."""
        return self._stopping

    # the loop ----------------------------------------------------------------------------

    async def _handle(
        self, message: Any, reply: asyncio.Future[Any] | None, context: contextvars.Context | None
    ) -> bool:
        """One message handled; False for the one that stops the actor. A method of its own
        so that nothing of the message outlives it: a loop's variables would keep the last
        message, its reply and its sender's context (a finished run's, with LangGraph's
        config and runtime) for as long as the actor waits for the next one."""
        if message is _STOP:
            return False
        try:
            if context is not None:
                context = self.with_kept(context)
            result = await asyncio.get_running_loop().create_task(self.receive(message), context=context)
        except Exception as exc:
            if reply is None:
                log.exception("%s failed on %r", type(self).__name__, type(message).__name__)
            elif not reply.done():
                reply.set_exception(exc)
        else:
            if reply is not None and not reply.done():
                reply.set_result(result)
        return True

    async def _run(self) -> None:
        try:
            await self.on_start()
        except Exception as exc:
            log.exception("%s failed to start; it stops", type(self).__name__)
            self._stopping, self._start_failure = True, exc
        self._started = True
        if self._starting is not None:
            self._starting.set_result(None)
            self._starting = None
        while not self._start_failure:
            if not await self._handle(*await self._mailbox.get()):
                break
            self.after_message()
        try:
            await self.on_stop()
        except Exception:
            log.exception("%s failed to stop", type(self).__name__)
        why = "failed to start" if self._start_failure else "stopped"
        while not self._mailbox.empty():
            _, reply, _ = self._mailbox.get_nowait()
            if reply is not None and not reply.done():
                stopped = ActorStopped(f"{type(self).__name__} {why}")
                stopped.__cause__ = self._start_failure
                reply.set_exception(stopped)
