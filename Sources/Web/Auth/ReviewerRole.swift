/// What a reviewer may do: `viewer` reads; `reviewer` acts on its teams' items (all items when it
/// lists no teams); `admin` acts on everything.
public enum ReviewerRole: String, Sendable, Equatable, CaseIterable {
    case viewer, reviewer, admin
}
