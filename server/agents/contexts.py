"""An A2A context as the engine has it: a thread, its runs and what they say of tasks
(protocol/a2a/tasks.py), and a task described from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from threadloom.protocol.a2a import tasks
from threadloom.protocol.a2a.tasks import TaskRef
from threadloom.protocol.resources import Run, Thread
from threadloom.protocol.serde import dumps

from . import engine


@dataclass(frozen=True)
class Context:
    thread: Thread
    runs: list[Run]  # oldest first

    @property
    def thread_id(self) -> str:
        return self.thread.thread_id

    @property
    def values(self) -> Any:
        values = self.thread.values
        return None if values is msgspec.UNSET else values

    @property
    def messages(self) -> Any:
        return self.values.get("messages") if isinstance(self.values, dict) else None

    def _starts(self) -> dict[str, str]:
        """task_start_id → task id, for the runs that started tasks."""
        return {
            stamp["task_start_id"]: TaskRef(self.thread_id, run.run_id).id
            for run in self.runs if isinstance((stamp := tasks.stamp_of(run.metadata)).get("task_start_id"), str)
        }

    def task_of(self, stamp: dict[str, Any]) -> str | None:
        """The task a stamp names (a human message's, a run's)."""
        if isinstance(stamp.get("task_id"), str):
            return stamp["task_id"]
        start = stamp.get("task_start_id")
        return self._starts().get(start) if isinstance(start, str) else None

    def tasks(self, assistant_id: str) -> list[TaskRef]:
        """The tasks this assistant's runs started here, oldest first."""
        return [
            TaskRef(self.thread_id, run.run_id) for run in self.runs
            if run.assistant_id == assistant_id and "task_start_id" in tasks.stamp_of(run.metadata)
        ]

    def runs_of(self, ref: TaskRef) -> list[Run]:
        return [r for r in self.runs if r.run_id == ref.run_id or tasks.stamp_of(r.metadata).get("task_id") == ref.id]

    def state(self, ref: TaskRef) -> str:
        latest = self.runs_of(ref)[-1]
        awaiting = self.thread.status == "interrupted" and latest.run_id == self.runs[-1].run_id
        return tasks.state_of(latest.status, awaiting_input=awaiting)

    def awaiting(self) -> TaskRef | None:
        """The task whose interrupt the thread waits on, if an A2A task left it."""
        if self.thread.status != "interrupted" or not self.runs:
            return None
        task_id = self.task_of(tasks.stamp_of(self.runs[-1].metadata))
        return TaskRef.parse(task_id) if task_id else None

    def interrupts(self) -> list[Any]:
        found = self.thread.interrupts
        return [i for pending in found.values() for i in pending] if isinstance(found, dict) else []

    def describe(
        self, ref: TaskRef, assistant_id: str, *, history_length: int | None, scope: str, artifacts: bool = True,
    ) -> dict[str, Any]:
        """The task as `GetTask` and `SendMessage` answer it: its state, what it said
        (`history`), its answer or the question it asks (`artifacts`)."""
        said = tasks.conversation(self.thread_id, self.messages, self.task_of)
        state, latest = self.state(ref), self.runs_of(ref)[-1]
        found: list[dict[str, Any]] = []
        message: dict[str, Any] | None = None
        if state == tasks.COMPLETED:
            parts = tasks.reply_parts(said, ref.id, self.values, lambda v: dumps(v).decode())
            if parts:
                found.append(tasks.response_artifact(f"{latest.run_id}-response", assistant_id, parts))
        elif state == tasks.INPUT_REQUIRED:
            interrupts = self.interrupts()
            found.append(tasks.interrupt_artifact(f"{latest.run_id}-interrupt", interrupts))
            if (question := tasks.interrupt_text(interrupts)) is not None:
                message = self._status(ref, latest, question)
        elif state == tasks.FAILED:
            message = self._status(ref, latest, f"Error executing assistant: {self._error(latest)}")
        elif state == tasks.CANCELED:
            message = self._status(ref, latest, "Task was canceled")
        shown = tasks.history(said, ref.id, scope=scope, length=history_length)
        return tasks.task(
            ref, state, timestamp=latest.updated_at, status_message=message,
            history=shown if history_length != 0 else None, artifacts=found if artifacts else [],
        )

    def _status(self, ref: TaskRef, run: Run, text: str) -> dict[str, Any]:
        return tasks.agent_text(text, context_id=self.thread_id, task_id=ref.id, message_id=f"{run.run_id}-status")

    def _error(self, run: Run) -> str:
        error = self.thread.error if run.run_id == self.runs[-1].run_id else None
        if isinstance(error, dict) and error.get("error"):
            return f"{error['error']}: {error.get('message')}" if error.get("message") else str(error["error"])
        return f"the run ended with status {run.status}"


async def load(request: web.Request, thread_id: str) -> Context | None:
    """The context, if the thread exists and the user may read it."""
    thread = await engine.thread(request, thread_id)
    if thread is None:
        return None
    return Context(thread, await engine.thread_runs(request, thread_id))
