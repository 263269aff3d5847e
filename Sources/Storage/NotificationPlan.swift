import Detection

/// Who is told what (the `notify` config, DESIGN.md §9): for each change to an exception, the
/// deliveries written to the outbox in the same transaction. The body is rendered then, by the
/// server's `render`, so a delivery reports the exception as it was at the event.
public struct NotificationPlan: Sendable {
    /// One `notify` entry as the store needs it.
    public struct Route: Sendable {
        public var name: String
        public var events: Set<String>
        /// Globs on the exception's class, category, owner and severity; nil matches anything.
        public var exceptionClass: String?
        public var category: String?
        public var owner: String?
        public var severity: String?

        public init(name: String, events: Set<String>, exceptionClass: String? = nil, category: String? = nil,
                    owner: String? = nil, severity: String? = nil) {
            self.name = name
            self.events = events
            self.exceptionClass = exceptionClass
            self.category = category
            self.owner = owner
            self.severity = severity
        }

        func wants(_ event: String, _ record: ExceptionRecord) -> Bool {
            events.contains(event) && Glob.matches(exceptionClass, record.exceptionClass) && Glob.matches(category, record.category)
                && Glob.matches(owner, record.owner) && Glob.matches(severity, record.severity)
        }
    }

    /// The body of one delivery: (route name, event, exception, delivery id, event time) → bytes.
    public typealias Render = @Sendable (_ route: String, _ event: String, _ exception: ExceptionRecord, _ deliveryID: String,
                                         _ atUnixNano: UInt64) -> [UInt8]

    public var routes: [Route]
    public var render: Render

    public init(routes: [Route], render: @escaping Render) {
        self.routes = routes
        self.render = render
    }

    /// No notifications.
    public static let none = NotificationPlan(routes: [], render: { _, _, _, _, _ in [] })

    /// Every event a route may ask for.
    public static let events: Set<String> = ["opened", "recurred", "reopened", "breached", "escalated", "decided", "resolved"]

    /// The event a history line reports, if any (`approved` … `aborted` are `decided`).
    static func event(forHistoryAction action: String) -> String? {
        if ExceptionAction.decisionHistoryNames.contains(action) { return "decided" }
        return events.contains(action) ? action : nil
    }
}
