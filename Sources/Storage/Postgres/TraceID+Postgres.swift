import NIOCore
import TraceModel

extension TraceID {
    /// Reads a `bytea` trace id.
    init?(buffer: ByteBuffer) {
        guard let id = buffer.withUnsafeReadableBytes({ TraceID(bytes: $0) }) else { return nil }
        self = id
    }
}

extension SpanID {
    /// Reads a `bytea` span id.
    init?(buffer: ByteBuffer) {
        guard let id = buffer.withUnsafeReadableBytes({ SpanID(bytes: $0) }) else { return nil }
        self = id
    }
}
