/// The queue's figures as counters on PostgreSQL, as `QueueCounters` keeps them on SQLite: a
/// trigger on `exception` changes them in the same transaction as the item, whoever changes it
/// (a round of any instance, a reviewer, a merge, a move, the breach timer), so the figures read
/// a few hundred rows instead of the queue. Every write to the queue holds the stitching lock, so
/// the counter rows are never contended.
enum PostgresQueueCounters {
    static let active = "('open', 'acknowledged')"

    static let migration = [
        """
        CREATE TABLE queue_count (
            class text NOT NULL, owner bytea NOT NULL, status text NOT NULL,
            breached boolean NOT NULL,               -- active and marked breached by the timer
            n bigint NOT NULL,
            PRIMARY KEY (class, owner, status, breached)
        )
        """,
        """
        CREATE TABLE queue_duration (
            class text NOT NULL, owner bytea NOT NULL,
            metric text NOT NULL,                    -- first_action | resolution | within_sla | reviewer
            bucket integer NOT NULL,                 -- DurationBuckets (0 for within_sla and reviewer)
            n bigint NOT NULL, total double precision NOT NULL,   -- count and sum of seconds
            PRIMARY KEY (class, owner, metric, bucket)
        )
        """,
        """
        CREATE TABLE queue_active_opened (
            minute bigint PRIMARY KEY,               -- opened_at / 60 s, of the active items
            n bigint NOT NULL
        )
        """,
        "CREATE INDEX exception_active_oldest ON exception (class, owner, opened_at_unix_nano) WHERE status IN \(active)",
        // DurationBuckets.bucket: 4%-wide log buckets, 0 under a second.
        """
        CREATE FUNCTION causeway_duration_bucket(seconds double precision) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN seconds < 1 THEN 0 ELSE 1 + trunc(ln(seconds) / ln(\(DurationBuckets.growth)::double precision))::integer END
        $$
        """,
        """
        CREATE FUNCTION queue_counters_add(x exception, s integer) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            first_action double precision := greatest(0, (x.first_action_at_unix_nano - x.opened_at_unix_nano) / 1e9);
            resolution double precision := greatest(0, (x.resolved_at_unix_nano - x.opened_at_unix_nano) / 1e9);
            reviewer double precision := greatest(0, (x.resolved_at_unix_nano - coalesce(x.first_action_at_unix_nano, x.resolved_at_unix_nano)) / 1e9);
            active boolean := x.status IN \(active);
        BEGIN
            IF x.status = 'merged' THEN RETURN; END IF;
            INSERT INTO queue_count VALUES (x.class, x.owner, x.status, x.breached_at_unix_nano IS NOT NULL AND active, s)
                ON CONFLICT (class, owner, status, breached) DO UPDATE SET n = queue_count.n + excluded.n;
            IF x.first_action_at_unix_nano IS NOT NULL THEN
                PERFORM queue_duration_add(x, 'first_action', causeway_duration_bucket(first_action), s, first_action);
            END IF;
            IF x.status = 'resolved' AND x.resolved_at_unix_nano IS NOT NULL THEN
                PERFORM queue_duration_add(x, 'resolution', causeway_duration_bucket(resolution), s, resolution);
                IF x.resolved_at_unix_nano <= x.due_at_unix_nano THEN PERFORM queue_duration_add(x, 'within_sla', 0, s, 0); END IF;
                PERFORM queue_duration_add(x, 'reviewer', 0, s, reviewer);
            END IF;
            IF active THEN
                INSERT INTO queue_active_opened VALUES (x.opened_at_unix_nano / 60000000000, s)
                    ON CONFLICT (minute) DO UPDATE SET n = queue_active_opened.n + excluded.n;
                DELETE FROM queue_active_opened WHERE minute = x.opened_at_unix_nano / 60000000000 AND n = 0;
            END IF;
        END $$
        """,
        """
        CREATE FUNCTION queue_duration_add(x exception, metric text, bucket integer, s integer, seconds double precision)
            RETURNS void LANGUAGE sql AS $$
            INSERT INTO queue_duration VALUES (x.class, x.owner, metric, bucket, s, s * seconds)
                ON CONFLICT (class, owner, metric, bucket) DO UPDATE
                SET n = queue_duration.n + excluded.n, total = queue_duration.total + excluded.total
        $$
        """,
        """
        CREATE FUNCTION queue_counters() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM queue_counters_add(OLD, -1); END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM queue_counters_add(NEW, 1); END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER queue_counters AFTER INSERT OR DELETE OR UPDATE OF status, class, owner, breached_at_unix_nano,
            first_action_at_unix_nano, resolved_at_unix_nano, due_at_unix_nano, opened_at_unix_nano
            ON exception FOR EACH ROW EXECUTE FUNCTION queue_counters()
        """,
        // The counters of the queue already there.
        "SELECT queue_counters_add(exception, 1) FROM exception",
    ]
}
