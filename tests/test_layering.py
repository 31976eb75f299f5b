"""The shape of the code, checked from its imports: dependencies point one way (server →
actors → protocol; the runtime never sees aiohttp), database drivers stay in the storage
backends (each in its own folder, reached through one factory), and nothing imports the packages by their top-level checkout names (installed,
they are `threadloom.*`; see server/checkout.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "actors", "protocol")
# each database driver, and the one folder (its backend) that may import it
DRIVERS = {
    "sqlite3": "server/storage/sqlite/",
    "aiosqlite": "server/storage/sqlite/",
    "langgraph.checkpoint.sqlite": "server/storage/sqlite/",
    "langgraph.store.sqlite": "server/storage/sqlite/",
    "psycopg": "server/storage/postgres/",
    "psycopg_pool": "server/storage/postgres/",
    "langgraph.checkpoint.postgres": "server/storage/postgres/",
    "langgraph.store.postgres": "server/storage/postgres/",
    "asyncpg": "server/storage/postgres/",
}
FORBIDDEN = {
    "protocol": ("threadloom.server", "threadloom.actors", "aiohttp"),
    "actors": ("threadloom.server", "aiohttp"),
}
# the entry points of a checkout name its packages by the top-level names once, to install them
CHECKOUT_ENTRIES = {"server/__main__.py", "tests/conftest.py", "tests/killpoint.py", "scripts/bench.py"}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of each import in a module of the checkout."""
    package = ".".join(("threadloom", *path.relative_to(ROOT).parent.parts))
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield node.lineno, f"{base}.{node.module}" if node.module else base
            else:
                yield node.lineno, node.module or ""


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py")) if "node_modules" not in p.parts]


def named(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(package)
        for line, module in imports(path)
        if named(module, FORBIDDEN[package])
    ]
    assert not wrong, "\n".join(wrong)


def test_each_database_driver_stays_in_its_backend() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module} (only {folder} may)"
        for path in sources(*PACKAGES)
        for line, module in imports(path)
        for driver, folder in DRIVERS.items()
        if named(module, (driver,)) and not path.relative_to(ROOT).as_posix().startswith(folder)
    ]
    assert not wrong, "\n".join(wrong)


def test_one_place_opens_storage() -> None:
    """The backend is chosen by `open_storage`, called once, at start-up; the rest of the
    code sees only `protocol.storage`."""
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in sources(*PACKAGES)
        if "open_storage(" in path.read_text() and path.relative_to(ROOT).as_posix() != "server/storage/backends.py"
    ]
    assert callers == ["server/lifecycle.py"]
    backends = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(*PACKAGES)
        if not path.relative_to(ROOT).as_posix().startswith("server/storage/")
        for line, module in imports(path)
        if named(module, ("threadloom.server.storage.sqlite", "threadloom.server.storage.postgres"))
    ]
    assert not backends, "\n".join(backends)


def test_nothing_imports_the_packages_by_their_checkout_names() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(*PACKAGES, "tests", "scripts")
        for line, module in imports(path)
        if named(module, PACKAGES) and not (module == "server" and path.relative_to(ROOT).as_posix() in CHECKOUT_ENTRIES)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_routes_never_reach_for_the_runtimes_storage() -> None:
    """Handlers read through `context.records` (threads and runs read-only) and write a
    thread only through its supervisor (`Runtime`), never `runtime.storage`."""
    wrong = [
        f"{path.relative_to(ROOT)}:{node.lineno} uses .storage"
        for path in sources("server")
        if not path.relative_to(ROOT).as_posix().startswith("server/storage/")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr == "storage"
    ]
    assert not wrong, "\n".join(wrong)


def test_every_package_is_installed() -> None:
    """setup.cfg lists each folder of the packages: one left out is missing from an
    installed copy (the container image), though the checkout runs fine."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {
        ".".join(("threadloom", *init.parent.relative_to(ROOT).parts))
        for package in PACKAGES for init in (ROOT / package).rglob("__init__.py") if "node_modules" not in init.parts
    }
    assert found == listed
