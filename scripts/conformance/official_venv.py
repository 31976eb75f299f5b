"""The scratch virtualenv that holds the official server, outside the repository.

The official `langgraph-api` is Elastic-licensed: we install it from the package index and
run it; nothing of it is copied into this repository. LangGraph and langchain-core are
pinned to the versions this interpreter (threadloom's) has, so that a difference found is
a difference between the servers, not between two LangGraph releases.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

OFFICIAL_API_VERSION = "0.16.7"
OFFICIAL_REQUIREMENTS = (
    "langgraph-cli[inmem]==0.4.40",
    f"langgraph-api=={OFFICIAL_API_VERSION}",
    "langgraph-runtime-inmem==0.36.7",
)
# Shared with threadloom: pinned to what this interpreter has (see the module docstring).
SHARED_PACKAGES = ("langgraph", "langchain-core")

ENV_VAR = "THREADLOOM_OFFICIAL_VENV"
DEFAULT_VENV = Path.home() / ".cache" / "threadloom" / "official-venv"

Log = Callable[[str], None]


def venv_path(flag: str | None = None) -> Path:
    """The flag, else $THREADLOOM_OFFICIAL_VENV, else ~/.cache/threadloom/official-venv."""
    return Path(flag or os.environ.get(ENV_VAR) or DEFAULT_VENV).expanduser()


def langgraph_command(venv: Path) -> Path:
    return venv / "bin" / "langgraph"


def installed_api_version(venv: Path) -> str | None:
    """The `langgraph-api` version the venv holds, or None when it has none (or no venv)."""
    python = venv / "bin" / "python"
    if not python.exists() or not langgraph_command(venv).exists():
        return None
    probe = "import importlib.metadata as m; print(m.version('langgraph-api'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def shared_pins() -> list[str]:
    pins = []
    for name in SHARED_PACKAGES:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return pins


def _pip_install(venv: Path, requirements: list[str]) -> bool:
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    return subprocess.run([*pip, *requirements]).returncode == 0


def ensure_official_venv(venv: Path, log: Log = print) -> Path:
    """Make `venv` hold `langgraph dev` with langgraph-api 0.16.7 (about a minute, once)."""
    if installed_api_version(venv) == OFFICIAL_API_VERSION:
        return venv
    log(f"creating the official server's virtualenv in {venv} (about a minute)")
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    requirements = list(OFFICIAL_REQUIREMENTS)
    if not _pip_install(venv, [*requirements, *shared_pins()]):
        # The official server may not accept our LangGraph; its own choice still compares servers.
        log("pinning LangGraph to threadloom's version failed; installing the official server's own choice")
        if not _pip_install(venv, requirements):
            raise RuntimeError(f"could not install {' '.join(requirements)} into {venv}")
    if installed_api_version(venv) != OFFICIAL_API_VERSION:
        raise RuntimeError(f"{venv} does not hold langgraph-api {OFFICIAL_API_VERSION} after installing it")
    return venv
