"""The SQLite schema, applied as numbered migrations at start-up."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    """
    CREATE TABLE threads (
        thread_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        state_updated_at TEXT NOT NULL,
        metadata TEXT NOT NULL,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        "values" TEXT,
        interrupts TEXT NOT NULL,
        error TEXT
    );
    CREATE TABLE runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        thread_id TEXT NOT NULL REFERENCES threads(thread_id) ON DELETE CASCADE,
        assistant_id TEXT NOT NULL,
        metadata TEXT NOT NULL,
        status TEXT NOT NULL,
        kwargs TEXT NOT NULL,
        multitask_strategy TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_thread ON runs(thread_id, status);
    CREATE INDEX runs_active ON runs(status) WHERE status IN ('pending', 'running');
    CREATE TABLE assistants (
        assistant_id TEXT PRIMARY KEY,
        graph_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE assistant_versions (
        assistant_id TEXT NOT NULL REFERENCES assistants(assistant_id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (assistant_id, version)
    );
    CREATE TABLE crons (
        cron_id TEXT PRIMARY KEY,
        assistant_id TEXT NOT NULL,
        thread_id TEXT REFERENCES threads(thread_id) ON DELETE CASCADE,
        user_id TEXT,
        schedule TEXT NOT NULL,
        timezone TEXT NOT NULL,
        end_time TEXT,
        next_run_date TEXT,
        enabled INTEGER NOT NULL,
        on_run_completed TEXT,
        metadata TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX crons_due ON crons(next_run_date) WHERE enabled;
    CREATE INDEX crons_by_thread ON crons(thread_id);  -- for the cascade when a thread is deleted
    """,
    """
    -- the persisted event logs of resumable runs (`events.py`)
    CREATE TABLE run_logs (
        run_id TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL,  -- the last seq ever written, kept when the events are evicted
        evicted INTEGER NOT NULL DEFAULT 0  -- the retention sweep dropped its events
    );
    CREATE TABLE run_events (
        run_id TEXT NOT NULL REFERENCES run_logs(run_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    -- no foreign key to runs (a late write for a deleted run must not fail a whole
    -- batch): the log follows its run out, or the sweep drops it
    CREATE TRIGGER run_logs_follow_runs AFTER DELETE ON runs BEGIN
        DELETE FROM run_logs WHERE run_id = OLD.run_id;
    END;
    """,
    """
    -- the user a cron runs as, with custom auth (JSON; not part of the API's Cron)
    ALTER TABLE crons ADD COLUMN auth_user TEXT;
    """,
    """
    -- a cron's timezone may be null: none was given (UTC applies), as the official server
    -- answers it; SQLite cannot drop a NOT NULL, so the table is rebuilt
    CREATE TABLE crons_new (
        cron_id TEXT PRIMARY KEY,
        assistant_id TEXT NOT NULL,
        thread_id TEXT REFERENCES threads(thread_id) ON DELETE CASCADE,
        user_id TEXT,
        schedule TEXT NOT NULL,
        timezone TEXT,
        end_time TEXT,
        next_run_date TEXT,
        enabled INTEGER NOT NULL,
        on_run_completed TEXT,
        metadata TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        auth_user TEXT
    );
    INSERT INTO crons_new (
        cron_id, assistant_id, thread_id, user_id, schedule, timezone, end_time, next_run_date, enabled,
        on_run_completed, metadata, payload, created_at, updated_at, auth_user
    ) SELECT
        cron_id, assistant_id, thread_id, user_id, schedule, timezone, end_time, next_run_date, enabled,
        on_run_completed, metadata, payload, created_at, updated_at, auth_user
    FROM crons;
    DROP TABLE crons;
    ALTER TABLE crons_new RENAME TO crons;
    CREATE INDEX crons_due ON crons(next_run_date) WHERE enabled;
    CREATE INDEX crons_by_thread ON crons(thread_id);  -- for the cascade when a thread is deleted
    """,
    """
    -- a thread's run priority settings (JSON, `protocol.priority.ThreadPriority`), once assigned
    ALTER TABLE threads ADD COLUMN priority TEXT;
    """,
    """
    -- a thread's time-to-live (`protocol.ttl`), counted from its last update; ttl_due (a
    -- Julian day, derived) is null without a TTL and for a keep_latest thread pruned at
    -- its current updated_at, so the sweep's index holds only the threads it may expire
    ALTER TABLE threads ADD COLUMN ttl_strategy TEXT;
    ALTER TABLE threads ADD COLUMN ttl_minutes REAL;
    ALTER TABLE threads ADD COLUMN ttl_pruned_at TEXT;
    ALTER TABLE threads ADD COLUMN ttl_due REAL GENERATED ALWAYS AS (
        CASE WHEN ttl_pruned_at IS updated_at THEN NULL ELSE julianday(updated_at) + ttl_minutes / 1440.0 END
    ) VIRTUAL;
    CREATE INDEX threads_ttl_due ON threads(ttl_due) WHERE ttl_due IS NOT NULL;
    """,
]


def migrate(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS threadloom_schema (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM threadloom_schema").fetchone()
    current = row[0] or 0
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.executescript(f"BEGIN IMMEDIATE; {script}; INSERT INTO threadloom_schema VALUES ({version}); COMMIT;")
