"""The optional sections of `langgraph.json` that configure the server: `store`,
`checkpointer`, `http`, `webhooks` and `priority` (reference §6.2). Decoding one checks it; a bad value is a `ConfigError`
that names its key, an unknown key is logged and ignored."""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

import msgspec

from threadloom.protocol.ttl import ThreadTtl
from threadloom.protocol.webhooks import PAYLOAD_FIELDS

log = logging.getLogger("threadloom.config")

T = TypeVar("T", bound="Section")

# what the API must let a browser read, whatever `http.cors.expose_headers` adds
API_EXPOSE_HEADERS = ("Content-Location", "Location", "X-Pagination-Total", "X-Pagination-Next", "X-Request-ID")


class ConfigError(Exception):
    """A problem with the command line or `langgraph.json`: one line, exit code 2."""


class Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    def check(self, key: str) -> None:
        """Checks beyond types; `key` is where this section sits, for the error."""


# store -------------------------------------------------------------------------------------


class StoreIndex(Section):
    dims: int
    embed: str  # "./file.py:fn" (a function list[str] -> list[list[float]]) or "provider:model"
    fields: list[str] | None = None
    distance_type: Literal["cosine", "l2", "inner_product"] | None = None

    def check(self, key: str) -> None:
        if self.dims < 1:
            raise ConfigError(f"{key}.dims: must be a positive number of dimensions, got {self.dims}")
        if ":" not in self.embed:
            raise ConfigError(f"{key}.embed: expected \"./file.py:function\" or \"provider:model\", got {self.embed!r}")


class StoreTtl(Section):
    default_ttl: float | None = None  # minutes
    refresh_on_read: bool = True
    sweep_interval_minutes: int | None = None

    def check(self, key: str) -> None:
        if self.default_ttl is not None and self.default_ttl <= 0:
            raise ConfigError(f"{key}.default_ttl: must be a positive number of minutes")
        if self.sweep_interval_minutes is not None and self.sweep_interval_minutes < 1:
            raise ConfigError(f"{key}.sweep_interval_minutes: must be at least 1")


class StoreSection(Section):
    index: StoreIndex | None = None
    ttl: StoreTtl | None = None
    path: str | None = None

    def check(self, key: str) -> None:
        if self.path is not None:
            raise ConfigError(f"{key}.path: custom stores are not supported; threadloom keeps the store in its database")
        for name in ("index", "ttl"):
            if (part := getattr(self, name)) is not None:
                part.check(f"{key}.{name}")

    def ttl_config(self) -> dict[str, Any] | None:
        """LangGraph's `TTLConfig`, or None without a `ttl` section."""
        return None if self.ttl is None else msgspec.structs.asdict(self.ttl)


# checkpointer ---------------------------------------------------------------------------------


class CheckpointerTtl(Section):
    """The defaults are the official server's (a sweep about every 5 minutes, of at most
    1000 threads)."""

    strategy: Literal["delete", "keep_latest"] = "delete"  # for `default_ttl`
    default_ttl: float | None = None  # minutes, for threads created from now on
    sweep_interval_minutes: float = 5
    sweep_limit: int = 1000

    def check(self, key: str) -> None:
        if self.default_ttl is not None and self.default_ttl <= 0:
            raise ConfigError(f"{key}.default_ttl: must be a positive number of minutes")
        if self.sweep_interval_minutes <= 0:
            raise ConfigError(f"{key}.sweep_interval_minutes: must be a positive number of minutes")
        if self.sweep_limit < 1:
            raise ConfigError(f"{key}.sweep_limit: must be at least 1")

    def default(self) -> ThreadTtl | None:
        """The TTL new threads get without one of their own."""
        return None if self.default_ttl is None else ThreadTtl(strategy=self.strategy, minutes=self.default_ttl)


class CheckpointerSection(Section):
    ttl: CheckpointerTtl = msgspec.field(default_factory=CheckpointerTtl)
    # accepted, not supported: threadloom keeps checkpoints in its database, with its serde
    path: Any = None
    serde: Any = None

    def check(self, key: str) -> None:
        self.ttl.check(f"{key}.ttl")
        for name in ("path", "serde"):
            if getattr(self, name) is not None:
                log.warning("langgraph.json: %s.%s is not supported by threadloom; ignored", key, name)


