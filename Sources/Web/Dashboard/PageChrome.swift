/// What every page shows around its content: the title, the navigation, who is signed in, and
/// the session's CSRF token for the page's forms.
struct PageChrome {
    var title: String
    var user: String
    var role: String
    /// Signed in with a token (shows "sign out").
    var signedIn: Bool
    /// Who is browsing is shown; not on the sign-in page, where nobody is yet (the local
    /// identity that stands in for an unsigned visitor is no one's role).
    var showsWho = true
    var csrf: String

    var inQueue: Bool
    var inInsights: Bool

    enum Section { case queue, insights, none }

    init(title: String, section: Section, viewer: Viewer) {
        self.title = title
        inQueue = section == .queue
        inInsights = section == .insights
        user = viewer.identity.name
        role = viewer.identity.role.rawValue
        signedIn = viewer.identity.authenticated
        csrf = viewer.csrf
    }

    /// The sign-in page's: no one is signed in yet.
    static func signIn(_ viewer: Viewer) -> PageChrome {
        var chrome = PageChrome(title: "Sign in", section: .none, viewer: viewer)
        chrome.showsWho = false
        return chrome
    }
}
