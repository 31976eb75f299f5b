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
    -- Indexes that answer a page of a search without scanning its table (issue 17).
    -- Threads: each sort key alone (no filter) and after the status (a status filter),
    -- thread_id last (the tie-break of every sort).
    CREATE INDEX threads_by_updated ON threads(updated_at, thread_id);
    CREATE INDEX threads_by_created ON threads(created_at, thread_id);
    CREATE INDEX threads_by_state_updated ON threads(state_updated_at, thread_id);
    CREATE INDEX threads_by_status ON threads(status, thread_id);
    CREATE INDEX threads_by_status_updated ON threads(status, updated_at, thread_id);
    CREATE INDEX threads_by_status_created ON threads(status, created_at, thread_id);
    CREATE INDEX threads_by_status_state_updated ON threads(status, state_updated_at, thread_id);
    -- The top-level members of each thread's metadata and values, as SQLite's json_each
    -- sees them (`type`, and `atom` for a scalar): containment of {key: scalar} is a
    -- lookup here (`threads.py`). Kept by triggers, so in the same transaction as the
    -- thread, by whatever statement writes it.
    CREATE TABLE thread_members (
        field TEXT NOT NULL,  -- 'metadata' or 'values'
        key TEXT NOT NULL,
        type TEXT NOT NULL,
        atom,  -- no affinity: an integer, real or text stays one
        thread_id TEXT NOT NULL
    );
    CREATE INDEX thread_members_lookup ON thread_members(field, key, type, atom, thread_id);
    CREATE INDEX thread_members_by_thread ON thread_members(thread_id);
    CREATE TRIGGER thread_members_insert AFTER INSERT ON threads BEGIN
        INSERT INTO thread_members SELECT 'metadata', key, type, atom, NEW.thread_id
            FROM json_each(NEW.metadata) WHERE json_type(NEW.metadata) = 'object';
        INSERT INTO thread_members SELECT 'values', key, type, atom, NEW.thread_id
            FROM json_each(NEW."values") WHERE json_type(NEW."values") = 'object';
    END;
    CREATE TRIGGER thread_members_metadata AFTER UPDATE OF metadata ON threads
    WHEN OLD.metadata IS NOT NEW.metadata BEGIN
        DELETE FROM thread_members WHERE thread_id = OLD.thread_id AND field = 'metadata';
        INSERT INTO thread_members SELECT 'metadata', key, type, atom, NEW.thread_id
            FROM json_each(NEW.metadata) WHERE json_type(NEW.metadata) = 'object';
    END;
    CREATE TRIGGER thread_members_values AFTER UPDATE OF "values" ON threads
    WHEN OLD."values" IS NOT NEW."values" BEGIN
        DELETE FROM thread_members WHERE thread_id = OLD.thread_id AND field = 'values';
        INSERT INTO thread_members SELECT 'values', key, type, atom, NEW.thread_id
            FROM json_each(NEW."values") WHERE json_type(NEW."values") = 'object';
    END;
    CREATE TRIGGER thread_members_delete AFTER DELETE ON threads BEGIN
        DELETE FROM thread_members WHERE thread_id = OLD.thread_id;
    END;
    -- the threads already there
    INSERT INTO thread_members SELECT 'metadata', j.key, j.type, j.atom, t.thread_id
        FROM threads AS t, json_each(t.metadata) AS j WHERE json_type(t.metadata) = 'object';
    INSERT INTO thread_members SELECT 'values', j.key, j.type, j.atom, t.thread_id
        FROM threads AS t, json_each(t."values") AS j WHERE json_type(t."values") = 'object';
    -- runs of a thread, newest first, with or without a status
    CREATE INDEX runs_by_thread_seq ON runs(thread_id, seq);
    CREATE INDEX runs_by_thread_status_seq ON runs(thread_id, status, seq);
    DROP INDEX runs_by_thread;
    -- crons: each sort key, and the filters on assistant and thread
    CREATE INDEX crons_by_created ON crons(created_at, cron_id);
    CREATE INDEX crons_by_updated ON crons(updated_at, cron_id);
    CREATE INDEX crons_by_next_run ON crons(next_run_date, cron_id);
    CREATE INDEX crons_by_end_time ON crons(end_time, cron_id);
    CREATE INDEX crons_by_assistant ON crons(assistant_id, created_at, cron_id);
    CREATE INDEX crons_by_thread_sort ON crons(thread_id, cron_id);
    -- assistants: each sort key, and the graph filter
    CREATE INDEX assistants_by_created ON assistants(created_at, assistant_id);
    CREATE INDEX assistants_by_updated ON assistants(updated_at, assistant_id);
    CREATE INDEX assistants_by_name ON assistants(lower(name), assistant_id);
    CREATE INDEX assistants_by_graph_name ON assistants(lower(graph_id), assistant_id);
    CREATE INDEX assistants_by_graph ON assistants(graph_id, created_at, assistant_id);
    """,
    """
    -- The top-level members of each cron's and assistant's metadata, as thread_members
    -- holds threads' (migration 6): a metadata filter is a lookup here.
    CREATE TABLE cron_members (key TEXT NOT NULL, type TEXT NOT NULL, atom, cron_id TEXT NOT NULL);
    CREATE INDEX cron_members_lookup ON cron_members(key, type, atom, cron_id);
    CREATE INDEX cron_members_by_cron ON cron_members(cron_id);
    CREATE TRIGGER cron_members_insert AFTER INSERT ON crons BEGIN
        INSERT INTO cron_members SELECT key, type, atom, NEW.cron_id
            FROM json_each(NEW.metadata) WHERE json_type(NEW.metadata) = 'object';
    END;
    CREATE TRIGGER cron_members_update AFTER UPDATE OF metadata ON crons
    WHEN OLD.metadata IS NOT NEW.metadata BEGIN
        DELETE FROM cron_members WHERE cron_id = OLD.cron_id;
        INSERT INTO cron_members SELECT key, type, atom, NEW.cron_id
            FROM json_each(NEW.metadata) WHERE json_type(NEW.metadata) = 'object';
    END;
    CREATE TRIGGER cron_members_delete AFTER DELETE ON crons BEGIN
        DELETE FROM cron_members WHERE cron_id = OLD.cron_id;
    END;
    INSERT INTO cron_members SELECT j.key, j.type, j.atom, c.cron_id
        FROM crons AS c, json_each(c.metadata) AS j WHERE json_type(c.metadata) = 'object';

    CREATE TABLE assistant_members (key TEXT NOT NULL, type TEXT NOT NULL, atom, assistant_id TEXT NOT NULL);
    CREATE INDEX assistant_members_lookup ON assistant_members(key, type, atom, assistant_id);
    CREATE INDEX assistant_members_by_assistant ON assistant_members(assistant_id);
    CREATE TRIGGER assistant_members_insert AFTER INSERT ON assistants BEGIN
        INSERT INTO assistant_members SELECT key, type, atom, NEW.assistant_id
            FROM json_each(NEW.body, '$.metadata') WHERE json_type(NEW.body, '$.metadata') = 'object';
    END;
    CREATE TRIGGER assistant_members_update AFTER UPDATE OF body ON assistants
    WHEN json_extract(OLD.body, '$.metadata') IS NOT json_extract(NEW.body, '$.metadata') BEGIN
        DELETE FROM assistant_members WHERE assistant_id = OLD.assistant_id;
        INSERT INTO assistant_members SELECT key, type, atom, NEW.assistant_id
            FROM json_each(NEW.body, '$.metadata') WHERE json_type(NEW.body, '$.metadata') = 'object';
    END;
    CREATE TRIGGER assistant_members_delete AFTER DELETE ON assistants BEGIN
        DELETE FROM assistant_members WHERE assistant_id = OLD.assistant_id;
    END;
    INSERT INTO assistant_members SELECT j.key, j.type, j.atom, a.assistant_id
        FROM assistants AS a, json_each(a.body, '$.metadata') AS j WHERE json_type(a.body, '$.metadata') = 'object';
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
    """
    -- a row of run_events may hold the events of one batch (`eventchunks.py`): from seq
    -- to last_seq (null: the row is one event)
    ALTER TABLE run_events ADD COLUMN last_seq INTEGER;
    """,
]


def migrate(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS threadloom_schema (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM threadloom_schema").fetchone()
    current = row[0] or 0
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.executescript(f"BEGIN IMMEDIATE; {script}; INSERT INTO threadloom_schema VALUES ({version}); COMMIT;")
