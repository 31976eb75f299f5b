"""The wire comparison with the official server (`scripts/compare_official.py`) as a test,
and quick checks of the comparison's own parts (SSE parsing, normalizing, comparing).

CONFORMANCE (the comparison is marked `conformance`; deselect with `-m "not conformance"`): the first run
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

from conformance.compare import ABSENT, Difference, compare_scenario  # noqa: E402
from conformance.deliberate import why_deliberate  # noqa: E402
from conformance.normalize import normalize_all, system_assistant_names  # noqa: E402
from conformance.official_venv import ensure_official_venv, venv_path  # noqa: E402
from conformance.recording import Exchange  # noqa: E402
from conformance.sse import parse_event_stream  # noqa: E402

RUN = "1f0c7a2e-0000-7000-8000-00000000000a"
THREAD = "1f0c7a2e-0000-7000-8000-0000000000cc"


# --- the comparison's parts -------------------------------------------------------------


def test_sse_frames_framing_and_where_each_frame_ends() -> None:
    raw = b': heartbeat\r\n\r\nevent: values\r\ndata: {"a": "\xc3\xa9"}\r\nid: 7\r\n\r\nevent: end\r\ndata: x'
    stream = parse_event_stream(raw)
    assert [f.as_json() for f in stream.frames] == [{"event": "values", "data": {"a": "é"}, "id": "7"}]
    assert stream.frame_ends == [raw.index(b"event: end")]
    assert stream.framing() == {"line_endings": ["CRLF"], "field_orders": ["event,data,id"], "unterminated_tail": True}


def test_ids_times_and_urls_become_stable_placeholders() -> None:
    system = next(iter(system_assistant_names(["counter"])))
    body = {"run_id": RUN, "thread_id": THREAD, "assistant_id": system, "created_at": "2026-01-02T03:04:05.123456+00:00"}
    exchange = Exchange("x", f"GET /threads/{THREAD}/runs/{RUN}", 200, {"content-location": "http://127.0.0.1:8123/x"}, body)
    [out] = normalize_all([exchange], system_assistant_names(["counter"]))
    assert out.request == "GET /threads/<thread#1>/runs/<run#1>"
    assert out.headers == {"content-location": "<server-url>/x"}
    assert out.body == {
        "run_id": "<run#1>",
        "thread_id": "<thread#1>",
        "assistant_id": "<assistant:counter>",
        "created_at": "<time.6+00:00>",
    }


def _pair(official: object, threadloom: object) -> list[tuple[str, object, object]]:
    _, found = compare_scenario("s", [Exchange("x", "r", 200, body=official)], [Exchange("x", "r", 200, body=threadloom)])
    return [(d.where, d.official, d.threadloom) for d in found]


def test_placeholders_compare_by_a_consistent_pairing() -> None:
    assert _pair(["<run#1>", "<run#2>", "<run#1>"], ["<run#2>", "<run#1>", "<run#2>"]) == []
    assert _pair(["<run#1>", "<run#2>"], ["<run#1>", "<run#1>"]) == [("body[1]", "<run#2>", "<run#1>")]
    assert _pair({"<task#1>": 1}, {"<task#9>": 1}) == []  # ids as keys


def test_values_keys_and_frames_differ_precisely() -> None:
    assert _pair({"a": 1, "b": True}, {"a": True, "c": None}) == [
        ("body.a", 1, True),
        ("body.b", True, ABSENT),
        ("body.c", ABSENT, None),
    ]
    frames = [{"event": "metadata", "data": 1}, {"event": "values", "data": 2}, {"event": "values", "data": 3}]
    a = Exchange("x", "r", 200, body=frames, framing={})
    b = Exchange("x", "r", 200, body=[frames[0], {"event": "updates", "data": 0}, *frames[1:]], framing={})
    _, found = compare_scenario("s", [a], [b])
    assert [(d.where, d.official) for d in found] == [("frames none at 1 (official) / 1..1 (threadloom)", ABSENT)]


def _difference(label: str, official: object, threadloom: object, scenario: str = "system routes") -> Difference:
    a, b = Exchange(label, "r", 200, body=official), Exchange(label, "r", 200, body=threadloom)
    _, [difference] = compare_scenario(scenario, [a], [b])
    return difference


def test_deliberate_differences_are_recognized() -> None:
    assert why_deliberate(_difference("GET /info", {"version": "0.16.7"}, {"version": "0.1.0"}))
    assert why_deliberate(_difference("GET /ok", {"services": {}}, {})) is None
    # a store search with `limit: -1`: a 422 here (test_body_validation pins it)
    store = "store: items, search, namespaces, errors"
    assert why_deliberate(_difference("search, bad limit", {"x": 1}, {"x": 2}, store))
    assert why_deliberate(_difference("put, no key", {"x": 1}, {"x": 2}, store)) is None


# --- the comparison ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def official_venv() -> Path:
    return ensure_official_venv(venv_path())


def _differences(output: str) -> str:
    """The grouped list of differences and the final figure, for the failure message."""
    start = output.find("== distinct differences")
    return output[start:] if start >= 0 else output[-20_000:]


@pytest.mark.conformance
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
