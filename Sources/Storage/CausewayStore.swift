/// Everything a serving instance asks of its store: the queue, the workflows, the timers' passes
/// and the outbox (and, through `SpanWriter`, the recorder). Both stores are one.
public typealias CausewayStore = ExceptionQueue & WorkflowReader & QueueMaintenance & NotificationOutbox
