"""A2A tasks over threads and runs (reference v3-mcp-a2a §3.3–3.4).

The context is the thread; a task is the run that started it (`<thread_id>:<run_id>`)
and the runs that went on with it (answers to its interrupts, follow-ups): each carries
the task's stamp in its metadata (`a2a.task_start_id` on the first, `a2a.task_id` on the
others), and so does the human message each brought, which is how a thread's messages
are told apart by task. A task's state is that of its latest run. Shapes here are A2A
1.0's; `versions.py` turns them into 0.3's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .inputs import STAMP
from .wire import AGENT, USER

SUBMITTED, WORKING, COMPLETED = "TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "TASK_STATE_COMPLETED"
FAILED, CANCELED, INPUT_REQUIRED = "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_INPUT_REQUIRED"
TERMINAL = frozenset({COMPLETED, FAILED, CANCELED, "TASK_STATE_REJECTED"})
STATES = (SUBMITTED, WORKING, COMPLETED, FAILED, CANCELED, INPUT_REQUIRED, "TASK_STATE_REJECTED", "TASK_STATE_AUTH_REQUIRED")
_RUN_STATES = {"pending": SUBMITTED, "running": WORKING, "success": COMPLETED, "error": FAILED, "timeout": FAILED,
               "interrupted": CANCELED}


@dataclass(frozen=True)
class TaskRef:
    thread_id: str
    run_id: str  # of the run that started the task

    @property
    def id(self) -> str:
        return f"{self.thread_id}:{self.run_id}"

    @staticmethod
    def parse(task_id: str) -> TaskRef | None:
        thread_id, sep, run_id = task_id.partition(":")
        try:
            return TaskRef(str(uuid.UUID(thread_id)), str(uuid.UUID(run_id))) if sep else None
        except ValueError:
            return None


def context_of(rpc: Any) -> str | None:
    """The context (thread) a single JSON-RPC request names, unchecked: the thread of its
    message's `taskId`, else that message's `contextId`, else the thread of the task `id`
    of a task method (`GetTask`, `CancelTask`, `SubscribeToTask`, ...)."""
    params = rpc.get("params") if isinstance(rpc, dict) else None
    if not isinstance(params, dict):
        return None
    message = params.get("message")
    if isinstance(message, dict):
        task = _task_named(message.get("taskId"))
        context = message.get("contextId")
        return task.thread_id if task else context if isinstance(context, str) else None
    task = _task_named(params.get("id"))
    return task.thread_id if task else None


def _task_named(value: object) -> TaskRef | None:
    return TaskRef.parse(value) if isinstance(value, str) else None


def start_stamp(start_id: str) -> dict[str, str]:
    return {"task_start_id": start_id}


def follow_up_stamp(task: TaskRef) -> dict[str, str]:
    return {"task_id": task.id}


def stamp_of(metadata: Any) -> dict[str, Any]:
    value = metadata.get(STAMP) if isinstance(metadata, dict) else None
    return value if isinstance(value, dict) else {}


def state_of(run_status: str, *, awaiting_input: bool) -> str:
    """A task's state from its latest run's status; `awaiting_input`: the thread waits on
    an interrupt this run left."""
    state = _RUN_STATES.get(run_status, WORKING)
    return INPUT_REQUIRED if state == COMPLETED and awaiting_input else state


def lower_state(state: str) -> str:
    """`TASK_STATE_INPUT_REQUIRED` as the filter a client may give: also `input-required`."""
    return state.removeprefix("TASK_STATE_").lower().replace("_", "-")


def parse_state(given: str) -> str | None:
    for state in STATES:
        if given in (state, lower_state(state)):
            return state
    return None


# messages ------------------------------------------------------------------------------------


def message(role: str, parts: list[dict[str, Any]], *, message_id: str, context_id: str, task_id: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"messageId": message_id, "role": role, "parts": parts, "contextId": context_id}
    if task_id is not None:
        found["taskId"] = task_id
    return found


def agent_text(text: str, *, context_id: str, task_id: str, message_id: str) -> dict[str, Any]:
    return message(AGENT, [{"text": text}], message_id=message_id, context_id=context_id, task_id=task_id)


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for block in content if isinstance(content, list) else []:
        if isinstance(block, str):
            parts.append({"text": block})
        elif not isinstance(block, dict):
            continue
        elif block.get("type") == "text" and block.get("text"):
            parts.append({"text": block["text"]})
        elif block.get("base64") or block.get("url"):
            part = {"raw": block["base64"]} if block.get("base64") else {"url": block["url"]}
            if block.get("mime_type"):
                part["mediaType"] = block["mime_type"]
            if isinstance(block.get("extras"), dict) and block["extras"].get("filename"):
                part["filename"] = block["extras"]["filename"]
            parts.append(part)
    return parts


def _tool_result(found: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"toolCallId": found.get("tool_call_id")}
    for key in ("content", "name", "status"):
        if found.get(key) is not None:
            result[key] = found[key]
    return {"data": {"tool_results": [result]}}


@dataclass(frozen=True)
class Said:
    task_id: str | None  # the task the message belongs to (None: not said through A2A)
    message: dict[str, Any]


def conversation(
    thread_id: str, messages: Any, task_of: Callable[[dict[str, Any]], str | None]
) -> list[Said]:
    """A thread's messages as A2A messages, each with its task: a human message's stamp
    names it (`task_of` turns a stamp into a task id), what follows belongs to the same
    task. System messages, and tool messages no AI message asked for, are not shown."""
    said: list[Said] = []
    task_id: str | None = None
    asked: set[str] = set()
    for index, found in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(found, dict):
            continue
        kind, message_id = found.get("type"), str(found.get("id") or f"{thread_id}-{index}")
        if kind == "human":
            task_id = task_of(stamp_of(found.get("additional_kwargs")))
            parts, role = _content_parts(found.get("content")), USER
        elif kind == "ai":
            asked.update(str(c.get("id")) for c in found.get("tool_calls") or [] if isinstance(c, dict))
            parts, role = _content_parts(found.get("content")), AGENT
        elif kind == "tool" and str(found.get("tool_call_id")) in asked:
            parts, role = [_tool_result(found)], AGENT
        else:
            continue
        if parts:
            said.append(Said(task_id, message(role, parts, message_id=message_id, context_id=thread_id, task_id=task_id)))
    return said


def history(said: list[Said], task_id: str, *, scope: str, length: int | None) -> list[dict[str, Any]]:
    """The messages a task shows: its own (`scope="task"`), or the whole context up to its
    last message (`"context"`); the last `length` of them."""
    own = [i for i, s in enumerate(said) if s.task_id == task_id]
    if scope == "task":
        shown = [said[i].message for i in own]
    else:
        shown = [s.message for s in said[: own[-1] + 1]] if own else []
    return shown[-length:] if length else ([] if length == 0 else shown)


# artifacts -----------------------------------------------------------------------------------


def response_artifact(artifact_id: str, assistant_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"artifactId": artifact_id, "name": "Assistant Response",
            "description": f"Response from assistant {assistant_id}", "parts": parts}


def interrupt_artifact(artifact_id: str, interrupts: list[Any]) -> dict[str, Any]:
    parts = [{"data": {"id": i.get("id"), "value": i.get("value")}} for i in interrupts if isinstance(i, dict)]
    return {"artifactId": artifact_id, "name": "Interrupt", "description": "Agent requires input to continue", "parts": parts}


def reply_parts(said: list[Said], task_id: str, values: Any, dumps: Callable[[Any], str]) -> list[dict[str, Any]]:
    """What the task answered: the parts of its last agent message, or (a graph without
    messages) its final values as JSON text."""
    for found in reversed(said):
        if found.task_id == task_id and found.message["role"] == AGENT:
            return list(found.message["parts"])
        if found.task_id == task_id:
            break  # the task's latest turn has no agent message
    if isinstance(values, dict) and isinstance(values.get("messages"), list):
        return []
    return [{"text": dumps(values)}]


def interrupt_text(interrupts: list[Any]) -> str | None:
    """The question an interrupt asks, when it is text (for a client that reads only
    the status message)."""
    texts = [str(i["value"]) for i in interrupts if isinstance(i, dict) and isinstance(i.get("value"), str)]
    return "\n".join(texts) if texts else None


def task(
    ref: TaskRef, state: str, *, timestamp: str | None, status_message: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None, artifacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state}
    if status_message is not None:
        status["message"] = status_message
    if timestamp is not None:
        status["timestamp"] = timestamp
    found: dict[str, Any] = {"id": ref.id, "contextId": ref.thread_id, "status": status}
    if artifacts is not None:
        found["artifacts"] = artifacts
    if history is not None:
        found["history"] = history
    return found


# streaming -----------------------------------------------------------------------------------


def status_update(ref: TaskRef, state: str, *, timestamp: str, message: dict[str, Any] | None = None,
                  final: bool = False) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state, "timestamp": timestamp}
    if message is not None:
        status["message"] = message
    return {"statusUpdate": {"taskId": ref.id, "contextId": ref.thread_id, "status": status, "final": final}}


def artifact_update(ref: TaskRef, artifact: dict[str, Any]) -> dict[str, Any]:
    return {"artifactUpdate": {"taskId": ref.id, "contextId": ref.thread_id, "artifact": artifact,
                               "append": False, "lastChunk": True}}
