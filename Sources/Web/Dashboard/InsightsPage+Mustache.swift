import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension InsightsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "figures": self.figures
        case "charts": self.charts
        case "recurring": self.recurring
        case "empty": self.empty
        default: nil
        }
    }
}

extension InsightsPage.Figure: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": self.label
        case "value": self.value
        case "hint": self.hint
        default: nil
        }
    }
}

extension InsightsPage.Chart: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": self.title
        case "svg": self.svg
        case "caption": self.caption
        default: nil
        }
    }
}

extension InsightsPage.RecurringTable: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": self.title
        case "rows": self.rows
        case "hasRows": self.hasRows
        default: nil
        }
    }
}

extension InsightsPage.RecurringRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "exceptionClass": self.exceptionClass
        case "what": self.what
        case "summary": self.summary
        case "exceptions": self.exceptions
        case "occurrences": self.occurrences
        default: nil
        }
    }
}
