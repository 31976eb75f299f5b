"""Every error becomes `{"detail": …}` with the right status; nothing escapes as a bare 500."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from threadloom.actors.actor import ActorStopped, AskTimeout
from threadloom.protocol.errors import ApiError
from threadloom.protocol.serde import dumps

from .requestid import request_id

log = logging.getLogger(__name__)


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps({"detail": detail}), status=status, content_type="application/json", headers=headers)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _error(exc.status, exc.detail, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason)
    except (ActorStopped, AskTimeout) as exc:  # shutting down, a thread's supervisor failed to start or is stuck
        log.warning("%s on %s %s (request %s)", exc, request.method, request.path, request_id(request))
        return _error(503, f"{exc}: retry shortly", {"Retry-After": "1"})
    except ConnectionResetError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s (request %s)", request.method, request.path, request_id(request))
        return _error(500, "Internal Server Error")
