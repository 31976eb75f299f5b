"""The Docker image recipe, checked without a Docker engine by executing its steps.

SLOW (about half a minute, once per session): the `image` fixture builds what the image
would hold, in a fresh virtualenv (no system site-packages) under a scratch folder standing
for `/app`: the Dockerfile's COPY and RUN steps in order, with the Dockerfile's ENV (the
pinned runtime dependencies, then the package); the root-only steps (apt-get, the user,
/data) are checked as text. The tests then start the ENTRYPOINT (without tini, which is
checked as text) with the Dockerfile's ENV (host 127.0.0.1, a free port, THREADLOOM_DB in a
scratch folder standing for the `/data` volume), run the HEALTHCHECK command against it,
and use the bundled example graph as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from langgraph_sdk import get_client

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
START_LIMIT = 60.0  # a guard against hanging, not a timing assertion


# --- reading the recipe ---------------------------------------------------------------


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: comments dropped, continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def only(keyword: str) -> str:
    found = [args for kw, args in instructions() if kw == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for kw, args in instructions():
        if kw == "ENV":
            for pair in shlex.split(args):
                key, sep, value = pair.partition("=")
                assert sep, f"ENV in the legacy `ENV key value` form: {args}"
                env[key] = value
    return env


def healthcheck_options() -> str:
    return only("HEALTHCHECK").partition("CMD ")[0]


def healthcheck_command() -> list[str]:
    args = only("HEALTHCHECK")
    _options, sep, command = args.partition("CMD ")
    assert sep, f"HEALTHCHECK without CMD: {args}"
    return json.loads(command)  # exec form: no shell in between


def entrypoint() -> list[str]:
    return json.loads(only("ENTRYPOINT"))  # exec form: no shell in between


def labels() -> dict[str, str]:
    found: dict[str, str] = {}
    for kw, args in instructions():
        if kw == "LABEL":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                found[key] = value
    return found


ROOT_ONLY = ("apt-get ", "rm -rf /var/lib/apt/lists", "useradd ", "mkdir -p /data", "chown ")


# --- building it ----------------------------------------------------------------------


@dataclass
class Image:
    app: Path  # stands for WORKDIR /app
    venv: Path
    install_env: dict[str, str]

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def argv(self, command: list[str]) -> list[str]:
        """`python` and `threadloom` inside the image are the venv's; tini (the init,
        checked as text) is left out."""
        if command[:2] == ["tini", "--"]:
            command = command[2:]
        assert command[0] in ("python", "threadloom"), command
        return [str(self.venv / "bin" / command[0]), *command[1:]]


def host_env() -> dict[str, str]:
    """The test's environment without anything that would leak the dev venv or settings in."""
    drop = ("THREADLOOM_", "PYTHON", "VIRTUAL_ENV", "DATABASE_URI")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    root = tmp_path_factory.mktemp("image")
    workdir = only("WORKDIR")
    assert workdir == "/app"
    app = root / "app"
    app.mkdir()
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    built = Image(app, venv, {**host_env(), **image_env(), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"})
    for kw, args in instructions():
        if kw == "COPY":
            copy(args, app)
        elif kw == "RUN":
            for step in (s.strip() for s in args.split("&&")):
                if not step.startswith(ROOT_ONLY):
                    # the image's shell, with the venv's python and pip first on the PATH
                    done = subprocess.run(["sh", "-c", step], cwd=app, env=built.install_env, capture_output=True, text=True)
                    assert done.returncode == 0, f"RUN {step}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return built


def copy(args: str, app: Path) -> None:
    *sources, dest = shlex.split(args)
    assert not any(s.startswith("--") for s in sources), args
    target = app / dest
    for source in sources:
        src = ROOT / source
        assert src.exists(), f"COPY {source}: no such file in the build context"
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            assert dest.endswith("/"), args
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / src.name)


def installed(image: Image) -> set[str]:
    code = "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"
    out = subprocess.run([image.python, "-c", code], env=host_env(), capture_output=True, text=True, check=True)
    return {re.sub(r"[-_.]+", "-", name).lower() for name in out.stdout.split()}


# --- running it -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Container:
    proc: asyncio.subprocess.Process
    url: str
    env: dict[str, str]
    data: Path


async def start_container(
    image: Image, tmp_path: Path, *args: str, run_env: dict[str, str] | None = None
) -> AsyncIterator[Container]:
    """The ENTRYPOINT with `args` (a `docker run -e K=V… threadloom ARGS`, `run_env` the -e)."""
    env = {**host_env(), **image_env()}
    data = tmp_path / "data"  # the /data volume
    data.mkdir()
    port = free_port()
    assert env["THREADLOOM_CONFIG"].startswith("/app/")
    env.update(
        THREADLOOM_HOST="127.0.0.1",
        THREADLOOM_PORT=str(port),
        THREADLOOM_DB=str(data / Path(env["THREADLOOM_DB"]).relative_to("/data")),
        THREADLOOM_CONFIG=str(image.app / Path(env["THREADLOOM_CONFIG"]).relative_to("/app")),
        THREADLOOM_READY_FILE=str(tmp_path / Path(env["THREADLOOM_READY_FILE"]).name),
        PATH=f"{image.venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        HOME=str(data),
        **(run_env or {}),
    )
    if "--port" in args:
        port = int(args[args.index("--port") + 1])
    proc = await asyncio.create_subprocess_exec(
        *image.argv(entrypoint()), *args, cwd=image.app, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), START_LIMIT)).decode()
            if not line:
                raise AssertionError("the entrypoint exited before it was ready:\n" + "".join(seen))
            seen.append(line)
            if f"threadloom: serving on http://127.0.0.1:{port}" in line:
                break

        async def drain() -> None:
            while await proc.stdout.readline():  # type: ignore[union-attr]
                pass

        drainer = asyncio.create_task(drain())
        yield Container(proc, f"http://127.0.0.1:{port}", env, data)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), START_LIMIT)
    await drainer
    assert proc.returncode == 0  # SIGTERM (docker stop) is a clean exit


