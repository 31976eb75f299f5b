"""The per-connection session: a thread's stored run events, run after run, as numbered
protocol events.

Every connection reads the same stored events in the same order and numbers every event
it makes (whether its filter keeps it or not), so `seq` is the same on every connection
and works as a cursor across them; `event_id`s derive from the stored events, so they are
stable across replays too. The session owns the root lifecycle of each run: `running` at
its first event, and a terminal one at its end from the run's recorded status."""

from __future__ import annotations

import time
from typing import Any

from .messages import normalize

Envelope = dict[str, Any]
CANCELLED = "Run was cancelled"
SUPERSEDED = "superseded by run"  # the cancel reason of a run a multitask strategy replaced


def _now_ms() -> int:
    return int(time.time() * 1000)


def _nskey(ns: list[str]) -> str:
    return "\x00".join(ns)


class Session:
    """Numbers the events of one connection; `run` opens each run it meets, in order."""

    def __init__(self) -> None:
        self.seq = 0
        self.current: RunSession | None = None

    def run(self, run_id: str, graph_name: str) -> RunSession:
        self.current = RunSession(self, run_id, graph_name)
        return self.current

    def _number(self, envelope: Envelope) -> Envelope:
        self.seq += 1
        envelope["seq"] = self.seq
        return envelope


