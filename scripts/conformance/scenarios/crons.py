"""Crons: create (stateless and on a thread), get, search, count, patch, delete, errors.
The schedule is far away (1 January), so nothing fires while the comparison runs."""

from __future__ import annotations

import uuid

from ..recording import Target
from .base import new_thread, scenario

YEARLY = "0 0 1 1 *"


@scenario("crons: create, search, patch, delete")
async def crons(t: Target) -> None:
    tid = await new_thread(t)
    mine = {"scenario": t.tag}
    body = {"assistant_id": "counter", "schedule": YEARLY, "input": {"log": []}, "metadata": mine}
    cron = await t.http("create stateless cron", "POST", "/runs/crons", json=body)
    await t.http("create thread cron", "POST", f"/threads/{tid}/runs/crons", json=body)
    cid = cron["cron_id"]
    await t.http("get cron", "GET", f"/runs/crons/{cid}")
    await t.http("search mine", "POST", "/runs/crons/search", json={"metadata": mine})
    await t.http("search by thread", "POST", "/runs/crons/search", json={"thread_id": tid})
    await t.http("search, select", "POST", "/runs/crons/search", json={"metadata": mine, "select": ["cron_id", "schedule"]})
    await t.http("count mine", "POST", "/runs/crons/count", json={"metadata": mine})
    await t.http("patch schedule", "PATCH", f"/runs/crons/{cid}", json={"schedule": "0 0 2 1 *", "enabled": False})
    await t.http("patch, empty body", "PATCH", f"/runs/crons/{cid}", json={})
    await t.http("delete", "DELETE", f"/runs/crons/{cid}")
    await t.http("get deleted", "GET", f"/runs/crons/{cid}")
    await t.http("delete again", "DELETE", f"/runs/crons/{cid}")
    await t.http("create, bad schedule", "POST", "/runs/crons", json={**body, "schedule": "nope"})
    await t.http("create, unknown assistant", "POST", "/runs/crons", json={**body, "assistant_id": "nope"})
    await t.http("create, bad timezone", "POST", "/runs/crons", json={**body, "timezone": "Mars/Base"})
    await t.http("create on a missing thread", "POST", f"/threads/{uuid.uuid4()}/runs/crons", json=body)
