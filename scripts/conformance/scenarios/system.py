"""System routes: health, server info, docs, metrics, unknown paths."""

from __future__ import annotations

from ..recording import Target
from .base import scenario


@scenario("system routes")
async def system_routes(t: Target) -> None:
    await t.http("GET /ok", "GET", "/ok")
    await t.http("GET /ok?check_db=1", "GET", "/ok", params={"check_db": "1"})
    await t.http("GET /info", "GET", "/info")
    # Their bodies describe each server's own routes and formats: status and type only.
    await t.http("GET /openapi.json", "GET", "/openapi.json", mask_paths=[""])
    await t.http("GET /docs", "GET", "/docs", mask_paths=[""])
    await t.http("GET /metrics", "GET", "/metrics", mask_paths=[""])
    await t.http("GET unknown path", "GET", "/no/such/route")
    await t.http("POST /ok (wrong method)", "POST", "/ok")
