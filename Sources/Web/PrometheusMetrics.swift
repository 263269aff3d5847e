import Prometheus
import Storage

/// `/metrics` in Prometheus text format: the queue figures and the ingest counters, read fresh
/// for every scrape into a registry of its own (so totals are exact, not deltas).
enum PrometheusMetrics {
    static func render(queue: QueueStatistics, ingest: IngestFigures, notifications: [String: NotificationFigures] = [:]) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ value: Int) {
            registry.makeCounter(name: name, labels: [], help: help).increment(by: Int64(value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(name: name, labels: labels, help: help).set(value)
        }
        counter("causeway_requests_accepted_total", "Export requests accepted", ingest.requestsAccepted)
        counter("causeway_requests_refused_total", "Export requests refused (overload, limits, bad input, no token)", ingest.requestsRefused)
        counter("causeway_requests_unauthenticated_total", "Export requests refused for want of an ingest token", ingest.unauthenticated)
        counter("causeway_requests_over_budget_total", "Export requests refused because the in-flight byte budget was full", ingest.refusedOverBudget)
        counter("causeway_spans_accepted_total", "Spans accepted by the OTLP listeners", ingest.spansAccepted)
        counter("causeway_spans_rejected_total", "Spans rejected one by one (partial_success)", ingest.spansRejected)
        counter("causeway_spans_written_total", "Spans stored (re-deliveries excluded)", ingest.spansWritten)
        counter("causeway_spans_duplicate_total", "Re-delivered spans skipped", ingest.spansDuplicate)
        counter("causeway_exceptions_opened_total", "Exceptions opened by the detectors", ingest.exceptionsOpened)
        for (name, figures) in notifications.sorted(by: { $0.key < $1.key }) {
            let labels = [("target", name)]
            registry.makeCounter(name: "causeway_notifications_delivered_total", labels: labels, help: "Notifications delivered (2xx)")
                .increment(by: Int64(figures.delivered))
            registry.makeCounter(name: "causeway_notification_attempts_failed_total", labels: labels, help: "Notification attempts that failed")
                .increment(by: Int64(figures.failedAttempts))
            registry.makeCounter(name: "causeway_notifications_abandoned_total", labels: labels, help: "Notifications given up after 24 h of retries")
                .increment(by: Int64(figures.abandoned))
            gauge("causeway_notifications_pending", "Notifications waiting in the outbox", labels, Double(figures.pending))
        }
        counter("causeway_attribute_values_truncated_total", "Attribute values stored cut to the per-value limit", ingest.attributeValuesTruncated)
        counter("causeway_spans_over_trace_cap_total", "Spans refused because their trace passed its span cap", ingest.spansOverTraceCap)
        gauge("causeway_ingest_inflight_bytes", "Body bytes held by export requests in flight", [], Double(ingest.inflightBytes))
        gauge("causeway_writer_queued_spans", "Spans accepted and not yet committed", [], Double(ingest.queuedSpans))
        gauge("causeway_ingest_lag_seconds", "Age of the oldest accepted request not yet committed", [], ingest.lagSeconds)
        for (label, groups) in [("class", queue.byClass), ("owner", queue.byOwner)] {
            for (name, figures) in groups {
                let labels = [(label, name)]
                gauge("causeway_exceptions_open", "Exceptions open or acknowledged", labels, Double(figures.open + figures.acknowledged))
                gauge("causeway_exceptions_breached", "Open exceptions past their SLA", labels, Double(figures.breached))
                gauge("causeway_exceptions_oldest_open_age_seconds", "Age of the oldest open exception", labels, figures.oldestActiveAgeSeconds ?? 0)
                if let share = figures.resolvedWithinSLA {
                    gauge("causeway_exceptions_resolved_within_sla_ratio", "Share of resolved exceptions resolved within SLA", labels, share)
                }
                if let median = figures.medianTimeToFirstActionSeconds {
                    gauge("causeway_exceptions_time_to_first_action_median_seconds", "Median time to first action", labels, median)
                }
                if let median = figures.medianTimeToResolutionSeconds {
                    gauge("causeway_exceptions_time_to_resolution_median_seconds", "Median time to resolution", labels, median)
                }
            }
        }
        if let turnaround = queue.approvalTurnaroundSeconds {
            gauge("causeway_approval_turnaround_median_seconds", "Median time to resolve approval_required", [], turnaround)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
