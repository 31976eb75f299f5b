"""The shape of the code, checked from its imports: dependencies point one way (server →
actors → protocol; the runtime never sees aiohttp), database drivers stay in the storage
backends, and nothing imports the packages by their top-level checkout names (installed,
they are `threadloom.*`; see server/checkout.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "actors", "protocol")
DRIVERS = ("sqlite3", "aiosqlite", "psycopg", "psycopg_pool", "asyncpg")
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


def test_database_drivers_stay_in_the_storage_backends() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(*PACKAGES)
        if not path.relative_to(ROOT).as_posix().startswith("server/storage/")
        for line, module in imports(path)
        if named(module, DRIVERS)
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_packages_by_their_checkout_names() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(*PACKAGES, "tests", "scripts")
        for line, module in imports(path)
        if named(module, PACKAGES) and not (module == "server" and path.relative_to(ROOT).as_posix() in CHECKOUT_ENTRIES)
    ]
    assert not wrong, "\n".join(wrong)
