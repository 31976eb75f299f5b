"""Command line, environment and `langgraph.json`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .graphs import GraphSpec

DEFAULT_DB = "./.threadloom/threadloom.sqlite"


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
    stream_buffer: int = 10_000
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


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    parser = _Parser(prog="python -m server", description="Serve LangGraph graphs over the LangGraph Platform API.")
    parser.add_argument("--config", default=env.get("THREADLOOM_CONFIG", "langgraph.json"), help="path to langgraph.json [THREADLOOM_CONFIG]")
    parser.add_argument("--host", default=env.get("THREADLOOM_HOST", "127.0.0.1"), help="interface to bind [THREADLOOM_HOST]")
    parser.add_argument("--port", type=int, default=int(env.get("THREADLOOM_PORT", "2024")), help="port, 0 for any free one [THREADLOOM_PORT]")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--db", default=env.get("THREADLOOM_DB", DEFAULT_DB), help="SQLite database file [THREADLOOM_DB]")
    store.add_argument("--memory", action="store_true", default=env.get("THREADLOOM_MEMORY", "") not in ("", "0", "false"),
                       help="keep nothing after the process exits [THREADLOOM_MEMORY=1]")
    parser.add_argument("--jobs", type=int, default=int(env.get("THREADLOOM_JOBS", "10")), help="runs executing at once across all threads [THREADLOOM_JOBS]")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return Settings(config=Path(args.config), host=args.host, port=args.port, db=None if args.memory else args.db, jobs=args.jobs)


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