# http ----------------------------------------------------------------------------------------

ROUTE_GROUPS = ("assistants", "threads", "runs", "crons", "store", "meta")


class Cors(Section):
    """Unlike the official server, a field left out keeps threadloom's permissive default
    (there it falls back to Starlette's: GET only, no headers), and the API's own headers
    are always exposed: the clients need them."""

    allow_origins: list[str] = msgspec.field(default_factory=lambda: ["*"])
    allow_methods: list[str] = msgspec.field(default_factory=lambda: ["*"])
    allow_headers: list[str] = msgspec.field(default_factory=lambda: ["*"])
    allow_credentials: bool = False
    allow_origin_regex: str | None = None
    expose_headers: list[str] = []
    max_age: int = 600

    def check(self, key: str) -> None:
        if self.allow_origin_regex is not None:
            try:
                re.compile(self.allow_origin_regex)
            except re.error as exc:
                raise ConfigError(f"{key}.allow_origin_regex: invalid regular expression: {exc}") from None
        if self.max_age < 0:
            raise ConfigError(f"{key}.max_age: must be at least 0")

    @property
    def exposed(self) -> list[str]:
        seen = {h.lower() for h in self.expose_headers}
        return [*self.expose_headers, *(h for h in API_EXPOSE_HEADERS if h.lower() not in seen)]


class HttpSection(Section):
    app: str | None = None  # "./app.py:app": a Starlette/FastAPI app served beside the API
    cors: Cors = msgspec.field(default_factory=Cors)
    mount_prefix: str | None = None
    disable_assistants: bool = False
    disable_threads: bool = False
    disable_runs: bool = False
    disable_crons: bool = False
    disable_store: bool = False
    disable_meta: bool = False
    disable_webhooks: bool = False
    disable_mcp: bool = False  # the assistants as MCP tools (`/mcp`)
    disable_a2a: bool = False  # the assistants as A2A agents (`/a2a/…`, the agent cards)
    disable_event_streaming: bool = False  # v3 thread streaming (`/threads/{id}/stream/events`, `/commands`)
    disable_ui: bool = False  # a surface threadloom does not serve: nothing to disable
    disable_console: bool = False  # the console in the browser (`/console`)
    enable_custom_route_auth: bool = False  # with `auth`: the custom app's routes need a user too
    # accepted, not supported yet
    configurable_headers: dict[str, Any] | None = None
    logging_headers: dict[str, Any] | None = None
    middleware_order: Literal["auth_first", "middleware_first"] | None = None

    def check(self, key: str) -> None:
        self.cors.check(f"{key}.cors")
        if self.app is not None and ":" not in self.app:
            raise ConfigError(f"{key}.app: expected \"./file.py:app\", got {self.app!r}")
        if self.mount_prefix is not None:
            if not self.mount_prefix.startswith("/"):
                raise ConfigError(f"{key}.mount_prefix: must start with '/', got {self.mount_prefix!r}")
            self.mount_prefix = self.mount_prefix.rstrip("/") or None
        for name in ("configurable_headers", "logging_headers", "middleware_order"):
            if getattr(self, name) is not None:
                log.warning("langgraph.json: %s.%s is not supported yet; ignored", key, name)

    def disabled(self, group: str) -> bool:
        if group == "crons" and self.disable_runs:
            return True
        if group == "event_streaming":  # its runs are runs, on threads
            return self.disable_event_streaming or self.disable_runs or self.disable_threads
        return bool(getattr(self, f"disable_{group}"))


# webhooks --------------------------------------------------------------------------------------

_ENV_TEMPLATE = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


