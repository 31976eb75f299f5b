"""`run.start` and `input.respond` as ordinary run requests: a v3 run is a run of the
engine like any other, with the fixed options the official server gives it (all modes,
subgraphs, resumable, `if_not_exists=create`) and a marker in its configurable that makes
the engine produce v3 events."""

from __future__ import annotations

from typing import Any

import msgspec

from threadloom.protocol.ids import is_uuid
from threadloom.protocol.requests import Command, RunCreate

from .envelope import ProtocolError

V3_MARKER = "__event_streaming_v2"  # the official server's name for it (its "protocol v2")
V3_STREAM_MODES = ["values", "updates", "messages", "tools", "lifecycle", "custom", "tasks", "checkpoints"]
STRATEGIES = ("reject", "interrupt", "rollback", "enqueue")
TRACER_KEYS = frozenset({"project_name", "example_id"})


class V3RunCreate(RunCreate, kw_only=True):
    """A run request from a v3 command: its stream modes are the protocol's, which the
    classic routes do not accept."""

    def stream_modes(self) -> list[str]:
        return list(V3_STREAM_MODES)


def _config(params: dict[str, Any]) -> dict[str, Any]:
    config = params.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ProtocolError("invalid_argument", "run.start config must be an object.")
    configurable = config.get("configurable") or {}
    if not isinstance(configurable, dict):
        raise ProtocolError("invalid_argument", "config.configurable must be an object.")
    return {**config, "configurable": {**configurable, V3_MARKER: True}}


def _checkpoint_id(config: dict[str, Any]) -> str | None:
    if "checkpoint_id" not in config["configurable"]:
        return None
    value = config["configurable"]["checkpoint_id"]
    if isinstance(value, str) and not value:
        raise ProtocolError("invalid_argument", "Invalid config.configurable.checkpoint_id: must be a non-empty string.")
    if not isinstance(value, str) or not is_uuid(value):
        raise ProtocolError("invalid_argument", f"Invalid config.configurable.checkpoint_id: {value!r}.")
    return value


def _tracer(params: dict[str, Any]) -> dict[str, Any] | None:
    tracer = params.get("langsmith_tracer")
    if tracer is None:
        return None
    if not isinstance(tracer, dict):
        raise ProtocolError("invalid_argument", "langsmith_tracer must be an object.")
    unknown = sorted(k for k in tracer if k not in TRACER_KEYS)
    if unknown:
        raise ProtocolError("invalid_argument", f"langsmith_tracer has unsupported fields: {unknown}.")
    if any(not isinstance(v, str) for v in tracer.values()):
        raise ProtocolError("invalid_argument", "langsmith_tracer values must be strings.")
    return tracer


def _metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    metadata = params.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ProtocolError("invalid_argument", "metadata must be an object.")
    return metadata


def run_start(params: dict[str, Any], *, resume: bool) -> V3RunCreate:
    """The run `run.start` asks for. `resume`: the thread waits on an interrupt, so a
    non-null input answers it (`command.resume`), as on the official server."""
    assistant_id = params.get("assistant_id")
    if not isinstance(assistant_id, str) or not assistant_id:
        raise ProtocolError("invalid_argument", "run.start requires an assistant_id.")
    config = _config(params)
    checkpoint_id = _checkpoint_id(config)
    tracer = _tracer(params)
    strategy = params.get("multitaskStrategy")
    graph_input = params.get("input")
    answer = resume and graph_input is not None
    return V3RunCreate(
        assistant_id=assistant_id,
        input=None if answer else graph_input,
        command=Command(resume=graph_input) if answer else None,
        config=config,
        metadata=_metadata(params),
        checkpoint_id=checkpoint_id,
        langsmith_tracer=tracer,
        stream_subgraphs=True,
        stream_resumable=True,
        multitask_strategy=strategy if strategy in STRATEGIES else "enqueue",
        if_not_exists="create",
        on_completion="keep",
    )


class Answer(msgspec.Struct):
    interrupt_id: str
    namespace: list[str]
    response: Any


def answers(params: dict[str, Any]) -> list[Answer]:
    """The interrupts `input.respond` answers (its single or batch form)."""
    if "responses" in params:
        raw = params["responses"]
        if not isinstance(raw, list) or not raw:
            raise ProtocolError("invalid_argument", "input.respond requires at least one response.")
        return [_answer(entry) for entry in raw]
    if not isinstance(params.get("interrupt_id"), str):
        raise ProtocolError("invalid_argument", "input.respond requires an interrupt_id.")
    return [_answer(params)]


def _answer(entry: Any) -> Answer:
    if not isinstance(entry, dict) or not isinstance(entry.get("interrupt_id"), str):
        raise ProtocolError("invalid_argument", "input.respond entries must be objects with a string interrupt_id.")
    namespace = entry.get("namespace", [])
    if namespace is None:
        namespace = []
    if not isinstance(namespace, list) or not all(isinstance(s, str) for s in namespace):
        raise ProtocolError("invalid_argument", "input.respond namespace must be an array of strings.")
    return Answer(entry["interrupt_id"], namespace, entry.get("response"))


def respond_run(params: dict[str, Any], assistant_id: str, given: list[Answer]) -> V3RunCreate:
    """The run that resumes the thread with `given` answers (the map form of `resume`,
    even for one)."""
    update = params.get("update")
    resume = {a.interrupt_id: a.response for a in given}
    return V3RunCreate(
        assistant_id=assistant_id,
        command=Command(resume=resume, update=update, goto=params.get("goto")),
        config=_config(params),
        metadata=_metadata(params),
        stream_subgraphs=True,
        stream_resumable=True,
        multitask_strategy="enqueue",
        if_not_exists="create",
        on_completion="keep",
    )
