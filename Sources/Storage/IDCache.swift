/// Ids of resources and scopes already stored, so a batch from a known service costs no lookup.
/// Bounded: past `capacity` entries of a kind it starts over, since an exporter sending a new
/// resource with every request would otherwise grow it for the life of the process.
struct IDCache {
    static let capacity = 4096
    private var resources: [SpanRows.ResourceRow: Int64] = [:]
    private var scopes: [SpanRows.ScopeRow: Int64] = [:]

    /// Entries held now, both kinds together.
    var count: Int { resources.count + scopes.count }

    func resource(_ row: SpanRows.ResourceRow) -> Int64? { resources[row] }

    func scope(_ row: SpanRows.ScopeRow) -> Int64? { scopes[row] }

    mutating func remember(_ row: SpanRows.ResourceRow, id: Int64) {
        if resources.count >= Self.capacity { resources = [:] }
        resources[row] = id
    }

    mutating func remember(_ row: SpanRows.ScopeRow, id: Int64) {
        if scopes.count >= Self.capacity { scopes = [:] }
        scopes[row] = id
    }
}
