import Logging
import PostgresNIO

/// The PostgreSQL schema as named migrations, applied in order, each once, under an advisory
/// lock so that instances starting together do not race (DESIGN.md §11). The tables follow the
/// SQLite store's; every free text span data carries (names, status messages, trace states,
/// service names, schema URLs) is `bytea`, because PostgreSQL text cannot hold the NUL that span
/// data may; JSON (attributes, events) escapes it.
enum PostgresSchema {
    static let migrations: [(name: String, sql: [String])] = [
        ("v1: spans, links, resources, scopes, workflows", [
            """
            CREATE TABLE resource (
                id bigserial PRIMARY KEY,
                digest text NOT NULL UNIQUE,             -- md5 of the fields below: one row per distinct resource
                service_name bytea NOT NULL,
                attributes text NOT NULL,                -- JSON (a NUL in it is escaped)
                dropped_attributes_count bigint NOT NULL,
                schema_url bytea NOT NULL
            )
            """,
            """
            CREATE TABLE scope (
                id bigserial PRIMARY KEY,
                digest text NOT NULL UNIQUE,
                name bytea NOT NULL,
                version bytea NOT NULL,
                attributes text NOT NULL,
                dropped_attributes_count bigint NOT NULL,
                schema_url bytea NOT NULL
            )
            """,
            """
            CREATE TABLE span (
                trace_id bytea NOT NULL,
                span_id bytea NOT NULL,
                parent_span_id bytea,
                name bytea NOT NULL,
                kind integer NOT NULL,
                start_time_unix_nano bigint NOT NULL,
                end_time_unix_nano bigint NOT NULL,
                status_code integer NOT NULL,
                status_message bytea NOT NULL,
                trace_state bytea NOT NULL,
                flags bigint NOT NULL,
                attributes text NOT NULL,
                dropped_attributes_count bigint NOT NULL,
                events text NOT NULL,
                dropped_events_count bigint NOT NULL,
                dropped_links_count bigint NOT NULL,
                resource_id bigint NOT NULL REFERENCES resource (id),
                scope_id bigint NOT NULL REFERENCES scope (id),
                received_at_unix_nano bigint NOT NULL,
                PRIMARY KEY (trace_id, span_id)
            )
            """,
            """
            CREATE TABLE span_link (
                trace_id bytea NOT NULL,
                span_id bytea NOT NULL,
                link_index integer NOT NULL,
                linked_trace_id bytea NOT NULL,
                linked_span_id bytea NOT NULL,
                trace_state bytea NOT NULL,
                flags bigint NOT NULL,
                attributes text NOT NULL,
                dropped_attributes_count bigint NOT NULL,
                PRIMARY KEY (trace_id, span_id, link_index)
            )
            """,
            "CREATE INDEX span_link_to ON span_link (linked_trace_id, linked_span_id)",
            "CREATE SEQUENCE workflow_id_seq",
            """
            CREATE TABLE workflow (
                id bigint PRIMARY KEY,                   -- from workflow_id_seq
                key_trace_id bytea NOT NULL,             -- the smallest trace id: names the workflow
                trace_count bigint NOT NULL,
                span_count bigint NOT NULL,
                first_received_at_unix_nano bigint NOT NULL,
                last_received_at_unix_nano bigint NOT NULL
            )
            """,
            """
            CREATE TABLE workflow_trace (
                trace_id bytea PRIMARY KEY,              -- a trace with a span stored, or only linked to
                workflow_id bigint NOT NULL
            )
            """,
            "CREATE INDEX workflow_trace_by_workflow ON workflow_trace (workflow_id)",
        ]),
        ("v2: correlation values", [
            """
            CREATE TABLE correlation_value (
                attribute text NOT NULL,                 -- a stitch.correlation_attributes key
                value bytea NOT NULL,
                trace_id bytea NOT NULL,                 -- the trace it was recorded for first: later ones join it
                PRIMARY KEY (attribute, value)
            )
            """,
        ]),
        ("v3: detection facts, exceptions, history, settle windows, approvals, notifications", [
            """
            CREATE TABLE detection_fact (
                trace_id bytea NOT NULL,
                detector text NOT NULL,                  -- repeat_failure, rule:NAME, …
                key bytea NOT NULL,                      -- what the detector counts by (span data)
                span_id bytea NOT NULL,
                start_time_unix_nano bigint NOT NULL,
                PRIMARY KEY (trace_id, detector, key, span_id)
            )
            """,
            """
            CREATE TABLE fact_count (
                workflow_id bigint NOT NULL,             -- kept in step by the writer, moved on merges
                detector text NOT NULL,
                key bytea NOT NULL,
                count bigint NOT NULL,
                PRIMARY KEY (workflow_id, detector, key)
            )
            """,
            """
            CREATE TABLE failed_child (
                trace_id bytea NOT NULL,                 -- a span one of whose children failed:
                span_id bytea NOT NULL,                  -- its own failure is a wrapper, not counted
                PRIMARY KEY (trace_id, span_id)
            )
            """,
            """
            CREATE TABLE exception (
                id text PRIMARY KEY,                     -- exc_ + 16 hex: stable for the same detection
                class text NOT NULL,
                category text NOT NULL,
                severity text NOT NULL,
                status text NOT NULL,
                owner bytea NOT NULL,
                sla_nanos bigint NOT NULL,
                due_at_unix_nano bigint NOT NULL,
                summary bytea NOT NULL,
                service bytea NOT NULL,
                tool bytea,
                trace_id bytea NOT NULL,                 -- the trigger span
                span_id bytea NOT NULL,
                dedupe_key bytea NOT NULL,               -- one exception per pattern per workflow
                workflow_id bigint NOT NULL,             -- kept in step by the writer, moved on merges
                occurrences bigint NOT NULL,
                opened_at_unix_nano bigint NOT NULL,
                updated_at_unix_nano bigint NOT NULL,
                first_action_at_unix_nano bigint,
                resolved_at_unix_nano bigint,
                merged_into text,                        -- status merged: the exception it joined
                call_id bytea,                           -- the trigger's tool call id
                blocking boolean NOT NULL,               -- holds the agent while undecided
                escalate_to bytea,
                decision text,                           -- approve | deny | retry | abort
                decided_by bytea,
                decided_at_unix_nano bigint,
                breached_at_unix_nano bigint,
                frozen_workflow_key bytea                -- its workflow's name, once aged out
            )
            """,
            "CREATE INDEX exception_filed ON exception (workflow_id, dedupe_key, opened_at_unix_nano, id) WHERE status <> 'merged'",
            "CREATE INDEX exception_by_workflow ON exception (workflow_id)",
            "CREATE INDEX exception_by_opened ON exception (opened_at_unix_nano, id)",
            "CREATE INDEX exception_active_by_due ON exception (due_at_unix_nano, id) WHERE status IN ('open', 'acknowledged')",
            """
            CREATE INDEX exception_unbreached_by_due ON exception (due_at_unix_nano, id)
                WHERE status IN ('open', 'acknowledged') AND breached_at_unix_nano IS NULL
            """,
            "CREATE INDEX exception_counts ON exception (class, owner, severity, status)",
            "CREATE INDEX exception_by_owner ON exception (owner, status)",
            """
            CREATE TABLE exception_history (
                id bigserial PRIMARY KEY,
                exception_id text NOT NULL REFERENCES exception (id),
                at_unix_nano bigint NOT NULL,
                actor bytea NOT NULL,
                action text NOT NULL,
                note bytea NOT NULL,
                owner bytea
            )
            """,
            "CREATE INDEX exception_history_by_exception ON exception_history (exception_id, id)",
            """
            CREATE FUNCTION exception_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'exception history is append-only'; END $$
            """,
            """
            CREATE TRIGGER exception_history_append_only BEFORE UPDATE OR DELETE ON exception_history
            FOR EACH ROW EXECUTE FUNCTION exception_history_append_only()
            """,
            """
            CREATE TABLE workflow_settle (
                workflow_id bigint PRIMARY KEY,          -- a workflow with patterns that wait for quiet
                due_at_unix_nano bigint NOT NULL         -- last span received + settle_after
            )
            """,
            "CREATE INDEX workflow_settle_by_due ON workflow_settle (due_at_unix_nano)",
            """
            CREATE TABLE reviewer_approval (
                workflow_id bigint NOT NULL,             -- moved on merges, like exceptions
                tool bytea NOT NULL,                     -- counts for every call of the tool in the workflow
                exception_id text NOT NULL,
                call_id bytea,
                approver bytea NOT NULL,
                at_unix_nano bigint NOT NULL,
                PRIMARY KEY (workflow_id, tool, exception_id)
            )
            """,
            """
            CREATE TABLE notification_outbox (
                delivery_id text PRIMARY KEY,            -- Causeway-Delivery: receivers de-duplicate on it
                target text NOT NULL,                    -- the notify entry's name
                event text NOT NULL,
                exception_id text NOT NULL,
                body bytea NOT NULL,                     -- written with the change it reports
                created_at_unix_nano bigint NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at_unix_nano bigint NOT NULL,
                last_error bytea
            )
            """,
            "CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at_unix_nano)",
            """
            CREATE TABLE notification_figures (
                target text PRIMARY KEY,
                delivered bigint NOT NULL DEFAULT 0,
                failed_attempts bigint NOT NULL DEFAULT 0,
                abandoned bigint NOT NULL DEFAULT 0
            )
            """,
        ]),
        ("v4: retention: when each trace joined, traces aged out of living workflows, evidence frozen into exceptions", [
            "ALTER TABLE workflow_trace ADD COLUMN first_received_at_unix_nano bigint NOT NULL DEFAULT 0",   // 0: before v4
            "ALTER TABLE workflow_trace ADD COLUMN aged_out boolean NOT NULL DEFAULT false",   // its spans aged out; the workflow lives on
            "CREATE INDEX workflow_trace_by_age ON workflow_trace (first_received_at_unix_nano, trace_id) WHERE NOT aged_out",
            "CREATE INDEX correlation_value_by_trace ON correlation_value (trace_id)",   // retention deletes by trace
            """
            CREATE TABLE evidence_span (                 -- a span of an exception's story, kept past retention
                exception_id text NOT NULL,
                LIKE span,
                receipt boolean NOT NULL DEFAULT false,  -- one of the attempts its pattern counted
                PRIMARY KEY (exception_id, trace_id, span_id)
            )
            """,
            """
            CREATE TABLE evidence_link (
                exception_id text NOT NULL,
                LIKE span_link,
                PRIMARY KEY (exception_id, trace_id, span_id, link_index)
            )
            """,
        ]),
        ("v5: queue figures as counters kept by a trigger", PostgresQueueCounters.migration),
    ]

    /// The advisory lock key migrations run under (any constant no other lock uses).
    static let migrationLock: Int64 = 0x6361_7573_6577_6179   // "causeway"

    /// Applies the migrations this database has not had yet, each in its own transaction.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS causeway_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT name FROM causeway_migration", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in migrations where !applied.contains(migration.name) {
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in migration.sql {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO causeway_migration (name) VALUES (\(migration.name))", logger: logger)
                    }
                    logger.info("applied a database migration", metadata: ["migration": "\(migration.name)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }
}
