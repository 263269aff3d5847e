/// Who is looking at a page: their identity and the session's CSRF token for its forms.
struct Viewer {
    var identity: Identity
    var csrf: String

    init(identity: Identity, csrf: String) {
        self.identity = identity
        self.csrf = csrf
    }

    init(_ context: WebRequestContext) {
        self.init(identity: context.identity, csrf: context.session?.csrfToken ?? "")
    }
}
