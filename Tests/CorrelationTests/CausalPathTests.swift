import Correlation
import TestSupport
import Testing
import TraceModel

@Suite("Causal paths")
struct CausalPathTests {
    static func graph(_ spans: [Span], service: String = "agent") -> WorkflowGraph {
        WorkflowGraph(nodes: spans.map { CausalNode(span: $0, service: service) })
    }

    @Test("the path walks parents inside a trace and links at trace roots, origin first")
    func acrossTraces() throws {
        let graph = WorkflowGraph(nodes: WorkflowFixture.spans.map { CausalNode(span: $0.span, service: $0.service) })
        let path = try #require(try CausalPath.to(SpanReference(traceID: WorkflowFixture.retry, spanID: .stub(0x32)), in: graph))
        #expect(path.hops.map { [$0.reference.traceID.hex, $0.reference.spanID.hex, $0.relation.rawValue] }
            == WorkflowFixture.retryToolCallPath.map { [$0.0.hex, $0.1.hex, $0.2] })
        #expect(path.hops.allSatisfy { $0.node != nil })
        #expect(!path.cycleCut)
        #expect(path.hops.first?.node?.service == "api")
    }

    @Test("at a fan-in root the earliest-starting linked span is followed and the others are kept as alternatives")
    func fanIn() throws {
        let producers = (1...5).map { index in
            Span.stub(trace: .stub(UInt64(10 + index)), span: .stub(UInt64(index)), name: "produce \(index)",
                      start: 1_000 - UInt64(index) * 10)
        }
        let consumer = Span.stub(trace: .stub(99), span: .stub(0x99), name: "consume batch", start: 5_000,
                                 links: producers.map { SpanLink(traceID: $0.traceID, spanID: $0.spanID) })
        let path = try #require(try CausalPath.to(SpanReference(consumer), in: Self.graph(producers + [consumer])))
        #expect(path.hops.count == 2)
        #expect(path.hops[0].reference == SpanReference(producers[4]))   // starts earliest
        #expect(path.hops[0].relation == .origin)
        #expect(path.hops[1].relation == .linkedFrom)
        #expect(path.hops[1].alternatives == [3, 2, 1, 0].map { SpanReference(producers[$0]) })
    }

    @Test("a link to a span that never arrived ends the path in a placeholder")
    func danglingLink() throws {
        let missing = SpanReference(traceID: .stub(7), spanID: .stub(7))
        let consumer = Span.stub(trace: .stub(8), span: .stub(8), links: [SpanLink(traceID: missing.traceID, spanID: missing.spanID)])
        let child = Span.stub(trace: .stub(8), span: .stub(9), parent: .stub(8))
        let path = try #require(try CausalPath.to(SpanReference(child), in: Self.graph([consumer, child])))
        #expect(path.hops.map(\.reference) == [missing, SpanReference(consumer), SpanReference(child)])
        #expect(path.hops[0].node == nil)
        #expect(path.hops.map(\.relation) == [.origin, .linkedFrom, .childOf])
        let graph = Self.graph([consumer, child])
        #expect(graph.placeholders.map(\.reference) == [missing])
    }

    @Test("a span whose parent has not arrived has the missing parent as its origin")
    func missingParent() throws {
        let orphan = Span.stub(span: .stub(2), parent: .stub(1))
        let path = try #require(try CausalPath.to(SpanReference(orphan), in: Self.graph([orphan])))
        #expect(path.hops.map(\.reference.spanID) == [.stub(1), .stub(2)])
        #expect(path.hops[0].node == nil)
    }

    @Test("a link cycle ends the walk instead of hanging it")
    func linkCycle() throws {
        let a = Span.stub(trace: .stub(1), span: .stub(1), links: [SpanLink(traceID: .stub(3), spanID: .stub(3))])
        let b = Span.stub(trace: .stub(2), span: .stub(2), links: [SpanLink(traceID: .stub(1), spanID: .stub(1))])
        let c = Span.stub(trace: .stub(3), span: .stub(3), links: [SpanLink(traceID: .stub(2), spanID: .stub(2))])
        let graph = Self.graph([a, b, c])
        let path = try #require(try CausalPath.to(SpanReference(c), in: graph))
        #expect(path.hops.map(\.reference) == [a, b, c].map(SpanReference.init))
        #expect(path.hops.map(\.relation) == [.origin, .linkedFrom, .linkedFrom])
        #expect(path.cycleCut)
    }

    @Test("a parent cycle and a self link end the walk")
    func parentCycle() throws {
        let a = Span.stub(span: .stub(1), parent: .stub(2))
        let b = Span.stub(span: .stub(2), parent: .stub(1))
        let path = try #require(try CausalPath.to(SpanReference(a), in: Self.graph([a, b])))
        #expect(path.hops.map(\.reference.spanID) == [.stub(2), .stub(1)])
        #expect(path.cycleCut)
        let selfLinked = Span.stub(span: .stub(5), links: [SpanLink(traceID: .stub(1), spanID: .stub(5))])
        let own = try #require(try CausalPath.to(SpanReference(selfLinked), in: Self.graph([selfLinked])))
        #expect(own.hops.count == 1)
        #expect(!own.cycleCut)
    }

    @Test("an unknown span has no path")
    func unknown() throws {
        #expect(try CausalPath.to(SpanReference(traceID: .stub(1), spanID: .stub(1)), in: Self.graph([])) == nil)
    }

    @Test("backlinks list the spans linking to a producer")
    func backlinks() {
        let graph = WorkflowGraph(nodes: WorkflowFixture.spans.map { CausalNode(span: $0.span, service: $0.service) })
        let producer = SpanReference(traceID: WorkflowFixture.worker, spanID: .stub(0x23))
        #expect(graph.linkedBy[producer] == [
            SpanReference(traceID: WorkflowFixture.retry, spanID: .stub(0x31)),
            SpanReference(traceID: WorkflowFixture.batch, spanID: .stub(0x41)),
        ])
    }
}
