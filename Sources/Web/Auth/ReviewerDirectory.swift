import Ingest

/// The configured reviewers (DESIGN.md §8). Empty: the API and dashboard are open, and the actor
/// is whatever the client says (default `local`).
public struct ReviewerDirectory: Sendable, Equatable {
    public var reviewers: [Reviewer]

    public init(_ reviewers: [Reviewer] = []) {
        self.reviewers = reviewers
    }

    public var isEmpty: Bool { reviewers.isEmpty }

    /// The reviewer whose token this is. Every stored digest is compared, each in constant time,
    /// so the time taken says nothing about which digest (or how much of one) matched.
    public func reviewer(token: String) -> Reviewer? {
        let digest = TokenDigest.sha256(token)
        var found: Reviewer?
        for reviewer in reviewers where TokenDigest.constantTimeEqual(reviewer.tokenSHA256, digest) {
            found = reviewer
        }
        return found
    }

    /// The reviewer of that name (a signed session names one).
    public func reviewer(named name: String) -> Reviewer? {
        reviewers.first { $0.name == name }
    }
}
