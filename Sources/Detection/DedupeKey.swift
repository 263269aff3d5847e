/// One exception per pattern per workflow: the detector and its pattern key. Stored as text, the
/// two joined by the unit separator (which span data cannot smuggle in: fact keys replace it).
public struct DedupeKey: Hashable, Sendable, CustomStringConvertible {
    public var detector: String
    public var key: String

    public init(detector: String, key: String) {
        self.detector = detector
        self.key = key
    }

    /// Reads the stored form back; nil when it has no separator.
    public init?(text: String) {
        guard let separator = text.utf8.firstIndex(of: 0x1F) else { return nil }
        detector = String(text[..<separator])
        key = String(text[text.utf8.index(after: separator)...])
    }

    /// The stored form (and what exception ids hash).
    public var text: String { detector + "\u{1F}" + key }

    public var description: String { text }
}
