"""JSON Schemas of request bodies, written from the Structs that decode them.

The official server checks every body against its API description with jsonschema-rs and
answers a bad one with that library's text, which quotes the failing keyword, where it sits
in the schema and the first candidates of an enum. For our 422s to read the same, a body's
schema must have the official shape, keyword for keyword. msgspec's own generator does not
give it (it sorts enums, and writes every optional field as nullable), so the Structs are
read here, with these conventions:

- a field without a default is required (listed in field order); `None` as a default
  stands for "left out": JSON null is refused, unless the type is marked `NULLABLE`;
- a `Literal` of strings is `{"type": "string", "enum": [...]}`, in the declared order;
- a nested Struct is a component (`$ref` by its class name); `Inline(Struct)` on a field
  typed `dict` describes the object in place instead (the dict is kept whole);
- `Wire(schema)` gives a field's schema outright, for the few shapes no Python type says
  (e.g. a string that is a UUID or a graph id); `Ref(Struct)` inside it is a `$ref`;
- msgspec's `Meta` constraints become the JSON Schema ones (`ge` is `minimum`, ...).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

import msgspec

REF_PREFIX = "#/components/schemas/"
# keywords that only say something of one JSON type: with `null` they may share a `type` list
_TYPED_KEYWORDS = frozenset({
    "items", "minItems", "maxItems", "properties", "additionalProperties", "required", "minProperties",
    "maxProperties", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "format", "description", "title", "default",
})


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Wire:
    """A field's schema, given outright (`Ref(X)` alone: X's component)."""

    schema: Mapping[str, Any] | Ref


@dataclass(frozen=True)
class Ref:
    """In a `Wire` schema: a reference to the component of a Struct."""

    struct: type[msgspec.Struct]


@dataclass(frozen=True)
class Inline:
    """On a `dict` field: the object a Struct describes, in place."""

    struct: type[msgspec.Struct]


class _Nullable:
    def __repr__(self) -> str:
        return "NULLABLE"


NULLABLE = _Nullable()  # in Annotated metadata: JSON null is accepted (not "left out")


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


class Components:
    """The component schemas the written schemas refer to, filled as Structs are met."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, struct: type[msgspec.Struct]) -> dict[str, str]:
        name = struct.__name__
        if name not in self.schemas:
            self.schemas[name] = {}  # taken first: a Struct may refer to itself
            self.schemas[name] = self.object(struct)
        return ref(name)

    def object(
        self, struct: type[msgspec.Struct], *, leave_out: Iterable[str] = (), describe: bool = True
    ) -> dict[str, Any]:
        """The object schema of `struct`, without the fields named in `leave_out`; its
        docstring's first paragraph is its `description` (unless not `describe`)."""
        skipped = set(leave_out)
        fields = [f for f in msgspec.structs.fields(struct) if f.encode_name not in skipped]
        schema: dict[str, Any] = {"type": "object", "properties": {f.encode_name: self.field(f) for f in fields}}
        required = [f.encode_name for f in fields if f.required]
        if required:
            schema["required"] = required
        if describe and struct.__doc__:
            schema["description"] = struct.__doc__.strip().split("\n\n")[0].replace("\n", " ")
        return schema

    def field(self, field: msgspec.structs.FieldInfo) -> dict[str, Any]:
        schema = self.of(field.type)
        default = field.default
        if isinstance(default, (bool, int, float, str)) and "$ref" not in schema:
            schema = {**schema, "default": default}
        return schema

    def of(self, kind: Any, *, nullable: bool = False) -> dict[str, Any]:
        """The schema of a type (`nullable`: a union with None accepts JSON null)."""
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is typing.Annotated:
            return self._annotated(args[0], args[1:], nullable=nullable)
        if origin in (Union, types.UnionType):
            return self._union(args, nullable=nullable)
        if origin is Literal:
            if not all(isinstance(a, str) for a in args):
                raise TypeError(f"only string literals are described: {kind}")
            return {"type": "string", "enum": list(args)}
        if kind is Any:
            return {}
        if kind is type(None):
            return {"type": "null"}
        if kind is bool:
            return {"type": "boolean"}
        if kind is int:
            return {"type": "integer"}
        if kind is float:
            return {"type": "number"}
        if kind is str:
            return {"type": "string"}
        if origin in (list, tuple):
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if kind is dict or origin is dict:
            values = args[1] if args else Any
            return {"type": "object"} if values is Any else {"type": "object", "additionalProperties": self.of(values)}
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            return self.ref(kind)
        raise TypeError(f"no JSON Schema for {kind!r}")

    def resolve(self, node: Any) -> Any:
        """A `Wire` schema with its `Ref`s made `$ref`s (their components added)."""
        if isinstance(node, Ref):
            return self.ref(node.struct)
        if isinstance(node, Mapping):
            # `{"type": "object", "$ref": Ref(X)}`: the reference beside other keywords
            return {
                k: self.ref(v.struct)["$ref"] if k == "$ref" and isinstance(v, Ref) else self.resolve(v)
                for k, v in node.items()
            }
        if isinstance(node, (list, tuple)):
            return [self.resolve(v) for v in node]
        return node

    def _annotated(self, kind: Any, metadata: tuple[Any, ...], *, nullable: bool) -> dict[str, Any]:
        for item in metadata:
            if isinstance(item, Wire):
                return dict(self.resolve(item.schema))
            if isinstance(item, Inline):
                return self.object(item.struct)
        schema = self.of(kind, nullable=nullable or any(item is NULLABLE for item in metadata))
        for item in metadata:
            if isinstance(item, msgspec.Meta):
                schema = _constrained(schema, item)
        return schema

    def _union(self, members: tuple[Any, ...], *, nullable: bool) -> dict[str, Any]:
        schemas = [self.of(m) for m in members if m not in (type(None), msgspec.UnsetType)]
        if nullable:
            schemas.append({"type": "null"})
        if len(schemas) == 1:
            return schemas[0]
        first = schemas[0]
        # `T | None` as the official description writes it: one schema whose `type` lists both
        if (
            nullable and len(schemas) == 2 and isinstance(first.get("type"), str)
            and set(first) <= _TYPED_KEYWORDS | {"type"}
        ):
            return {**first, "type": [first["type"], "null"]}
        return {"anyOf": schemas}


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_LENGTHS = {  # a JSON type's names for min_length and max_length
    "string": ("minLength", "maxLength"), "array": ("minItems", "maxItems"), "object": ("minProperties", "maxProperties"),
}


def _constrained(schema: dict[str, Any], meta: msgspec.Meta) -> dict[str, Any]:
    schema = dict(schema)
    for name, keyword in _BOUNDS.items():
        if getattr(meta, name) is not None:
            schema[keyword] = getattr(meta, name)
    lengths = _LENGTHS.get(schema.get("type", ""))
    if lengths is not None:
        for value, keyword in zip((meta.min_length, meta.max_length), lengths, strict=True):
            if value is not None:
                schema[keyword] = value
    if meta.description is not None:
        schema["description"] = meta.description
    if meta.extra_json_schema:
        schema.update(meta.extra_json_schema)
    return schema
