import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension PageChrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "title": self.title
        case "user": self.user
        case "role": self.role
        case "signedIn": self.signedIn
        case "showsWho": self.showsWho
        case "csrf": self.csrf
        case "inQueue": self.inQueue
        case "inInsights": self.inInsights
        default: nil
        }
    }
}
