"""Timestamps as the official server writes them: ISO-8601 with `+00:00`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def now_iso(delay_seconds: float = 0) -> str:
    return iso(now() + timedelta(seconds=delay_seconds)) if delay_seconds else iso(now())


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)
