"""`python -m killpoint …`: `python -m server …` that kills itself with SIGKILL in the
middle of one of LangGraph's multi-row checkpoint writes.

`THREADLOOM_KILL_AT_ROW=N` counts the rows of `writes` batches that come after another
row of the same batch (the same thread, checkpoint and task), and at the N-th of them,
before SQLite runs it, the process dies: some rows of one batch are behind it, at least
one is not. SQLite's trace hook sees each row of an `executemany` as its own statement,
with the values expanded, which is how the batch is told apart.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
from typing import Any

_ROW = re.compile(r"INSERT OR \w+ INTO writes .*? VALUES \('((?:[^']|'')*)', '((?:[^']|'')*)', '((?:[^']|'')*)', '((?:[^']|'')*)'")


def _arm(limit: int) -> None:
    connect = sqlite3.connect
    seen = {"rows": 0, "batch": None}

    def trace(sql: str) -> None:
        row = _ROW.match(sql)
        batch = row.groups() if row else None
        if batch is not None and batch == seen["batch"]:
            seen["rows"] += 1
            if seen["rows"] == limit:
                os.kill(os.getpid(), signal.SIGKILL)
        seen["batch"] = batch

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(trace)
        return conn

    sqlite3.connect = traced  # type: ignore[assignment]


if __name__ == "__main__":
    _arm(int(os.environ["THREADLOOM_KILL_AT_ROW"]))
    from server import checkout

    checkout.install()
    from threadloom.server.cli import main

    main()
