"""The PostgreSQL schema of threadloom's records, applied as numbered migrations at
start-up, with LangGraph's own `setup()` of its saver and store, under one advisory lock:
several processes starting at once on one database take turns, and each finds the schema
up to date after the first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import psycopg
from psycopg import sql

# Any 64-bit number of our own: held for the migrations of every process on the database.
LOCK_KEY = 0x7468726561646C6F  # "threadlo"

MIGRATIONS: list[str] = [
    """
    CREATE TABLE threads (
        thread_id text COLLATE "C" PRIMARY KEY,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        state_updated_at text COLLATE "C" NOT NULL,
        metadata json NOT NULL,  -- as given (JSONB would turn 1.5e300 into an integer)
        status text COLLATE "C" NOT NULL,
        config json NOT NULL,
        "values" json,
        interrupts json NOT NULL,
        error json,
        -- what the searches filter on
        metadata_index jsonb GENERATED ALWAYS AS (metadata::jsonb) STORED,
        values_index jsonb GENERATED ALWAYS AS ("values"::jsonb) STORED
    );
    -- threads/search: containment filters on metadata and values, pages in sort order
    CREATE INDEX threads_metadata ON threads USING gin (metadata_index jsonb_path_ops);
    CREATE INDEX threads_values ON threads USING gin (values_index jsonb_path_ops);
    CREATE INDEX threads_by_updated ON threads (updated_at, thread_id);
    CREATE INDEX threads_by_created ON threads (created_at, thread_id);
    CREATE INDEX threads_by_state_updated ON threads (state_updated_at, thread_id);
    CREATE INDEX threads_by_status ON threads (status, updated_at, thread_id);

    CREATE TABLE runs (
        seq bigserial NOT NULL UNIQUE,
        run_id text COLLATE "C" PRIMARY KEY,
        thread_id text COLLATE "C" NOT NULL REFERENCES threads(thread_id) ON DELETE CASCADE,
        assistant_id text COLLATE "C" NOT NULL,
        metadata json NOT NULL,
        status text COLLATE "C" NOT NULL,
        kwargs json NOT NULL,
        multitask_strategy text COLLATE "C" NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        attempt integer NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_thread ON runs (thread_id, seq);
    CREATE INDEX runs_by_thread_status ON runs (thread_id, status, seq);
    CREATE INDEX runs_active ON runs (seq) WHERE status IN ('pending', 'running');
    CREATE INDEX runs_finished ON runs (updated_at) WHERE status NOT IN ('pending', 'running');

    CREATE TABLE assistants (
        assistant_id text COLLATE "C" PRIMARY KEY,
        graph_id text COLLATE "C" NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        metadata jsonb NOT NULL,  -- a copy of the body's, for the filters
        body json NOT NULL
    );
    CREATE INDEX assistants_metadata ON assistants USING gin (metadata jsonb_path_ops);
    CREATE INDEX assistants_by_graph ON assistants (graph_id);
    CREATE INDEX assistants_by_updated ON assistants (updated_at, assistant_id);
    CREATE INDEX assistants_by_created ON assistants (created_at, assistant_id);

    CREATE TABLE assistant_versions (
        assistant_id text COLLATE "C" NOT NULL REFERENCES assistants(assistant_id) ON DELETE CASCADE,
        version integer NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        metadata jsonb NOT NULL,
        body json NOT NULL,
        PRIMARY KEY (assistant_id, version)
    );

    CREATE TABLE crons (
        cron_id text COLLATE "C" PRIMARY KEY,
        assistant_id text COLLATE "C" NOT NULL,
        thread_id text COLLATE "C" REFERENCES threads(thread_id) ON DELETE CASCADE,
        user_id text COLLATE "C",
        schedule text COLLATE "C" NOT NULL,
        timezone text COLLATE "C",
        end_time text COLLATE "C",
        next_run_date text COLLATE "C",
        enabled boolean NOT NULL,
        on_run_completed text COLLATE "C",
        metadata json NOT NULL,
        payload json NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        auth_user json,
        metadata_index jsonb GENERATED ALWAYS AS (metadata::jsonb) STORED
    );
    CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
    CREATE INDEX crons_by_thread ON crons (thread_id);
    CREATE INDEX crons_by_assistant ON crons (assistant_id);
    CREATE INDEX crons_by_created ON crons (created_at, cron_id);
    CREATE INDEX crons_by_updated ON crons (updated_at, cron_id);
    CREATE INDEX crons_metadata ON crons USING gin (metadata_index jsonb_path_ops);

    -- the persisted event logs of resumable runs (`events.py`)
    CREATE TABLE run_logs (
        run_id text COLLATE "C" PRIMARY KEY,
        last_seq bigint NOT NULL,  -- the last seq ever numbered, kept when the events are evicted
        evicted boolean NOT NULL DEFAULT false  -- the retention sweep dropped its events
    );
    CREATE TABLE run_events (
        run_id text COLLATE "C" NOT NULL REFERENCES run_logs(run_id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        name text COLLATE "C" NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    -- no foreign key to runs (a late write for a deleted run must not fail a whole
    -- batch): the log follows its run out, or the sweep drops it
    CREATE FUNCTION threadloom_drop_run_log() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM run_logs WHERE run_id = OLD.run_id;
        RETURN NULL;
    END $$;
    CREATE TRIGGER run_logs_follow_runs AFTER DELETE ON runs
        FOR EACH ROW EXECUTE FUNCTION threadloom_drop_run_log();
    """,
    """
    -- a thread's run priority settings (JSON, `protocol.priority.ThreadPriority`), once assigned
    ALTER TABLE threads ADD COLUMN priority text;
    """,
    """
    -- a thread's time-to-live (`protocol.ttl`), counted from its last update; ttl_due
    -- (derived) is null without a TTL and for a keep_latest thread pruned at its current
    -- updated_at, so the sweep's index holds only the threads it may expire. The function
    -- is immutable for the timestamps threadloom writes (ISO-8601 with an offset).
    CREATE FUNCTION threadloom_ttl_due(updated_at text, minutes double precision) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT updated_at::timestamptz + make_interval(secs => minutes * 60) $$;
    ALTER TABLE threads
        ADD COLUMN ttl_strategy text,
        ADD COLUMN ttl_minutes double precision,
        ADD COLUMN ttl_pruned_at text COLLATE "C",
        ADD COLUMN ttl_due timestamptz GENERATED ALWAYS AS (
            CASE WHEN ttl_pruned_at IS NOT DISTINCT FROM updated_at THEN NULL ELSE threadloom_ttl_due(updated_at, ttl_minutes) END
        ) STORED;
    CREATE INDEX threads_ttl_due ON threads (ttl_due) WHERE ttl_due IS NOT NULL;
    """,
    """
    -- a thread without a TTL never parses its updated_at: null in, null out
    CREATE OR REPLACE FUNCTION threadloom_ttl_due(updated_at text, minutes double precision) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT updated_at::timestamptz + make_interval(secs => minutes * 60) $$;
    """,
    """
    -- a row of run_events may hold the events of one batch (`eventchunks.py`): from seq
    -- to last_seq (null: the row is one event)
    ALTER TABLE run_events ADD COLUMN last_seq bigint;
    """,
    """
    -- several processes on one database (`leases.py`): one row per process incarnation,
    -- alive while expires_at (set from the database clock) is in the future
    CREATE TABLE processes (
        process_id text COLLATE "C" PRIMARY KEY,
        url text NOT NULL,  -- where the other processes forward this one's threads' requests
        host text NOT NULL,  -- with pid: a restart on the same machine knows its predecessor died
        pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        -- another process took one of its threads over: its lease is never renewed again
        fenced boolean NOT NULL DEFAULT false
    );
    -- which process supervises a thread; epoch, +1 at every acquisition, fences writes
    CREATE TABLE thread_leases (
        thread_id text COLLATE "C" PRIMARY KEY,
        process_id text COLLATE "C",
        epoch bigint NOT NULL,
        acquired_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX thread_leases_by_process ON thread_leases (process_id);
    -- the safety net under the leases: never two running runs on one thread
    CREATE UNIQUE INDEX runs_one_running ON runs (thread_id) WHERE status = 'running';
    """,
    """
    -- the fence of a thread's writes (`fence.py`), a statement of the transaction it
    -- fences: takes the lease row FOR SHARE until that transaction ends (a takeover waits
    -- for it) if `process` still holds the lease at `held_epoch`; else raises TL409, which
    -- rolls the transaction back
    CREATE FUNCTION threadloom_fence(thread text, process text, held_epoch bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM thread_leases
        WHERE thread_id = thread COLLATE "C" AND process_id = process COLLATE "C" AND epoch = held_epoch FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'thread %: lease epoch % was taken over by another process', thread, held_epoch
                USING ERRCODE = 'TL409';
        END IF;
    END $$;
    """,
]


class SchemaTooNew(Exception):
    pass


async def _lock(conn: psycopg.AsyncConnection) -> None:
    """Take the lock by polling, not by waiting in `pg_advisory_lock`: a waiting statement
    holds a snapshot, which the holder's `CREATE INDEX CONCURRENTLY` would wait for in
    turn, a deadlock Postgres does not see."""
    delay = 0.01
    while True:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
        row = await cur.fetchone()
        if row and row[0]:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def migrate(conn: psycopg.AsyncConnection, *, then: Callable[[], Awaitable[None]] | None = None) -> int:
    """Bring the records schema up to date, then run `then` (LangGraph's setups), all
    under a session advisory lock on `conn` (autocommit, idle between statements so
    that `CREATE INDEX CONCURRENTLY` in LangGraph's migrations does not wait for it).
    Returns the schema version. Raises `SchemaTooNew` when the database was migrated by
    a newer threadloom."""
    await _lock(conn)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS threadloom_schema (version integer NOT NULL)")
        cur = await conn.execute("SELECT coalesce(max(version), 0) FROM threadloom_schema")
        row = await cur.fetchone()
        current = int(row[0]) if row else 0
        if current > len(MIGRATIONS):
            raise SchemaTooNew(
                f"the database schema is version {current}, newer than this threadloom knows "
                f"({len(MIGRATIONS)}): a newer threadloom migrated it; upgrade this one"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            async with conn.transaction():
                await conn.execute(script)
                await conn.execute("INSERT INTO threadloom_schema (version) VALUES (%s)", (version,))
        if then is not None:
            await then()
        return len(MIGRATIONS)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


# Tables autovacuum would get to next, with its default thresholds: data loaded just
# before a start. Those changed past `autovacuum_analyze_threshold` and `_scale_factor`
# since their last ANALYZE: until then the planner would take them for what they were
# (often empty) and pick plans that read them whole. The server's own tables (not
# LangGraph's, whose reads are by key) with more inserts since their last VACUUM than
# `autovacuum_vacuum_insert_threshold` and `_scale_factor`: until then their pages are
# not marked all-visible, and a count (a full page's `X-Pagination-Total`) reads the
# table instead of an index. (`n_ins_since_vacuum` is PostgreSQL 13's: read as JSON, an
# older server has none and vacuums nothing here.)
_STALE_STATISTICS = """
WITH tables AS (
    SELECT relname,
        n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup - n_mod_since_analyze, 0) AS to_analyze,
        relname IN ('threads', 'runs', 'assistants', 'crons')
            AND coalesce((to_jsonb(s) ->> 'n_ins_since_vacuum')::bigint, 0) > 1000 + 0.2 * n_live_tup AS to_vacuum
    FROM pg_stat_user_tables s
    WHERE schemaname = current_schema()
)
SELECT relname, to_vacuum FROM tables WHERE to_analyze OR to_vacuum
"""


async def analyze_stale(conn: psycopg.AsyncConnection) -> list[str]:
    """ANALYZE (or VACUUM and ANALYZE) the tables autovacuum would get to next; returns
    their names. `conn` in autocommit: VACUUM runs in no transaction."""
    cur = await conn.execute(_STALE_STATISTICS)
    stale = [(str(table), bool(vacuum)) for table, vacuum in await cur.fetchall()]
    for table, vacuum in stale:
        command = "VACUUM (ANALYZE) {}" if vacuum else "ANALYZE {}"
        await conn.execute(sql.SQL(command).format(sql.Identifier(table)))
    return [table for table, _ in stale]
