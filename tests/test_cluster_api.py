"""The API tests against a cluster (issue 13, item 6): a representative set of the existing
API tests run with `THREADLOOM_TEST_CLUSTER=3` — each server a test starts is 3 real
`python -m server` processes on one PostgreSQL database, behind a proxy that sends every
request to one of them at random (`clusterservers.py`, `clusterproxy.py`). The whole
modules run that way with:

    THREADLOOM_TEST_CLUSTER=3 .venv/bin/python -m pytest -k postgres tests/test_threads.py …

Here, in the normal suite, a few tests of each module (each test starts 3 processes)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pgtest import PostgresForTests

ROOT = Path(__file__).resolve().parent.parent

CHOSEN = {
    "test_threads.py": [
        "test_create_with_a_given_id_conflicts_or_does_nothing", "test_get_and_patch_merge_metadata",
        "test_delete_removes_the_thread_its_runs_and_its_checkpoints", "test_history_newest_first_with_limit_and_before",
    ],
    "test_multitask.py": [
        "test_reject_while_running_is_409_and_creates_nothing", "test_enqueue_is_fifo_and_one_run_at_a_time_per_thread",
        "test_interrupt_cancels_running_and_pending_runs_keeping_checkpoints",
        "test_rollback_deletes_the_running_run_and_its_checkpoints",
    ],
    "test_cancel_join.py": [
        "test_cancel_with_wait_and_rollback", "test_cancel_a_pending_run_while_another_runs",
        "test_join_stream_of_a_live_run_gets_the_remaining_events", "test_resume_in_the_middle_of_a_live_run",
    ],
    "test_durable_streams.py": [
        "test_a_finished_run_replays_from_storage_and_ends", "test_a_join_before_the_failure_gets_the_error_live",
    ],
    "test_threads_api.py": ["test_prune_deletes_threads_and_skips_unknown_ids"],
    "test_store.py": ["test_put_get_search_delete"],
    "test_assistants.py": ["test_delete_threads"],
    "test_crons.py": ["test_thread_cron_record_and_timezone", "test_search_and_count"],
    "test_thread_state.py": [
        "test_update_state_appends_as_a_node_and_recomputes_status",
        "test_thread_stream_multiplexes_runs_and_state_updates",
    ],
}


async def test_api_tests_pass_against_three_processes_behind_a_random_proxy(postgres_for_tests: PostgresForTests) -> None:
    ids = [f"tests/{module}::{name}[postgres]" for module, names in CHOSEN.items() for name in names]
    env = {**os.environ, "THREADLOOM_TEST_CLUSTER": "3", "THREADLOOM_TEST_PG": postgres_for_tests.admin}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *ids,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 900))[0].decode()
    summary = out.strip().splitlines()[-1]
    assert proc.returncode == 0, out[-6000:]
    assert f"{len(ids)} passed" in summary, summary  # none skipped: each ran against the cluster
