/// An 8-byte W3C span id; all-zero is invalid on the wire.
public struct SpanID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    /// Reads 8 big-endian bytes; nil for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 8 else { return nil }
        self.init(bytes.loadBigEndianUInt64(at: 0))
    }

    /// Parses 16 hex digits, either case.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16, let value = HexDigits.parse(utf8[...]) else { return nil }
        self.init(value)
    }

    public var isZero: Bool { value == 0 }

    /// 16 lowercase hex digits.
    public var hex: String { HexDigits.format(value) }

    public var description: String { hex }

    /// The 8 big-endian bytes of the id.
    public var bytes: [UInt8] { value.bigEndianBytes }

    public static func < (lhs: SpanID, rhs: SpanID) -> Bool { lhs.value < rhs.value }
}
