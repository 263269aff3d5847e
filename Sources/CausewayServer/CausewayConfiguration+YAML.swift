import Foundation
import Ingest
import TraceModel
import Web
import Yams

extension CausewayConfiguration {
    /// Reads a YAML configuration over the defaults. Every key is optional; an unknown key or a
    /// bad value throws a `ConfigurationError` naming the key and its line.
    public static func load(yaml text: String, over base: CausewayConfiguration = .default,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> CausewayConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("the configuration is not valid YAML: \(error)")
        }
        var configuration = base
        guard let root else { return configuration }
        let top = try YAMLSection(root, path: "")
        try top.onlyKeys(["storage", "listen", "ingest", "stitch", "detect", "owners", "auth", "notify"])
        if let storage = try top.section("storage") {
            try storage.onlyKeys(["path", "retention", "postgres"])
            if let url = try storage.string("postgres") {
                guard CausewayConfiguration.isPostgresURL(url) else {
                    throw ConfigurationError("storage.postgres at line \(storage.value("postgres")?.mark?.line ?? 0) must be a postgres:// or postgresql:// address")
                }
                configuration.postgresURL = url
            }
            if let path = try storage.string("path") { configuration.databasePath = path }
            if let nanos = try storage.duration("retention") { configuration.retentionNanos = nanos }
        }
        if let listen = try top.section("listen") {
            try listen.onlyKeys(["otlp_grpc", "otlp_http", "api", "allowed_hosts", "tls"])
            if let tls = try listen.section("tls") {
                try tls.onlyKeys(["cert", "key"])
                guard let cert = try tls.string("cert") else { throw tls.missing("cert") }
                guard let key = try tls.string("key") else { throw tls.missing("key") }
                configuration.tls = ListenerTLS(certificatePath: cert, keyPath: key)
            }
            if let hosts = try listen.stringList("allowed_hosts") { configuration.allowedHosts = hosts }
            if let address = try listen.address("otlp_grpc") { configuration.otlpGRPC = address }
            if let address = try listen.address("otlp_http") { configuration.otlpHTTP = address }
            if let address = try listen.address("api") { configuration.api = address }
        }
        if let ingest = try top.section("ingest") {
            try ingest.onlyKeys(["max_body_bytes", "max_concurrent_exports", "max_queued_spans", "max_inflight_bytes",
                                 "grpc_max_concurrent_streams", "idle_timeout", "header_timeout", "min_body_rate", "max_connections",
                                 "max_attribute_value_bytes", "max_spans_per_trace"])
            if let value = try ingest.positiveInt("max_attribute_value_bytes") { configuration.ingestLimits.maxAttributeValueBytes = value }
            if let value = try ingest.positiveInt("max_spans_per_trace") { configuration.ingestLimits.maxSpansPerTrace = value }
            if let value = try ingest.positiveInt("max_body_bytes") { configuration.ingestLimits.maxBodyBytes = value }
            if let value = try ingest.positiveInt("max_concurrent_exports") { configuration.ingestLimits.maxConcurrentExports = value }
            if let value = try ingest.positiveInt("max_queued_spans") { configuration.maxQueuedSpans = value }
            if let value = try ingest.positiveInt("max_inflight_bytes") { configuration.ingestLimits.maxInflightBytes = value }
            if let value = try ingest.positiveInt("grpc_max_concurrent_streams") { configuration.ingestLimits.grpcMaxConcurrentStreams = value }
            if let nanos = try ingest.duration("idle_timeout") { configuration.connections.idleTimeout = .nanoseconds(Int64(nanos)) }
            if let nanos = try ingest.duration("header_timeout") { configuration.connections.headerTimeout = .nanoseconds(Int64(nanos)) }
            if let value = try ingest.positiveInt("min_body_rate") { configuration.connections.minBodyBytesPerSecond = value }
            if let value = try ingest.positiveInt("max_connections") { configuration.connections.maxConnections = value }
        }
        if let stitch = try top.section("stitch") {
            try stitch.onlyKeys(["correlation_attributes"])
            if let value = try stitch.stringList("correlation_attributes") { configuration.correlationAttributes = value }
        }
        if let detect = try top.section("detect") {
            try readDetect(detect, into: &configuration.detection)
        }
        if let owners = try top.sectionList("owners") {
            configuration.owners = try readOwners(owners)
        }
        if let notify = try top.sectionList("notify") {
            configuration.notify = try readNotify(notify, environment: environment, api: configuration.api)
        }
        if let auth = try top.section("auth") {
            try auth.onlyKeys(["reviewers", "ingest_tokens", "allow_unauthenticated"])
            if let tokens = try auth.sectionList("ingest_tokens") {
                configuration.ingestTokens = try tokens.map { entry throws(ConfigurationError) in try readIngestToken(entry) }
            }
            if let value = try auth.bool("allow_unauthenticated") { configuration.allowUnauthenticated = value }
            if let reviewers = try auth.sectionList("reviewers") {
                configuration.reviewers = ReviewerDirectory(try reviewers.map { entry throws(ConfigurationError) in try readReviewer(entry) })
            }
        }
        return configuration
    }

    /// One `auth.reviewers` entry: `{name, sha256, role, teams}`.
    static func readReviewer(_ entry: YAMLSection) throws(ConfigurationError) -> Reviewer {
        try entry.onlyKeys(["name", "sha256", "role", "teams"])
        let (name, digest) = try readNamedDigest(entry)
        let role = try entry.choice("role", ReviewerRole.self) ?? .reviewer
        return Reviewer(name: name, tokenSHA256: digest, role: role, teams: try entry.stringList("teams") ?? [])
    }

    /// One `auth.ingest_tokens` entry: `{name, sha256}`.
    static func readIngestToken(_ entry: YAMLSection) throws(ConfigurationError) -> IngestToken {
        try entry.onlyKeys(["name", "sha256"])
        let (name, digest) = try readNamedDigest(entry)
        return IngestToken(name: name, sha256: digest)
    }

    /// The `name` and `sha256` every token entry has.
    static func readNamedDigest(_ entry: YAMLSection) throws(ConfigurationError) -> (String, [UInt8]) {
        guard let name = try entry.string("name"), !name.isEmpty else { throw entry.missing("name") }
        guard let hex = try entry.string("sha256") else { throw entry.missing("sha256") }
        guard let digest = HexDigits.bytes(hex: hex), digest.count == 32 else {
            throw ConfigurationError("\(entry.path).sha256 at line \(entry.line) must be the 64 hex digits of the token's SHA-256")
        }
        return (name, digest)
    }
}

