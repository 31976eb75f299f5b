"""How long a process's lease lasts in a cluster, and how often it is renewed (issue 13):
the settings `leases.py` and `heartbeat.py` share."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class LeaseSettings:
    heartbeat_seconds: float = 1.0  # renewal of this process's row
    ttl_seconds: float = 4.0  # a row not renewed for this long is expired
    grace_seconds: float = 1.5  # after expiry, before its threads are taken over
    stall_fatal_seconds: float = 600.0  # an event loop stalled this long: the process stops (`heartbeat.py`)

    @classmethod
    def from_env(cls) -> LeaseSettings:
        """THREADLOOM_HEARTBEAT_SECONDS, THREADLOOM_LEASE_TTL_SECONDS, THREADLOOM_LEASE_GRACE_SECONDS,
        THREADLOOM_LOOP_STALL_FATAL_SECONDS."""
        env = os.environ
        return cls(
            heartbeat_seconds=float(env.get("THREADLOOM_HEARTBEAT_SECONDS", cls.heartbeat_seconds)),
            ttl_seconds=float(env.get("THREADLOOM_LEASE_TTL_SECONDS", cls.ttl_seconds)),
            grace_seconds=float(env.get("THREADLOOM_LEASE_GRACE_SECONDS", cls.grace_seconds)),
            stall_fatal_seconds=float(env.get("THREADLOOM_LOOP_STALL_FATAL_SECONDS", cls.stall_fatal_seconds)),
        )
