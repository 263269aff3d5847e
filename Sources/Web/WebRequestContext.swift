import Hummingbird

/// The request context of the API listener: who is asking, and the dashboard session.
public struct WebRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AccessMiddleware`: the signed-in reviewer, or `.local` when none are configured.
    public var identity: Identity = .local
    /// The dashboard session (pages only).
    public var session: Session?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// 64 KiB: the largest action or login body we read.
    public var maxUploadSize: Int { 64 * 1024 }
}
