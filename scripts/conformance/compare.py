"""Exchange-by-exchange differences between the official server and threadloom.

Exchanges are paired by label. For each pair: the request line, the status, the compared
headers, the SSE framing facts, and the body — JSON values key by key and item by item,
event streams frame by frame (aligned on whole frames first, so one extra frame is reported
once rather than shifting every frame after it).

Ids were replaced by numbered placeholders (normalize.py), numbered on each server in order
of first appearance; one extra id on one side would shift every later number. So two
placeholders are equal when they are of the same kind and consistent with a one-to-one
pairing of the two servers' ids built up along the scenario: `<run#2>` on one side may
stand for `<run#3>` on the other, as long as it always does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from .recording import Exchange

_PLACEHOLDER = re.compile(r"<([a-z]+)#\d+>")

Found = Iterator[tuple[str, Any, Any]]  # (where, official, threadloom) for each difference


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Difference:
    scenario: str
    label: str
    where: str  # "status", "header content-type", "body.values.log[1]", "frame 3 (values).data…"
    official: Any
    threadloom: Any


def unnumbered(text: str) -> str:
    return _PLACEHOLDER.sub(r"<\1>", text)


def alignment_key(value: Any) -> str:
    """For aligning lists and streams: the value as JSON, placeholders without numbers."""
    return unnumbered(json.dumps(value, sort_keys=True, default=repr))


class IdPairing:
    """The one-to-one pairing of the official server's ids with threadloom's."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def same_text(self, a: str, b: str) -> bool:
        """Equal up to paired placeholders; pairs the new ones if the rest is equal."""
        if a == b and not _PLACEHOLDER.search(a):
            return True
        if unnumbered(a) != unnumbered(b):
            return False
        pairs = list(zip((m[0] for m in _PLACEHOLDER.finditer(a)), (m[0] for m in _PLACEHOLDER.finditer(b))))
        if any(self.forward.get(x, y) != y or self.backward.get(y, x) != x for x, y in pairs):
            return False
        for x, y in pairs:
            self.forward[x], self.backward[y] = y, x
        return True


class Comparer:
    """Compares the exchanges of one scenario; holds that scenario's id pairing."""

    def __init__(self) -> None:
        self.ids = IdPairing()

    def same(self, a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return self.ids.same_text(a, b)
        # 1 == True and 1 == 1.0 in Python, not on the wire.
        return type(a) is type(b) and a == b

    def values(self, a: Any, b: Any, path: str) -> Found:
        if isinstance(a, dict) and isinstance(b, dict):
            yield from self._dicts(a, b, path)
        elif isinstance(a, list) and isinstance(b, list):
            yield from self._lists(a, b, path)
        elif not self.same(a, b):
            yield path, a, b

    def _dicts(self, a: dict[str, Any], b: dict[str, Any], path: str) -> Found:
        # Keys may be ids (interrupts by task id, messages/metadata by message id): pair
        # the keys one side lacks with the other side's by the id pairing.
        only_b = [k for k in b if k not in a]
        renamed: dict[str, str] = {}
        for key in (k for k in a if k not in b):
            match = next((k for k in only_b if self.ids.same_text(key, k)), None)
            if match is not None:
                renamed[key] = match
                only_b.remove(match)
        for key in sorted(a.keys() | (b.keys() - set(renamed.values())), key=str):
            other = renamed.get(key, key)
            yield from self.values(a.get(key, ABSENT), b.get(other, ABSENT), f"{path}.{key}")

    def _lists(self, a: list[Any], b: list[Any], path: str) -> Found:
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                yield from self.values(x, y, f"{path}[{i}]")
            return
        matcher = SequenceMatcher(None, [alignment_key(x) for x in a], [alignment_key(y) for y in b], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for k in range(i2 - i1):
                    yield from self.values(a[i1 + k], b[j1 + k], f"{path}[{i1 + k}]")
            else:
                yield f"{path}[{i1}:{i2}] (official) / [{j1}:{j2}] (threadloom)", a[i1:i2], b[j1:j2]

    def frames(self, a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]]) -> Found:
        """Event streams: align whole frames, then compare frames that take each other's place."""
        matcher = SequenceMatcher(None, [alignment_key(f) for f in a], [alignment_key(f) for f in b], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":  # equal but for id numbers: still pairs the ids
                for k in range(i2 - i1):
                    yield from self.values(a[i1 + k], b[j1 + k], f"frame {i1 + k} ({_event(a[i1 + k])})")
            else:
                yield from self._frame_block(a[i1:i2], b[j1:j2], i1, j1)

    def _frame_block(self, a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]], i0: int, j0: int) -> Found:
        """Frames with the same event name in the same place are compared field by field; the
        rest are reported as frames only one server sent."""
        matcher = SequenceMatcher(None, [unnumbered(_event(f)) for f in a], [unnumbered(_event(f)) for f in b], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    yield from self.values(a[i1 + k], b[j1 + k], f"frame {i0 + i1 + k} ({_event(a[i1 + k])})")
            else:
                where = f"frames {_span(i0 + i1, i0 + i2)} (official) / {_span(j0 + j1, j0 + j2)} (threadloom)"
                yield where, list(a[i1:i2]) or ABSENT, list(b[j1:j2]) or ABSENT

    def exchange(self, a: Exchange, b: Exchange) -> Found:
        if not self.same(a.request, b.request):  # the scenario diverged (e.g. used an id only one side had)
            yield "request", a.request, b.request
        if not self.same(a.status, b.status):
            # Different outcomes: the bodies are of different kinds, key by key would be noise.
            yield "status", a.status, b.status
            if alignment_key(a.body) != alignment_key(b.body):
                yield "body", a.body, b.body
            return
        for header in sorted(a.headers.keys() | b.headers.keys()):
            x, y = a.headers.get(header, ABSENT), b.headers.get(header, ABSENT)
            if not self.same(x, y):
                yield f"header {header}", x, y
        if a.framing is not None or b.framing is not None:
            yield from self.values(a.framing or ABSENT, b.framing or ABSENT, "framing")
        if a.framing is not None and b.framing is not None:
            yield from self.frames(a.body, b.body)
        else:
            yield from self.values(a.body, b.body, "body")


def _span(start: int, stop: int) -> str:
    return f"{start}..{stop - 1}" if stop > start else f"none at {start}"


def _event(frame: dict[str, Any]) -> str:
    return str(frame.get("event"))


def compare_scenario(scenario: str, official: list[Exchange], threadloom: list[Exchange]) -> tuple[int, list[Difference]]:
    """(number of exchange pairs compared, differences) for one scenario."""
    theirs = {e.label: e for e in threadloom}
    ours = {e.label for e in official}
    comparer = Comparer()
    differences: list[Difference] = []
    compared = 0
    for a in official:
        b = theirs.get(a.label)
        if b is None:
            differences.append(Difference(scenario, a.label, "exchange", a.request, ABSENT))
            continue
        compared += 1
        differences += [Difference(scenario, a.label, w, x, y) for w, x, y in comparer.exchange(a, b)]
    for b in threadloom:
        if b.label not in ours:
            differences.append(Difference(scenario, b.label, "exchange", ABSENT, b.request))
    return compared, differences
