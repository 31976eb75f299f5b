"""mypy accepts `protocol/`, `actors/` and `server/`, with setup.cfg's `[mypy]` settings.

The code imports its packages as `threadloom.*` (server/checkout.py), so mypy reads the
checkout through a `threadloom` link outside it; the link and mypy's cache stay between
runs (in the temporary folder, named for the checkout), so a rerun checks only what
changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checkout_as_threadloom() -> Path:
    folder = Path(tempfile.gettempdir()) / f"threadloom-mypy-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]}"
    folder.mkdir(exist_ok=True)
    link = folder / "threadloom"
    if not link.is_symlink():
        link.symlink_to(ROOT, target_is_directory=True)
    return folder


def test_mypy_accepts_protocol_actors_and_server() -> None:
    folder = _checkout_as_threadloom()
    packages = [arg for name in ("protocol", "actors", "server") for arg in ("-p", f"threadloom.{name}")]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "setup.cfg"), "--cache-dir", str(folder / "cache"), *packages],
        cwd=folder, env={**os.environ, "MYPYPATH": str(folder)}, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
