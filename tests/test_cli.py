"""`python -m server` as a user runs it: subprocesses in a scratch folder, flags and their
environment variables, one-line errors with exit code 2, every kind of graph spec of
reference §6.3, persistence across a restart, and a clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
EXAMPLE = ROOT / "examples" / "langgraph.json"
TEST_GRAPHS = ROOT / "tests" / "graphs" / "langgraph.json"
BANNER = "threadloom: serving on http://127.0.0.1:"
START_LIMIT = 60.0  # a guard against hanging, not a timing assertion


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLOOM_") and k != "DATABASE_URI"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


@dataclass
class Server:
    proc: asyncio.subprocess.Process
    url: str
    log: Path

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), START_LIMIT)


Start = Callable[..., Awaitable[Server]]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """Start `python -m server ARGS` (cwd: a scratch folder) and wait for its banner."""
    started: list[Server] = []

    async def launch(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Server:
        log = tmp_path / f"server-{len(started)}.log"
        with log.open("wb") as errors:
            proc = await asyncio.create_subprocess_exec(
                PYTHON, "-m", "server", *args, cwd=cwd or tmp_path, env=env or clean_env(),
                stdout=asyncio.subprocess.PIPE, stderr=errors,
            )
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), START_LIMIT)).decode()
        if not line.startswith(BANNER):
            await proc.wait()
            pytest.fail(f"no banner: {line!r}, exit {proc.returncode}, stderr: {log.read_text()[-2000:]}")
        server = Server(proc, line.strip().removeprefix("threadloom: serving on "), log)
        started.append(server)
        return server

    yield launch
    for server in started:
        if server.proc.returncode is None:
            server.proc.kill()
            await server.proc.wait()


async def run_to_exit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "server", *args, cwd=cwd, env=env or clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), START_LIMIT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def get_json(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            return resp.status, await resp.json()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# serving ---------------------------------------------------------------------------------------


async def test_serves_the_example_project_in_memory(start: Start, tmp_path: Path) -> None:
    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory")
    assert await get_json(server.url + "/ok") == (200, {"ok": True, "services": {}})
    client = get_client(url=server.url, api_key=None)
    try:
        result = await client.runs.wait(None, "agent", input={"messages": [{"role": "user", "content": "hi"}]})
        assert result["messages"][-1]["content"] == "You said: hi"
        [assistant] = await client.assistants.search()
        assert assistant["graph_id"] == "agent" and assistant["name"] == "agent"
    finally:
        await client.http.client.aclose()
    assert await server.stop() == 0
    assert list(tmp_path.glob(".threadloom*")) == []  # --memory leaves nothing behind


async def test_the_default_database_is_under_the_working_folder(start: Start, tmp_path: Path) -> None:
    server = await start("--config", str(EXAMPLE), "--port", "0")
    assert await get_json(server.url + "/ok") == (200, {"ok": True, "services": {}})
    assert await server.stop(signal.SIGINT) == 0
    assert (tmp_path / ".threadloom" / "threadloom.sqlite").is_file()


async def test_db_file_is_created_and_data_survives_a_restart(start: Start, tmp_path: Path) -> None:
    db = tmp_path / "data" / "nested" / "store.sqlite"
    server = await start("--config", str(EXAMPLE), "--port", "0", "--db", str(db))
    assert db.is_file()
    client = get_client(url=server.url, api_key=None)
    try:
        thread = await client.threads.create(metadata={"keep": "me"})
        tid = thread["thread_id"]
        await client.runs.wait(tid, "agent", input={"messages": [{"role": "user", "content": "remember"}]})
        before = await client.threads.get(tid)
        [run] = await client.runs.list(tid)
    finally:
        await client.http.client.aclose()
    assert await server.stop() == 0

    server = await start("--config", str(EXAMPLE), "--port", "0", "--db", str(db))
    client = get_client(url=server.url, api_key=None)
    try:
        after = await client.threads.get(tid)
        assert after == before
        assert after["metadata"]["keep"] == "me"
        assert after["values"]["messages"][-1]["content"] == "You said: remember"
        assert await client.runs.list(tid) == [run]
        assert run["status"] == "success"
        state = await client.threads.get_state(tid)
        assert state["values"] == after["values"]
        # and it keeps going from there
        result = await client.runs.wait(tid, "agent", input={"messages": [{"role": "user", "content": "again"}]})
        assert [m["content"] for m in result["messages"]] == ["remember", "You said: remember", "again", "You said: again"]
    finally:
        await client.http.client.aclose()
    assert await server.stop() == 0


# environment variables -------------------------------------------------------------------------


async def test_environment_variables_stand_in_for_flags(start: Start, tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "from-env.sqlite"
    env = clean_env(THREADLOOM_CONFIG=str(EXAMPLE), THREADLOOM_PORT=str(port), THREADLOOM_DB=str(db),
                    THREADLOOM_HOST="127.0.0.1", THREADLOOM_JOBS="2")
    server = await start(env=env)
    assert server.url == f"http://127.0.0.1:{port}"
    assert db.is_file()
    assert await get_json(server.url + "/ok") == (200, {"ok": True, "services": {}})
    assert await server.stop() == 0
    assert not (tmp_path / ".threadloom").exists()


async def test_threadloom_memory_keeps_no_file(start: Start, tmp_path: Path) -> None:
    server = await start(env=clean_env(THREADLOOM_CONFIG=str(EXAMPLE), THREADLOOM_PORT="0", THREADLOOM_MEMORY="1"))
    assert await get_json(server.url + "/ok") == (200, {"ok": True, "services": {}})
    assert await server.stop() == 0
    assert list(tmp_path.iterdir()) == [server.log]


async def test_flags_win_over_environment_variables(start: Start, tmp_path: Path) -> None:
    env = clean_env(THREADLOOM_CONFIG=str(tmp_path / "missing.json"), THREADLOOM_PORT="not-a-port",
                    THREADLOOM_HOST="256.0.0.1", THREADLOOM_JOBS="0", THREADLOOM_MEMORY="1",
                    THREADLOOM_DB=str(tmp_path / "env.sqlite"))
    db = tmp_path / "flag.sqlite"
    server = await start("--config", str(EXAMPLE), "--port", "0", "--host", "127.0.0.1", "--jobs", "3",
                         "--db", str(db), env=env)
    assert await get_json(server.url + "/ok") == (200, {"ok": True, "services": {}})
    assert await server.stop() == 0
    assert db.is_file() and not (tmp_path / "env.sqlite").exists()

    server = await start("--config", str(EXAMPLE), "--port", "0", "--memory",
                         env=clean_env(THREADLOOM_DB=str(tmp_path / "env2.sqlite")))
    assert await server.stop() == 0
    assert not (tmp_path / "env2.sqlite").exists()


async def test_threadloom_jobs_bounds_runs_across_threads(start: Start) -> None:
    server = await start("--config", str(TEST_GRAPHS), "--port", "0", "--memory", env=clean_env(THREADLOOM_JOBS="1"))
    client = get_client(url=server.url, api_key=None)
    try:
        runs = []
        for tag in ("a", "b"):
            thread = await client.threads.create()
            runs.append(await client.runs.create(thread["thread_id"], "slow", input={"steps": 4, "delay": 0.05, "tag": tag}))
        spans = []
        for run in runs:
            await client.runs.join(run["thread_id"], run["run_id"])
            history = await client.threads.get_history(run["thread_id"], limit=100)
            assert len(history) == 6  # input, start, four steps
            stamps = sorted(datetime.fromisoformat(s["created_at"]) for s in history)
            spans.append((stamps[0], stamps[-1]))
        # one slot: every checkpoint of one run was written before the other run wrote any
        (a_first, a_last), (b_first, b_last) = spans
        assert a_last < b_first or b_last < a_first, spans
    finally:
        await client.http.client.aclose()


# errors: one line on stderr, exit code 2 --------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


async def test_setup_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    write(tmp_path / "bad.json", '{"graphs": {"a": "./g.py:graph",}')
    write(tmp_path / "array.json", '["graphs"]')
    write(tmp_path / "nographs.json", '{"dependencies": ["."]}')
    write(tmp_path / "emptygraphs.json", '{"graphs": {}}')
    write(tmp_path / "missingfile.json", '{"graphs": {"a": "./not_here.py:graph"}}')
    write(tmp_path / "boom.py", 'raise RuntimeError("exploded while importing")\n')
    write(tmp_path / "boom.json", '{"graphs": {"a": "./boom.py:graph"}}')
    write(tmp_path / "nomodule.json", '{"graphs": {"a": "no_such_package.graphs:graph"}}')
    write(tmp_path / "plain.py", "value = 1\n")
    write(tmp_path / "noattr.json", '{"graphs": {"a": "./plain.py:graph"}}')
    write(tmp_path / "notgraph.json", '{"graphs": {"a": "./plain.py:value"}}')
    write(tmp_path / "exits.py", "import sys\nsys.exit(0)\n")
    write(tmp_path / "exits.json", '{"graphs": {"a": "./exits.py:graph"}}')
    example = str(EXAMPLE)
    cases: list[tuple[list[str], dict[str, str], list[str]]] = [
        (["--config", "nowhere.json"], {}, ["config file not found", "nowhere.json"]),
        ([], {}, ["config file not found", "langgraph.json"]),  # the default, absent in the folder
        (["--config", "bad.json"], {}, ["bad.json", "invalid JSON"]),
        (["--config", "array.json"], {}, ["array.json"]),
        (["--config", "nographs.json"], {}, ["graphs"]),
        (["--config", "emptygraphs.json"], {}, ["graphs"]),
        (["--config", "missingfile.json"], {}, ["not_here.py", "not found"]),
        (["--config", "boom.json"], {}, ["exploded while importing"]),
        (["--config", "nomodule.json"], {}, ["no_such_package"]),
        (["--config", "noattr.json"], {}, ["plain.py", "'graph'"]),
        (["--config", "notgraph.json"], {}, ["value"]),
        (["--config", "exits.json"], {}, ["sys.exit"]),
        (["--config", example, "--bogus-flag"], {}, ["--bogus-flag"]),
        (["--config", example, "--jobs", "0"], {}, ["--jobs", "at least 1"]),
        (["--config", example, "--jobs", "many"], {}, ["--jobs"]),
        (["--config", example, "--port", "65536"], {}, ["--port"]),
        (["--config", example, "--port", "http"], {}, ["--port"]),
        (["--config", example, "--memory", "--db", "x.sqlite"], {}, ["--db", "--memory"]),
        (["--config", example], {"THREADLOOM_JOBS": "0"}, ["THREADLOOM_JOBS", "at least 1"]),
        (["--config", example], {"THREADLOOM_PORT": "eighty"}, ["THREADLOOM_PORT"]),
        ([], {"THREADLOOM_CONFIG": "elsewhere.json"}, ["elsewhere.json"]),
    ]
    results = await asyncio.gather(*[run_to_exit(*args, cwd=tmp_path, env=clean_env(**env)) for args, env, _ in cases])
    for (args, env, words), (code, out, err) in zip(cases, results):
        where = f"{args} {env}: exit {code}, stderr {err!r}"
        assert code == 2, where
        assert out == "", where
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("threadloom: error: "), where
        assert "Traceback" not in err, where
        for word in words:
            assert word.lower() in lines[0].lower(), f"{where} does not mention {word!r}"


async def test_an_address_it_cannot_bind_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = await run_to_exit("--config", str(EXAMPLE), "--port", "0", "--memory",
                                       cwd=tmp_path, env=clean_env(THREADLOOM_HOST="256.0.0.1"))
    assert code != 0 and out == ""
    assert "Traceback" not in err
    [line] = [ln for ln in err.splitlines() if ln.startswith("threadloom:")]
    assert line.startswith("threadloom: error: cannot listen on 256.0.0.1:0"), err


# graph specs -----------------------------------------------------------------------------------

GRAPH_MODULE = '''
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, TypedDict

from langgraph.graph import START, StateGraph
from langgraph_sdk.runtime import ServerRuntime


class State(TypedDict, total=False):
    said: list[str]


def build(label: str) -> StateGraph:
    def node(state: State) -> State:
        return {"said": [*state.get("said", []), label]}

    return StateGraph(State).add_node("node", node).add_edge(START, "node")


graph = build("compiled").compile()
builder = build("uncompiled")
imported = []


def make0():
    return build("factory0").compile()


def make_config(config):
    return build("config:" + config["configurable"].get("tag", "none")).compile()


def make_runtime(runtime: ServerRuntime):
    return build("runtime:" + runtime.access_context)


def make_both(config, runtime: ServerRuntime):
    return build(f"both:{config['configurable'].get('tag', 'none')}:{runtime.access_context}").compile()


async def make_async(config):
    return build("async").compile()


@asynccontextmanager
async def make_managed():
    yield build("managed").compile()
'''

PACKAGE_MODULE = '''
from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    said: list[str]


def node(state: State) -> State:
    return {"said": [*state.get("said", []), "package"]}


graph = StateGraph(State).add_node("node", node).add_edge(START, "node").compile()
'''


async def test_every_kind_of_graph_spec_serves_runs(start: Start, tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project / "src" / "graphs.py", GRAPH_MODULE)
    write(project / "deps" / "tl_test_pkg" / "__init__.py", "")
    write(project / "deps" / "tl_test_pkg" / "agent.py", PACKAGE_MODULE)
    graphs = {
        "compiled": "./src/graphs.py:graph",
        "first_found": "./src/graphs.py",
        "uncompiled": "./src/graphs.py:builder",
        "package": "tl_test_pkg.agent:graph",
        "factory0": "./src/graphs.py:make0",
        "factory_config": "./src/graphs.py:make_config",
        "factory_runtime": "./src/graphs.py:make_runtime",
        "factory_both": "./src/graphs.py:make_both",
        "factory_async": "./src/graphs.py:make_async",
        "factory_managed": "./src/graphs.py:make_managed",
        "described": {"path": "./src/graphs.py:graph", "description": "the compiled one, described"},
    }
    write(project / "langgraph.json", json.dumps({"dependencies": ["./deps"], "graphs": graphs}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # relative paths in the config are relative to its folder, not the working one
    server = await start("--config", "../project/langgraph.json", "--port", "0", "--memory", cwd=elsewhere)
    expected = {
        "compiled": "compiled", "first_found": "compiled", "uncompiled": "uncompiled", "package": "package",
        "factory0": "factory0", "factory_config": "config:none", "factory_runtime": "runtime:threads.create_run",
        "factory_both": "both:none:threads.create_run", "factory_async": "async", "factory_managed": "managed",
        "described": "compiled",
    }
    client = get_client(url=server.url, api_key=None)
    try:
        assistants = {a["graph_id"]: a for a in await client.assistants.search(limit=100)}
        assert set(assistants) == set(graphs)
        assert assistants["described"]["description"] == "the compiled one, described"
        for graph_id, label in expected.items():
            assert await client.runs.wait(None, graph_id, input={}) == {"said": [label]}, graph_id
            thread = await client.threads.create()
            assert await client.runs.wait(thread["thread_id"], graph_id, input={"said": ["hi"]}) == {"said": ["hi", label]}
            state = await client.threads.get_state(thread["thread_id"])
            assert state["values"] == {"said": ["hi", label]}, graph_id
        # factories see the run's config
        tagged = await client.runs.wait(None, "factory_config", input={}, config={"configurable": {"tag": "blue"}})
        assert tagged == {"said": ["config:blue"]}
        tagged = await client.runs.wait(None, "factory_both", input={}, context={"tag": "red"})
        assert tagged == {"said": ["both:red:threads.create_run"]}
    finally:
        await client.http.client.aclose()
    assert await server.stop() == 0


def test_stream_buffer_flag_and_environment_variable():
    from threadloom.server.config import DEFAULT_STREAM_BUFFER, parse_args

    assert parse_args([], {}).stream_buffer == DEFAULT_STREAM_BUFFER
    assert parse_args([], {"THREADLOOM_STREAM_BUFFER": "2000"}).stream_buffer == 2000
    assert parse_args(["--stream-buffer", "500"], {"THREADLOOM_STREAM_BUFFER": "2000"}).stream_buffer == 500