class RunSession:
    def __init__(self, session: Session, run_id: str, graph_name: str) -> None:
        self._session = session
        self.run_id = run_id
        self.graph_name = graph_name
        self.status = "started"  # of the root, for `agent.getTree`
        self._began = False
        self._synth: set[str] = set()  # synthesized events made already
        self._open: dict[str, tuple[list[str], str]] = {}  # started subgraphs not ended: key → (ns, graph)
        self._ended: dict[str, tuple[list[str], str, str]] = {}  # key → (ns, graph, status)
        self._interrupts: set[str] = set()
        self._checkpoints: set[tuple[str, str]] = set()
        self._error: str | None = None  # a root failure the producer recorded
        self._cancel: str | None = None  # why the run was cancelled, if the producer recorded it
        self._last_ts: int | None = None

    # ------------------------------------------------------------------------------------

    def _envelope(self, event_id: str, method: str, ns: list[str], data: Any, ts: int | None, **extra: Any) -> Envelope:
        params: dict[str, Any] = {"namespace": ns, "timestamp": ts if ts is not None else (self._last_ts or _now_ms()), "data": data}
        params.update(extra)
        return self._session._number({"type": "event", "event_id": event_id, "method": method, "params": params})

    def _synthesize(self, key: str, method: str, ns: list[str], data: Any, ts: int | None = None) -> list[Envelope]:
        event_id = f"synth:{self.run_id}:{key}"
        if event_id in self._synth:
            return []
        self._synth.add(event_id)
        return [self._envelope(event_id, method, ns, data, ts)]

    def _lifecycle(self, ns: list[str], event: str, graph: str, ts: int | None = None, **data: Any) -> list[Envelope]:
        return self._synthesize(f"lc|{_nskey(ns)}|{event}", "lifecycle", ns, {"event": event, "graph_name": graph, **data}, ts)

    def _begin(self, ts: int | None) -> list[Envelope]:
        if self._began:
            return []
        self._began = True
        self.status = "running"
        return self._lifecycle([], "running", self.graph_name, ts)

    # ------------------------------------------------------------------------------------

    def event(self, source_id: str, event: Any) -> list[Envelope]:
        """The protocol events one stored event of the run makes. `source_id`: its stable
        id in the run's log (later envelopes from it get `.1`, `.2`… suffixes)."""
        if not isinstance(event, dict) or event.get("type") != "event" or not isinstance(event.get("params"), dict):
            return []
        params = event["params"]
        ts = params.get("timestamp") if isinstance(params.get("timestamp"), int) else None
        self._last_ts = ts or self._last_ts
        ns = [str(s) for s in params.get("namespace") or []]
        method = event.get("method")
        out = self._begin(ts)
        made = self._convert(method, ns, params, ts)
        n = 0
        for item in made:
            if "seq" in item:  # synthesized: numbered already
                out.append(item)
                continue
            event_id = source_id if n == 0 else f"{source_id}.{n}"
            n += 1
            out.append(self._envelope(event_id, item["method"], item["ns"], item["data"], ts, **item.get("extra", {})))
        return out

    def _convert(self, method: Any, ns: list[str], params: dict[str, Any], ts: int | None) -> list[dict[str, Any]]:
        data = params.get("data")
        if method == "values":
            return self._values(ns, data, params.get("interrupts") or [], ts)
        if method == "lifecycle":
            return self._subgraph_lifecycle(ns, data, ts)
        if method == "checkpoints":
            key = (_nskey(ns), data.get("id")) if isinstance(data, dict) else None
            if key is None or not isinstance(key[1], str) or key in self._checkpoints:
                return []
            self._checkpoints.add(key)  # type: ignore[arg-type]
            return [{"method": "checkpoints", "ns": ns, "data": data}]
        if method == "updates":
            extra = {"node": params["node"]} if isinstance(params.get("node"), str) else {}
            return [{"method": "updates", "ns": ns, "data": normalize(data), "extra": extra}]
        if method == "tools":
            node = params.get("node") or (data.pop("__node", None) if isinstance(data, dict) else None)
            return [{"method": "tools", "ns": ns, "data": data, "extra": {"node": node} if isinstance(node, str) else {}}]
        if method in ("messages", "tasks", "custom"):
            return [{"method": method, "ns": ns, "data": data}]
        return []

    def _values(self, ns: list[str], data: Any, interrupts: list[Any], ts: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if isinstance(data, dict) and "__interrupt__" in data:
            interrupts = [*interrupts, *(data["__interrupt__"] or [])]
            data = {k: v for k, v in data.items() if k != "__interrupt__"}
        for interrupt in interrupts:
            if not isinstance(interrupt, dict) or not isinstance(interrupt.get("id"), str):
                continue
            iid = interrupt["id"]
            if iid in self._interrupts:
                continue
            self._interrupts.add(iid)
            value = interrupt.get("value")
            # `payload` as the official server sends it; `value` is what the SDK reads
            out.extend(self._synthesize(f"input|{_nskey(ns)}|{iid}", "input.requested", ns,
                                        {"interrupt_id": iid, "payload": value, "value": value}, ts))
            self.status = "interrupted"
            out.extend(self._lifecycle([], "interrupted", self.graph_name, ts))
        if data not in (None, {}, []):
            out.append({"method": "values", "ns": ns, "data": normalize(data)})
        return out

    def _subgraph_lifecycle(self, ns: list[str], data: Any, ts: int | None) -> list[dict[str, Any]]:
        if not isinstance(data, dict):
            return []
        child = [str(s) for s in data.get("namespace") or ns]
        phase = data.get("event")
        if not child:  # the root's: the session owns it; the producer's notes are kept for the end
            if phase == "failed":
                self._error = str(data.get("error") or "Run failed")
            elif phase == "interrupted" and isinstance(data.get("cause"), str):
                self._cancel = data["cause"]
            return []
        key = _nskey(child)
        if phase == "started":
            if key in self._open or key in self._ended:
                return []
            graph = str(data.get("graph_name") or child[-1].split(":", 1)[0])
            self._open[key] = (child, graph)
            return [{"method": "lifecycle", "ns": child, "data": {**data, "namespace": child}}]
        if phase in ("running", "completed", "failed", "interrupted"):
            child_ns, graph = self._open.get(key) or (child, str(data.get("graph_name") or child[-1].split(":", 1)[0]))
            if phase != "running":
                self._open.pop(key, None)
                self._ended[key] = (child_ns, graph, phase)
            body = {"event": phase, "graph_name": graph}
            if phase == "failed" and data.get("error") is not None:
                body["error"] = data["error"]
            return [{"method": "lifecycle", "ns": child, "data": body}]
        return []

    def end(self, status: str | None) -> list[Envelope]:
        """The run ended with this recorded status (None: its record is gone, a rollback).
        Nothing for a run that never started."""
        if not self._began:
            return []
        out: list[Envelope] = []
        for key in sorted(self._open, key=lambda k: -len(self._open[k][0])):  # deepest first
            ns, graph = self._open[key]
            self._ended[key] = (ns, graph, "completed")
            out.extend(self._lifecycle(ns, "completed", graph))
        self._open.clear()
        if status == "success":
            if self.status != "interrupted":
                self.status = "completed"
                out.extend(self._lifecycle([], "completed", self.graph_name))
        elif status == "error":
            self.status = "failed"
            out.extend(self._lifecycle([], "failed", self.graph_name, error=self._error or "Run failed"))
        elif status == "interrupted":
            # Cancelled. The official server says `interrupted`, which the SDK never takes
            # for the end of a run (`thread.output` then waits forever): a run cancelled
            # outright fails instead; one a newer run superseded (multitask `interrupt`)
            # stays `interrupted`, as that newer run ends the wait.
            if self._cancel is not None and self._cancel.startswith(SUPERSEDED):
                self.status = "interrupted"
                out.extend(self._lifecycle([], "interrupted", self.graph_name))
            else:
                self.status = "failed"
                out.extend(self._lifecycle([], "failed", self.graph_name, error=CANCELLED))
        return out

    def tree(self) -> dict[str, Any]:
        """`agent.getTree`: the root and the subgraphs seen, with their statuses."""
        children = [
            {"namespace": ns, "status": "started", "graph_name": graph} for ns, graph in self._open.values()
        ] + [{"namespace": ns, "status": st, "graph_name": graph} for ns, graph, st in self._ended.values()]
        children.sort(key=lambda c: list(c["namespace"]))
        return {"namespace": [], "status": self.status, "graph_name": self.graph_name, "children": children}
