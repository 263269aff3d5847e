/// One `auth.ingest_tokens` entry: a name for logs and the SHA-256 of the token.
public struct IngestToken: Sendable, Equatable {
    public var name: String
    public var sha256: [UInt8]

    public init(name: String, sha256: [UInt8]) {
        self.name = name
        self.sha256 = sha256
    }
}
