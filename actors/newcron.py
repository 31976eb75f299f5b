"""Turning a cron request into a Cron record, its schedule into dates, and the cron into
the run each fire submits. Pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from croniter import CroniterBadCronError, CroniterError, croniter

from threadloom.protocol import clock
from threadloom.protocol.errors import Unprocessable
from threadloom.protocol.ids import uuid7
from threadloom.protocol.requests import CRON_RUN_FIELDS, CronCreate, CronPatch, RunCreate, convert
from threadloom.protocol.resources import Cron

from .newrun import check_request

DEFAULT_TIMEZONE = "UTC"
# a PATCH of any of these moves next_run_date to the first slot after now
RESCHEDULING_FIELDS = frozenset({"schedule", "timezone", "enabled", "end_time"})


def utc_iso(moment: datetime) -> str:
    """All stored dates are ISO in UTC, so comparing and sorting them as text is chronological."""
    return clock.iso(moment.astimezone(UTC))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # unknown key, malformed key, a directory
        raise Unprocessable(f"Invalid timezone {name!r}: expected an IANA time zone such as 'Europe/Paris'") from None


def check_schedule(schedule: str, timezone: str) -> None:
    """422 unless `schedule` is a cron expression that fires at least once more."""
    try:
        croniter(schedule, clock.now().astimezone(zone(timezone))).get_next(datetime)
    except CroniterBadCronError as exc:
        raise Unprocessable(f"Invalid schedule {schedule!r}: {exc}") from None
    except CroniterError:
        raise Unprocessable(f"Invalid schedule {schedule!r}: it never fires") from None


def following(schedule: str, timezone: str | None, after: datetime) -> str | None:
    """The first slot of `schedule` after `after`, read in the cron's time zone (so a
    daily 09:00 stays 09:00 local across DST); None if it never fires again."""
    try:
        slot = croniter(schedule, after.astimezone(zone(timezone or DEFAULT_TIMEZONE))).get_next(datetime)
    except (CroniterError, Unprocessable):
        return None
    return utc_iso(slot)


def parse_end_time(text: str | None) -> str | None:
    """An ISO 8601 date-time; one without an offset is read as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"Invalid end_time {text!r}: expected an ISO 8601 date-time") from None
    return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def run_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The run fields of a cron request body (null means not given)."""
    return {k: body[k] for k in CRON_RUN_FIELDS if body.get(k) is not None}


def _payload(fields: dict[str, Any], *, cron_id: str, assistant_id: str, stateless: bool) -> dict[str, Any]:
    """The run body each fire submits, checked now exactly as run creation checks it.
    `config.configurable.cron_id` tells the graph which cron started it; not with a
    `context`, as a run may not carry both."""
    check_request(convert({**fields, "assistant_id": assistant_id}, RunCreate), stateless=stateless)
    if fields.get("context"):
        return fields
    config = fields.get("config") or {}
    return {**fields, "config": {**config, "configurable": {**(config.get("configurable") or {}), "cron_id": cron_id}}}


def _user_fields(cron: Cron) -> dict[str, Any]:
    """The payload as the client gave it: without the cron_id `_payload` added."""
    config = cron.payload.get("config")
    if not config or "cron_id" not in (config.get("configurable") or {}):
        return dict(cron.payload)
    configurable = {k: v for k, v in config["configurable"].items() if k != "cron_id"}
    return {**cron.payload, "config": {**config, "configurable": configurable}}


def new_cron(req: CronCreate, fields: dict[str, Any], *, assistant_id: str, thread_id: str | None) -> Cron:
    stateless = thread_id is None
    timezone = req.timezone or DEFAULT_TIMEZONE
    check_schedule(req.schedule, timezone)
    cron_id = uuid7()
    now = clock.now()
    return Cron(
        cron_id=cron_id,
        assistant_id=assistant_id,
        thread_id=thread_id,
        user_id=None,
        end_time=parse_end_time(req.end_time),
        schedule=req.schedule,
        timezone=timezone,
        payload=_payload(fields, cron_id=cron_id, assistant_id=assistant_id, stateless=stateless),
        next_run_date=following(req.schedule, timezone, now),
        metadata=req.metadata or {},
        on_run_completed=(req.on_run_completed or "delete") if stateless else None,
        enabled=req.enabled is not False,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
    )


def patched_cron(cron: Cron, patch: CronPatch, given: dict[str, Any]) -> Cron:
    """`cron` with the fields of a PATCH body (`given`: the fields sent, not null except
    end_time). Run fields are shallow-merged into the payload, metadata into the cron's."""
    now = clock.now()
    fields = run_fields(given)
    changes: dict[str, Any] = {"updated_at": clock.iso(now)}
    if patch.metadata is not None:
        changes["metadata"] = fields["metadata"] = {**cron.metadata, **patch.metadata}
    if patch.schedule is not None or patch.timezone is not None:
        changes["schedule"] = patch.schedule or cron.schedule
        changes["timezone"] = patch.timezone or cron.timezone or DEFAULT_TIMEZONE
        check_schedule(changes["schedule"], changes["timezone"])
    if "end_time" in given:
        changes["end_time"] = parse_end_time(patch.end_time)
    if patch.enabled is not None:
        changes["enabled"] = patch.enabled
    if patch.on_run_completed is not None and cron.thread_id is None:
        changes["on_run_completed"] = patch.on_run_completed
    if fields:
        changes["payload"] = _payload(
            {**_user_fields(cron), **fields}, cron_id=cron.cron_id, assistant_id=cron.assistant_id,
            stateless=cron.thread_id is None,
        )
    updated = msgspec.structs.replace(cron, **changes)
    if RESCHEDULING_FIELDS & given.keys():
        updated = msgspec.structs.replace(updated, next_run_date=following(updated.schedule, updated.timezone, now))
    return updated


def run_request(cron: Cron) -> RunCreate:
    """The run a fire submits: the payload on the cron's assistant; a stateless cron's
    temporary thread is kept or deleted as its on_run_completed says."""
    body = {**cron.payload, "assistant_id": cron.assistant_id, "on_completion": cron.on_run_completed}
    return convert(body, RunCreate)


def past_end(cron: Cron, slot: str) -> bool:
    return cron.end_time is not None and slot > cron.end_time
