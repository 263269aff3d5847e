/// The exception filed for a pattern in a workflow (never a merged one), as filing needs it.
public struct FiledException: Sendable, Equatable {
    public var id: String
    public var status: ExceptionStatus
    public var occurrences: Int
    public var openedAtUnixNano: Int64

    public init(id: String, status: ExceptionStatus, occurrences: Int, openedAtUnixNano: Int64) {
        self.id = id
        self.status = status
        self.occurrences = occurrences
        self.openedAtUnixNano = openedAtUnixNano
    }
}
