"""Several server processes on one PostgreSQL database (issue 13): any process serves any
thread's requests, one process supervises a thread at a time, and the threads of a
process killed with SIGKILL (or paused past its lease) are taken over by the others, and
those of a process whose event loop a graph node blocks are not."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import signal
import time
from pathlib import Path

import aiohttp

from clusterproc import Cluster, check_thread_history, until
from pgtest import PostgresForTests, rows
from support import seq, slow


async def test_create_on_one_join_on_another_cancel_from_a_third(cluster: Cluster) -> None:
    p1, p2, p3 = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    first = await p1.runs.create(tid, "slow", input=slow("a", 4, delay=0.05))
    second = await p3.runs.create(tid, "slow", input=slow("b", 3, delay=0.05))  # enqueued behind, from P3
    assert cluster.index_of(cluster.owner_url(tid)) == 0
    await p2.runs.join(tid, first["run_id"])
    await p2.runs.join(tid, second["run_id"])
    assert (await p3.threads.get_state(tid))["values"]["items"] == seq("a", 4) + seq("b", 3)

    long = await p2.runs.create(tid, "slow", input=slow("c", 200, delay=0.05))
    await until(lambda: _status(p3, tid, long["run_id"], "running"), 10, "the run running")
    await p3.runs.cancel(tid, long["run_id"], wait=True, action="interrupt")
    assert (await p1.runs.get(tid, long["run_id"]))["status"] == "interrupted"
    # one supervisor in the cluster: every run ran on the owner, one at a time
    assert rows(cluster.db, "SELECT count(*) FROM thread_leases WHERE thread_id = ?", (tid,)) == [(1,)]


async def test_a_killed_owners_threads_are_taken_over_in_order_each_run_once(cluster: Cluster) -> None:
    p1, p2, _ = cluster.clients
    threads: dict[str, list[str]] = {}
    for t in range(3):
        tid = (await p1.threads.create())["thread_id"]
        threads[tid] = []
        for r in range(5):
            run = await p1.runs.create(tid, "slow", input=slow(f"r{r}", 4, delay=0.25))
            threads[tid].append(run["run_id"])
    assert {cluster.owner_url(tid) for tid in threads} == {cluster.servers[0].url}
    running = "SELECT count(*) FROM runs WHERE status = 'running'"
    await until(lambda: rows(cluster.db, running) == [(3,)], 10, "a run running on each thread")
    killed_at = time.monotonic()
    await cluster.servers[0].kill()
    taken = await until(lambda: all(cluster.epoch(t) >= 2 and cluster.owner_url(t) for t in threads), 15, "takeover")
    print(f"takeover of 3 threads after kill -9: {taken:.2f} s (lease TTL 1.5 s, grace 0.5 s)")
    assert time.monotonic() - killed_at < 8
    for tid, run_ids in threads.items():
        for run_id in run_ids:
            await p2.runs.join(tid, run_id)
            assert (await p2.runs.get(tid, run_id))["status"] == "success"
        # FIFO and each input once: run r's four items, in the order the runs were made
        items = (await p2.threads.get_state(tid))["values"]["items"]
        assert items == [item for r in range(5) for item in seq(f"r{r}", 4)]
        # and from the database: one line of checkpoints, run after run, each input once
        check_thread_history(cluster.db, tid, run_ids)
    assert rows(cluster.db, "SELECT max(attempt) FROM runs") == [(2,)]  # the three running ones resumed


async def test_a_paused_owner_is_fenced_out_and_stops(cluster: Cluster) -> None:
    p1, p2, _ = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    run = await p1.runs.create(tid, "slow", input=slow("s", 30, delay=0.1))
    await until(lambda: _status(p2, tid, run["run_id"], "running"), 10, "the run running")
    owner = cluster.servers[0]
    assert owner.proc is not None
    owner.proc.send_signal(signal.SIGSTOP)
    try:
        await until(lambda: cluster.epoch(tid) >= 2 and cluster.owner_url(tid) not in (None, owner.url), 15, "takeover")
    finally:
        owner.proc.send_signal(signal.SIGCONT)
    # awake, it finds its lease expired and stops, having written nothing for the thread
    assert await asyncio.wait_for(owner.proc.wait(), 15) == 70
    await p2.runs.join(tid, run["run_id"])
    assert (await p2.runs.get(tid, run["run_id"]))["status"] == "success"
    assert (await p2.threads.get_state(tid))["values"]["items"] == seq("s", 30)


async def _status(client: object, tid: str, run_id: str, status: str) -> bool:
    return (await client.runs.get(tid, run_id))["status"] == status  # type: ignore[attr-defined]


async def test_a_resumable_stream_goes_on_from_another_process_after_its_owner_dies(cluster: Cluster) -> None:
    """Streamed through P2 from its owner P1; P1 is killed; the rest, from the last id
    seen, comes from P3 once another process took the thread over, ids going on."""
    from test_durable_streams import Part, assert_one_whole_log, sdk_parts
    from test_durable_streams import slow as steps

    p1, p2, p3 = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    head: list[Part] = []
    stream = p2.runs.stream(tid, "slow", input=steps(30), stream_mode=["values"], stream_resumable=True)
    async with contextlib.aclosing(stream) as parts:
        async for part in parts:
            head.append((part.event, part.data, part.id))
            if len(head) == 5:
                break
    rid = head[0][1]["run_id"]
    await cluster.servers[0].kill()
    await until(lambda: cluster.epoch(tid) >= 2 and cluster.owner_url(tid) is not None, 15, "takeover")
    rest = await sdk_parts(p3.runs.join_stream(tid, rid, last_event_id=head[-1][2]))
    full = await sdk_parts(p2.runs.join_stream(tid, rid, last_event_id="-1"))
    assert head + rest == full
    assert_one_whole_log(full, rid, 30, attempts=[1, 2])
    assert (await p3.runs.get(tid, rid))["status"] == "success"


async def test_sigterm_hands_the_owners_threads_off(cluster: Cluster) -> None:
    """A stopping owner (grace 0: nothing is waited for) puts its running run back to
    pending and releases its threads; another process goes on with it within 2 s."""
    p1, p2, _ = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    run = await p1.runs.create(tid, "slow", input=slow("h", 40, delay=0.05))
    await until(lambda: _status(p2, tid, run["run_id"], "running"), 10, "the run running")
    owner = cluster.servers[0]
    assert owner.proc is not None
    owner.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(owner.proc.wait(), 30) == 0
    waited = await until(lambda: cluster.owner_url(tid) not in (None, owner.url), 5, "hand-off")
    assert waited < 2
    await p2.runs.join(tid, run["run_id"])
    assert (await p2.runs.get(tid, run["run_id"]))["status"] == "success"
    assert (await p2.threads.get_state(tid))["values"]["items"] == seq("h", 40)


async def test_a_thread_cron_fires_once_in_the_cluster_on_the_threads_owner(cluster: Cluster) -> None:
    p1, p2, p3 = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    busy = await p1.runs.create(tid, "slow", input=slow("b", 60, delay=0.05))  # P1 holds the thread meanwhile
    cron = await p2.crons.create_for_thread(tid, "slow", schedule="0 9 * * *", input=slow("c", 2, delay=0.01))
    # due now, for every process's scheduler (they poll every 5 s)
    rows(cluster.db, "UPDATE crons SET next_run_date = '2000-01-01T00:00:00+00:00' WHERE cron_id = ? RETURNING 1",
         (cron["cron_id"],))
    count = "SELECT count(*) FROM runs WHERE thread_id = ?"
    await until(lambda: rows(cluster.db, count, (tid,)) == [(2,)], 20, "the cron's run")
    assert rows(cluster.db, "SELECT next_run_date > '2000-01-01T00:00:00+00:00' FROM crons WHERE cron_id = ?",
                (cron["cron_id"],)) == [(True,)]
    await p3.runs.join(tid, busy["run_id"])
    runs = await p3.runs.list(tid)
    assert len(runs) == 2 and {r["status"] for r in runs} <= {"success", "pending", "running"}


async def test_creating_a_thread_another_process_supervises_is_answered_by_its_owner(cluster: Cluster) -> None:
    p1, p2, _ = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    run = await p1.runs.create(tid, "slow", input=slow("o", 20, delay=0.05))  # P1 holds the thread
    same = await p2.threads.create(thread_id=tid, if_exists="do_nothing")
    assert same["thread_id"] == tid
    await p2.runs.join(tid, run["run_id"])


async def test_bulk_cancel_and_prune_reach_each_threads_owner(cluster: Cluster) -> None:
    p1, p2, p3 = cluster.clients
    t1 = (await p1.threads.create())["thread_id"]
    t2 = (await p2.threads.create())["thread_id"]
    r1 = await p1.runs.create(t1, "slow", input=slow("a", 200, delay=0.05))
    r2 = await p2.runs.create(t2, "slow", input=slow("b", 200, delay=0.05))
    assert [cluster.index_of(cluster.owner_url(t)) for t in (t1, t2)] == [0, 1]
    await until(lambda: rows(cluster.db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(2,)], 10, "both running")
    async with aiohttp.ClientSession() as http:  # from a third process, which supervises neither
        async with http.post(f"{cluster.servers[2].url}/runs/cancel?action=interrupt", json={"status": "running"}) as resp:
            assert resp.status == 204, await resp.text()
    await p3.runs.join(t1, r1["run_id"])
    await p3.runs.join(t2, r2["run_id"])
    assert [(await p3.runs.get(t, r["run_id"]))["status"] for t, r in ((t1, r1), (t2, r2))] == ["interrupted"] * 2
    assert await p3.threads.prune([t1, t2]) == {"pruned_count": 2}
    assert rows(cluster.db, "SELECT count(*) FROM threads") == [(0,)]


async def test_deleting_an_assistant_reaches_each_of_its_threads_owner(cluster: Cluster) -> None:
    p1, p2, p3 = cluster.clients
    aid = (await p3.assistants.create("slow"))["assistant_id"]
    t1 = (await p1.threads.create())["thread_id"]
    t2 = (await p2.threads.create())["thread_id"]
    await p1.runs.create(t1, aid, input=slow("a", 200, delay=0.05))
    await p2.runs.create(t2, aid, input=slow("b", 200, delay=0.05))
    assert [cluster.index_of(cluster.owner_url(t)) for t in (t1, t2)] == [0, 1]
    await until(lambda: rows(cluster.db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(2,)], 10, "both running")
    await p3.assistants.delete(aid, delete_threads=True)  # from a third process, which supervises neither
    assert rows(cluster.db, "SELECT count(*) FROM threads") == [(0,)]
    assert rows(cluster.db, "SELECT count(*) FROM runs") == [(0,)]


async def test_an_a2a_message_in_a_context_another_process_supervises(cluster: Cluster) -> None:
    talker = "/a2a/talker"
    message = {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}
    async with aiohttp.ClientSession() as http:
        async def send(index: int, body: dict[str, object]) -> tuple[int, dict[str, object]]:
            rpc = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": body}}
            async with http.post(cluster.servers[index].url + talker, json=rpc) as resp:
                return resp.status, await resp.json()

        status, first = await send(0, message)
        context = first["result"]["task"]["contextId"]  # type: ignore[index]
        assert cluster.index_of(cluster.owner_url(context)) == 0  # P1 still supervises it (idle, not yet let go)
        status, second = await send(1, {**message, "messageId": "m2", "contextId": context})
        assert status == 200 and "result" in second, second
        assert second["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"  # type: ignore[index]



async def test_a_thread_no_process_holds_taken_by_two_at_once_answers_both(cluster: Cluster) -> None:
    """Runs enqueued at once through two processes on threads nobody supervises (their
    owner stopped): one process acquires each thread, the other's request goes on to it."""
    p1, p2, p3 = cluster.clients
    tids = [(await p1.threads.create())["thread_id"] for _ in range(5)]
    owner = cluster.servers[0]
    assert owner.proc is not None
    owner.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(owner.proc.wait(), 30) == 0
    assert [cluster.owner_url(tid) for tid in tids] == [None] * 5
    runs = await asyncio.gather(*(
        client.runs.create(tid, "slow", input=slow(name, 2, delay=0.01), multitask_strategy="enqueue")
        for tid in tids for name, client in (("a", p2), ("b", p3))
    ))
    for tid, run in zip([t for t in tids for _ in range(2)], runs, strict=True):
        await p3.runs.join(tid, run["run_id"])
        assert (await p3.runs.get(tid, run["run_id"]))["status"] == "success"


