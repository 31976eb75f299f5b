"""The wire comparison with the official server (`scripts/compare_official.py`) as a test.

CONFORMANCE (marked `conformance`; deselect with `-m "not conformance"`): the first run
creates the official server's virtualenv (langgraph-cli[inmem] with langgraph-api 0.16.7,
from the package index: about a minute) in $THREADLOOM_OFFICIAL_VENV or
~/.cache/threadloom/official-venv; the comparison itself takes about two minutes, most of it
waiting for the official dev server, which runs one run at a time. The test fails on any
difference not listed as deliberate in `scripts/conformance/deliberate.py`, and shows them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "compare_official.py"
TIMEOUT = 1800  # a guard against hanging, not a timing assertion

sys.path.insert(0, str(SCRIPT.parent))

from conformance.official_venv import ensure_official_venv, venv_path  # noqa: E402

pytestmark = pytest.mark.conformance


@pytest.fixture(scope="module")
def official_venv() -> Path:
    return ensure_official_venv(venv_path())


def _differences(output: str) -> str:
    """The grouped list of differences and the final figure, for the failure message."""
    start = output.find("== distinct differences")
    return output[start:] if start >= 0 else output[-20_000:]


def test_the_wire_matches_the_official_server(official_venv: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--venv", str(official_venv), "--no-install"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if "scenarios," not in done.stdout:
        pytest.fail(f"the comparison did not finish:\n{done.stdout[-5000:]}\n{done.stderr[-5000:]}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(_differences(done.stdout), pytrace=False)