@pytest.fixture
async def container(image: Image, tmp_path: Path) -> AsyncIterator[Container]:
    async for started in start_container(image, tmp_path):
        yield started


async def healthcheck(image: Image, env: dict[str, str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *image.argv(healthcheck_command()), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), START_LIMIT)


# --- the tests ------------------------------------------------------------------------


async def test_the_image_serves_the_example_graph(image: Image, container: Container) -> None:
    # the HEALTHCHECK passes against the running server ...
    assert await healthcheck(image, container.env) == 0

    async with aiohttp.ClientSession() as http, http.get(f"{container.url}/ok") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "services": {}}

    client = get_client(url=container.url, api_key=None)
    try:
        (assistant,) = await client.assistants.search(graph_id="agent")
        out = await client.runs.wait(None, "agent", input={"messages": [{"role": "user", "content": "from docker"}]})
        assert [(m["type"], m["content"]) for m in out["messages"]] == [
            ("human", "from docker"), ("ai", "You said: from docker"),
        ]
        assert assistant["graph_id"] == "agent"
    finally:
        await client.http.client.aclose()

    # the database lives in the volume, where THREADLOOM_DB points
    assert (container.data / "threadloom.sqlite").is_file()

    # ... and fails when nothing answers on that port
    container.proc.terminate()
    assert await asyncio.wait_for(container.proc.wait(), START_LIMIT) == 0
    assert await healthcheck(image, container.env) != 0


def test_the_runtime_install_has_no_test_dependencies(image: Image) -> None:
    names = installed(image)
    assert "threadloom" in names
    # runtime dependencies, and what the example graph needs (langchain-core comes with langgraph)
    assert {"aiohttp", "langgraph", "langgraph-sdk", "langgraph-checkpoint-sqlite", "langchain-core"} <= names
    # the `test` extra stays out of the image
    assert not names & {"pytest", "pytest-aiohttp", "pytest-asyncio", "schemathesis", "hypothesis", "starlette"}
    # the server the image runs is the installed package, under its one top-level name
    code = "import threadloom.server, threadloom.actors, threadloom.protocol; print(threadloom.server.__file__)"
    out = subprocess.run([image.python, "-c", code], cwd="/", env=host_env(), capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert str(image.venv) in out.stdout
    for name in ("server", "actors", "protocol"):  # left free for the project's own modules
        out = subprocess.run([image.python, "-c", f"import {name}"], cwd="/", env=host_env(), capture_output=True, text=True)
        assert out.returncode != 0 and f"No module named '{name}'" in out.stderr


def test_the_recipe_declares_user_volume_port_and_healthcheck() -> None:
    env = image_env()
    user = only("USER")
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    volumes = only("VOLUME")
    assert "/data" in (json.loads(volumes) if volumes.startswith("[") else volumes.split())
    assert Path(env["THREADLOOM_DB"]).parent == Path("/data")
    assert only("EXPOSE").split() == ["2024"] == [env["THREADLOOM_PORT"]]
    assert env["THREADLOOM_HOST"] == "0.0.0.0"  # reachable through the published port
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "/ok" in command[2] and "THREADLOOM_READY_FILE" in command[2]  # the URL actually served
    assert entrypoint() == ["tini", "--", "threadloom"]  # an init reaps what graphs spawn
    assert any(step.strip().startswith("apt-get install") and "tini" in step for kw, args in instructions() if kw == "RUN" for step in args.split("&&"))


def test_a_stop_finishes_inside_docker_stops_ten_seconds() -> None:
    assert float(image_env()["THREADLOOM_SHUTDOWN_GRACE"]) + 1 <= 10


def test_the_dependencies_are_a_layer_before_the_source() -> None:
    steps = instructions()
    install_deps = next(i for i, (kw, args) in enumerate(steps) if kw == "RUN" and "-c constraints.txt" in args)
    first_source = next(i for i, (kw, args) in enumerate(steps) if kw == "COPY" and "server" in args.split())
    copied_before = {src for kw, args in steps[:install_deps] if kw == "COPY" for src in shlex.split(args)[:-1]}
    assert install_deps < first_source and copied_before == {"setup.cfg", "constraints.txt"}
    assert any(kw == "RUN" and "pip install --no-deps ." in args for kw, args in steps[first_source:])


def test_the_image_carries_oci_labels() -> None:
    found = labels()
    for key in ("title", "description", "licenses", "version"):
        assert found.get(f"org.opencontainers.image.{key}"), key


async def test_the_healthcheck_follows_the_port_actually_served(image: Image, tmp_path: Path) -> None:
    port = free_port()  # another port than THREADLOOM_PORT, given on the command line
    async for container in start_container(image, tmp_path, "--port", str(port)):
        assert container.url.endswith(f":{port}")
        assert await healthcheck(image, container.env) == 0


def test_dockerignore_keeps_the_build_context_small() -> None:
    patterns = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".venv", ".git", "tests"} <= patterns


