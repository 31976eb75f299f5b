"""Every scenario, in the order they run: by area (ORDER), then as each module lists them."""

from __future__ import annotations

from . import agents, assistants, crons, runs, sdk, state, store, streams, system, threads, v3
from .base import REGISTRY, Scenario

ORDER = (system, threads, assistants, streams, runs, state, crons, store, sdk, agents, v3)


def _area(scenario: Scenario) -> int:
    return [m.__name__ for m in ORDER].index(scenario.play.__module__)


SCENARIOS: tuple[Scenario, ...] = tuple(sorted(REGISTRY, key=_area))  # sorted() is stable

__all__ = ["SCENARIOS", "Scenario"]
