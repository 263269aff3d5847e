import Foundation

/// Log-scale buckets for the queue's durations (time to first action, to resolution), kept as
/// counters so that medians need no scan: each bucket is 4% wide, so a median read from them is
/// within 2% of the exact one (like DDSketch). Bucket 0 holds everything under a second.
public enum DurationBuckets {
    static let growth = 1.04
    private static let logGrowth = log(growth)

    /// The bucket of a duration in seconds.
    public static func bucket(_ seconds: Double) -> Int {
        guard seconds >= 1 else { return 0 }
        return 1 + Int(log(seconds) / logGrowth)
    }

    /// The value a bucket stands for: its geometric middle (0 for bucket 0).
    public static func representative(_ bucket: Int) -> Double {
        bucket <= 0 ? 0 : pow(growth, Double(bucket - 1) + 0.5)
    }

    /// The median of the durations counted in `counts` (bucket → count); nil when there are none.
    public static func median(_ counts: [Int: Int]) -> Double? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        var seen = 0
        for bucket in counts.keys.sorted() {
            seen += counts[bucket] ?? 0
            if seen * 2 >= total { return representative(bucket) }
        }
        return nil
    }
}
