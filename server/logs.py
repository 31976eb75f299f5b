"""What the server writes to its log: the format (`text` for people, `json` for log
shippers, one object per line), the level, and the access log (one line per request:
method, path, status, duration, request id), on by default at INFO."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Literal

import msgspec
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .requestid import REQUEST_ID

LogFormat = Literal["text", "json"]
ACCESS = logging.getLogger("threadloom.access")


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message"}` (plus `exception`), one object per line;
    an access record adds its fields (`method`, `path`, `status`, `duration_ms`,
    `request_id`). Times are UTC, whatever the machine's zone."""

    @staticmethod
    def converter(seconds: float | None = None) -> time.struct_time:
        return time.gmtime(seconds)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "access", {}),
        }
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return msgspec.json.encode(entry).decode()


def configure(level: str = "INFO", fmt: LogFormat = "text") -> None:
    """The root logger's one handler, on stderr."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log, as one line per request: `GET /threads/… 200 3.1ms <request
    id>`. A stream is logged when it ends, with its whole duration."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "duration_ms": round(time * 1000, 1),
            "request_id": request.get(REQUEST_ID),
        }
        self.logger.info(
            "%s %s %s %.1fms %s", fields["method"], fields["path"], fields["status"], fields["duration_ms"],
            fields["request_id"] or "-", extra={"access": fields},
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