# --- the installed package beside a project's own modules -----------------------------------


PROJECT_FILES = {
    "server/__init__.py": "",
    "server/helpers.py": "def greet(name):\n    return f'hello {name} from the project'\n",
    "protocol.py": "class Envelope:\n    KIND = 'the project protocol'\n",
    "agent.py": (
        "from typing import TypedDict\n"
        "from langgraph.graph import StateGraph, START\n"
        "from protocol import Envelope\n"
        "from server.helpers import greet\n\n"
        "class State(TypedDict, total=False):\n    name: str\n    out: str\n\n"
        "def node(state: State) -> State:\n"
        "    return {'out': greet(state['name']) + ' / ' + Envelope.KIND}\n\n"
        "graph = StateGraph(State).add_node('node', node).add_edge(START, 'node').compile()\n"
    ),
    "langgraph.json": json.dumps({"dependencies": ["."], "graphs": {"agent": "./agent.py:graph"}}),
}


@pytest.mark.parametrize("command", [["threadloom"], ["python", "-m", "threadloom.server"]], ids=["threadloom", "python -m"])
async def test_a_project_with_its_own_server_package_and_protocol_module(image: Image, tmp_path: Path, command: list[str]) -> None:
    """A user's `server/` package and `protocol.py` (with `dependencies: ["."]`, started
    from the project's folder) are the user's; threadloom's are `threadloom.*`."""
    project = tmp_path / "project"
    for name, text in PROJECT_FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    port = free_port()
    env = {**host_env(), "PATH": f"{image.venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    proc = await asyncio.create_subprocess_exec(
        *image.argv(command), "--config", "langgraph.json", "--port", str(port), "--memory", cwd=project, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), START_LIMIT)).decode()
        assert line.startswith("threadloom: serving on "), line + (await proc.stdout.read()).decode()
        client = get_client(url=f"http://127.0.0.1:{port}", api_key=None)
        try:
            out = await client.runs.wait(None, "agent", input={"name": "ada"})
        finally:
            await client.http.client.aclose()
        assert out["out"] == "hello ada from the project / the project protocol"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), START_LIMIT)


async def test_the_image_runs_on_postgres_given_database_uri(image: Image, tmp_path: Path, postgres_for_tests: Any) -> None:
    """`docker run -e DATABASE_URI=postgresql://… threadloom`: the image's own SQLite file
    (THREADLOOM_DB) gives way, and nothing is written to the volume."""
    url = postgres_for_tests.new_database()
    try:
        async for container in start_container(image, tmp_path, run_env={"DATABASE_URI": url}):
            assert await healthcheck(image, container.env) == 0
            client = get_client(url=container.url, api_key=None)
            try:
                thread = await client.threads.create(metadata={"via": "docker"})
                out = await client.runs.wait(thread["thread_id"], "agent", input={"messages": [{"role": "user", "content": "pg"}]})
                assert out["messages"][-1]["content"] == "You said: pg"
            finally:
                await client.http.client.aclose()
            assert not (container.data / "threadloom.sqlite").exists()
        from pgtest import rows

        assert rows(url, "SELECT metadata ->> 'via' FROM threads") == [("docker",)]
    finally:
        postgres_for_tests.drop(url)
