"""One of the processes `--workers N` starts (`workers.py`), as it sees itself: the
listening socket it inherited, and the pipe on which it tells its parent it serves."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from .workers import LISTEN_FD, READY_FD, WORKER


@dataclass(frozen=True)
class Worker:
    index: int
    sock: socket.socket
    ready_fd: int

    @classmethod
    def from_env(cls) -> Worker | None:
        """This process, if its parent started it as a worker. The variables are taken out
        of the environment: the graphs' own subprocesses do not inherit them."""
        if LISTEN_FD not in os.environ:
            return None
        fd, ready_fd, index = (int(os.environ.pop(name, "0")) for name in (LISTEN_FD, READY_FD, WORKER))
        return cls(index, socket.socket(fileno=fd), ready_fd)

    def ready(self, own_url: str) -> None:
        """Serving: tell the parent (which prints the banner once every worker serves)."""
        os.write(self.ready_fd, f"{self.index} {own_url}\n".encode())
        os.close(self.ready_fd)
        print(f"threadloom: worker {self.index} serving (reached by the cluster at {own_url})", flush=True)
