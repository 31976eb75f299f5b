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
    # Not in the reference's list, but the same kind: the official answer contradicts itself.
    Deliberate(
        "state and history*", "state at a missing checkpoint", "*",
        "a checkpoint that does not exist is a 404 (official: 200, an empty state claiming to be that checkpoint)",
    ),
    Deliberate(
        "what graph code sees*", "history of the copy", "body*.tasks*.result.*",
        "a copy keeps its task results as written (official: text-replaces the thread id in them, not in the values)",
    ),
    Deliberate(
        "runs: cancel a running run*", "thread after rollback", "body.status",
        "after a rollback the thread has the restored state's status (official: always idle, even with a `next`)",
    ),
    # Store: the official production server's answers (LangGraph's Postgres store), where its
    # in-memory dev server differs; and this server's rule that every error is JSON.
    Deliberate(
        "store:*", "*search*", "body.items*",
        "a store search lists the most recently updated items first, as LangGraph's Postgres store (the official "
        "production server) does; the in-memory dev server lists them in insertion order (test_store)",
    ),
    Deliberate("store:*", "put, *label*", "body", "a bad namespace label is a JSON {\"detail\"} error, not plain text (test_store)"),
    Deliberate("store:*", "put, *label*", "header content-type", "a bad namespace label is a JSON {\"detail\"} error (test_store)"),
    # The assistants as MCP tools and A2A agents (test_mcp, test_a2a).
    Deliberate("mcp:*", "initialize", "body.result.serverInfo.*", "threadloom names itself and its version"),
    Deliberate("a2a:*", "*card", "body.version", "threadloom's own version"),
    Deliberate("mcp:*", "tools/call*", "body.result.content*", "a tool's result is JSON (official: a Python repr), an error says its message"),
    Deliberate("mcp:*", "tools/call", "body.result.structuredContent", "the final state as structuredContent too, for programs"),
    Deliberate("a2a:*", "*card", "body.preferredTransport", "the card offers A2A 0.3 as well (0.3's own fields)"),
    Deliberate("a2a:*", "*card", "body.protocolVersion", "the card offers A2A 0.3 as well (0.3's own fields)"),
    Deliberate("a2a:*", "*card", "body.supportedInterfaces*", "the card offers A2A 0.3 as well: a second interface"),
    # v3 thread streaming (test_thread_events*).
    Deliberate(
        "v3:*", "*", "*(input.requested).data.params.data.value",
        "input.requested carries the interrupt's value as `value` too: what the SDK reads (official: `payload` only, "
        "so the SDK's `thread.interrupts` show None)",
    ),
    Deliberate(
        "v3:*", "run after", "body.kwargs.config.configurable.__request_start_time_ms__",
        "a v3 run is created by the same pipeline as every run, which records its request time",
    ),
    Deliberate(
        "v3:*", "run after", "body.kwargs.context.thread_id",
        "a v3 run's config carries the thread id in `configurable` (its context is empty), as the classic runs' do",
    ),
)


def why_deliberate(difference: Difference) -> str | None:
    """The reason this difference is kept, or None if it must be fixed."""
    for entry in DELIBERATE:
        if entry.matches(difference):
            return entry.why
    return None
