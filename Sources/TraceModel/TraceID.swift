/// A 16-byte W3C trace id; all-zero is invalid on the wire.
public struct TraceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads 16 big-endian bytes; nil for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        self.init(high: bytes.loadBigEndianUInt64(at: 0), low: bytes.loadBigEndianUInt64(at: 8))
    }

    /// Parses 32 hex digits, either case.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32, let high = HexDigits.parse(utf8[0..<16]), let low = HexDigits.parse(utf8[16..<32]) else {
            return nil
        }
        self.init(high: high, low: low)
    }

    public var isZero: Bool { high == 0 && low == 0 }

    /// 32 lowercase hex digits.
    public var hex: String { HexDigits.format(high) + HexDigits.format(low) }

    public var description: String { hex }

    /// The 16 big-endian bytes of the id.
    public var bytes: [UInt8] { high.bigEndianBytes + low.bigEndianBytes }

    public static func < (lhs: TraceID, rhs: TraceID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
