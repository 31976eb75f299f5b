"""Compare threadloom with the official LangGraph server, on the wire.

Starts the official server (`langgraph dev` 0.16.7, from a scratch virtualenv outside the
repository, created on first use) and threadloom on copies of the same graphs directory,
plays every scenario of `scripts/conformance/scenarios/` on one then the other with
identical raw HTTP and SDK calls, normalizes ids and times, and prints every difference,
grouped per scenario, then once per kind. Differences listed in
`scripts/conformance/deliberate.py` are kept on purpose and filtered out; any other makes the
exit status 1 (2 when the servers could not be started).

    .venv/bin/python scripts/compare_official.py
    .venv/bin/python scripts/compare_official.py --venv /path/to/venv --only stream
    .venv/bin/python scripts/compare_official.py --self-check official   # two official servers

The official code is Elastic-licensed: this script installs and runs it, never copies it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from pathlib import Path

from conformance.normalize import system_assistant_names
from conformance.official_venv import ENV_VAR, OFFICIAL_API_VERSION, ensure_official_venv, installed_api_version, venv_path
from conformance.report import dump, figure, print_distinct, print_report, summary
from conformance.runner import ScenarioResult, run_scenarios
from conformance.scenarios import SCENARIOS, Scenario
from conformance.servers import Server, official_server, threadloom_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GRAPHS = ROOT / "tests" / "graphs"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help=f"the official server's virtualenv [{ENV_VAR}, default ~/.cache/threadloom/official-venv]")
    parser.add_argument("--no-install", action="store_true", help="fail instead of creating the virtualenv")
    parser.add_argument("--graphs", type=Path, default=DEFAULT_GRAPHS, help="graphs directory with langgraph.json [tests/graphs]")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT", help="only scenarios whose name contains TEXT (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--show-deliberate", action="store_true", help="print the deliberate differences too")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="write each scenario's normalized exchanges to DIR")
    parser.add_argument("--workdir", type=Path, help="keep the servers' graph copies and logs here (default: a temp dir)")
    parser.add_argument(
        "--self-check",
        choices=["official", "threadloom"],
        help="compare two fresh servers of one kind instead (finds comparisons that are not deterministic)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of scenarios that break")
    return parser.parse_args(argv)


def selected(only: list[str]) -> list[Scenario]:
    return [s for s in SCENARIOS if not only or any(text in s.name for text in only)]


def graph_ids(graphs: Path) -> list[str]:
    return list(json.loads((graphs / "langgraph.json").read_text())["graphs"])


@contextlib.contextmanager
def workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="threadloom-compare-") as tmp:
            yield Path(tmp)


@contextlib.asynccontextmanager
async def both_servers(args: argparse.Namespace, venv: Path, work: Path) -> AsyncIterator[tuple[Server, Server]]:
    if args.self_check == "threadloom":
        first = threadloom_server(args.graphs, work, name="threadloom-1")
    else:
        first = official_server(venv, args.graphs, work)
    if args.self_check == "official":
        second = official_server(venv, args.graphs, work, name="official-2")
    else:
        second = threadloom_server(args.graphs, work)
    async with first as one, second as other:
        yield one, other


async def compare(args: argparse.Namespace, venv: Path, work: Path) -> list[ScenarioResult]:
    async with both_servers(args, venv, work) as (official, other):
        print(f"{official.name} {official.url} (as \"official\"), {other.name} {other.url} (as \"threadloom\")", flush=True)
        fixed = system_assistant_names(graph_ids(args.graphs))
        return await run_scenarios(selected(args.only), official, other, fixed, args.verbose, partial(print, flush=True))


def prepare_venv(args: argparse.Namespace) -> Path:
    venv = venv_path(args.venv)
    if args.self_check == "threadloom":
        return venv  # not needed
    if args.no_install and installed_api_version(venv) != OFFICIAL_API_VERSION:
        raise SystemExit(f"{venv} does not hold langgraph-api {OFFICIAL_API_VERSION} (drop --no-install to create it)")
    return ensure_official_venv(venv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        print("\n".join(s.name for s in selected(args.only)))
        return 0
    try:
        venv = prepare_venv(args)
        with workdir(args.workdir) as work:
            results = asyncio.run(compare(args, venv, work))
    except RuntimeError as exc:  # a server or the virtualenv could not be set up: no comparison
        print(f"compare_official: {exc}", file=sys.stderr)
        return 2
    print_report(results, sys.stdout, args.show_deliberate)
    print_distinct(results, sys.stdout)
    if args.dump:
        dump(results, args.dump)
    _, _, total, deliberate = figure(results)
    print(f"\n{summary(results)}")
    return 1 if total > deliberate else 0


if __name__ == "__main__":
    sys.exit(main())
