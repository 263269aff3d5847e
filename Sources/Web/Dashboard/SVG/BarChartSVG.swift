/// A horizontal bar chart drawn by the server: one labelled bar per value, with its text.
struct BarChartSVG {
    struct Bar {
        var label: String
        var value: Double
        /// What is written after the bar ("12", "83 %", "4 min").
        var text: String
        /// A CSS class for the bar (`warn`, `bad`), or empty.
        var tone: String = ""
    }

    /// About the width of a chart card, so text is drawn near its CSS size.
    static let width = 380
    static let labelWidth = 140
    static let rowHeight = 24

    /// The chart; bars scale to `maximum` (default: the largest value).
    static func render(_ bars: [Bar], maximum: Double? = nil, label: String) -> String {
        let top = max(maximum ?? bars.map(\.value).max() ?? 1, .leastNonzeroMagnitude)
        let chart = Double(width - labelWidth - 60)
        let height = max(1, bars.count) * rowHeight + 4
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTMLText.escape(label))\">"
        for (index, bar) in bars.enumerated() {
            let y = index * rowHeight + 2
            let length = max(bar.value > 0 ? 2 : 0, Int((bar.value / top * chart).rounded()))
            svg += "<g class=\"bar-row\"><title>\(HTMLText.escape("\(bar.label): \(bar.text)"))</title>"
            svg += "<text class=\"label\" x=\"\(labelWidth - 6)\" y=\"\(y + 16)\" text-anchor=\"end\">\(HTMLText.escape(TimelineSVG.truncated(bar.label, to: 22)))</text>"
            svg += "<rect class=\"bar \(bar.tone)\" x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(length)\" height=\"15\" rx=\"2\"/>"
            svg += "<text class=\"value\" x=\"\(labelWidth + length + 6)\" y=\"\(y + 16)\">\(HTMLText.escape(bar.text))</text></g>"
        }
        svg += "</svg>"
        return svg
    }
}
