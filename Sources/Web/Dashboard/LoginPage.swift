/// `GET /login`: one field, the reviewer's token.
struct LoginPage {
    var chrome: PageChrome
    var next: String
    var failed: Bool

    /// Where a page sends a browser that is not signed in.
    static func location(returningTo target: String) -> String {
        "/login?next=" + HTMLText.queryValue(target)
    }

    /// Only a path on this site may follow sign-in (no `//host` or scheme).
    static func safeNext(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.contains("\\") else { return "/" }
        return candidate
    }
}