class WebhookUrlPolicy(Section):
    """Secure by default, with or without a `webhooks` section: https only, to hosts that
    resolve to public addresses."""

    require_https: bool = True
    allowed_domains: list[str] = []  # "hooks.example.com" or "*.example.com"
    allowed_ports: list[int] = []
    max_url_length: int = 2048
    disable_loopback: bool = True
    disable_private_ips: bool = True  # the official server's default is false

    def check(self, key: str) -> None:
        for domain in self.allowed_domains:
            if not domain or ("*" in domain and not (domain.startswith("*.") and "*" not in domain[2:])):
                raise ConfigError(f"{key}.allowed_domains: {domain!r} is not a host or '*.domain'")
        for port in self.allowed_ports:
            if not 1 <= port <= 65535:
                raise ConfigError(f"{key}.allowed_ports: {port} is not a port")
        if self.max_url_length < 1:
            raise ConfigError(f"{key}.max_url_length: must be positive")


class WebhooksSection(Section):
    env_prefix: str = "LG_WEBHOOK_"
    url: WebhookUrlPolicy = msgspec.field(default_factory=WebhookUrlPolicy)
    headers: dict[str, str] = {}  # values may hold "${{ env.LG_WEBHOOK_X }}"
    allowed_fields: list[str] | None = None

    def check(self, key: str) -> None:
        self.url.check(f"{key}.url")
        unknown = sorted(set(self.allowed_fields or ()) - PAYLOAD_FIELDS)
        if unknown:
            raise ConfigError(f"{key}.allowed_fields: unknown field(s) {unknown}; valid: {sorted(PAYLOAD_FIELDS)}")
        for name, value in self.headers.items():
            for ref in _ENV_TEMPLATE.findall(value):
                variable = ref.removeprefix("env.").strip()
                if not ref.startswith("env.") or not variable.startswith(self.env_prefix):
                    raise ConfigError(
                        f"{key}.headers.{name}: {ref!r} must be `env.{self.env_prefix}…` (the variable must start with env_prefix)"
                    )

    def resolved_headers(self, environ: Mapping[str, str], key: str = "webhooks") -> dict[str, str]:
        """The headers with each `${{ env.X }}` replaced by X's value in `environ`; a
        variable that is not set is a `ConfigError`: better not to start than to send
        webhooks without their credentials."""

        def resolve(name: str, value: str) -> str:
            def variable(match: re.Match[str]) -> str:
                var = match.group(1).removeprefix("env.").strip()
                if var not in environ:
                    raise ConfigError(f"{key}.headers.{name}: environment variable {var} is not set")
                return environ[var]

            return _ENV_TEMPLATE.sub(variable, value)

        return {name: resolve(name, value) for name, value in self.headers.items()}


# decoding ----------------------------------------------------------------------------------------


def _warn_unknown(raw: Any, kind: type[msgspec.Struct], key: str) -> None:
    if not isinstance(raw, dict):
        return
    hints = typing.get_type_hints(kind)
    for name, value in raw.items():
        if name not in hints:
            log.warning("langgraph.json: unknown key %s.%s ignored", key, name)
            continue
        for nested in (hints[name], *typing.get_args(hints[name])):
            if isinstance(nested, type) and issubclass(nested, Section):
                _warn_unknown(value, nested, f"{key}.{name}")


def validation_error(exc: msgspec.ValidationError, key: str) -> ConfigError:
    """msgspec's error as one line that names the key under `key`."""
    message, _, where = str(exc).partition(" - at `$")
    return ConfigError(f"{key}{where.rstrip('`')}: {message[:1].lower()}{message[1:]}")


class PrioritySection(Section):
    path: str | None = None  # "./priority.py:priority": a `langgraph_sdk.Priority`

    def check(self, key: str) -> None:
        if self.path is None:
            return
        file, colon, _ = self.path.partition(":")
        if not colon:
            raise ConfigError(f"{key}.path: expected \"./file.py:priority\", got {self.path!r}")
        if file.endswith((".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")):
            raise ConfigError(f"{key}.path: only a Python `langgraph_sdk.Priority` is supported, got {self.path!r}")


def decode_section(raw: Any, kind: type[T], key: str) -> T:
    """`raw` (a JSON value) as a `kind`, checked; errors name the key under `key`."""
    try:
        section = msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        raise validation_error(exc, key) from None
    _warn_unknown(raw, kind, key)
    section.check(key)
    return section

