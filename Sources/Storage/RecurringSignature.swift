/// A signature (class, service, tool) that opened exceptions in many workflows: what to redesign first.
public struct RecurringSignature: Sendable, Equatable {
    public var exceptionClass: String
    public var service: String
    public var tool: String?
    /// The summary of its latest exception.
    public var summary: String
    /// Exceptions it opened in the window (one per workflow).
    public var exceptions: Int
    /// Occurrences counted on them.
    public var occurrences: Int
}
