"""The request bodies of the API, by their names in its description, and their decoding.

A body is read as the official server reads it: bytes that are no JSON are `Invalid JSON
in request body`; JSON is checked against the body's schema with jsonschema-rs, whose text
is the 422's detail (`"x" is not one of ...\\n\\nFailed validating "enum" in
schema["properties"][...]...`); then it is decoded into its Struct. The schema is the one
`/openapi.json` shows, and the one a route declares (server/operations.py), so the texts,
the description and the checks cannot drift apart.

Some Structs serve several bodies: `RunCreate` is the stateful and the stateless run, each
without the fields the other has; a field a body leaves out is ignored if sent, as there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

import jsonschema_rs
import msgspec

from .errors import Unprocessable
from .requests import (
    AssistantCount,
    AssistantCreate,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionChange,
    AssistantVersionSearch,
    CronCount,
    CronCreate,
    CronPatch,
    CronSearch,
    DeleteItem,
    HistoryRequest,
    ListNamespaces,
    PutItem,
    RunCreate,
    RunsCancel,
    SearchItems,
    StateAtCheckpoint,
    StateUpdate,
    ThreadCount,
    ThreadCreate,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
    convert,
)
from .wireschema import Components, ref

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)

INVALID_JSON = "Invalid JSON in request body"
MAX_BATCH = 1000  # runs in one POST /runs/batch


# the end of jsonschema-rs's first line when a value has none of a `type` list's types
_TYPE_LIST = re.compile(r' is not of types ((?:"[a-z]+", )+"[a-z]+")$')


def official_text(text: str) -> str:
    """jsonschema-rs's text as the official server's release of it (0.44) words it: a
    `type` list named in alphabetical order (0.60 names `null` first)."""
    first, newline, rest = text.partition("\n")
    match = _TYPE_LIST.search(first)
    if match is None:
        return text
    names = ", ".join(sorted(match[1].split(", ")))
    return first[: match.start(1)] + names + newline + rest


def parse_json(raw: bytes) -> Any:
    """Any JSON value; whatever is not JSON (nothing, a number past a float's range, a lone
    surrogate, too deep a nesting) is one 422, as on the official server."""
    try:
        return msgspec.json.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        raise Unprocessable(INVALID_JSON) from None


class RequestBody(Generic[T]):
    """A body: `name` in the API description, the type it `decodes` into."""

    name: str

    @property
    def decodes(self) -> Any:
        raise NotImplementedError

    def schema(self, components: Components) -> dict[str, Any]:
        """Its schema; what it refers to is added to `components`."""
        raise NotImplementedError

    def leave_out(self, value: Any) -> Any:
        """`value` (valid JSON of this body) without the fields this body ignores."""
        return value

    @cached_property
    def _validator(self) -> Any:
        # as the official server checks: the body's schema at the root, the components it
        # refers to beside it (errors behind a `$ref` name their component)
        components = Components()
        root = self.schema(components)
        return jsonschema_rs.validator_for({**root, "components": {"schemas": components.schemas}})

    def check(self, value: Any) -> None:
        try:
            self._validator.validate(value)
        except jsonschema_rs.ValidationError as exc:
            raise Unprocessable(official_text(str(exc))) from None

    def decode(self, raw: bytes) -> T:
        value = parse_json(raw)
        self.check(value)
        return convert(self.leave_out(value), self.decodes)

    def json(self, raw: bytes) -> dict[str, Any]:
        """The body checked, as JSON (for a route that keeps what was sent as it was)."""
        value = parse_json(raw)
        self.check(value)
        return self.leave_out(value)


@dataclass(eq=False)
class Body(RequestBody[S]):
    """A JSON object: the fields of a Struct, but those in `ignored`. `keywords`: more of
    the object's schema (e.g. a `oneOf` over which fields are required together)."""

    name: str
    struct: type[S]
    ignored: frozenset[str] = frozenset()
    keywords: Mapping[str, Any] = field(default_factory=dict)

    @property
    def decodes(self) -> type[S]:
        return self.struct

    def schema(self, components: Components) -> dict[str, Any]:
        return {**components.object(self.struct, leave_out=self.ignored), **self.keywords}

    def leave_out(self, value: Any) -> Any:
        if not self.ignored:
            return value
        return {k: v for k, v in value.items() if k not in self.ignored}


