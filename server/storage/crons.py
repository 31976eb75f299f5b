"""Crons in SQLite (issue 3: to be filled in with the cron endpoints and scheduler)."""

from __future__ import annotations

from .db import Database


class SqliteCrons:
    def __init__(self, db: Database) -> None:
        self._db = db
