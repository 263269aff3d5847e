/// How a `notify` entry's POSTs are written.
public enum NotificationFormat: String, Sendable, Equatable, CaseIterable {
    /// `{"event", "delivery_id", "at", "exception"}`.
    case json
    /// `{"text"}` for a Slack incoming webhook.
    case slack
}
