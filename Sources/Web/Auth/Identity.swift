import Storage

/// Who makes a request: a configured reviewer, or, with none configured, the open local user.
public struct Identity: Sendable, Equatable {
    public var name: String
    public var role: ReviewerRole
    public var teams: [String]
    /// Signed in (token or session): the history names it, whatever the client says.
    public var authenticated: Bool

    /// The user of an open dashboard or API (no reviewers configured).
    public static let local = Identity(name: "local", role: .admin, teams: [], authenticated: false)

    public init(name: String, role: ReviewerRole, teams: [String], authenticated: Bool) {
        self.name = name
        self.role = role
        self.teams = teams
        self.authenticated = authenticated
    }

    public init(_ reviewer: Reviewer) {
        self.init(name: reviewer.name, role: reviewer.role, teams: reviewer.teams, authenticated: true)
    }

    /// May act on an item of this owner.
    public func mayAct(onOwner owner: String) -> Bool {
        switch role {
        case .viewer: false
        case .admin: true
        case .reviewer: teams.isEmpty || teams.contains(owner)
        }
    }

    /// The actor recorded in history: the signed-in name, else what the client sent, else `local`.
    public func actor(claimed: String?) -> String {
        if authenticated { return name }
        guard let claimed, !claimed.isEmpty else { return name }
        return claimed
    }
}
