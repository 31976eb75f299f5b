"""One run's execution: wait for a global slot, stream the graph into the run's event
log, settle the thread's state, report the outcome to the supervisor, close the log.

Cancellation is cooperative: `cancel()` cancels the task that streams the graph, so it
lands at the graph's next await; the outcome then depends on the requested action.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from langgraph.types import Command, Send

from threadloom.protocol import clock
from threadloom.protocol.priority import DEFAULT_PRIORITY
from threadloom.protocol.resources import Run
from threadloom.protocol.serde import dumps, error_payload, to_builtins
from threadloom.protocol.users import USER_KEY, from_configurable

from .actor import Actor, ActorStopped
from .eventlog import RunStream
from .modes import Translator, graph_stream_modes
from .v3events import is_v3, stream_v3
from .newrun import NODE_FINISHED, started_config
from .threaddeps import ThreadDeps


log = logging.getLogger(__name__)

Action = Literal["interrupt", "rollback", "requeue"]


class FinalState(msgspec.Struct):
    values: Any
    next: list[str]
    interrupts: dict[str, list[dict[str, Any]]]


class Outcome(msgspec.Struct):
    """How a run ended. `status` is a run status, or `rollback` (the run is deleted) or
    `requeue` (the run goes back to pending, e.g. at shutdown)."""

    run_id: str
    status: str
    error: dict[str, Any] | None = None
    state: FinalState | None = None
    started_at: datetime | None = None  # when it got a slot (None: cancelled before)
    ended_at: datetime | None = None


def cancelled_error(action: str, reason: str) -> dict[str, str]:
    """The error of a run cancelled (interrupted or rolled back) before it finished, named
    as the official server names it."""
    return {"error": "UserRollback" if action == "rollback" else "UserInterrupt", "message": reason}


class Started(msgspec.Struct):
    run: Run  # with the config it runs with (`newrun.started_config`), to record


class Finished(msgspec.Struct):
    outcome: Outcome


def command(spec: dict[str, Any]) -> Command:
    goto = spec.get("goto")
    if isinstance(goto, list):
        goto = [_send(g) for g in goto]
    elif goto is not None:
        goto = _send(goto)
    update = spec.get("update")
    if isinstance(update, list):
        update = [tuple(pair) for pair in update]
    return Command(update=update, resume=spec.get("resume"), goto=goto if goto is not None else ())


def _send(goto: Any) -> Any:
    return Send(goto["node"], goto.get("input")) if isinstance(goto, dict) else goto


def interrupts_by_task(snapshot: Any) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for task in snapshot.tasks:
        if task.interrupts:
            found[task.id] = [{"value": to_builtins(i.value), "id": i.id} for i in task.interrupts]
    return found


class RunExecution:
    def __init__(
        self, run: Run, attempt: int, stream: RunStream, deps: ThreadDeps, supervisor: Actor,
        *, api_url: str | None = None, context: contextvars.Context | None = None,
        priority: int = DEFAULT_PRIORITY,
    ) -> None:
        """`supervisor`: the thread's, asked to record the run's start and outcome;
        `priority`: its thread's, in the wait for a run slot."""
        self.run = run
        self.context = context  # what it executes in (None: a copy of the current one)
        self.priority = priority
        self.attempt = attempt
        self.api_url = api_url  # where the run's request reached this server
        self.stream = stream
        self.deps = deps
        self.supervisor = supervisor
        self.cancel_request: tuple[Action, str] | None = None
        self._graph_task: asyncio.Task[None] | None = None
        self._translator: Translator | None = None
        self.task: asyncio.Task[None] | None = None
        self.started_at: datetime | None = None
        self.holds_slot = False  # past the global --jobs bound: executing, not waiting

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._main(), name=f"run {self.run.run_id}", context=self.context)

    def cancel(self, action: Action, reason: str) -> None:
        if self.cancel_request is None:
            self.cancel_request = (action, reason)
        if self._graph_task is not None:
            self._graph_task.cancel()

    def _publish(self, name: str, data: bytes) -> None:
        """To the run's log, and to its thread's log for thread streams."""
        self.stream.publish(name, data)
        self.deps.streams.thread_publish(self.run.thread_id, name, data)

    # ---------------------------------------------------------------------------------

    @property
    def _config(self) -> dict[str, Any]:
        run, kwargs = self.run, self.run.kwargs
        configurable = {k: v for k, v in kwargs.config.get("configurable", {}).items() if k != NODE_FINISHED}
        if (user := from_configurable(configurable)) is not None:
            configurable[USER_KEY] = user  # `user.identity` as well as `user["identity"]`
        # runs stored by earlier versions have no `config.metadata`: the run's metadata then
        stored = {**run.metadata, **kwargs.config.get("metadata", {})}
        return {
            **{k: v for k, v in kwargs.config.items() if k not in ("configurable", "metadata")},
            "configurable": configurable,
            "metadata": {
                **stored,
                "run_id": run.run_id,
                "thread_id": run.thread_id,
                "graph_id": configurable.get("graph_id"),
                "assistant_id": run.assistant_id,
                "run_attempt": self.attempt,
            },
            "run_id": uuid.UUID(run.run_id),
        }

    async def _main(self) -> None:
        self._graph_task = asyncio.get_running_loop().create_task(self._stream_graph())
        if self.cancel_request is not None:
            self._graph_task.cancel()
        await asyncio.wait([self._graph_task])
        ended_at = clock.now()
        status, error = self._result(self._graph_task)
        if status == "error" and error is not None:
            self._publish("error", dumps(error))
        outcome = Outcome(self.run.run_id, status, error, await self._settle(status), self.started_at, ended_at)
        await self.stream.flush()  # a resumable run's stored log is complete before its status is final
        try:
            await self.supervisor.ask(Finished(outcome))
        except ActorStopped:
            pass  # shutting down: the supervisor hands the run back as pending
        except Exception:
            log.exception("could not record the outcome of run %s", self.run.run_id)
        finally:
            self.stream.close()

    def _result(self, task: asyncio.Task[None]) -> tuple[str, dict[str, Any] | None]:
        if task.cancelled() or self.cancel_request is not None:
            action, reason = self.cancel_request or ("interrupt", "run cancelled")
            status = "interrupted" if action == "interrupt" else action
            return status, cancelled_error(action, reason)
        exc = task.exception()
        if exc is None:
            return "success", None
        log.info("run %s failed: %r", self.run.run_id, exc)
        return "error", error_payload(exc)

    async def _stream_graph(self) -> None:
        async with self.deps.slots.held(self.priority):
            self.holds_slot = True
            self.started_at = clock.now()
            self._apply_start_config()
            await self.supervisor.ask(Started(self.run))
            self._publish("metadata", dumps({"run_id": self.run.run_id, "attempt": self.attempt}))
            kwargs = self.run.kwargs
            config = self._config
            graph_id = config["configurable"]["graph_id"]
            translator = self._translator = Translator(kwargs.stream_mode, self._publish)
            graph_input = command(kwargs.command) if kwargs.command else kwargs.input
            modes = graph_stream_modes(kwargs.stream_mode)
            if kwargs.temporary and kwargs.webhook and "values" not in modes:
                modes.append("values")  # the only way to learn the final state without a checkpointer
            options: dict[str, Any] = {
                "stream_mode": modes,
                "subgraphs": kwargs.subgraphs,
                "interrupt_before": kwargs.interrupt_before,
                "interrupt_after": kwargs.interrupt_after,
            }
            if not kwargs.temporary:
                options["durability"] = kwargs.durability
            if kwargs.context:
                options["context"] = kwargs.context
            async with self.deps.graphs.open(graph_id, config, checkpointer=not kwargs.temporary) as graph:
                if is_v3(kwargs.config):
                    v3_options: dict[str, Any] = {k: options[k] for k in ("durability", "context") if k in options}
                    await stream_v3(graph, graph_input, config, v3_options, self._publish, self._cancel_reason)
                elif "events" in kwargs.stream_mode:
                    async for event in graph.astream_events(graph_input, config, version="v2", **options):
                        translator.event(event)
                elif kwargs.subgraphs:
                    async for ns, mode, data in graph.astream(graph_input, config, **options):
                        translator.chunk(ns, mode, data)
                else:
                    async for mode, data in graph.astream(graph_input, config, **options):
                        translator.chunk((), mode, data)

    def _cancel_reason(self) -> str | None:
        return None if self.cancel_request is None else self.cancel_request[1]

    def _apply_start_config(self) -> None:
        """The run from now on carries the config the official server records at a start."""
        kwargs = self.run.kwargs
        factory = self.deps.graphs.is_factory(kwargs.config["configurable"]["graph_id"])
        config = started_config(kwargs.config, attempt=self.attempt, api_url=self.api_url, factory=factory)
        self.run = msgspec.structs.replace(self.run, kwargs=msgspec.structs.replace(kwargs, config=config))

    async def _settle(self, status: str) -> FinalState | None:
        """The thread's state once the run is over (rolled back first if asked)."""
        run = self.run
        if status == "requeue":
            return None
        if run.kwargs.temporary:  # no checkpointer: the state is what the graph streamed last
            streamed = None if self._translator is None else self._translator.values
            return None if streamed is None else FinalState(to_builtins(streamed), [], {})
        try:
            if status == "rollback":
                await self.deps.checkpoints.delete_run(run.thread_id, run.run_id)
            config = self._config
            async with self.deps.graphs.open(config["configurable"]["graph_id"], config) as graph:
                snapshot = await graph.aget_state({"configurable": {"thread_id": run.thread_id}})
        except Exception:
            log.exception("could not read the final state of thread %s", run.thread_id)
            return None
        values = to_builtins(snapshot.values) if snapshot.created_at else None
        return FinalState(values, list(snapshot.next), interrupts_by_task(snapshot))
