"""Printing the differences, grouped per scenario and per exchange, and the final figure."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from itertools import groupby
from pathlib import Path
from typing import Any, TextIO

from .compare import ABSENT, Difference
from .runner import ScenarioResult

PREVIEW = 600  # characters of a value shown per side


def preview(value: Any, limit: int = PREVIEW) -> str:
    if value is ABSENT:
        return "<absent>"
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_differences(differences: Sequence[Difference], out: TextIO, reasons: Sequence[str] | None = None) -> None:
    rows = list(zip(differences, reasons or [""] * len(differences)))
    for label, group in groupby(rows, key=lambda row: row[0].label):
        print(f"  [{label}]", file=out)
        for difference, why in group:
            print(f"    {difference.where}{f'  (deliberate: {why})' if why else ''}", file=out)
            print(f"      official:   {preview(difference.official)}", file=out)
            print(f"      threadloom: {preview(difference.threadloom)}", file=out)


def print_report(results: Sequence[ScenarioResult], out: TextIO, show_deliberate: bool = False) -> None:
    for result in results:
        shown = len(result.differences) + (len(result.deliberate) if show_deliberate else 0)
        if not shown:
            continue
        print(f"\n== {result.name}: {len(result.differences)} differences ({result.compared} exchanges compared)", file=out)
        _print_differences(result.differences, out)
        if show_deliberate and result.deliberate:
            kept, reasons = zip(*result.deliberate)
            _print_differences(kept, out, reasons)


def _general(text: str, tag: str) -> str:
    """A difference's place or value without what varies from one occurrence to the next:
    indices, placeholder numbers and the scenario's own tag."""
    text = re.sub(r"frames .* \(official\) / .* \(threadloom\)", "frames", text)
    text = re.sub(r"\[\d+:\d+\] \(official\) / \[\d+:\d+\] \(threadloom\)", "[N:N]", text)
    text = re.sub(r"frame \d+", "frame N", text)
    text = re.sub(r"\[\d+(:\d+)?\]", "[N]", text)
    text = re.sub(r"<([a-z]+)#\d+>", r"<\1>", text)
    return text.replace(tag, "<scenario>")


def _leaf(where: str) -> str:
    """The last name in a place: `frame N (debug).data.payload.metadata.thread_id` → `thread_id`."""
    return re.sub(r"\[N(:N)?\]", "", where).rsplit(".", 1)[-1]


Group = tuple[str, str, str]  # (leaf name, official value, threadloom value)


def distinct(results: Sequence[ScenarioResult]) -> list[tuple[Group, list[tuple[str, Difference]]]]:
    """The differences to fix, grouped by the name of the differing field and the two values
    (indices, ids and scenario tags generalized), in order of first appearance; each with
    its generalized places."""
    groups: dict[Group, list[tuple[str, Difference]]] = {}
    for result in results:
        tag = re.sub(r"[^a-z0-9]+", "-", result.name.lower()).strip("-")
        for d in result.differences:
            where = _general(d.where, tag)
            official, threadloom = (_general(preview(v, 10**6), tag)[:300] for v in (d.official, d.threadloom))
            groups.setdefault((_leaf(where), official, threadloom), []).append((where, d))
    return list(groups.items())


def print_distinct(results: Sequence[ScenarioResult], out: TextIO, places: int = 3) -> None:
    groups = distinct(results)
    print(f"\n== distinct differences: {len(groups)}", file=out)
    for number, ((leaf, official, threadloom), occurrences) in enumerate(groups, 1):
        scenarios = {d.scenario for _, d in occurrences}
        where = list(dict.fromkeys(w for w, _ in occurrences))
        first = occurrences[0][1]
        count = f"×{len(occurrences)} in {len(scenarios)} scenario(s)"
        print(f"{number:3d}. {leaf}: {count}, first in {first.scenario} [{first.label}]", file=out)
        more = f" (+{len(where) - places} more)" if len(where) > places else ""
        print(f"       at {'; '.join(where[:places])}{more}", file=out)
        print(f"       official:   {official}", file=out)
        print(f"       threadloom: {threadloom}", file=out)


def figure(results: Sequence[ScenarioResult]) -> tuple[int, int, int, int]:
    """(scenarios, comparisons, differences including deliberate ones, deliberate ones)."""
    deliberate = sum(len(r.deliberate) for r in results)
    total = sum(len(r.differences) for r in results) + deliberate
    return len(results), sum(r.compared for r in results), total, deliberate


def summary(results: Sequence[ScenarioResult]) -> str:
    scenarios, comparisons, total, deliberate = figure(results)
    return f"{scenarios} scenarios, {comparisons} comparisons, {total} differences ({deliberate} deliberate)"


def dump(results: Sequence[ScenarioResult], directory: Path) -> None:
    """Write each scenario's normalized exchanges per server, for reading side by side."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, result in enumerate(results, 1):
        for server, exchanges in result.recorded.items():
            path = directory / f"{number:02d}-{server}.json"
            payload = {"scenario": result.name, "exchanges": [asdict(e) for e in exchanges]}
            path.write_text(json.dumps(payload, indent=1, default=repr, ensure_ascii=False))
