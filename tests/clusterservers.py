"""`make_server` in cluster mode (`THREADLOOM_TEST_CLUSTER=N`, `conftest.py`): each server a
test starts is N `python -m server` processes on the test's PostgreSQL database behind a
`RandomProxy`, so that every request of the test reaches a process picked at random."""

from __future__ import annotations

from typing import Any

import pytest

from clusterproc import Cluster
from clusterproxy import RandomProxy
from pgtest import Databases

# the settings tests give in-process servers that mean the same for a cluster's processes
# (the others, e.g. `jobs=1` as a bound across every thread, hold per process only)
PASSED = frozenset({"db", "shutdown_grace_seconds"})


class ClusterServers:
    def __init__(self, database: Databases, backend: str, size: int) -> None:
        self.database = database
        self.backend = backend
        self.size = size
        self.running: dict[str, tuple[Cluster, RandomProxy]] = {}
        self.stopped: list[tuple[Cluster, RandomProxy]] = []

    async def start(self, **settings: Any) -> str:
        if self.backend != "postgres":
            pytest.skip("cluster mode (THREADLOOM_TEST_CLUSTER): a cluster runs on PostgreSQL only")
        if unpassed := sorted(set(settings) - PASSED):
            pytest.skip(f"cluster mode (THREADLOOM_TEST_CLUSTER): {', '.join(unpassed)} not given to the processes")
        db = str(self.database(settings.get("db")))
        if (previous := self.running.pop(db, None)) is not None:  # a restart: the whole cluster
            await self._stop(*previous)
        cluster = await Cluster(db, self.size).start()
        proxy = RandomProxy([server.url for server in cluster.servers], seed=len(self.stopped))
        self.running[db] = (cluster, proxy)
        return await proxy.start()

    async def _stop(self, cluster: Cluster, proxy: RandomProxy) -> None:
        await proxy.close()
        await cluster.close()
        self.stopped.append((cluster, proxy))

    async def close(self) -> None:
        for cluster, proxy in list(self.running.values()):
            await self._stop(cluster, proxy)
        self.running.clear()
