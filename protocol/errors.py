"""API errors: each carries the HTTP status and the `detail` the client sees."""

from __future__ import annotations


class ApiError(Exception):
    status = 500

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers  # sent with the error, e.g. `WWW-Authenticate`


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class Unprocessable(ApiError):
    status = 422


class ServiceUnavailable(ApiError):
    status = 503


# a run naming a thread or an assistant that is missing, or that the user may not see
THREAD_OR_ASSISTANT_NOT_FOUND = "Thread or assistant not found."

THREAD_BUSY = (
    "Thread is already running a task. Wait for it to finish or choose a different "
    "multitask strategy."
)

# a cancel naming runs that exist but have finished (the official server's text)
NOTHING_TO_CANCEL = (
    "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
    "and the runs haven't been deleted or completed."
)


class StorageBusy(ServiceUnavailable):
    """A write the database kept refusing (locked by another writer) past its bound."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"Retry-After": "1"})
