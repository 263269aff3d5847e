/// An OTLP request body Causeway cannot accept as a whole: the message says what is wrong.
/// Ingest answers it with 400 / INVALID_ARGUMENT and stores nothing of the request.
public struct OTLPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
