"""Turning a run request into a Run record: config, context and metadata precedence
(assistant < thread < run), reserved keys, checkpoints. Pure functions, no I/O."""

from __future__ import annotations

import importlib.metadata
from datetime import timedelta
from typing import Any

import msgspec

from threadloom.protocol import clock
from threadloom.protocol.errors import BadRequest, Unprocessable
from threadloom.protocol.ids import parse_uuid
from threadloom.protocol.requests import RunCreate
from threadloom.protocol.resources import Assistant, MultitaskStrategy, Run, RunKwargs, Thread

from . import threadconfig

RESERVED_CONFIGURABLE = frozenset(
    {
        "langgraph_auth_user", "langgraph_auth_user_id", "langgraph_auth_permissions",
        "langgraph_request_id", "__langsmith_project__", "__langsmith_example_id__",
        "__request_start_time_ms__", "__after_seconds__", "__otel_traceparent__",
        "__otel_tracestate__", "__dd_trace_headers__", "__pregel_node_finished",
        "__context_provided__",
    }
)
RESERVED_METADATA = frozenset({"thread_id", "assistant_id", "run_id", "cron_id", "counters_since_delta_snapshot"})
BOTH_CONTEXT_AND_CONFIGURABLE = (
    "Cannot specify both configurable and context. Prefer setting context alone. "
    "Context was introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable."
)
RESUME_WITHOUT_THREAD = "You must provide a thread_id when resuming."
MAX_AFTER_SECONDS = 366 * 24 * 3600  # a later start than a year out is a mistake (and overflows dates)


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


_PLATFORM_METADATA = {
    "langgraph_version": _version("langgraph"),
    "langgraph_api_version": _version("threadloom"),
    "langgraph_plan": "enterprise",  # what `langgraph dev` says
    "langgraph_host": "self-hosted",
}
NODE_FINISHED = "__pregel_node_finished"  # a callback on the official server: null in its run records


def platform_metadata(api_url: str | None) -> dict[str, Any]:
    """What the official server adds to every run's `config.metadata` when the run starts
    (graph code and `messages` events see it; checkpoints keep its strings). `api_url`:
    where this server is reached, the official server's `LANGGRAPH_API_URL`."""
    return {**_PLATFORM_METADATA, "langgraph_api_url": api_url}


def started_config(config: dict[str, Any], *, attempt: int, api_url: str | None, factory: bool) -> dict[str, Any]:
    """A run's `config` as the official server records it once the run starts: created
    without the platform keys, it gains them (with the attempt) and a null
    `__pregel_node_finished` then. A graph factory there is given the record's own metadata
    object, which config defaulting fills with the plain configurable values it lacks
    (`run_id`, `thread_id`, `user_id`…): the record shows those too. `api_url` None keeps
    the address the run was started with before (a run resumed by a process that does not
    know its own)."""
    configurable = config.get("configurable", {})
    metadata = dict(config.get("metadata", {}))
    if factory:
        for key, value in configurable.items():
            if not key.startswith("__") and isinstance(value, (str, int, float, bool)) and key not in metadata:
                metadata[key] = value
    metadata.update(platform_metadata(api_url or metadata.get("langgraph_api_url")), run_attempt=attempt)
    return {**config, "configurable": {**configurable, NODE_FINISHED: None}, "metadata": metadata}


def _without(mapping: dict[str, Any] | None, keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k not in keys}


def check_request(req: RunCreate, *, stateless: bool) -> None:
    """Problems that need no stored record: a 4xx before anything is looked up."""
    if stateless and req.command is not None and req.command.resume is not None:
        raise BadRequest(RESUME_WITHOUT_THREAD)
    if req.checkpoint_id is not None:
        try:
            parse_uuid(req.checkpoint_id, "checkpoint")
        except Exception:
            raise Unprocessable("Invalid checkpoint ID") from None
    for key in ("configurable", "metadata"):
        if not isinstance((req.config or {}).get(key) or {}, dict):
            raise Unprocessable(f"Invalid config.{key}: expected an object")
    if req.after_seconds is not None and not 0 <= req.after_seconds <= MAX_AFTER_SECONDS:
        raise Unprocessable(f"Invalid after_seconds: must be between 0 and {MAX_AFTER_SECONDS}")
    req.stream_modes()
    _configurable_and_context(req)


