/// The classes and owners that occur in the queue, for the dashboard's filters.
public struct ExceptionFacets: Sendable, Equatable {
    public var classes: [String]
    public var owners: [String]
}
