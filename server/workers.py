"""`--workers N`: N processes serving one port as one cluster on PostgreSQL (issue 13).

The parent binds the port once (a port in use fails once, and `--port 0` picks one port
for all) and starts N copies of its own command, which inherit the listening socket and
accept from it (the kernel hands each connection to one of them). Each child also listens
on a port of its own, on the same interface: the address the other processes forward a
thread's requests to when this child supervises the thread (`forwarding.py`).

The parent serves nothing and opens no database. It prints the banner once every child
serves, passes SIGTERM and SIGINT on to the children and exits when they have exited,
and restarts a child that exits on its own after it served (a process fenced out of the
cluster exits with 70, `storage/postgres/leases.py`). A child that fails before it serves
stops them all: the problem is the setup, which the child's error line names."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence

log = logging.getLogger("threadloom.workers")

LISTEN_FD = "THREADLOOM_LISTEN_FD"  # in a child: the listening socket it inherited
READY_FD = "THREADLOOM_READY_FD"  # in a child: where it writes "<index> <url>" once it serves
WORKER = "THREADLOOM_WORKER"  # in a child: its index, 1 to N
RESTART_DELAY_SECONDS = 1.0


def child_command(argv: Sequence[str]) -> list[str]:
    """This process's command, as one worker: the same module (`server` in a checkout,
    `threadloom.server` installed, or whatever module started it) and flags."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    module = spec.name.removesuffix(".__main__") if spec is not None else "threadloom.server"
    return [sys.executable, "-m", module, *argv, "--workers", "1"]  # the last flag wins


class Workers:
    def __init__(self, count: int, command: list[str], sock: socket.socket) -> None:
        self.count = count
        self.command = command
        self.sock = sock
        self.children: dict[int, asyncio.subprocess.Process] = {}
        self.stopping = asyncio.Event()
        self._ready_read, self._ready_write = os.pipe()

    async def _start(self, index: int) -> asyncio.subprocess.Process:
        env = {**os.environ, LISTEN_FD: str(self.sock.fileno()), READY_FD: str(self._ready_write), WORKER: str(index)}
        child = await asyncio.create_subprocess_exec(
            *self.command, env=env, pass_fds=(self.sock.fileno(), self._ready_write)
        )
        self.children[index] = child
        return child

    async def run(self, on_ready: Callable[[], None]) -> int:
        """Serve until a signal; returns the exit code (the first non-zero child's, else 0)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop, sig)
        ready = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(ready), os.fdopen(self._ready_read, "rb"))
        for index in range(1, self.count + 1):
            await self._start(index)
        served: set[int] = set()
        while len(served) < self.count:  # every child serves, or one failed to start
            line = asyncio.ensure_future(ready.readline())
            exits = {asyncio.ensure_future(child.wait()): i for i, child in self.children.items() if i not in served}
            done, _ = await asyncio.wait([line, *exits], return_when=asyncio.FIRST_COMPLETED)
            for waiter in exits:
                waiter.cancel()
            if line in done:
                served.add(int(line.result().split()[0]))
                continue
            line.cancel()
            if self.stopping.is_set():  # signalled while starting: the workers stop as asked
                return await self._wait_all()
            failed = next(index for waiter, index in exits.items() if waiter in done)
            code = self.children[failed].returncode or 1
            print(f"threadloom: error: worker {failed} exited ({code}) before it served; stopping", file=sys.stderr, flush=True)
            self._stop(signal.SIGTERM)
            await self._wait_all()
            return code
        on_ready()
        return await self._serve()

    async def _serve(self) -> int:
        stop = asyncio.ensure_future(self.stopping.wait())
        while not self.stopping.is_set():
            exits = {asyncio.ensure_future(child.wait()): i for i, child in self.children.items()}
            done, _ = await asyncio.wait([stop, *exits], return_when=asyncio.FIRST_COMPLETED)
            for waiter in exits:
                waiter.cancel()
            for waiter in done:
                if waiter in exits and not self.stopping.is_set():
                    index = exits[waiter]
                    log.warning("worker %d exited (%s): starting it again", index, self.children[index].returncode)
                    await asyncio.sleep(RESTART_DELAY_SECONDS)
                    if not self.stopping.is_set():
                        await self._start(index)  # its ready line is not awaited: it serves when it can
        return await self._wait_all()

    def _stop(self, sig: signal.Signals) -> None:
        self.stopping.set()
        for child in self.children.values():
            if child.returncode is None:
                child.send_signal(sig)

    async def _wait_all(self) -> int:
        codes = [await child.wait() for child in self.children.values()]
        return next((code for code in codes if code not in (0, -signal.SIGTERM, -signal.SIGINT)), 0)
