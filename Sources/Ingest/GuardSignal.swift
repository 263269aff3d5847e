/// What `GRPCStreamGuard` hands the RPC handler in place of a message it did not pass on.
/// A signal starts with a zero byte: protobuf has no field 0, so no valid request begins so.
enum GuardSignal: String, Sendable {
    /// The message was over the body limit; its bytes were dropped unread.
    case tooLarge = "too_large"
    /// The in-flight budget could not hold it; its bytes were dropped unread.
    case overloaded
    /// No ingest token; the message's bytes were dropped unread.
    case unauthenticated
    /// The message is gzip: its compressed bytes follow, for the handler's bounded gunzip.
    case gzip

    private static let marker: [UInt8] = [0] + Array("causeway-guard:".utf8)

    /// The bytes that stand for this signal (for `gzip`, the compressed payload follows them).
    var bytes: [UInt8] { Self.marker + Array(rawValue.utf8) + [UInt8(ascii: "\n")] }

    /// The signal a message carries and where its payload begins; nil for an ordinary message.
    static func read(_ message: [UInt8]) -> (signal: GuardSignal, payloadOffset: Int)? {
        guard message.count > marker.count, message.starts(with: marker),
              let end = message[marker.count...].firstIndex(of: UInt8(ascii: "\n")),
              let name = String(validating: message[marker.count..<end], as: UTF8.self),
              let signal = GuardSignal(rawValue: name) else { return nil }
        return (signal, end + 1)
    }
}
