"""Command line, environment and `langgraph.json`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .graphs import GraphSpec

DEFAULT_DB = "./.threadloom/threadloom.sqlite"
DEFAULT_STREAM_BUFFER = 100_000


class ConfigError(Exception):
    """A problem with the command line or `langgraph.json`: one line, exit code 2."""


@dataclass
class Settings:
    config: Path = Path("langgraph.json")
    host: str = "127.0.0.1"
    port: int = 2024
    db: str | None = DEFAULT_DB  # None: --memory
    jobs: int = 10
    # runtime tuning without flags (tests set them)
    stream_buffer: int = DEFAULT_STREAM_BUFFER
    supervisor_idle_seconds: float = 30.0


@dataclass
class Project:
    """What `langgraph.json` declares."""

    base_dir: Path
    graphs: list[GraphSpec]
    dependencies: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"threadloom: error: {message}\n")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r} (0-65535, 0 for any free one)")
    return port


def _at_least(minimum: int) -> Callable[[str], int]:
    def convert(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number: {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {number}")
        return number

    return convert


_jobs = _at_least(1)
_stream_buffer = _at_least(100)


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def parse_args(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags win over their environment variables, which win over the defaults."""
    env = os.environ if environ is None else environ
    parser = _Parser(prog="python -m server", description="Serve LangGraph graphs over the LangGraph Platform API.")
    parser.add_argument("--config", help="path to langgraph.json [THREADLOOM_CONFIG, default langgraph.json]")
    parser.add_argument("--host", help="interface to bind [THREADLOOM_HOST, default 127.0.0.1]")
    parser.add_argument("--port", type=_port, help="port, 0 for any free one [THREADLOOM_PORT, default 2024]")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--db", help=f"SQLite database file [THREADLOOM_DB, default {DEFAULT_DB}]")
    store.add_argument("--memory", action="store_true", default=None, help="keep nothing after the process exits [THREADLOOM_MEMORY=1]")
    parser.add_argument("--jobs", type=_jobs, help="runs executing at once across all threads [THREADLOOM_JOBS, default 10]")
    parser.add_argument("--stream-buffer", type=_stream_buffer,
                        help=f"events a stream reader may fall behind before it is cut off [THREADLOOM_STREAM_BUFFER, default {DEFAULT_STREAM_BUFFER}]")
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
    stream_buffer = args.stream_buffer or from_env("THREADLOOM_STREAM_BUFFER", _stream_buffer, DEFAULT_STREAM_BUFFER)
    # an explicit flag beats either variable: `--db x` wins over THREADLOOM_MEMORY=1
    if args.memory:
        db = None
    elif args.db is not None:
        db = args.db
    elif from_env("THREADLOOM_MEMORY", _flag, False):
        db = None
    else:
        db = env.get("THREADLOOM_DB") or DEFAULT_DB
    return Settings(
        config=Path(args.config or env.get("THREADLOOM_CONFIG") or "langgraph.json"),
        host=args.host or env.get("THREADLOOM_HOST") or "127.0.0.1",
        port=port,
        db=db,
        jobs=jobs,
        stream_buffer=stream_buffer,
    )


def _read_env(value: Any, base_dir: Path) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        path = base_dir / value
        if not path.is_file():
            raise ConfigError(f"langgraph.json: env file not found: {path}")
        out: dict[str, str] = {}
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, val = line.removeprefix("export ").partition("=")
                out[key.strip()] = val.strip().strip("'\"")
        return out
    raise ConfigError("langgraph.json: `env` must be an object or the path of a dotenv file")


def load_project(path: Path) -> Project:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must hold a JSON object")
    base_dir = path.resolve().parent
    graphs = raw.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise ConfigError(f"{path}: `graphs` must be a non-empty object")
    from .graphs import GraphSpec  # imports LangGraph: not before the cheap checks above

    specs = []
    for graph_id, spec in graphs.items():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            specs.append(GraphSpec(graph_id, spec["path"], spec.get("description")))
        elif isinstance(spec, str):
            specs.append(GraphSpec(graph_id, spec))
        else:
            raise ConfigError(f"{path}: graphs.{graph_id} must be a path string or {{\"path\": …}}")
    deps = raw.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ConfigError(f"{path}: `dependencies` must be a list of strings")
    return Project(base_dir, specs, deps, _read_env(raw.get("env"), base_dir))


def apply_project(project: Project) -> None:
    """As `langgraph dev` does: local dependency folders go on sys.path, `env` into the
    environment (without overriding what is already set)."""
    for entry in [".", *project.dependencies]:
        local = project.base_dir / entry
        if entry.startswith(".") or local.is_dir():
            folder = str(local.resolve())
            if folder not in sys.path:
                sys.path.insert(0, folder)
    for key, value in project.env.items():
        os.environ.setdefault(key, value)
