import GRDB

/// The database schema, as named migrations applied in order. Never edit a shipped migration:
/// add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: resources, scopes, spans, links") { db in
            try db.execute(sql: """
                CREATE TABLE resource (
                    id INTEGER PRIMARY KEY,
                    service_name TEXT NOT NULL,
                    attributes TEXT NOT NULL,              -- OTLP JSON KeyValue array
                    dropped_attributes_count INTEGER NOT NULL,
                    schema_url TEXT NOT NULL,
                    UNIQUE (attributes, dropped_attributes_count, schema_url)
                );
                CREATE TABLE scope (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    attributes TEXT NOT NULL,              -- OTLP JSON KeyValue array
                    dropped_attributes_count INTEGER NOT NULL,
                    schema_url TEXT NOT NULL,
                    UNIQUE (name, version, attributes, dropped_attributes_count, schema_url)
                );
                CREATE TABLE span (
                    id INTEGER PRIMARY KEY,
                    trace_id BLOB NOT NULL,                -- 16 bytes
                    span_id BLOB NOT NULL,                 -- 8 bytes
                    parent_span_id BLOB,                   -- 8 bytes, NULL for a root
                    name TEXT NOT NULL,
                    kind INTEGER NOT NULL,                 -- OTLP SpanKind number
                    start_time_unix_nano INTEGER NOT NULL,
                    end_time_unix_nano INTEGER NOT NULL,
                    status_code INTEGER NOT NULL,          -- OTLP StatusCode number
                    status_message TEXT NOT NULL,
                    trace_state TEXT NOT NULL,
                    flags INTEGER NOT NULL,
                    attributes TEXT NOT NULL,              -- OTLP JSON KeyValue array
                    dropped_attributes_count INTEGER NOT NULL,
                    events TEXT NOT NULL,                  -- OTLP JSON Event array
                    dropped_events_count INTEGER NOT NULL,
                    dropped_links_count INTEGER NOT NULL,
                    resource_id INTEGER NOT NULL REFERENCES resource(id),
                    scope_id INTEGER NOT NULL REFERENCES scope(id),
                    received_at_unix_nano INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX span_by_id ON span (trace_id, span_id);
                CREATE TABLE span_link (
                    id INTEGER PRIMARY KEY,
                    trace_id BLOB NOT NULL,                -- the linking span
                    span_id BLOB NOT NULL,
                    link_index INTEGER NOT NULL,
                    linked_trace_id BLOB NOT NULL,         -- the span linked to
                    linked_span_id BLOB NOT NULL,
                    trace_state TEXT NOT NULL,
                    flags INTEGER NOT NULL,
                    attributes TEXT NOT NULL,              -- OTLP JSON KeyValue array
                    dropped_attributes_count INTEGER NOT NULL
                );
                CREATE INDEX span_link_from ON span_link (trace_id, span_id);
                CREATE INDEX span_link_to ON span_link (linked_trace_id, linked_span_id);
                """)
        }
        migrator.registerMigration("v2: workflows") { db in
            try db.execute(sql: """
                CREATE TABLE workflow (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: merged ids stay retired
                    key_trace_id BLOB NOT NULL,            -- the smallest member trace id: names it
                    trace_count INTEGER NOT NULL,
                    span_count INTEGER NOT NULL,           -- spans stored (placeholders not counted)
                    first_received_at_unix_nano INTEGER NOT NULL,
                    last_received_at_unix_nano INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX workflow_by_key ON workflow (key_trace_id);
                CREATE TABLE workflow_trace (
                    trace_id BLOB PRIMARY KEY,             -- a trace with spans stored or linked to
                    workflow_id INTEGER NOT NULL REFERENCES workflow(id)
                ) WITHOUT ROWID;
                CREATE INDEX workflow_trace_by_workflow ON workflow_trace (workflow_id);
                """)
            try WorkflowBackfill.run(db)
        }
        migrator.registerMigration("v3: detection facts, exceptions, history, settle windows") { db in
            try db.execute(sql: """
                CREATE TABLE detection_fact (
                    trace_id BLOB NOT NULL,
                    detector TEXT NOT NULL,                -- repeat_failure, rule:NAME, …
                    key TEXT NOT NULL,                     -- what the detector counts by, in a workflow
                    span_id BLOB NOT NULL,
                    start_time_unix_nano INTEGER NOT NULL,
                    PRIMARY KEY (trace_id, detector, key, span_id)
                ) WITHOUT ROWID;
                CREATE TABLE fact_count (
                    workflow_id INTEGER NOT NULL,          -- kept in step by the writer, moved on merges
                    detector TEXT NOT NULL,
                    key TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (workflow_id, detector, key)
                ) WITHOUT ROWID;
                CREATE TABLE exception (
                    id TEXT PRIMARY KEY,                   -- exc_ + 16 hex: stable for the same detection
                    class TEXT NOT NULL,
                    category TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    status TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    sla_nanos INTEGER NOT NULL,
                    due_at_unix_nano INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    service TEXT NOT NULL,
                    tool TEXT,
                    trace_id BLOB NOT NULL,                -- the trigger span
                    span_id BLOB NOT NULL,
                    dedupe_key TEXT NOT NULL,              -- one exception per pattern per workflow
                    workflow_id INTEGER NOT NULL,          -- kept in step by the writer, moved on merges
                    occurrences INTEGER NOT NULL,
                    opened_at_unix_nano INTEGER NOT NULL,
                    updated_at_unix_nano INTEGER NOT NULL,
                    first_action_at_unix_nano INTEGER,
                    resolved_at_unix_nano INTEGER
                );
                CREATE INDEX exception_by_workflow ON exception (workflow_id, dedupe_key);
                CREATE INDEX exception_by_opened ON exception (opened_at_unix_nano, id);
                CREATE TABLE exception_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    exception_id TEXT NOT NULL REFERENCES exception(id),
                    at_unix_nano INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    note TEXT NOT NULL,
                    owner TEXT
                );
                CREATE INDEX exception_history_by_exception ON exception_history (exception_id, id);
                CREATE TABLE workflow_settle (
                    workflow_id INTEGER PRIMARY KEY,       -- a workflow with patterns that wait for quiet
                    due_at_unix_nano INTEGER NOT NULL      -- last span received + settle_after
                );
                CREATE INDEX workflow_settle_by_due ON workflow_settle (due_at_unix_nano);
                CREATE TRIGGER exception_history_append_only BEFORE UPDATE ON exception_history
                BEGIN SELECT RAISE(ABORT, 'exception history is append-only'); END;
                CREATE TRIGGER exception_history_no_delete BEFORE DELETE ON exception_history
                BEGIN SELECT RAISE(ABORT, 'exception history is append-only'); END;
                """)
        }
        migrator.registerMigration("v4: failed children, correlation values, merged exceptions") { db in
            try db.execute(sql: """
                CREATE TABLE failed_child (
                    trace_id BLOB NOT NULL,                -- a span one of whose children failed:
                    span_id BLOB NOT NULL,                 -- its own failure is a wrapper, not counted
                    PRIMARY KEY (trace_id, span_id)
                ) WITHOUT ROWID;
                ALTER TABLE exception ADD COLUMN merged_into TEXT;   -- status merged: the exception it joined
                CREATE INDEX exception_filed ON exception (workflow_id, dedupe_key, opened_at_unix_nano, id)
                    WHERE status != 'merged';                       -- the one exception of a pattern in a workflow
                CREATE TABLE correlation_value (
                    attribute TEXT NOT NULL,               -- a stitch.correlation_attributes key
                    value TEXT NOT NULL,
                    trace_id BLOB NOT NULL,                -- the first trace seen with it: later ones join it
                    PRIMARY KEY (attribute, value)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v5: the queue by due time, its counts and filters from indexes") { db in
            try db.execute(sql: """
                CREATE INDEX exception_active_by_due ON exception (due_at_unix_nano, id)
                    WHERE status IN ('open','acknowledged');                                     -- the queue, most urgent first
                CREATE INDEX exception_counts ON exception (class, owner, severity, status);     -- counts per status, classes: covering
                CREATE INDEX exception_by_owner ON exception (owner, status);                     -- the owner filter and its choices
                """)
        }
        migrator.registerMigration("v6: decisions, reviewer approvals, SLA breach, notification outbox") { db in
            try db.execute(sql: """
                ALTER TABLE exception ADD COLUMN call_id TEXT;                 -- the trigger's tool call id
                ALTER TABLE exception ADD COLUMN blocking INTEGER NOT NULL DEFAULT 1;   -- holds the agent while undecided
                ALTER TABLE exception ADD COLUMN escalate_to TEXT;             -- the owner rule's escalate_to
                ALTER TABLE exception ADD COLUMN decision TEXT;                -- approve | deny | retry | abort
                ALTER TABLE exception ADD COLUMN decided_by TEXT;
                ALTER TABLE exception ADD COLUMN decided_at_unix_nano INTEGER;
                ALTER TABLE exception ADD COLUMN breached_at_unix_nano INTEGER;  -- when the timer marked it breached
                CREATE INDEX exception_unbreached_by_due ON exception (due_at_unix_nano, id)
                    WHERE status IN ('open','acknowledged') AND breached_at_unix_nano IS NULL;   -- the breach timer's work
                CREATE TABLE reviewer_approval (
                    workflow_id INTEGER NOT NULL,          -- moved on merges, like exceptions
                    tool TEXT NOT NULL,                    -- counts for every call of the tool in the workflow
                    exception_id TEXT NOT NULL,
                    call_id TEXT,
                    approver TEXT NOT NULL,
                    at_unix_nano INTEGER NOT NULL,
                    PRIMARY KEY (workflow_id, tool, exception_id)
                ) WITHOUT ROWID;
                CREATE TABLE notification_outbox (
                    delivery_id TEXT PRIMARY KEY,          -- Causeway-Delivery: receivers de-duplicate on it
                    target TEXT NOT NULL,                  -- the notify entry's name
                    event TEXT NOT NULL,
                    exception_id TEXT NOT NULL,
                    body BLOB NOT NULL,                    -- written with the change it reports
                    created_at_unix_nano INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at_unix_nano INTEGER NOT NULL,
                    last_error TEXT
                );
                CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at_unix_nano);
                CREATE TABLE notification_figures (
                    target TEXT PRIMARY KEY,
                    delivered INTEGER NOT NULL DEFAULT 0,
                    failed_attempts INTEGER NOT NULL DEFAULT 0,
                    abandoned INTEGER NOT NULL DEFAULT 0
                );
                """)
        }
        migrator.registerMigration("v7: queue figures as counters kept by triggers") { db in
            try db.execute(sql: QueueCounters.migration)
        }
        migrator.registerMigration("v8: retention: evidence frozen into exceptions, workflows by age") { db in
            try db.execute(sql: """
                CREATE TABLE evidence_span (                   -- a span of an exception's story, kept past retention
                    exception_id TEXT NOT NULL,
                    id INTEGER, trace_id BLOB NOT NULL, span_id BLOB NOT NULL, parent_span_id BLOB,
                    name TEXT NOT NULL, kind INTEGER NOT NULL, start_time_unix_nano INTEGER NOT NULL,
                    end_time_unix_nano INTEGER NOT NULL, status_code INTEGER NOT NULL, status_message TEXT NOT NULL,
                    trace_state TEXT NOT NULL, flags INTEGER NOT NULL, attributes TEXT NOT NULL,
                    dropped_attributes_count INTEGER NOT NULL, events TEXT NOT NULL, dropped_events_count INTEGER NOT NULL,
                    dropped_links_count INTEGER NOT NULL, resource_id INTEGER NOT NULL, scope_id INTEGER NOT NULL,
                    received_at_unix_nano INTEGER NOT NULL,
                    receipt INTEGER NOT NULL DEFAULT 0,        -- one of the attempts its pattern counted
                    PRIMARY KEY (exception_id, trace_id, span_id)
                ) WITHOUT ROWID;
                CREATE TABLE evidence_link (
                    exception_id TEXT NOT NULL,
                    id INTEGER, trace_id BLOB NOT NULL, span_id BLOB NOT NULL, link_index INTEGER NOT NULL,
                    linked_trace_id BLOB NOT NULL, linked_span_id BLOB NOT NULL, trace_state TEXT NOT NULL,
                    flags INTEGER NOT NULL, attributes TEXT NOT NULL, dropped_attributes_count INTEGER NOT NULL,
                    PRIMARY KEY (exception_id, trace_id, span_id, link_index)
                ) WITHOUT ROWID;
                ALTER TABLE exception ADD COLUMN frozen_workflow_key BLOB;   -- its workflow's name, once aged out
                """)
        }
        migrator.registerMigration("v9: retention of the old traces of a workflow that lives on") { db in
            try db.execute(sql: """
                ALTER TABLE workflow_trace ADD COLUMN first_received_at_unix_nano INTEGER NOT NULL DEFAULT 0;  -- when it joined (0: before v9)
                ALTER TABLE workflow_trace ADD COLUMN aged_out INTEGER NOT NULL DEFAULT 0;   -- its spans aged out; the workflow lives on
                CREATE INDEX workflow_trace_by_age ON workflow_trace (first_received_at_unix_nano, trace_id) WHERE aged_out = 0;
                CREATE INDEX workflow_trace_aged ON workflow_trace (trace_id) WHERE aged_out = 1;
                CREATE INDEX correlation_value_by_trace ON correlation_value (trace_id);      -- retention deletes by trace
                """)
        }
        return migrator
    }
}
