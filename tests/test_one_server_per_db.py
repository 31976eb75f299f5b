"""One server per SQLite database: a second `python -m server` on the same file, started
while the first runs a run, must refuse before it recovers anything (else it runs the
first one's run again, and the first keeps reporting it pending)."""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import urlsplit

from langgraph_sdk import get_client

from serverproc import GRAPHS, ROOT, ServerProcess
from support import seq, slow


async def _second_server(db, port: int) -> tuple[int, str]:
    """Exit code and output of a second server on `db` and `port`."""
    argv = [sys.executable, "-m", "server", "--config", str(GRAPHS), "--port", str(port), "--db", str(db)]
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=ServerProcess(db).env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def _while_a_run_runs(tmp_path, port_of) -> str:
    """Starts a run on a first server, starts the second on `port_of(first_url)`, lets
    the run finish; the run must have run once, on the first server, which must know it
    finished. Returns the second server's output."""
    db = tmp_path / "db.sqlite"
    first = ServerProcess(db)
    client = get_client(url=await first.start(), api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        run = await client.runs.create(tid, "slow", input=slow("t", 6, delay=0.1))
        while (await client.runs.get(tid, run["run_id"]))["status"] != "running":
            await asyncio.sleep(0.02)
        code, out = await _second_server(db, port_of(first.url))
        assert code != 0, out
        await client.runs.join(tid, run["run_id"])
        assert (await client.runs.get(tid, run["run_id"]))["status"] == "success"
        assert (await client.threads.get_state(tid))["values"]["items"] == seq("t", 6)
        assert (await client.threads.get(tid))["status"] == "idle"
        return out
    finally:
        await client.http.client.aclose()
        await first.kill()


async def test_a_second_server_on_the_same_port_fails_before_touching_the_database(tmp_path):
    out = await _while_a_run_runs(tmp_path, lambda url: urlsplit(url).port)
    assert "cannot listen on 127.0.0.1" in out
    assert "address already in use" in out.lower()
    assert "Traceback" not in out


async def test_a_second_server_on_another_port_refuses_the_database_in_use(tmp_path):
    out = await _while_a_run_runs(tmp_path, lambda url: 0)
    lines = [line for line in out.splitlines() if "error" in line]
    assert len(lines) == 1, out
    assert str(tmp_path / "db.sqlite") in lines[0]
    assert "in use by another threadloom server (pid " in lines[0]
    assert "Traceback" not in out


async def test_the_holders_pid_is_named(tmp_path):
    db = tmp_path / "db.sqlite"
    first = ServerProcess(db)
    await first.start()
    try:
        assert first.proc is not None
        code, out = await _second_server(db, 0)
        assert code == 1
        assert f"(pid {first.proc.pid})" in out
    finally:
        await first.kill()
    second = ServerProcess(db)  # the kernel dropped the lock with the killed process
    await second.start()
    await second.kill()