async def test_a_compressed_body_reaches_the_owner_readable(cluster: Cluster) -> None:
    p1, _, _ = cluster.clients
    tid = (await p1.threads.create())["thread_id"]
    assert cluster.index_of(cluster.owner_url(tid)) == 0
    body = gzip.compress(json.dumps({"metadata": {"k": "v"}}).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    async with aiohttp.ClientSession() as http:  # sent to P2, forwarded to P1
        async with http.patch(f"{cluster.servers[1].url}/threads/{tid}", data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["metadata"]["k"] == "v"


BLOCKER = '''
import time
from typing import TypedDict
from langgraph.graph import START, StateGraph

class State(TypedDict, total=False):
    seconds: float
    done: bool

async def block(state: State) -> State:
    time.sleep(state["seconds"])  # on the event loop, as a careless async node does
    return {"done": True}

graph = StateGraph(State).add_node("block", block).add_edge(START, "block").compile()
'''


async def test_a_node_blocking_the_event_loop_past_the_lease_does_not_cost_the_thread(
    postgres_for_tests: PostgresForTests, tmp_path: Path,
) -> None:
    """The lease is renewed from a thread of its own: a graph node that blocks its
    process's loop for twice TTL + grace is not taken for a dead process."""
    (tmp_path / "blocker.py").write_text(BLOCKER)
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": {"blocker": "./blocker.py:graph"}}))
    db = postgres_for_tests.new_database()
    two = Cluster(db, 2, config=tmp_path / "langgraph.json")
    try:
        p1, p2 = (await two.start()).clients
        tid = (await p1.threads.create())["thread_id"]
        run = await p1.runs.create(tid, "blocker", input={"seconds": 4.0})
        await p2.runs.join(tid, run["run_id"])
        assert (await p2.runs.get(tid, run["run_id"]))["status"] == "success"
        assert rows(db, "SELECT attempt FROM runs") == [(1,)]
        assert two.epoch(tid) == 1 and two.index_of(two.owner_url(tid)) == 0
        assert two.servers[0].proc is not None and two.servers[0].proc.returncode is None
    finally:
        await two.close()
        postgres_for_tests.drop(db)
