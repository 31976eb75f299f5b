"""Playing every scenario on both servers, one server after the other, and comparing."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from langgraph_sdk import get_client

from .compare import Difference, compare_scenario
from .deliberate import why_deliberate
from .normalize import normalize_all
from .recording import Exchange, Target
from .scenarios.base import Scenario
from .servers import Server

SCENARIO_TIMEOUT = 180.0  # a guard against hanging, not a timing assertion


@dataclass
class ScenarioResult:
    name: str
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)  # to fix
    deliberate: list[tuple[Difference, str]] = field(default_factory=list)  # kept, with the reason
    recorded: dict[str, list[Exchange]] = field(default_factory=dict)  # normalized, per server


async def play(scenario: Scenario, target: Target, verbose: bool) -> None:
    """Run one scenario on one server; an exception becomes a recorded exchange, so that a
    scenario that breaks on one server only is itself a difference."""
    try:
        await asyncio.wait_for(scenario.play(target), SCENARIO_TIMEOUT)
    except Exception as exc:
        target.note("scenario aborted", f"{type(exc).__name__}: {exc}")
        if verbose:
            traceback.print_exc()
    try:
        await target.settle()
    except Exception as exc:  # never let one scenario's leftovers stop the others
        target.note("cleanup failed", f"{type(exc).__name__}: {exc}")


def classify(result: ScenarioResult, differences: list[Difference]) -> None:
    for difference in differences:
        why = why_deliberate(difference)
        if why is None:
            result.differences.append(difference)
        else:
            result.deliberate.append((difference, why))


async def run_scenarios(
    scenarios: Sequence[Scenario],
    official: Server,
    threadloom: Server,
    fixed_ids: Mapping[str, str],
    verbose: bool = False,
    progress: Any = print,
) -> list[ScenarioResult]:
    results = []
    # A fresh connection per request: the official server drops a kept-alive connection
    # after a 500, and a reused dead connection would break the next request.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        clients = {s.name: get_client(url=s.url, api_key=None) for s in (official, threadloom)}
        try:
            for scenario in scenarios:
                result = ScenarioResult(scenario.name)
                for server in (official, threadloom):
                    target = Target(server.name, server.url, session, clients[server.name], scenario.slug)
                    await play(scenario, target, verbose)
                    result.recorded[server.name] = normalize_all(target.exchanges, fixed_ids)
                compared, differences = compare_scenario(
                    scenario.name, result.recorded[official.name], result.recorded[threadloom.name]
                )
                result.compared = compared
                classify(result, differences)
                progress(f"  {scenario.name}: {compared} compared, {len(result.differences)} differences")
                results.append(result)
        finally:
            for client in clients.values():
                await client.http.client.aclose()
    return results