def _configurable_and_context(req: RunCreate) -> tuple[dict[str, Any], dict[str, Any]]:
    configurable = _without((req.config or {}).get("configurable"), RESERVED_CONFIGURABLE)
    context = _without(req.context, RESERVED_CONFIGURABLE)
    if configurable and context:
        raise BadRequest(BOTH_CONTEXT_AND_CONFIGURABLE)
    return (dict(context), context) if context else (configurable, dict(configurable))


def thread_for_run(req: RunCreate, assistant: Assistant, thread: Thread | None, thread_id: str) -> Thread:
    """The thread as it will be once this run is on it: created if missing, marked busy,
    its config merged with the assistant's (`threadconfig.after_run`). As on the official
    server, a thread that is busy already is left as it is: its metadata names the graph
    and assistant of the runs created while it was not (and the graph of the last run to
    end, `ThreadSupervisor._settled`)."""
    ids = {"graph_id": assistant.graph_id, "assistant_id": assistant.assistant_id}
    if thread is None:
        now = clock.now_iso()
        config_metadata = _without((req.config or {}).get("metadata"), RESERVED_METADATA)
        return Thread(
            thread_id=thread_id,
            created_at=now,
            updated_at=now,
            state_updated_at=now,
            metadata={**ids, **config_metadata, **_without(req.metadata, RESERVED_METADATA)},
            status="busy",
            config=threadconfig.after_run({}, assistant, req.config),
        )
    if thread.status == "busy":
        return thread
    return msgspec.structs.replace(
        thread, status="busy", updated_at=clock.now_iso(), metadata={**thread.metadata, **ids},
        config=threadconfig.after_run(thread.config, assistant, req.config),
    )


def new_run(
    req: RunCreate,
    *,
    run_id: str,
    assistant: Assistant,
    thread: Thread,
    creates_thread: bool,
    temporary: bool,
    strategy: MultitaskStrategy,
    caller: dict[str, Any],
) -> Run:
    """`thread`: as `thread_for_run` left it; `creates_thread`: the run made it (its
    metadata is then not the run's: a run that creates its thread, stateless ones too,
    has no `graph_id` in its metadata on the official server). `caller`: the configurable
    keys naming who asked (`protocol.users.run_configurable`)."""
    configurable, context = _configurable_and_context(req)
    merged = {
        **assistant.config.get("configurable", {}),
        **thread.config.get("configurable", {}),
        **configurable,
    }
    if req.checkpoint:
        merged.update({k: v for k, v in req.checkpoint.items() if k != "thread_id"})
    if req.checkpoint_id:
        merged["checkpoint_id"] = req.checkpoint_id
    created = clock.now()
    delay = req.after_seconds or 0
    after_seconds = int(delay) if float(delay).is_integer() else delay  # `1` stays 1 (msgspec reads a float)
    merged.update(
        run_id=run_id,
        thread_id=thread.thread_id,
        graph_id=assistant.graph_id,
        assistant_id=assistant.assistant_id,
        **caller,
        __request_start_time_ms__=int(created.timestamp() * 1000),
        __after_seconds__=after_seconds,
    )
    metadata = {
        **assistant.metadata,
        **({} if creates_thread else thread.metadata),
        **_without((req.config or {}).get("metadata"), RESERVED_METADATA),
        **_without(req.metadata, RESERVED_METADATA),
        "assistant_id": assistant.assistant_id,
    }
    # the assistant's tags, recursion_limit… unless the run gives its own (not the thread's)
    config = {
        **threadconfig.top_level(assistant.config),
        **threadconfig.top_level(req.config),
        "configurable": merged,
        "metadata": metadata,  # and more once it starts (`started_config`)
    }
    durability = req.durability or ("exit" if req.checkpoint_during is False else "async")
    created_at = clock.iso(created + timedelta(seconds=delay))
    return Run(
        run_id=run_id,
        thread_id=thread.thread_id,
        assistant_id=assistant.assistant_id,
        metadata=metadata,
        status="pending",
        kwargs=RunKwargs(
            input=req.input,
            command=msgspec.structs.asdict(req.command) if req.command else None,
            config=config,
            context={**assistant.context, **context},
            stream_mode=req.stream_modes(),
            interrupt_before=req.interrupt_before,
            interrupt_after=req.interrupt_after,
            webhook=req.webhook,
            feedback_keys=req.feedback_keys,
            temporary=temporary,
            subgraphs=bool(req.stream_subgraphs),
            resumable=bool(req.stream_resumable),
            checkpoint_during=req.checkpoint_during is not False,  # deprecated: true unless asked false
            durability=durability,
        ),
        multitask_strategy=strategy,
        created_at=created_at,
        updated_at=created_at,
    )
