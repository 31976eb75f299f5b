"""Loading the graphs a `langgraph.json` names, and handing them out ready to run.

A spec is `./path/to/file.py:attr` (a file, relative to the config) or `pkg.module:attr`
(a module on sys.path). The attribute may be a compiled graph, a `StateGraph`, or a
factory called on every use with the run's `config` and/or a `ServerRuntime`, returning
a graph, a coroutine or an (async) context manager.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph_sdk.runtime import _ExecutionRuntime, _ReadRuntime

from threadloom.protocol.graphsource import Access
from threadloom.protocol.users import from_configurable


class GraphLoadError(Exception):
    pass


@dataclass(frozen=True)
class GraphSpec:
    graph_id: str
    path: str
    description: str | None = None


def _load_module(spec: str, base_dir: Path) -> Any:
    if "/" in spec or spec.endswith(".py"):
        file = (base_dir / spec).resolve()
        if not file.is_file():
            raise GraphLoadError(f"graph file not found: {file}")
        name = str(Path(spec).with_suffix("")).lstrip("./").replace("/", "__")
        module_spec = importlib.util.spec_from_file_location(name, file)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def import_error(exc: BaseException, base_dir: Path) -> str:
    """`file:line: message` of where the project's code failed to import: a syntax error
    where the parser stopped, anything else at the deepest line of the project's own files
    (not LangGraph's or the standard library's) that raised it."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}: {type(exc).__name__}: {exc.msg}"
    project = str(base_dir.resolve())
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(project)]
    where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    return f"{where}{type(exc).__name__}: {exc}"


def _resolve(spec: GraphSpec, base_dir: Path) -> Any:
    module_part, _, attr = spec.path.rpartition(":")
    if not module_part:
        module_part, attr = spec.path, ""
    try:
        module = _load_module(module_part, base_dir)
    except GraphLoadError:
        raise
    except Exception as exc:
        raise GraphLoadError(f"graph {spec.graph_id!r}: could not import {module_part}: {import_error(exc, base_dir)}") from exc
    if attr:
        if not hasattr(module, attr):
            raise GraphLoadError(f"graph {spec.graph_id!r}: {module_part} has no attribute {attr!r}")
        return getattr(module, attr)
    for kind in (Pregel, StateGraph):
        for value in vars(module).values():
            if isinstance(value, kind):
                return value
    raise GraphLoadError(f"graph {spec.graph_id!r}: no graph found in {module_part}")


def _factory_params(factory: Callable[..., Any]) -> dict[str, str]:
    """Parameter name -> `config` or `runtime`: what the factory wants to be called with."""
    params = list(inspect.signature(factory).parameters.values())
    kinds = {p.name: "runtime" if "ServerRuntime" in str(p.annotation) else "config" for p in params}
    if len(params) > 2 or (len(params) == 2 and sorted(kinds.values()) != ["config", "runtime"]):
        raise GraphLoadError(f"graph factory {factory!r} must take `config` and/or a ServerRuntime")
    return kinds


class GraphRegistry:
    """Implements `protocol.graphsource.GraphSource`. Graphs are imported at construction (so a
    broken one stops the server before it listens) and bound to storage by `bind`."""

    def __init__(self, specs: list[GraphSpec], base_dir: Path) -> None:
        self.specs = {s.graph_id: s for s in specs}
        self._targets = {s.graph_id: _resolve(s, base_dir) for s in specs}
        self._checkpointer: Any = None
        self._store: Any = None
        self._graphs: dict[str, tuple[Pregel, Pregel]] = {}
        self._factories: dict[str, tuple[Callable[..., Any], dict[str, str]]] = {}
        for graph_id, target in self._targets.items():
            if not isinstance(target, (Pregel, StateGraph)):
                if not callable(target):
                    raise GraphLoadError(f"graph {graph_id!r}: {self.specs[graph_id].path} is not a graph or a graph factory")
                self._factories[graph_id] = (target, _factory_params(target))

    def bind(self, *, checkpointer: Any, store: Any) -> None:
        self._checkpointer, self._store = checkpointer, store
        for graph_id, target in self._targets.items():
            if graph_id not in self._factories:
                self._graphs[graph_id] = (self._prepare(graph_id, target, True), self._prepare(graph_id, target, False))

    def graph_ids(self) -> list[str]:
        return list(self.specs)

    def is_factory(self, graph_id: str) -> bool:
        return graph_id in self._factories

    def _prepare(self, graph_id: str, graph: Any, with_checkpointer: bool) -> Pregel:
        checkpointer = self._checkpointer if with_checkpointer else None
        if isinstance(graph, StateGraph):
            graph = graph.compile()
        if not isinstance(graph, Pregel):
            raise GraphLoadError(f"graph {graph_id!r}: the factory returned {type(graph).__name__}, not a graph")
        update: dict[str, Any] = {"checkpointer": checkpointer, "store": self._store}
        if graph.name == "LangGraph":
            update["name"] = graph_id
        return graph.copy(update=update)

    @contextlib.asynccontextmanager
    async def open(
        self, graph_id: str, config: dict[str, Any], *, checkpointer: bool = True, access: Access = "threads.create_run"
    ) -> AsyncIterator[Pregel]:
        if graph_id in self._graphs:
            yield self._graphs[graph_id][0 if checkpointer else 1]
            return
        if graph_id not in self._factories:
            raise LookupError(f"graph {graph_id!r} is not registered")
        factory, params = self._factories[graph_id]
        user = from_configurable(config.get("configurable"))  # factories run as the run's (or reader's) user
        if access == "threads.create_run":
            runtime: Any = _ExecutionRuntime(access_context=access, store=self._store, context=None, user=user)
        else:
            runtime = _ReadRuntime(access_context=access, store=self._store, user=user)
        given = {"config": config, "runtime": runtime}
        made = factory(**{name: given[kind] for name, kind in params.items()})
        if inspect.isawaitable(made):
            made = await made
        async with contextlib.AsyncExitStack() as stack:
            if hasattr(made, "__aenter__"):
                made = await stack.enter_async_context(made)
            elif hasattr(made, "__enter__"):
                made = stack.enter_context(made)
            graph = self._prepare(graph_id, made, checkpointer)
            # Made to read or update a thread's state, the graph keeps the config it was
            # made with, as on the official server: an update's checkpoint metadata holds
            # the thread's configurable values. (Not for a run: its own config says it all,
            # and a bound `checkpoint_id` would pin every later read to that checkpoint.)
            yield graph if access == "threads.create_run" else graph.with_config(cast(RunnableConfig, config))
