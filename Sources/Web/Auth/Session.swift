/// A dashboard session, carried in a signed cookie: who signed in (nil before sign-in), when it
/// expires, and a random nonce its CSRF token is derived from.
public struct Session: Sendable, Equatable {
    public var name: String?
    public var expiresAtUnixSeconds: UInt64
    /// 32 lowercase hex digits, random per session.
    public var nonce: String
    /// The token every form post of this session must carry.
    public var csrfToken: String
}
