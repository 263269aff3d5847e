/// Durations as people and Go write them: `30s`, `15m`, `4h`, `1h30m`, `500ms`, `2d`.
public enum DurationText {
    /// The duration in nanoseconds, or nil when the text is not one.
    public static func parse(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000)]
        var rest = Substring(text.trimmingPrefix(while: { $0 == " " }))
        while rest.last == " " { rest = rest.dropLast() }
        guard !rest.isEmpty else { return nil }
        var total: UInt64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let value = UInt64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isLetter }
            guard let unit = units.first(where: { $0.0 == unitText })?.1 else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (product, overflowed) = value.multipliedReportingOverflow(by: unit)
            guard !overflowed, total <= UInt64.max - product else { return nil }
            total += product
        }
        return total
    }
}
