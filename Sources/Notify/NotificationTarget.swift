import Storage

/// One `notify` entry (DESIGN.md §9): where to POST which events about which exceptions.
public struct NotificationTarget: Sendable, Equatable {
    public var name: String
    /// `http://` or `https://`.
    public var url: String
    /// The environment variable holding the signing secret, and the secret read from it at start.
    public var secretEnv: String?
    public var secret: [UInt8]
    public var events: Set<String>
    /// Globs on the exception's class, category, owner and severity; nil matches anything.
    public var matchClass: String?
    public var matchCategory: String?
    public var matchOwner: String?
    public var matchSeverity: String?
    public var format: NotificationFormat
    /// The dashboard's base URL, for links in Slack messages.
    public var dashboardURL: String

    public init(name: String, url: String, secretEnv: String? = nil, secret: [UInt8] = [], events: Set<String> = NotificationPlan.events,
                matchClass: String? = nil, matchCategory: String? = nil, matchOwner: String? = nil, matchSeverity: String? = nil,
                format: NotificationFormat = .json, dashboardURL: String = "http://127.0.0.1:8319") {
        self.name = name
        self.url = url
        self.secretEnv = secretEnv
        self.secret = secret
        self.events = events
        self.matchClass = matchClass
        self.matchCategory = matchCategory
        self.matchOwner = matchOwner
        self.matchSeverity = matchSeverity
        self.format = format
        self.dashboardURL = dashboardURL
    }

    /// The store's view of it: which events about which exceptions.
    public var route: NotificationPlan.Route {
        NotificationPlan.Route(name: name, events: events, exceptionClass: matchClass, category: matchCategory, owner: matchOwner,
                               severity: matchSeverity)
    }
}