@dataclass(eq=False)
class Extended(RequestBody[S]):
    """`base` and some of the fields `base` ignores: `allOf` the base (a component) and an
    object of those fields, as the official description writes its streaming run bodies."""

    name: str
    base: Body[S]
    fields: tuple[str, ...]

    @property
    def decodes(self) -> type[S]:
        return self.base.struct

    def schema(self, components: Components) -> dict[str, Any]:
        components.schemas[self.base.name] = self.base.schema(components)
        others = set(self.base.struct.__struct_fields__) - set(self.fields)
        return {"allOf": [ref(self.base.name), components.object(self.base.struct, leave_out=others, describe=False)]}

    def leave_out(self, value: Any) -> Any:
        return {k: v for k, v in value.items() if k not in self.base.ignored or k in self.fields}


@dataclass(eq=False)
class ListOf(RequestBody[list[S]]):
    """A JSON array of `item` bodies (a component), between `min_items` and `max_items`."""

    name: str
    item: Body[S]
    min_items: int
    max_items: int

    @property
    def decodes(self) -> Any:
        return list[self.item.struct]  # type: ignore[name-defined]

    def schema(self, components: Components) -> dict[str, Any]:
        components.schemas[self.item.name] = self.item.schema(components)
        return {"type": "array", "items": ref(self.item.name), "minItems": self.min_items, "maxItems": self.max_items}

    def leave_out(self, value: Any) -> Any:
        return [self.item.leave_out(v) for v in value]


# runs: the fields only one kind of run has (sent to the other, they are ignored)
_STATEFUL_ONLY = frozenset({"checkpoint", "checkpoint_id", "multitask_strategy", "if_not_exists"})
_STATELESS_ONLY = frozenset({"on_completion"})
_STREAMING_ONLY = ("on_disconnect",)

RUN_CREATE_STATEFUL = Body("RunCreateStateful", RunCreate, ignored=_STATELESS_ONLY | set(_STREAMING_ONLY))
RUN_CREATE_STATELESS = Body("RunCreateStateless", RunCreate, ignored=_STATEFUL_ONLY | set(_STREAMING_ONLY))
RUN_STREAM_STATEFUL = Extended("RunCreateStreamingStateful", RUN_CREATE_STATEFUL, _STREAMING_ONLY)
RUN_STREAM_STATELESS = Extended("RunCreateStreamingStateless", RUN_CREATE_STATELESS, _STREAMING_ONLY)
RUN_BATCH = ListOf("RunBatchCreate", RUN_CREATE_STATELESS, min_items=1, max_items=MAX_BATCH)
RUNS_CANCEL = Body("RunsCancel", RunsCancel, keywords={
    "oneOf": [{"required": ["status"]}, {"required": ["thread_id", "run_ids"]}],
})

THREAD_CREATE = Body("ThreadCreate", ThreadCreate)
THREAD_PATCH = Body("ThreadPatch", ThreadPatch)
THREAD_SEARCH = Body("ThreadSearchRequest", ThreadSearch)
THREAD_COUNT = Body("ThreadCountRequest", ThreadCount)
THREAD_PRUNE = Body("ThreadPruneRequest", ThreadPrune)
THREAD_STATE_UPDATE = Body("ThreadStateUpdate", StateUpdate)
THREAD_STATE_AT = Body("ThreadStateCheckpointRequest", StateAtCheckpoint)
THREAD_HISTORY = Body("ThreadStateSearch", HistoryRequest)

ASSISTANT_CREATE = Body("AssistantCreate", AssistantCreate)
ASSISTANT_PATCH = Body("AssistantPatch", AssistantPatch)
ASSISTANT_SEARCH = Body("AssistantSearchRequest", AssistantSearch)
ASSISTANT_COUNT = Body("AssistantCountRequest", AssistantCount)
ASSISTANT_VERSIONS = Body("AssistantVersionsSearchRequest", AssistantVersionSearch)
ASSISTANT_VERSION_CHANGE = Body("AssistantVersionChange", AssistantVersionChange)

CRON_CREATE = Body("CronCreate", CronCreate)
THREAD_CRON_CREATE = Body("ThreadCronCreate", CronCreate, ignored=frozenset({"on_run_completed"}))
CRON_PATCH = Body("CronPatch", CronPatch)
CRON_SEARCH = Body("CronSearch", CronSearch)
CRON_COUNT = Body("CronCountRequest", CronCount)

STORE_PUT = Body("StorePutRequest", PutItem)
STORE_DELETE = Body("StoreDeleteRequest", DeleteItem)
STORE_SEARCH = Body("StoreSearchRequest", SearchItems)
STORE_NAMESPACES = Body("StoreListNamespacesRequest", ListNamespaces)


def components_of(bodies: Iterable[RequestBody[Any]], components: Components) -> None:
    """Add the schemas of `bodies`, under their names, to `components`."""
    for body in bodies:
        components.schemas[body.name] = body.schema(components)
