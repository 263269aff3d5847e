import GRDB

/// The queue's figures as counters kept by triggers on `exception`, so they change in the same
/// transaction as the item (whoever changes it: the writer, a reviewer, a merge, the breach
/// timer) and `/api/v1/stats` reads a few hundred rows instead of scanning the queue.
enum QueueCounters {
    /// The SQL function the triggers bucket durations with (`DurationBuckets.bucket`); every
    /// connection that writes exceptions registers it.
    static let bucketFunction = DatabaseFunction("causeway_duration_bucket", argumentCount: 1, pure: true) { values in
        guard let seconds = Double.fromDatabaseValue(values[0]) else { return 0 }
        return DurationBuckets.bucket(seconds)
    }

    static let active = "('open','acknowledged')"

    /// The tables, the triggers, and the counts of the rows already there.
    static let migration = """
        CREATE TABLE queue_count (
            class TEXT NOT NULL, owner TEXT NOT NULL, status TEXT NOT NULL,
            breached INTEGER NOT NULL,             -- active and marked breached by the timer
            n INTEGER NOT NULL,
            PRIMARY KEY (class, owner, status, breached)
        ) WITHOUT ROWID;
        CREATE TABLE queue_duration (
            class TEXT NOT NULL, owner TEXT NOT NULL,
            metric TEXT NOT NULL,                  -- first_action | resolution | within_sla | reviewer
            bucket INTEGER NOT NULL,               -- DurationBuckets (0 for within_sla and reviewer)
            n INTEGER NOT NULL, total REAL NOT NULL,   -- count and sum of seconds
            PRIMARY KEY (class, owner, metric, bucket)
        ) WITHOUT ROWID;
        CREATE TABLE queue_active_opened (
            minute INTEGER PRIMARY KEY,            -- opened_at / 60 s, of the active items
            n INTEGER NOT NULL
        );
        CREATE INDEX exception_active_oldest ON exception (class, owner, opened_at_unix_nano)
            WHERE status IN \(active);
        \(trigger("queue_counters_insert", "AFTER INSERT", when: "NEW.status != 'merged'", row: "NEW", sign: 1))
        \(trigger("queue_counters_delete", "AFTER DELETE", when: "OLD.status != 'merged'", row: "OLD", sign: -1))
        \(trigger("queue_counters_update_old", "AFTER UPDATE OF \(watched)", when: "OLD.status != 'merged'", row: "OLD", sign: -1))
        \(trigger("queue_counters_update_new", "AFTER UPDATE OF \(watched)", when: "NEW.status != 'merged'", row: "NEW", sign: 1))
        \(backfill)
        """

    static let watched = "status, class, owner, breached_at_unix_nano, first_action_at_unix_nano, resolved_at_unix_nano, due_at_unix_nano, opened_at_unix_nano"

    static func trigger(_ name: String, _ event: String, when condition: String, row x: String, sign s: Int) -> String {
        func seconds(_ later: String, _ earlier: String) -> String { "max(0, (\(later) - \(earlier)) / 1e9)" }
        func duration(_ metric: String, bucket: String, seconds value: String, where filter: String) -> String {
            """
            INSERT INTO queue_duration (class, owner, metric, bucket, n, total)
                SELECT \(x).class, \(x).owner, '\(metric)', \(bucket), \(s), \(s) * \(value) WHERE \(filter)
                ON CONFLICT (class, owner, metric, bucket) DO UPDATE SET n = n + excluded.n, total = total + excluded.total;
            """
        }
        let firstAction = seconds("\(x).first_action_at_unix_nano", "\(x).opened_at_unix_nano")
        let resolution = seconds("\(x).resolved_at_unix_nano", "\(x).opened_at_unix_nano")
        let resolved = "\(x).status = 'resolved' AND \(x).resolved_at_unix_nano IS NOT NULL"
        return """
            CREATE TRIGGER \(name) \(event) ON exception WHEN \(condition) BEGIN
                INSERT INTO queue_count (class, owner, status, breached, n)
                    VALUES (\(x).class, \(x).owner, \(x).status, \(x).breached_at_unix_nano IS NOT NULL AND \(x).status IN \(active), \(s))
                    ON CONFLICT (class, owner, status, breached) DO UPDATE SET n = n + excluded.n;
                \(duration("first_action", bucket: "causeway_duration_bucket(\(firstAction))", seconds: firstAction,
                           where: "\(x).first_action_at_unix_nano IS NOT NULL"))
                \(duration("resolution", bucket: "causeway_duration_bucket(\(resolution))", seconds: resolution, where: resolved))
                \(duration("within_sla", bucket: "0", seconds: "0", where: "\(resolved) AND \(x).resolved_at_unix_nano <= \(x).due_at_unix_nano"))
                \(duration("reviewer", bucket: "0",
                           seconds: seconds("\(x).resolved_at_unix_nano", "coalesce(\(x).first_action_at_unix_nano, \(x).resolved_at_unix_nano)"),
                           where: resolved))
                INSERT INTO queue_active_opened (minute, n)
                    SELECT \(x).opened_at_unix_nano / 60000000000, \(s) WHERE \(x).status IN \(active)
                    ON CONFLICT (minute) DO UPDATE SET n = n + excluded.n;
                DELETE FROM queue_active_opened WHERE minute = \(x).opened_at_unix_nano / 60000000000 AND n = 0;
            END;
            """
    }

    /// The counters of an existing queue (a database from before v7).
    static let backfill = """
        INSERT INTO queue_count (class, owner, status, breached, n)
            SELECT class, owner, status, breached_at_unix_nano IS NOT NULL AND status IN \(active), count(*)
            FROM exception WHERE status != 'merged' GROUP BY 1, 2, 3, 4;
        INSERT INTO queue_duration (class, owner, metric, bucket, n, total)
            SELECT class, owner, 'first_action', causeway_duration_bucket(max(0, (first_action_at_unix_nano - opened_at_unix_nano) / 1e9)),
                   count(*), sum(max(0, (first_action_at_unix_nano - opened_at_unix_nano) / 1e9))
            FROM exception WHERE status != 'merged' AND first_action_at_unix_nano IS NOT NULL GROUP BY 1, 2, 3, 4;
        INSERT INTO queue_duration (class, owner, metric, bucket, n, total)
            SELECT class, owner, 'resolution', causeway_duration_bucket(max(0, (resolved_at_unix_nano - opened_at_unix_nano) / 1e9)),
                   count(*), sum(max(0, (resolved_at_unix_nano - opened_at_unix_nano) / 1e9))
            FROM exception WHERE status = 'resolved' AND resolved_at_unix_nano IS NOT NULL GROUP BY 1, 2, 3, 4;
        INSERT INTO queue_duration (class, owner, metric, bucket, n, total)
            SELECT class, owner, 'within_sla', 0, count(*), 0
            FROM exception WHERE status = 'resolved' AND resolved_at_unix_nano IS NOT NULL AND resolved_at_unix_nano <= due_at_unix_nano
            GROUP BY 1, 2;
        INSERT INTO queue_duration (class, owner, metric, bucket, n, total)
            SELECT class, owner, 'reviewer', 0, count(*),
                   sum(max(0, (resolved_at_unix_nano - coalesce(first_action_at_unix_nano, resolved_at_unix_nano)) / 1e9))
            FROM exception WHERE status = 'resolved' AND resolved_at_unix_nano IS NOT NULL GROUP BY 1, 2;
        INSERT INTO queue_active_opened (minute, n)
            SELECT opened_at_unix_nano / 60000000000, count(*) FROM exception WHERE status IN \(active) GROUP BY 1;
        """
}
