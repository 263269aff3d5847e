/// The exception filed for a pattern in a workflow (never a merged one), as filing needs it.
public struct FiledException: Sendable, Equatable {
    public var id: String
    public var status: ExceptionStatus
    public var occurrences: Int
    public var openedAtUnixNano: Int64
    /// When its trigger span started (nil: not known, e.g. the span aged out): a fact of the
    /// pattern that started no later may move the trigger once the workflow settles, so the
    /// writer stores it (`CountedPattern`).
    public var triggerStartUnixNano: UInt64?

    public init(id: String, status: ExceptionStatus, occurrences: Int, openedAtUnixNano: Int64, triggerStartUnixNano: UInt64? = nil) {
        self.id = id
        self.status = status
        self.occurrences = occurrences
        self.openedAtUnixNano = openedAtUnixNano
        self.triggerStartUnixNano = triggerStartUnixNano
    }
}
