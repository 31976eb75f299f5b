"""Graphs that report who they run as: from the config (`whoami`), and from the
`ServerRuntime` a factory is given (`made_for`)."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph_sdk.runtime import ServerRuntime

try:  # the auth tests read what the factory was called for
    from auth_support import FACTORY_CALLS
except ImportError:  # served on its own
    FACTORY_CALLS = []


class State(TypedDict, total=False):
    seen: Any


def _report(state: State, config: RunnableConfig) -> State:
    configurable = config["configurable"]
    user = configurable.get("langgraph_auth_user")
    return {"seen": {
        "identity": user.identity if user is not None else None,
        "item": user["identity"] if user is not None else None,
        "user": dict(user) if user is not None else None,
        "user_id": configurable.get("langgraph_auth_user_id"),
        "permissions": configurable.get("langgraph_auth_permissions"),
        "request_id": configurable.get("langgraph_request_id"),
    }}


whoami = StateGraph(State).add_node("report", _report).add_edge("__start__", "report").compile()


def made_for(runtime: ServerRuntime) -> Any:
    """A factory: the graph it makes reports the user it was made for."""
    maker = runtime.user.identity if runtime.user is not None else None
    FACTORY_CALLS.append((runtime.access_context, maker))

    def report(state: State) -> State:
        return {"seen": {"made_for": maker, "access": runtime.access_context}}

    return StateGraph(State).add_node("report", report).add_edge("__start__", "report").compile()
