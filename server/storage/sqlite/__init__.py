"""The SQLite backend: the default, one file, zero config. Only this folder imports
`sqlite3` and `aiosqlite`."""

from .lockfile import DatabaseInUse
from .storage import CannotOpen, SqliteStorage

__all__ = ["CannotOpen", "DatabaseInUse", "SqliteStorage"]
