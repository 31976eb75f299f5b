"""`langgraph.json`: what a project declares (reference §6.2), read and checked before
anything is imported, so a typo gets its one-line answer at once."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import dotenv_values

from .auth.section import AuthSection
from .encryption.section import EncryptionSection, encryption_section
from .sections import (
    CheckpointerSection,
    ConfigError,
    HttpSection,
    PrioritySection,
    StoreSection,
    WebhooksSection,
    decode_section,
)

if TYPE_CHECKING:
    from .graphs import GraphSpec

log = logging.getLogger("threadloom.config")

# keys for building images (`langgraph build`): nothing to do when serving
_BUILD_KEYS = frozenset({
    "$schema", "python_version", "node_version", "api_version", "base_image", "image_distro",
    "pip_config_file", "pip_installer", "source", "dockerfile_lines", "keep_pkg_tools", "disable_persistence",
})
# features threadloom does not have yet: served without them, with a warning
_UNSUPPORTED_KEYS = frozenset({"ui", "ui_config"})
_SECTIONS = frozenset({
    "graphs", "dependencies", "env", "store", "checkpointer", "http", "webhooks", "auth", "encryption", "priority",
})


@dataclass
class Project:
    """What `langgraph.json` declares."""

    base_dir: Path
    graphs: list[GraphSpec]
    dependencies: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    store: StoreSection = field(default_factory=StoreSection)
    checkpointer: CheckpointerSection = field(default_factory=CheckpointerSection)  # `ttl`: threads' time-to-live
    http: HttpSection = field(default_factory=HttpSection)
    webhooks: WebhooksSection | None = None  # checked here; sent by the runtime
    auth: AuthSection = field(default_factory=AuthSection)  # custom auth with `auth.path`
    encryption: EncryptionSection | None = None  # at-rest encryption (or LANGGRAPH_ENCRYPTION)
    priority: PrioritySection = field(default_factory=PrioritySection)  # `priority.path`: run priority


def _read_env(value: Any, base_dir: Path) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        for key, val in value.items():
            if not isinstance(val, (str, int, float, bool)):
                raise ConfigError(f"env.{key}: must be a string or a number")
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
    if isinstance(value, str):
        path = base_dir / value
        if not path.is_file():
            raise ConfigError(f"env: dotenv file not found: {path}")
        return {k: v for k, v in dotenv_values(path).items() if v is not None}
    raise ConfigError("env: must be an object or the path of a dotenv file")


def _check_keys(raw: dict[str, Any]) -> None:
    for key in raw:
        if key in _UNSUPPORTED_KEYS:
            log.warning("langgraph.json: %s is not supported by threadloom yet; ignored", key)
        elif key not in _SECTIONS and key not in _BUILD_KEYS:
            log.warning("langgraph.json: unknown key %s ignored", key)


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
    _check_keys(raw)
    # imports LangGraph: not before the cheap checks above
    from .graphs import GraphSpec

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
    env = _read_env(raw.get("env"), base_dir)
    try:
        return Project(
            base_dir, specs, deps, env,
            store=decode_section(raw.get("store") or {}, StoreSection, "store"),
            checkpointer=decode_section(raw.get("checkpointer") or {}, CheckpointerSection, "checkpointer"),
            http=decode_section(raw.get("http") or {}, HttpSection, "http"),
            webhooks=None if raw.get("webhooks") is None else decode_section(raw["webhooks"], WebhooksSection, "webhooks"),
            auth=decode_section(raw.get("auth") or {}, AuthSection, "auth"),
            encryption=encryption_section(raw.get("encryption"), {**env, **os.environ}),
            priority=decode_section(raw.get("priority") or {}, PrioritySection, "priority"),
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


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
