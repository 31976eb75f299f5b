"""The two A2A versions a client may speak, told apart by the method names it calls.

A2A 1.0 (`SendMessage`, …) gets 1.0's JSON: streaming events wrapped as
`{"task"|"statusUpdate"|"artifactUpdate": …}`, enum spellings (`ROLE_AGENT`,
`TASK_STATE_COMPLETED`), parts as `{"text"}`, `{"data"}`, `{"raw"|"url", "mediaType",
"filename"}`. The official server sends 0.3-shaped events to 1.0 clients, which the
`a2a-sdk` 1.0 client reads as empty events; this is the fix.

A2A 0.3 (`message/send`, …) gets 0.3's JSON: every object tagged with `kind`, events
unwrapped with `final` on status updates, lower-case roles and states (`agent`,
`input-required`), files as `{"kind": "file", "file": {"bytes"|"uri", "mimeType", "name"}}`,
and `message/send` answers the task itself rather than `{"task": …}`.
"""

from __future__ import annotations

from typing import Any

V1, V03 = "1.0", "0.3"


def _v03_part(part: dict[str, Any]) -> dict[str, Any]:
    extra = {"metadata": part["metadata"]} if "metadata" in part else {}
    if "text" in part:
        return {"kind": "text", "text": part["text"], **extra}
    if "data" in part:
        return {"kind": "data", "data": part["data"], **extra}
    file: dict[str, Any] = {"bytes": part["raw"]} if "raw" in part else {"uri": part.get("url")}
    if "mediaType" in part:
        file["mimeType"] = part["mediaType"]
    if "filename" in part:
        file["name"] = part["filename"]
    return {"kind": "file", "file": file, **extra}


def _v03_message(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "kind": "message", "role": message["role"].removeprefix("ROLE_").lower(),
            "parts": [_v03_part(p) for p in message["parts"]]}


def _v03_state(state: str) -> str:
    return state.removeprefix("TASK_STATE_").lower().replace("_", "-")


def _v03_status(status: dict[str, Any]) -> dict[str, Any]:
    found = {**status, "state": _v03_state(status["state"])}
    if "message" in found:
        found["message"] = _v03_message(found["message"])
    return found


def _v03_artifact(artifact: dict[str, Any]) -> dict[str, Any]:
    return {**artifact, "parts": [_v03_part(p) for p in artifact["parts"]]}


def v03_task(task: dict[str, Any]) -> dict[str, Any]:
    found = {"kind": "task", **task, "status": _v03_status(task["status"])}
    if "history" in found:
        found["history"] = [_v03_message(m) for m in found["history"]]
    if "artifacts" in found:
        found["artifacts"] = [_v03_artifact(a) for a in found["artifacts"]]
    return found


def event(wrapped: dict[str, Any], version: str) -> dict[str, Any]:
    """A streaming event (`tasks.status_update` / `artifact_update`, or `{"task": …}`) as
    `version` sends it."""
    (kind, body), = wrapped.items()
    if version == V1:
        return {kind: {k: v for k, v in body.items() if k != "final"}} if kind == "statusUpdate" else wrapped
    if kind == "task":
        return v03_task(body)
    if kind == "statusUpdate":
        return {**body, "kind": "status-update", "status": _v03_status(body["status"])}
    return {**body, "kind": "artifact-update", "artifact": _v03_artifact(body["artifact"])}


def sent(task: dict[str, Any], version: str) -> dict[str, Any]:
    """The result of `SendMessage` / `message/send`."""
    return {"task": task} if version == V1 else v03_task(task)


def task(task: dict[str, Any], version: str) -> dict[str, Any]:
    """The result of `GetTask`, `CancelTask` (and a task of `ListTasks`)."""
    return task if version == V1 else v03_task(task)
