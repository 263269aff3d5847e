/// Times in words, as a reviewer reads them: "12 min", "3 h", "2 days".
enum RelativeTime {
    /// A duration in words: "40 s", "12 min", "3 h", "2 days".
    static func words(seconds: Double) -> String {
        let value = max(0, seconds)
        switch value {
        case ..<60: return "\(Int(value)) s"
        case ..<3600: return "\(Int(value / 60)) min"
        case ..<(48 * 3600): return "\(Int(value / 3600)) h"
        default: return "\(Int(value / 86_400)) days"
        }
    }

    /// How long ago `then` was: "5 min ago".
    static func ago(_ then: UInt64, now: UInt64) -> String {
        words(seconds: seconds(now, minus: then)) + " ago"
    }

    /// When an item is due, from `now`: "in 12 min", or "breached 3 h ago" once past.
    static func due(_ due: UInt64, now: UInt64) -> String {
        now > due ? "breached \(ago(due, now: now))" : "in \(words(seconds: seconds(due, minus: now)))"
    }

    /// A span's length: "85 ms" under a second, else in words.
    static func duration(nanos: UInt64) -> String {
        let millis = Double(nanos) / 1e6
        return millis < 1000 ? "\(Int(millis.rounded())) ms" : words(seconds: millis / 1000)
    }

    static func seconds(_ later: UInt64, minus earlier: UInt64) -> Double {
        later > earlier ? Double(later - earlier) / 1e9 : 0
    }
}
