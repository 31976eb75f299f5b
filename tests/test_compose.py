"""compose.yaml, checked without a Docker engine: it parses, its threadloom service is the
Dockerfile's image on the compose PostgreSQL, and the server's own command line reads
its environment and command as meaning that database."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from test_dockerfile import ROOT, entrypoint, image_env, instructions
from threadloom.server.config import parse_args
from threadloom.server.storage.postgres import is_postgres_url

COMPOSE = ROOT / "compose.yaml"


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_it_has_threadloom_on_postgres_with_a_volume_and_a_health_check() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) >= {"threadloom", "postgres"}
    pg = services["postgres"]
    assert pg["image"].startswith(("postgres:", "pgvector/pgvector:"))
    # the data outlives the container, in a named volume declared at the top level
    volume, _, target = next(v for v in pg["volumes"] if v.endswith("/var/lib/postgresql/data")).partition(":")
    assert volume in (spec.get("volumes") or {}) and target == "/var/lib/postgresql/data"
    check = pg["healthcheck"]["test"]
    assert "pg_isready" in (check if isinstance(check, str) else " ".join(check))
    # threadloom waits for a healthy database, and is built from this Dockerfile
    app = services["threadloom"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    build = app["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    assert (ROOT / context / "Dockerfile").resolve() == ROOT / "Dockerfile"


def test_the_servers_command_line_reads_the_compose_database_and_port() -> None:
    services = compose()["services"]
    app, pg = services["threadloom"], services["postgres"]
    # what the container's process sees: the image's ENV under the service's environment
    environ = {**image_env(), **_env(app)}
    command = app.get("command") or []
    assert isinstance(command, list)
    settings = parse_args([str(a) for a in command], environ)
    assert settings.db is not None and is_postgres_url(settings.db), settings.db
    url = urlsplit(settings.db)
    pg_env = _env(pg)
    assert url.hostname == "postgres"  # the service's name on the compose network
    assert (url.port or 5432) == 5432
    assert url.username == pg_env["POSTGRES_USER"] and url.password == pg_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == pg_env.get("POSTGRES_DB", pg_env["POSTGRES_USER"])
    # the published port is the one the server listens on, on every interface
    assert settings.host == "0.0.0.0"
    published = [str(p).rsplit(":", 1)[-1] for p in app["ports"]]
    assert str(settings.port) in published
    # the image's entrypoint is the CLI these settings came from
    assert entrypoint()[-1] == "threadloom"
    assert any(kw == "ENTRYPOINT" for kw, _ in instructions())


def test_database_uri_beats_the_images_sqlite_file_and_a_flag_beats_both() -> None:
    url = "postgresql://u:p@db:5432/x"
    assert parse_args([], {**image_env(), "DATABASE_URI": url}).db == url
    assert parse_args([], image_env()).db == image_env()["THREADLOOM_DB"]
    assert parse_args(["--db", "/data/other.sqlite"], {**image_env(), "DATABASE_URI": url}).db == "/data/other.sqlite"
    assert parse_args(["--memory"], {"DATABASE_URI": url}).db is None
    assert Path(image_env()["THREADLOOM_DB"]).parent == Path("/data")
