"""`SendMessage` and `SendStreamingMessage` (reference v3-mcp-a2a §3.3, §3.5): a message
becomes a run on the context's thread, a new task or the next step of one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from threadloom.actors.eventlog import Overflow, RunStream
from threadloom.protocol import clock
from threadloom.protocol.a2a import inputs, tasks
from threadloom.protocol.a2a.tasks import TaskRef
from threadloom.protocol.a2a.wire import (
    CONTENT_TYPE_NOT_SUPPORTED,
    TASK_NOT_FOUND,
    UNSUPPORTED_OPERATION,
    Message,
    SendParams,
)
from threadloom.protocol.ids import is_uuid, uuid4, uuid7
from threadloom.protocol.jsonrpc import INVALID_PARAMS, RpcError
from threadloom.protocol.requests import Command, RunCreate
from threadloom.protocol.resources import Assistant
from threadloom.protocol.serde import loads

from . import contexts, engine


@dataclass(frozen=True)
class Started:
    ref: TaskRef
    stream: RunStream
    seen: frozenset[str]  # ids of the messages the thread held before the run


async def _task_for(request: web.Request, assistant: Assistant, task_id: str, context_id: str | None) -> contexts.Context:
    ref = TaskRef.parse(task_id)
    if ref is None or (context_id is not None and context_id != ref.thread_id):
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    context = await contexts.load(request, ref.thread_id)
    if context is None or ref not in context.tasks(assistant.assistant_id):
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    if context.state(ref) in tasks.TERMINAL:
        raise RpcError(UNSUPPORTED_OPERATION, "A terminal task cannot accept another message")
    return context


async def _check_conversational(request: web.Request, assistant: Assistant) -> None:
    """Text and files become a message in `messages`: the graph must have that key."""
    schemas = await engine.Schemas(request).of(assistant)
    known = [s for s in (schemas.get("input_schema"), schemas.get("state_schema")) if isinstance(s, dict)]
    if not known or any("messages" in (s.get("properties") or {}) for s in known):
        return
    fields = sorted({key for s in known for key in s.get("properties") or {}})
    raise RpcError(INVALID_PARAMS, (
        f"Assistant '{assistant.assistant_id}' (graph '{assistant.graph_id}') does not support A2A conversational "
        f"messages. Graph input schema must include a 'messages' field to accept text or file parts. "
        f"Available input fields: {fields}"
    ))


def _resume(message: Message, context: contexts.Context | None, ref: TaskRef | None) -> tuple[TaskRef, Command] | None:
    """The task the message answers and the command that answers it, if it answers an
    interrupt: a LangGraph `command`, a data part `{"resume": …}` (which needs the
    task), or text on a thread that waits on an A2A task's interrupt."""
    awaiting = context.awaiting() if context is not None else None
    if message.command is not None:
        task = ref or awaiting
        if task is None:
            raise RpcError(INVALID_PARAMS, "contextId and taskId are required when resuming a task")
        try:
            return task, msgspec.convert(message.command, Command)
        except msgspec.ValidationError as exc:
            raise RpcError(INVALID_PARAMS, f"Invalid params: message.command: {exc}") from None
    resumes, value = inputs.resume_value(message)
    explicit = "resume" in inputs.data(message)
    if explicit and (ref is None or context is None):
        raise RpcError(INVALID_PARAMS, "contextId and taskId are required when resuming a task")
    if explicit and awaiting != ref:
        raise RpcError(INVALID_PARAMS, "Task is not awaiting input")
    if resumes and awaiting is not None and ref in (None, awaiting):
        return awaiting, Command(resume=value)
    return None


