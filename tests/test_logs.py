"""What `threadloom` writes and answers as an operator meets it: the access log (on by
default, off on request), JSON logs, the log level, `--version`, the ready file a health
check reads, and start-up errors that name the file and line at fault."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from test_cli import EXAMPLE, Start, clean_env, run_to_exit, start  # noqa: F401 (start: a fixture)


async def _get(url: str, request_id: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, headers={"X-Request-ID": request_id}) as resp:
        return resp.status


async def _stopped_log(server) -> str:
    assert await server.stop() == 0
    return server.log.read_text()


async def test_the_access_log_has_a_line_per_request(start: Start) -> None:
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory")
    assert await _get(f"{server.url}/ok", "req-ok-1") == 200
    assert await _get(f"{server.url}/threads/not-a-uuid", "req-bad-2") == 422
    log = await _stopped_log(server)
    lines = [line for line in log.splitlines() if "threadloom.access" in line]
    assert any(" GET /ok 200 " in line and line.endswith(" req-ok-1") for line in lines), log
    assert any(" GET /threads/not-a-uuid 422 " in line and line.endswith(" req-bad-2") for line in lines), log
    assert all("ms " in line for line in lines), lines


async def test_the_access_log_can_be_turned_off(start: Start) -> None:
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory", "--access-log", "off")
    assert await _get(f"{server.url}/ok", "req-quiet") == 200
    log = await _stopped_log(server)
    assert "req-quiet" not in log and "threadloom.access" not in log, log


async def test_json_logs_are_one_object_per_line(start: Start) -> None:
    env = clean_env(THREADLOOM_LOG_FORMAT="json")
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory", env=env)
    assert await _get(f"{server.url}/ok", "req-json") == 200
    records = [json.loads(line) for line in (await _stopped_log(server)).splitlines() if line.strip()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert all(r["time"].endswith("Z") for r in records)
    (access,) = [r for r in records if r["logger"] == "threadloom.access"]
    assert (access["method"], access["path"], access["status"], access["request_id"]) == ("GET", "/ok", 200, "req-json")
    assert isinstance(access["duration_ms"], float)


async def test_the_log_level_leaves_out_what_is_below_it(start: Start) -> None:
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory", "--log-level", "warning")
    assert await _get(f"{server.url}/ok", "req-below") == 200
    log = await _stopped_log(server)
    assert " INFO " not in log and "req-below" not in log, log


async def test_version(tmp_path: Path) -> None:
    code, out, _ = await run_to_exit("--version", cwd=tmp_path)
    assert code == 0 and out.startswith("threadloom ") and len(out.split()) == 2


async def test_help_names_the_threadloom_command(tmp_path: Path) -> None:
    code, out, _ = await run_to_exit("--help", cwd=tmp_path)
    assert code == 0 and out.startswith("usage: threadloom ")
    for flag in ("--log-level", "--log-format", "--access-log", "--ready-file", "--version"):
        assert flag in out


async def test_the_ready_file_holds_the_url_served_while_serving(start: Start, tmp_path: Path) -> None:
    ready = tmp_path / "ready.url"
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory", "--ready-file", str(ready))
    url = ready.read_text().strip()  # written before the banner
    assert url == server.url
    assert await _get(f"{url}/ok", "req-ready") == 200
    await server.stop()
    assert not ready.exists()


async def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    code, _, err = await run_to_exit("--config", str(EXAMPLE), "--port", "0", "--db", str(tmp_path / "file" / "db.sqlite"), cwd=tmp_path)
    assert code == 1
    assert err.strip() == f"threadloom: error: could not start: cannot open the database {tmp_path / 'file' / 'db.sqlite'}: File exists: {tmp_path / 'file'}"


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """A folder this process cannot write: by its mode, or, for root (whom modes do not
    stop), by the immutable attribute."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield
        return
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


async def test_a_folder_the_user_cannot_write_is_named(tmp_path: Path) -> None:
    """The container case: a /data volume owned by someone else."""
    data = tmp_path / "data"
    data.mkdir()
    with unwritable(data):
        code, _, err = await run_to_exit("--config", str(EXAMPLE), "--port", "0", "--db", str(data / "threadloom.sqlite"), cwd=tmp_path)
    assert code == 1, err
    assert f"cannot open the database {data / 'threadloom.sqlite'}" in err
    assert f"({data} is not writable by this user, uid {os.getuid()})" in err


async def test_a_graph_with_a_syntax_error_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("x = 1\ndef f(:\n    pass\n")
    (tmp_path / "raises.py").write_text("import os\n\nraise RuntimeError('no model configured')\n")
    for name, expected in (("broken", f"{tmp_path / 'broken.py'}:2: SyntaxError: "), ("raises", f"{tmp_path / 'raises.py'}:3: RuntimeError: no model configured")):
        (tmp_path / f"{name}.json").write_text(json.dumps({"graphs": {name: f"./{name}.py:graph"}}))
        code, _, err = await run_to_exit("--config", str(tmp_path / f"{name}.json"), "--memory", "--port", "0", cwd=tmp_path)
        assert code == 2 and expected in err, err
