"""Command line, environment and `langgraph.json`."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import msgspec

from threadloom.actors.streams import Retention
from threadloom.protocol.requests import RunnableConfigShape

from .logs import LogFormat
from .project import Project, apply_project, load_project
from .sections import ConfigError, validation_error

__all__ = [
    "ConfigError", "Project", "Settings", "api_url", "apply_project", "assistant_configs", "load_project", "parse_args",
]

log = logging.getLogger("threadloom.config")

DEFAULT_DB = "./.threadloom/threadloom.sqlite"
try:
    VERSION = importlib.metadata.version("threadloom")
except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
    VERSION = "0+checkout"
DEFAULT_STREAM_BUFFER = 100_000


@dataclass
class Settings:
    config: Path = Path("langgraph.json")
    host: str = "127.0.0.1"
    port: int = 2024
    db: str | None = DEFAULT_DB  # None: --memory
    jobs: int = 10
    workers: int = 1  # processes serving the port (`workers.py`); more than 1 needs PostgreSQL
    log_level: str = "INFO"
    log_format: LogFormat = "text"
    access_log: bool = True
    ready_file: Path | None = None  # where to write the URL served once serving (a health check reads it)
    # runtime tuning without flags (tests set them)
    stream_buffer: int = DEFAULT_STREAM_BUFFER
    supervisor_idle_seconds: float = 30.0
    cron_poll_seconds: float = 5.0  # how often the scheduler looks for due crons
    max_attempts: int = 3
    webhook_backoff_seconds: float = 1.0  # before a webhook's first retry; doubles before each next one
    shutdown_grace_seconds: float = 10.0
    resumable_events: int = 100_000  # events a resumable run's log keeps (in memory and persisted)
    stream_retention: Retention = field(default_factory=Retention)  # how long finished runs' persisted logs keep their events


def is_postgres(db: str | None) -> bool:
    return db is not None and db.startswith(("postgresql://", "postgres://"))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"threadloom: error: {message}\n")


def _number(kind: Callable[[str], float], low: float, high: float | None = None) -> Callable[[str], Any]:
    """An argparse converter: a `kind` (int or float) between `low` and `high`."""

    def convert(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number: {value!r}") from None
        if number < low or (high is not None and number > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return number

    return convert


_port = _number(int, 0, 65535)  # 0: any free port
_jobs = _number(int, 1)
_stream_buffer = _number(int, 100)
_seconds = _number(float, 0, 86_400)


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise argparse.ArgumentTypeError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def _log_format(value: str) -> LogFormat:
    if value not in ("text", "json"):
        raise argparse.ArgumentTypeError(f"expected text or json, got {value!r}")
    return "json" if value == "json" else "text"


def _parser() -> _Parser:
    """The command line: each flag names the variable it stands for, and its default."""
    parser = _Parser(
        prog="threadloom", description="Serve LangGraph graphs over the LangGraph Platform API.",
        epilog="Installed, the command is `threadloom` (or `python -m threadloom.server`); in a checkout, `python -m server`.",
    )
    parser.add_argument("--version", action="version", version=f"threadloom {VERSION}")
    parser.add_argument("--config", help="path to langgraph.json [THREADLOOM_CONFIG, default langgraph.json]")
    parser.add_argument("--host", help="interface to bind [THREADLOOM_HOST, default 127.0.0.1]")
    parser.add_argument("--port", type=_port, help="port, 0 for any free one [THREADLOOM_PORT, default 2024]")
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--db", help=f"SQLite database file, or a postgresql:// URL [DATABASE_URI, THREADLOOM_DB, default {DEFAULT_DB}]"
    )
    store.add_argument("--memory", action="store_true", default=None, help="keep nothing after the process exits [THREADLOOM_MEMORY=1]")
    parser.add_argument("--jobs", type=_jobs, help="runs executing at once across all threads [THREADLOOM_JOBS, default 10]")
    parser.add_argument("--workers", type=_jobs,
                        help="processes serving the port, one cluster on a postgresql:// --db [THREADLOOM_WORKERS, default 1]")
    parser.add_argument("--shutdown-grace", type=_seconds,
                        help="on SIGTERM, seconds running runs may take to finish before they are handed back "
                        "as pending [THREADLOOM_SHUTDOWN_GRACE, default 10]")
    parser.add_argument("--max-attempts", type=_jobs,
                        help="times a run may be started (crashes included) before it fails [THREADLOOM_MAX_ATTEMPTS, default 3]")
    parser.add_argument("--stream-buffer", type=_stream_buffer,
                        help=f"events a stream reader may fall behind before it is cut off [THREADLOOM_STREAM_BUFFER, default {DEFAULT_STREAM_BUFFER}]")
    parser.add_argument("--log-level", type=_log_level,
                        help="DEBUG, INFO, WARNING or ERROR [THREADLOOM_LOG_LEVEL, default INFO]")
    parser.add_argument("--log-format", choices=("text", "json"),
                        help="text, or json (one object per line) [THREADLOOM_LOG_FORMAT, default text]")
    parser.add_argument("--access-log", type=_flag, metavar="on|off",
                        help="a line per request: method, path, status, duration, request id [THREADLOOM_ACCESS_LOG, default on]")
    parser.add_argument("--ready-file", type=Path,
                        help="once serving, write the URL served to this file [THREADLOOM_READY_FILE]")
    return parser


def _database(args: argparse.Namespace, env: Mapping[str, str], memory: Callable[[], bool]) -> str | None:
    """The database to serve on (None: in memory). An explicit flag beats either variable:
    `--db x` wins over THREADLOOM_MEMORY=1 (`memory()` reads that one, only if asked)."""
    if args.memory:
        return None
    if args.db is not None:
        return str(args.db)
    if memory():
        return None
    # DATABASE_URI, the official container's variable, beats THREADLOOM_DB: the image sets
    # THREADLOOM_DB to its volume, and `docker run -e DATABASE_URI=postgresql://…` means Postgres
    return env.get("DATABASE_URI") or env.get("THREADLOOM_DB") or DEFAULT_DB


def parse_args(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags win over their environment variables, which win over the defaults."""
    env = os.environ if environ is None else environ
    parser = _parser()
    args = parser.parse_args(argv)

    def from_env(name: str, convert: Callable[[str], Any], default: Any) -> Any:
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            return convert(raw)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"{name}: {exc}")

    port = args.port if args.port is not None else from_env("THREADLOOM_PORT", _port, 2024)
    jobs = args.jobs if args.jobs is not None else from_env("THREADLOOM_JOBS", _jobs, 10)
    max_attempts = args.max_attempts or from_env("THREADLOOM_MAX_ATTEMPTS", _jobs, 3)
    grace = args.shutdown_grace if args.shutdown_grace is not None else from_env("THREADLOOM_SHUTDOWN_GRACE", _seconds, 10.0)
    stream_buffer = args.stream_buffer or from_env("THREADLOOM_STREAM_BUFFER", _stream_buffer, DEFAULT_STREAM_BUFFER)
    db = _database(args, env, lambda: bool(from_env("THREADLOOM_MEMORY", _flag, False)))
    workers = args.workers if args.workers is not None else from_env("THREADLOOM_WORKERS", _jobs, 1)
    if workers > 1 and not is_postgres(db):
        parser.error(f"--workers {workers} needs a postgresql:// --db (SQLite is served by one process)")
    log_format = args.log_format or from_env("THREADLOOM_LOG_FORMAT", _log_format, "text")
    access_log = args.access_log if args.access_log is not None else from_env("THREADLOOM_ACCESS_LOG", _flag, True)
    ready_file = args.ready_file or (Path(env["THREADLOOM_READY_FILE"]) if env.get("THREADLOOM_READY_FILE") else None)
    return Settings(
        config=Path(args.config or env.get("THREADLOOM_CONFIG") or "langgraph.json"),
        host=args.host or env.get("THREADLOOM_HOST") or "127.0.0.1",
        port=port,
        db=db,
        jobs=jobs,
        workers=workers,
        stream_buffer=stream_buffer,
        max_attempts=max_attempts,
        shutdown_grace_seconds=grace,
        log_level=args.log_level or from_env("THREADLOOM_LOG_LEVEL", _log_level, "INFO"),
        log_format=log_format,
        access_log=access_log,
        ready_file=ready_file,
    )


