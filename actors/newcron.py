"""Turning a cron request into a Cron record, its schedule into dates, and the cron into
the run each fire submits. Pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

from threadloom.protocol import clock
from threadloom.protocol.errors import BadRequest, Unprocessable
from threadloom.protocol.ids import uuid7
from threadloom.protocol.requests import CRON_RUN_FIELDS, CronCreate, CronPatch, RunCreate, convert
from threadloom.protocol.resources import Cron

from .newrun import check_request

DEFAULT_TIMEZONE = "UTC"  # when a cron names none (its `timezone` stays null, as on the official server)
# a PATCH of any of these moves next_run_date to the first slot after now
RESCHEDULING_FIELDS = frozenset({"schedule", "timezone", "enabled", "end_time"})


def utc_iso(moment: datetime) -> str:
    """All stored dates are ISO in UTC, so comparing and sorting them as text is chronological."""
    return clock.iso(moment.astimezone(UTC))


def zone(name: str | None) -> ZoneInfo:
    """The time zone a cron's schedule is read in, refused in the official server's words:
    an unknown name a 422, a malformed one (`Europe/`, `..`) a 400 with Python's text."""
    if name is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise Unprocessable(_invalid_timezone(name)) from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    except OSError:  # a directory (`Europe`): a 500 on the official server
        raise Unprocessable(_invalid_timezone(name)) from None


def _invalid_timezone(name: str) -> str:
    return f"Invalid timezone: {name!r}. Use IANA timezone format (e.g. 'America/New_York')."


def check_schedule(schedule: str, timezone: str | None) -> None:
    """Refuses, in the official server's words, what is not a cron expression (a 422, with
    an example) or one that never fires again (a 400, croniter's text)."""
    try:
        croniter(schedule, clock.now().astimezone(zone(timezone))).get_next(datetime)
    except CroniterBadCronError:
        raise Unprocessable(
            f"Invalid cron schedule: {schedule!r}. Reason: Invalid cron schedule. Ensure the schedule uses the "
            "standard cron format (minute hour day_of_month month day_of_week). Example: '*/5 * * * *' for every 5 minutes."
        ) from None
    except CroniterBadDateError as exc:
        raise BadRequest(str(exc)) from None


def following(schedule: str, timezone: str | None, after: datetime) -> str | None:
    """The first slot of `schedule` after `after`, read in the cron's time zone (so a
    daily 09:00 stays 09:00 local across DST); None if it never fires again."""
    try:
        slot = croniter(schedule, after.astimezone(zone(timezone))).get_next(datetime)
    except (CroniterError, BadRequest, Unprocessable):
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


def given_fields(body: dict[str, Any]) -> set[str]:
    """The fields a PATCH body changes: null means not given, except for end_time, where
    it clears the end."""
    return {k for k, v in body.items() if v is not None or k == "end_time"}


def _payload(body: dict[str, Any], *, cron_id: str, assistant_id: str, stateless: bool) -> dict[str, Any]:
    """What the cron shows as its payload: the fields of the request body (`given_fields`)
    as sent, with the assistant's id, as on the official server. Its run fields are checked
    now exactly as run creation checks them. `config.configurable.cron_id` tells the graph
    which cron started it; not with a `context`, as a run may not carry both."""
    check_request(convert({**run_fields(body), "assistant_id": assistant_id}, RunCreate), stateless=stateless)
    payload = {**{k: body[k] for k in given_fields(body)}, "assistant_id": assistant_id}
    if body.get("context"):
        return payload
    config = body.get("config") or {}
    return {**payload, "config": {**config, "configurable": {**(config.get("configurable") or {}), "cron_id": cron_id}}}


def _user_fields(cron: Cron) -> dict[str, Any]:
    """The payload as the client gave it: without the cron_id `_payload` added."""
    config = cron.payload.get("config")
    if not config or "cron_id" not in (config.get("configurable") or {}):
        return dict(cron.payload)
    configurable = {k: v for k, v in config["configurable"].items() if k != "cron_id"}
    return {**cron.payload, "config": {**config, "configurable": configurable}}


def new_cron(req: CronCreate, body: dict[str, Any], *, assistant_id: str, thread_id: str | None) -> Cron:
    """The cron of a create request (`body`: as sent, `req`: its cron fields); its time
    zone and schedule are checked first, in that order, as on the official server."""
    stateless = thread_id is None
    check_schedule(req.schedule, req.timezone)
    cron_id = uuid7()
    now = clock.now()
    return Cron(
        cron_id=cron_id,
        assistant_id=assistant_id,
        thread_id=thread_id,
        user_id="",  # no user without custom auth: "", as on the official server
        end_time=parse_end_time(req.end_time),
        schedule=req.schedule,
        timezone=req.timezone,
        payload=_payload(body, cron_id=cron_id, assistant_id=assistant_id, stateless=stateless),
        next_run_date=following(req.schedule, req.timezone, now),
        metadata=req.metadata or {},
        on_run_completed=(req.on_run_completed or "delete") if stateless else None,
        enabled=req.enabled is not False,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
    )


def patched_cron(cron: Cron, patch: CronPatch, body: dict[str, Any]) -> Cron:
    """`cron` with a PATCH body (`body`: as sent, `patch`: its cron fields). Metadata is
    merged into the cron's; the body is shallow-merged into the payload, as on the
    official server."""
    now = clock.now()
    given = given_fields(body)
    changes: dict[str, Any] = {"updated_at": clock.iso(now)}
    if patch.metadata is not None:
        changes["metadata"] = {**cron.metadata, **patch.metadata}
    if patch.schedule is not None or patch.timezone is not None:
        changes["schedule"] = patch.schedule or cron.schedule
        changes["timezone"] = patch.timezone or cron.timezone
        check_schedule(changes["schedule"], changes["timezone"])
    if "end_time" in given:
        changes["end_time"] = parse_end_time(patch.end_time)
    if patch.enabled is not None:
        changes["enabled"] = patch.enabled
    if patch.on_run_completed is not None and cron.thread_id is None:
        changes["on_run_completed"] = patch.on_run_completed
    changes["payload"] = _payload(
        {**_user_fields(cron), **body}, cron_id=cron.cron_id, assistant_id=cron.assistant_id,
        stateless=cron.thread_id is None,
    )
    updated = msgspec.structs.replace(cron, **changes)
    if RESCHEDULING_FIELDS & given:
        updated = msgspec.structs.replace(updated, next_run_date=following(updated.schedule, updated.timezone, now))
    return updated


def run_request(cron: Cron) -> RunCreate:
    """The run a fire submits: the payload's run fields on the cron's assistant, with the
    cron's metadata (a PATCH merges it there, and replaces it in the payload); a stateless
    cron's temporary thread is kept or deleted as its on_run_completed says."""
    body = {**run_fields(cron.payload), "assistant_id": cron.assistant_id, "on_completion": cron.on_run_completed}
    if cron.metadata:
        body["metadata"] = cron.metadata
    return convert(body, RunCreate)


def past_end(cron: Cron, slot: str) -> bool:
    return cron.end_time is not None and slot > cron.end_time
