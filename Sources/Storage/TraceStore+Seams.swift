/// The SQLite store behind every seam.
extension TraceStore: SpanRecorder, QueueMaintenance, ExceptionQueue, WorkflowReader, NotificationOutbox {}
