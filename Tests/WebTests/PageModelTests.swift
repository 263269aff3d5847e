import Foundation
import Mustache
import Testing
import TraceModel
@testable import Web

/// The page models answer the templates' lookups themselves (`MustacheParent`, no Mirror): every
/// stored field must be reachable by its name, with its own value, all the way down.
@Suite("Page models")
struct PageModelTests {
    /// Checks `value` and every model nested in it; returns how many fields were compared.
    @discardableResult
    static func expectLookupsMatchFields(_ wrapped: Any, path: String) -> Int {
        let value = unwrapped(wrapped)
        guard let parent = value as? any MustacheParent else { return 0 }
        var compared = 0
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let looked = parent.child(named: label)
            #expect(String(describing: looked.map { $0 } ?? "nil" as Any) == String(describing: Self.unwrapped(child.value)), "\(path).\(label)")
            compared += 1
            if let items = child.value as? [Any] {
                for (index, item) in items.enumerated() { compared += expectLookupsMatchFields(item, path: "\(path).\(label)[\(index)]") }
            } else {
                compared += expectLookupsMatchFields(child.value, path: "\(path).\(label)")
            }
        }
        return compared
    }

    static func unwrapped(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value ?? "nil"
    }

    @Test("the exception, queue, workflow and insights pages expose every field by name")
    func lookups() async throws {
        let fixture = try await WebFixture.make()
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        let context = Viewer(identity: .local, csrf: "token")
        let detail = try #require(try await fixture.store.exception(id: fixture.approvalID))
        #expect(Self.expectLookupsMatchFields(ExceptionPage(detail, now: now, viewer: context), path: "exception") > 60)

        let page = try await fixture.store.exceptions(.active, order: .urgency, limit: 50, after: nil, now: now)
        let queue = QueuePage(query: try ExceptionQuery(.init()), parameters: [], page: page,
                              counts: try await fixture.store.exceptionCounts(.active, now: now),
                              facets: try await fixture.store.exceptionFacets(), now: now, viewer: context)
        #expect(Self.expectLookupsMatchFields(queue, path: "queue") > 30)

        let workflow = try #require(try await fixture.store.workflow(containing: .stub(1)))
        let exceptions = try await fixture.store.exceptions(inWorkflowOf: .stub(1))
        #expect(Self.expectLookupsMatchFields(WorkflowPage(workflow: workflow, requested: .stub(1), exceptions: exceptions, viewer: context),
                                              path: "workflow") > 10)

        let insights = InsightsPage(statistics: try await fixture.store.queueStatistics(now: now), recurring7: [], recurring30: [], viewer: context)
        #expect(Self.expectLookupsMatchFields(insights, path: "insights") > 10)
    }

    @Test("counts on the pages take their noun in the right number")
    func countedNouns() {
        #expect(Counted.text(1, "link") == "1 link")
        #expect(Counted.text(0, "link") == "0 links")
        #expect(Counted.text(2, "attempt") == "2 attempts")
        #expect(Counted.text(1, "retry", plural: "retries") == "1 retry")
        #expect(Counted.text(3, "retry", plural: "retries") == "3 retries")
    }
}