/// One YAML mapping, with the path of keys that led to it, for error messages.
struct YAMLSection {
    let mapping: Node.Mapping
    let path: String
    let line: Int

    init(_ node: Node, path: String) throws(ConfigurationError) {
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(path.isEmpty ? "the configuration" : path) (line \(node.mark?.line ?? 0)) must be a mapping of keys to values")
        }
        self.mapping = mapping
        self.path = path
        self.line = node.mark?.line ?? 0
    }

    private func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func onlyKeys(_ allowed: Set<String>) throws(ConfigurationError) {
        for (key, _) in mapping {
            let name = key.string ?? "?"
            guard allowed.contains(name) else {
                throw ConfigurationError("unknown key \(qualified(name)) at line \(key.mark?.line ?? 0); expected one of: \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }

    func value(_ key: String) -> Node? {
        mapping[key]
    }

    func section(_ key: String) throws(ConfigurationError) -> YAMLSection? {
        guard let node = value(key), !node.isNull else { return nil }
        return try YAMLSection(node, path: qualified(key))
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = value(key), !node.isNull else { return nil }
        guard let scalar = node.scalar else {
            throw ConfigurationError("\(qualified(key)) at line \(node.mark?.line ?? 0) must be a single value")
        }
        return scalar.string
    }

    func address(_ key: String) throws(ConfigurationError) -> ListenAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            throw ConfigurationError("\(qualified(key)) at line \(value(key)?.mark?.line ?? 0) must be HOST:PORT, got \"\(text)\"")
        }
        return address
    }

    func positiveInt(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = try string(key) else { return nil }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
            throw ConfigurationError("\(qualified(key)) at line \(value(key)?.mark?.line ?? 0) must be a positive integer, got \"\(text)\"")
        }
        return number
    }
}

extension Node {
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
