"""Starting the official server and threadloom on copies of the same graphs directory.

Each server gets its own copy (the official dev server writes `.langgraph_api/` beside its
config) of one `langgraph.json` whose `dependencies` is `["."]`: `langgraph dev` refuses a
config without dependencies, and threadloom must accept the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from .official_venv import langgraph_command

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0  # a guard against hanging, not a timing assertion
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Server:
    name: str  # "official" or "threadloom", as printed in the report
    url: str
    log: Path


def prepare_project(graphs: Path, into: Path) -> Path:
    """Copy the graphs directory to `into`; return its langgraph.json with `dependencies: ["."]`."""
    shutil.copytree(graphs, into, ignore=shutil.ignore_patterns("__pycache__", ".langgraph_api", "*.sqlite*"))
    config_path = into / "langgraph.json"
    config = json.loads(config_path.read_text())
    config["dependencies"] = ["."]
    config_path.write_text(json.dumps(config, indent=2))
    return config_path


def free_port() -> int:
    """An ephemeral port for `langgraph dev`, which cannot bind port 0 and report it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM our child's process group (it was started in its own session), then SIGKILL."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def _wait_until_ok(url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"the official server exited with {proc.returncode}:\n{_tail(log)}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(f"{url}/ok", timeout=aiohttp.ClientTimeout(total=2)) as reply:
                    if reply.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the official server did not answer /ok within {START_TIMEOUT:.0f} s:\n{_tail(log)}")


@contextlib.asynccontextmanager
async def official_server(venv: Path, graphs: Path, workdir: Path, name: str = "official") -> AsyncIterator[Server]:
    """`langgraph dev --no-browser --no-reload` on a copy of `graphs` in `workdir/<name>`."""
    config = prepare_project(graphs, workdir / name)
    port = free_port()
    log = workdir / f"{name}.log"
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"}
    argv = [str(langgraph_command(venv)), "dev", "--no-browser", "--no-reload", "--port", str(port), "--config", config.name]
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=config.parent, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_until_ok(url, proc, log)
        yield Server(name, url, log)
    finally:
        await _stop(proc)


async def _read_banner(proc: asyncio.subprocess.Process, log: Path) -> str:
    """Copy threadloom's output to `log` until its `serving on <url>` line; return the url."""
    assert proc.stdout is not None
    with log.open("ab") as out:
        while True:
            line = await proc.stdout.readline()
            if not line:
                raise RuntimeError(f"threadloom exited before it was ready:\n{_tail(log)}")
            out.write(line)
            out.flush()
            if match := re.search(r"serving on (http://\S+)", line.decode(errors="replace")):
                return match[1]


async def _copy_output(proc: asyncio.subprocess.Process, log: Path) -> None:
    """Keep draining threadloom's output into `log` (a full pipe would stall the server)."""
    assert proc.stdout is not None
    with log.open("ab") as out:
        while line := await proc.stdout.readline():
            out.write(line)
            out.flush()


@contextlib.asynccontextmanager
async def threadloom_server(graphs: Path, workdir: Path, name: str = "threadloom") -> AsyncIterator[Server]:
    """`python -m server` from this checkout on a copy of `graphs`, a fresh SQLite file, port 0."""
    config = prepare_project(graphs, workdir / name)
    log = workdir / f"{name}.log"
    log.write_bytes(b"")
    argv = [sys.executable, "-m", "server", "--config", str(config), "--port", "0", "--db", str(workdir / f"{name}.sqlite")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True
    )
    drain: asyncio.Task[None] | None = None
    try:
        url = await asyncio.wait_for(_read_banner(proc, log), START_TIMEOUT)
        drain = asyncio.create_task(_copy_output(proc, log))
        yield Server(name, url, log)
    finally:
        await _stop(proc)
        if drain is not None:
            await drain
