"""The differences from the official server that threadloom keeps on purpose.

Keep this list short: everything not here must match. Each entry names the scenario, the
exchange label and the place in it (fnmatch patterns), and says why.
Not compared at all, and so not listed: response headers other than those clients act on
(dates, server name, request ids), SSE heartbeat timing, and the format of SSE event ids
(any unique increasing id serves a client; the official `<epoch-ms>-0` ids collide).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .compare import Difference


@dataclass(frozen=True)
class Deliberate:
    scenario: str
    label: str
    where: str
    why: str

    def matches(self, difference: Difference) -> bool:
        return (
            fnmatchcase(difference.scenario, self.scenario)
            and fnmatchcase(difference.label, self.label)
            and fnmatchcase(difference.where, self.where)
        )


DELIBERATE: tuple[Deliberate, ...] = (
    # Identity: threadloom names itself, its version and what it can do.
    Deliberate("system routes", "GET /info", "body.version", "threadloom's own version"),
    Deliberate("system routes", "GET /info", "body.host.kind", "threadloom names itself"),
    Deliberate("system routes", "GET /info", "body.threadloom", "threadloom's capability list, an addition"),
    Deliberate("*", "*", "*.langgraph_api_version", "threadloom's own version, in run and checkpoint metadata"),
    # Bugs of the official server listed in the wire reference (§9.6 "quirks"), where
    # threadloom does the sensible thing (DESIGN.md) and a test says so.
    Deliberate("*", "copy missing thread", "*", "copying a missing thread is a 404, not a 409"),
    Deliberate("store:*", "search without prefix", "*", "a store search without namespace_prefix is not a 500"),
    Deliberate("store:*", "search, bad limit", "*", "a store page is 0 to 1000 items: the official server takes -1"),
    Deliberate("runs: stateless", "stateless stream*", "header location", "a stateless stream's Location is a route that exists"),
    Deliberate("*", "*", "header x-pagination-total", "X-Pagination-Total is the real total"),
    Deliberate("assistants: create, patch*", "*", "*.context.k", "setting an assistant's latest version restores its context too"),
)


def why_deliberate(difference: Difference) -> str | None:
    """The reason this difference is kept, or None if it must be fixed."""
    for entry in DELIBERATE:
        if entry.matches(difference):
            return entry.why
    return None
