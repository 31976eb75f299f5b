"""The JS suites (tests/js, run by scripts/test-js.sh): the official JS SDK against a real
server, and React's `useStream` in a real Chromium. Here so that `./scripts/test.sh` runs
them too; each fails if its suite fails (the suite's output is the assertion message)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None,
    reason="Node.js is not installed: the JS SDK and useStream suites (scripts/test-js.sh) need node and npm",
)


@pytest.mark.parametrize("suite", ["sdk", "browser"])
def test_js_suite(suite: str) -> None:
    env = {**os.environ, "THREADLOOM_PYTHON": sys.executable}
    proc = subprocess.run(
        [str(ROOT / "scripts" / "test-js.sh"), suite],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, f"scripts/test-js.sh {suite} failed:\n{proc.stdout[-30000:]}"
