"""A `python -m server` subprocess on 127.0.0.1, for tests that kill or signal it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = Path(__file__).parent / "graphs" / "langgraph.json"


class ServerProcess:
    """`module` is `server`, or a module of tests/ that starts it (`killpoint`); `env`
    adds to the environment."""

    def __init__(
        self, db: Path, *args: str, config: Path = GRAPHS, module: str = "server", env: dict[str, str] | None = None
    ) -> None:
        self.argv = [sys.executable, "-m", module, "--config", str(config), "--port", "0", "--db", str(db), *args]
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "tests"))), **(env or {})}
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.output: list[str] = []  # what it wrote (stdout and stderr), line by line

    async def start(self) -> str:
        env = self.env
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        assert self.proc.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.proc.stdout.readline(), 30)).decode()
            self.output.append(line)
            if not line:
                raise RuntimeError("the server exited before it was ready")
            if match := re.search(r"serving on (http://\S+)", line):
                self.url = match[1]
                break
        asyncio.get_running_loop().create_task(self._drain())
        return self.url

    async def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.output.append(line.decode(errors="replace"))

    async def signal(self, sig: signal.Signals) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 60)

    async def kill(self) -> None:
        await self.signal(signal.SIGKILL)
