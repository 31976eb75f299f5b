"""PostgreSQL for the tests: one database per test session (unique name), migrated once
and used as the template of a fresh database per server, dropped after the test, and the
session's own dropped at the end.

`THREADLOOM_TEST_PG` is the server to use (default postgresql://postgres@127.0.0.1:5432/postgres,
`off` to skip the Postgres half). Unreachable: under CI (`CI=true`) the Postgres tests fail;
elsewhere they are skipped, with one line in the summary saying how to enable them.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import conninfo

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOW_TO_ENABLE = (
    "set THREADLOOM_TEST_PG=postgresql://user@host:port/db (a server where that user may create "
    "databases) to run them"
)


def admin_url() -> str | None:
    url = os.environ.get("THREADLOOM_TEST_PG", DEFAULT_URL)
    return None if url.lower() in ("", "off", "0", "no") else url


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def with_dbname(url: str, dbname: str) -> str:
    """`url` (a postgresql:// URL) naming another database: still a URL, which is how the
    server tells Postgres from a SQLite path."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


class PostgresForTests:
    """The session's databases on one server."""

    def __init__(self, admin: str) -> None:
        self.admin = admin
        self.name = f"threadloom_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._count = 0
        self._lock = threading.Lock()
        self._drops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")

    @classmethod
    def connect(cls, admin: str) -> PostgresForTests:
        """Raises `psycopg.OperationalError` when the server cannot be reached."""
        self = cls(admin)
        self._execute(f'CREATE DATABASE "{self.name}"')
        try:
            self._migrate()
        except BaseException:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            raise
        return self

    def _execute(self, sql: str) -> None:
        with psycopg.connect(self.admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)

    def _migrate(self) -> None:
        """The template gets the schema once (threadloom's and LangGraph's), so that each
        test's database starts migrated."""
        from threadloom.server.storage.postgres import PostgresStorage

        async def migrate() -> None:
            storage = await PostgresStorage.open(with_dbname(self.admin, self.name))
            await storage.close()

        with ThreadPoolExecutor(max_workers=1) as pool:  # its own event loop, whatever runs here
            pool.submit(asyncio.run, migrate()).result()

    def new_database(self) -> str:
        """The URL of a fresh, migrated database."""
        with self._lock:
            self._count += 1
            name = f"{self.name}_{self._count}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return with_dbname(self.admin, name)

    def drop(self, url: str) -> None:
        """In the background: a drop waits for a checkpoint, the next test need not."""
        name = conninfo.conninfo_to_dict(url)["dbname"]
        self._drops.submit(self._execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._drops.shutdown(wait=True)
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


_SHARED: list[PostgresForTests] = []


def shared() -> PostgresForTests:
    """The session's databases, made at first use and dropped when the session's process
    exits. Unreachable: `pytest.fail` under CI, else `pytest.skip`, saying how to enable."""
    import atexit

    import pytest

    if _SHARED:
        return _SHARED[0]
    admin = admin_url()
    try:
        if admin is None:
            raise psycopg.OperationalError("THREADLOOM_TEST_PG is off")
        pg = PostgresForTests.connect(admin)
    except psycopg.OperationalError as exc:
        reason = f"no PostgreSQL ({' '.join(str(exc).split())[:200]}); {HOW_TO_ENABLE}"
        SKIPPED.append(reason)
        if in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    _SHARED.append(pg)
    atexit.register(pg.close)
    return pg


SKIPPED: list[str] = []  # why the Postgres half was skipped, for the summary line


class Databases:
    """Where a test's servers keep their data on the test's backend: on SQLite the path
    given (None: a throw-away file); on Postgres a fresh database per path (the same path,
    the same database: a restart), and per None."""

    def __init__(self, backend: str, postgres: PostgresForTests | None) -> None:
        self.backend = backend
        self._postgres = postgres
        self._urls: dict[str, str] = {}
        self._created: list[str] = []

    def __call__(self, path: Path | str | None) -> str | None:
        if self._postgres is None:
            return None if path is None else str(path)
        if path is not None and str(path).startswith("postgresql://"):
            return str(path)
        if path is not None and str(path) in self._urls:
            return self._urls[str(path)]
        url = self._postgres.new_database()
        self._created.append(url)
        if path is not None:
            self._urls[str(path)] = url
        return url

    def has_extension(self, name: str) -> bool:
        """Whether the Postgres server offers the extension (pgvector is `vector`)."""
        assert self._postgres is not None
        return bool(rows(self._postgres.admin, "SELECT 1 FROM pg_available_extensions WHERE name = ?", (name,)))

    def close(self) -> None:
        if self._postgres is not None:
            for url in self._created:
                self._postgres.drop(url)


def rows(db: str, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of a query (`?` placeholders) on a test server's database, SQLite or Postgres."""
    if db.startswith("postgresql://"):
        with psycopg.connect(db, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), args).fetchall()]
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()