# the environment graph code and the platform read -----------------------------------------------


def _project_env(project: Project, environ: Mapping[str, str] | None) -> Mapping[str, str]:
    """The process environment over langgraph.json's `env` (which never overrides it)."""
    return {**project.env, **(os.environ if environ is None else environ)}


def assistant_configs(project: Project, environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """`LANGGRAPH_CONFIG`: a JSON object that gives, by graph id, the `config` of each
    graph's system assistant (as on the official server). Bad JSON or a config of the
    wrong shape is a `ConfigError` naming the variable."""
    raw = _project_env(project, environ).get("LANGGRAPH_CONFIG")
    if not raw:
        return {}
    try:
        configs = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"LANGGRAPH_CONFIG: invalid JSON: {exc}") from None
    if not isinstance(configs, dict):
        raise ConfigError("LANGGRAPH_CONFIG: must be a JSON object mapping graph ids to configs")
    for graph_id, config in configs.items():
        try:
            msgspec.convert(config, RunnableConfigShape)
        except msgspec.ValidationError as exc:
            raise validation_error(exc, f"LANGGRAPH_CONFIG.{graph_id}") from None
    graph_ids = {spec.graph_id for spec in project.graphs}
    for unknown in sorted(set(configs) - graph_ids):
        log.warning("LANGGRAPH_CONFIG: no graph %r in langgraph.json; its config is ignored", unknown)
    return {graph_id: config for graph_id, config in configs.items() if graph_id in graph_ids}


def api_url(project: Project, environ: Mapping[str, str] | None = None) -> str | None:
    """`LANGGRAPH_API_URL`: where this server is reached (runs' `langgraph_api_url`)."""
    return _project_env(project, environ).get("LANGGRAPH_API_URL") or None
