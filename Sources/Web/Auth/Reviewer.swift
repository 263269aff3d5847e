/// A person (or tool) allowed into the API and dashboard, known by the SHA-256 of its token.
public struct Reviewer: Sendable, Equatable {
    public var name: String
    /// The SHA-256 of the token's UTF-8 bytes; the token itself is never stored.
    public var tokenSHA256: [UInt8]
    public var role: ReviewerRole
    /// The owners whose items a `reviewer` may act on; empty: every owner.
    public var teams: [String]

    public init(name: String, tokenSHA256: [UInt8], role: ReviewerRole, teams: [String] = []) {
        self.name = name
        self.tokenSHA256 = tokenSHA256
        self.role = role
        self.teams = teams
    }
}
