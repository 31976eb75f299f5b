"""Crons: create (stateless or on a thread), get, patch, delete, search, count."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
