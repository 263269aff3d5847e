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
