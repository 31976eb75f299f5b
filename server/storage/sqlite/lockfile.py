"""One server per SQLite database: an exclusive lock held for the process's life.

Two servers on one file would each recover the other's runs and run them twice. The
lock is `flock` on a `<database>.lock` file beside it, taken before anything reads the
database: the kernel drops it when the process ends, even on kill -9, so a crash never
leaves a stale lock behind. The holder writes its pid into the file for the message
that refuses a second server.
"""

from __future__ import annotations

import fcntl
import os


class DatabaseInUse(Exception):
    pass


class DatabaseLock:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, database: str) -> DatabaseLock:
        """Raises `DatabaseInUse` naming the file and the holder's pid."""
        path = database + ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DatabaseInUse(
                f"the database {database} is in use by another threadloom server (pid {holder}); "
                "stop it, or give this one another --db"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd)

    def release(self) -> None:
        os.close(self._fd)  # closing the last descriptor drops the flock
