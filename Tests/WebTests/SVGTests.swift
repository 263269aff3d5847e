import Correlation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
import TraceModel
@testable import Web

/// The server-drawn SVG is well-formed XML, escapes span text, and draws what it claims.
@Suite("Server-drawn SVG")
struct SVGTests {
    /// Element names in document order, and all character data, as an XML parser reads them.
    final class Reader: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var attributes: [[String: String]] = []
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
            self.attributes.append(attributes)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }
    }

    static func parse(_ svg: String) throws -> Reader {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        return reader
    }

    @Test("the timeline: one row per span under a header per trace, link arrows, errors and triggers marked, hostile names as text")
    func timeline() throws {
        let hostile = "<script>alert(1)</script> & \"quotes\""
        let request = CausalNode(span: Span.stub(trace: .stub(1), span: .stub(1), name: "POST /refund", start: 1_000, durationNanos: 5_000_000), service: "web")
        var job = Span.stub(trace: .stub(2), span: .stub(2), name: hostile, start: 6_000_000, durationNanos: 3_000_000)
        job.links = [SpanLink(traceID: .stub(1), spanID: .stub(1))]
        let tool = Span.stub(trace: .stub(2), span: .stub(3), parent: .stub(2), name: "execute_tool x", start: 7_000_000, durationNanos: 1_000_000,
                             status: SpanStatus(code: .error, message: "boom"))
        let entries = [
            TimelineSVG.Entry(node: CausalNode(span: tool, service: "worker"), exceptionID: "exc_0123456789abcdef"),
            TimelineSVG.Entry(node: CausalNode(span: job, service: "worker"), exceptionID: nil),
            TimelineSVG.Entry(node: request, exceptionID: nil),
        ]
        let (svg, omitted) = TimelineSVG.render(entries, traceOrder: [.stub(1), .stub(2)], maxRows: 100)
        #expect(omitted == 0)
        let reader = try Self.parse(svg)
        #expect(reader.elements.first == "svg")
        #expect(!reader.elements.contains("script"))
        #expect(reader.text.contains(hostile))
        let spans = reader.attributes.compactMap { $0["data-span-id"] }
        #expect(spans == [SpanID.stub(1).hex, SpanID.stub(2).hex, SpanID.stub(3).hex], "trace by trace, parents before children")
        #expect(reader.attributes.filter { $0["class"] == "trace-header" }.count == 2)
        #expect(reader.attributes.filter { $0["class"] == "link" }.count == 1)
        #expect(reader.attributes.contains { $0["class"] == "span error trigger" })
        #expect(reader.attributes.contains { $0["href"] == "/exceptions/exc_0123456789abcdef" })

        let (_, cut) = TimelineSVG.render(entries, traceOrder: [.stub(1), .stub(2)], maxRows: 2)
        #expect(cut == 2, "two rows: a header and one span; two spans left out")
    }

    @Test("a bar chart: one labelled bar per value, scaled to the largest, hostile labels as text")
    func barChart() throws {
        let svg = BarChartSVG.render([
            BarChartSVG.Bar(label: "ops-triage", value: 4, text: "4"),
            BarChartSVG.Bar(label: "<b>x</b>", value: 2, text: "2", tone: "bad"),
        ], label: "open by owner")
        let reader = try Self.parse(svg)
        let bars = reader.attributes.filter { $0["class"]?.hasPrefix("bar ") == true }
        #expect(bars.count == 2)
        let widths = bars.compactMap { $0["width"].flatMap(Int.init) }
        #expect(widths.count == 2 && widths[0] == 2 * widths[1])
        #expect(reader.text.contains("<b>x</b>"))
        #expect(!reader.elements.contains("b"))
    }
}