async def start(request: web.Request, assistant: Assistant, params: SendParams) -> Started:
    message = params.message
    if message.context_id is not None and not is_uuid(message.context_id):
        raise RpcError(INVALID_PARAMS, "Invalid contextId: must be a UUID")
    context: contexts.Context | None = None
    ref: TaskRef | None = None
    if message.task_id is not None:
        context = await _task_for(request, assistant, message.task_id, message.context_id)
        ref = TaskRef.parse(message.task_id)
    elif message.context_id is not None:
        context = await contexts.load(request, message.context_id)
    thread_id = context.thread_id if context is not None else (message.context_id or uuid4())
    try:
        resumed = _resume(message, context, ref)
        task = resumed[0] if resumed is not None else ref
        stamp = tasks.follow_up_stamp(task) if task is not None else tasks.start_stamp(uuid7())
        what: dict[str, Any]
        if resumed is not None:
            what = {"command": resumed[1]}
        else:
            if inputs.conversational(message):
                await _check_conversational(request, assistant)
            what = {"input": inputs.run_input(message, stamp)}
            if not what["input"]:
                raise RpcError(CONTENT_TYPE_NOT_SUPPORTED, "The message has no text, file or data to send")
    except ValueError as exc:
        raise RpcError(INVALID_PARAMS, f"Invalid params: {exc}") from None
    req = RunCreate(
        assistant_id=assistant.assistant_id, metadata={inputs.STAMP: stamp}, if_not_exists="create",
        stream_mode=["values"], **what,
    )
    run, stream = await engine.start(request, thread_id, req)
    seen = _message_ids(context.messages if context is not None else None) | {message.message_id}
    return Started(task or TaskRef(thread_id, run.run_id), stream, frozenset(seen))


def _message_ids(messages: Any) -> set[str]:
    return {str(m.get("id")) for m in messages if isinstance(m, dict)} if isinstance(messages, list) else set()


async def result(request: web.Request, assistant: Assistant, started: Started, *, wait: bool,
                 history_length: int | None, scope: str) -> dict[str, Any]:
    """The task once its run has ended (or at once, `wait=False`)."""
    if wait:
        await engine.outcome(started.stream)
    context = await contexts.load(request, started.ref.thread_id)
    if context is None:  # deleted meanwhile
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {started.ref.id}")
    return context.describe(started.ref, assistant.assistant_id, history_length=history_length, scope=scope)


def submitted(started: Started, message: Message) -> dict[str, Any]:
    """The first event of a stream: the task as submitted, holding the message sent."""
    role = tasks.AGENT if message.from_agent else tasks.USER
    sent = tasks.message(role, [p.as_v1() for p in message.parts], message_id=message.message_id,
                         context_id=started.ref.thread_id, task_id=started.ref.id)
    return {"task": tasks.task(started.ref, tasks.SUBMITTED, timestamp=clock.now_iso(), history=[sent])}


async def events(request: web.Request, assistant: Assistant, started: Started, message: Message) -> AsyncIterator[dict[str, Any]]:
    """The events of a streamed task: submitted, a working update for each message the
    agent says, then its answer (or question) and its final state."""
    ref = started.ref
    yield submitted(started, message)
    seen = set(started.seen)
    async for batch in started.stream.subscribe(0):
        if isinstance(batch, Overflow):
            continue  # the final state below still tells how it ended
        for event in batch:
            if event.name != "values":
                continue
            values = loads(event.data)
            for said in tasks.conversation(ref.thread_id, values.get("messages") if isinstance(values, dict) else None,
                                           lambda _: ref.id):
                if said.message["messageId"] in seen:
                    continue
                seen.add(said.message["messageId"])
                if said.message["role"] == tasks.AGENT:
                    yield tasks.status_update(ref, tasks.WORKING, timestamp=clock.now_iso(), message=said.message)
    context = await contexts.load(request, ref.thread_id)
    if context is None:
        return
    final = context.describe(ref, assistant.assistant_id, history_length=0, scope="task")
    for artifact in final.get("artifacts", []):
        yield tasks.artifact_update(ref, artifact)
    status = final["status"]
    yield tasks.status_update(ref, status["state"], timestamp=status.get("timestamp") or clock.now_iso(),
                              message=status.get("message"), final=True)
