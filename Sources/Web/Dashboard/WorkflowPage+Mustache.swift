import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension WorkflowPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "workflowID": self.workflowID
        case "traceID": self.traceID
        case "traceCount": self.traceCount
        case "spanCount": self.spanCount
        case "errorCount": self.errorCount
        case "linkCount": self.linkCount
        case "traces": Counted.text(self.traceCount, "trace")
        case "spans": Counted.text(self.spanCount, "span")
        case "links": Counted.text(self.linkCount, "link")
        case "timeline": self.timeline
        case "omitted": self.omitted
        case "hasOmitted": self.hasOmitted
        case "exceptions": self.exceptions
        case "hasExceptions": self.hasExceptions
        case "apiHref": self.apiHref
        default: nil
        }
    }
}

extension WorkflowPage.ExceptionLine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "href": self.href
        case "severity": self.severity
        case "exceptionClass": self.exceptionClass
        case "summary": self.summary
        case "status": self.status
        default: nil
        }
    }
}
