import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension QueuePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "rows": self.rows
        case "counts": self.counts
        case "statusOptions": self.statusOptions
        case "classOptions": self.classOptions
        case "ownerOptions": self.ownerOptions
        case "severityOptions": self.severityOptions
        case "breachedOptions": self.breachedOptions
        case "nextHref": self.nextHref
        case "filtered": self.filtered
        case "shown": self.shown
        case "hasRows": self.hasRows
        default: nil
        }
    }
}

extension QueuePage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "href": self.href
        case "severity": self.severity
        case "exceptionClass": self.exceptionClass
        case "summary": self.summary
        case "owner": self.owner
        case "status": self.status
        case "due": self.due
        case "breached": self.breached
        case "occurrences": self.occurrences
        case "age": self.age
        case "opened": self.opened
        default: nil
        }
    }
}

extension QueuePage.StatusCount: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "status": self.status
        case "count": self.count
        case "href": self.href
        case "current": self.current
        default: nil
        }
    }
}

extension QueuePage.Option: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": self.value
        case "label": self.label
        case "selected": self.selected
        default: nil
        }
    }
}
