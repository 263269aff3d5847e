import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension LoginPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "next": self.next
        case "failed": self.failed
        default: nil
        }
    }
}
