"""Requests about several threads at once (`/threads/prune`, `POST /runs/cancel`, `DELETE
/assistants/{id}`) in a cluster (issue 13): each thread's part is done by its supervisor,
here if no other live process holds the thread, else by a one-thread request to the
process that does (`forwarding.ask_owner`, with the caller's headers: the owner
authorizes it again)."""

from __future__ import annotations

from aiohttp import web

from threadloom.protocol.requests import PruneStrategy
from threadloom.protocol.resources import CancelAction, Run

from .context import CLUSTER, runtime
from .forwarding import ask_owner


async def owner_of(request: web.Request, thread_id: str) -> str | None:
    """Where the other live process that supervises the thread is reached, if one does."""
    cluster = request.config_dict.get(CLUSTER)
    return None if cluster is None else await cluster.owner_url(thread_id)


async def prune_thread(request: web.Request, thread_id: str, strategy: PruneStrategy) -> bool:
    """Delete the thread (its supervisor cancels its runs first) or its history
    (`keep_latest`); False if there was nothing to prune."""
    if owner := await owner_of(request, thread_id):
        status, answer = await ask_owner(request, owner, "/threads/prune", {"thread_ids": [thread_id], "strategy": strategy})
        return status == 200 and int(answer["pruned_count"]) > 0
    rt = runtime(request)
    return await (rt.keep_latest(thread_id) if strategy == "keep_latest" else rt.delete_thread(thread_id))


async def cancel_runs_anywhere(request: web.Request, runs: list[Run], action: CancelAction, reason: str) -> bool:
    """Cancel the runs, each by its thread's supervisor; True if any was still pending or
    running (the owners' `POST /runs/cancel` give their own reason)."""
    here: list[Run] = []
    elsewhere: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        if owner := await owner_of(request, run.thread_id):
            elsewhere.setdefault((owner, run.thread_id), []).append(run.run_id)
        else:
            here.append(run)
    cancelled = bool(await runtime(request).cancel_runs(here, action, reason))
    for (owner, thread_id), run_ids in elsewhere.items():
        status, _ = await ask_owner(
            request, owner, f"/runs/cancel?action={action}", {"thread_id": thread_id, "run_ids": run_ids}
        )
        cancelled = cancelled or status == 204
    return cancelled
