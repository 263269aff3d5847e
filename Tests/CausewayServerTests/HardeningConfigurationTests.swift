import CausewayServer
import Ingest
import Testing

@Suite("Configuration: ingest limits, timeouts, tokens and who may listen where")
struct HardeningConfigurationTests {
    static let digest = String(repeating: "ab", count: 32)

    @Test("ingest and listen keys set what they name")
    func keys() throws {
        let configuration = try CausewayConfiguration.load(yaml: """
            listen: { allowed_hosts: [causeway.internal, "[::1]"] }
            ingest: { max_inflight_bytes: 1_000_000, grpc_max_concurrent_streams: 8, idle_timeout: 90s,
                      header_timeout: 5s, min_body_rate: 512, max_connections: 20 }
            auth: { ingest_tokens: [{ name: agents-prod, sha256: "\(Self.digest)" }] }
            """)
        #expect(configuration.allowedHosts == ["causeway.internal", "[::1]"])
        #expect(configuration.ingestLimits.maxInflightBytes == 1_000_000)
        #expect(configuration.ingestLimits.grpcMaxConcurrentStreams == 8)
        #expect(configuration.connections == ConnectionLimits(idleTimeout: .seconds(90), headerTimeout: .seconds(5),
                                                              minBodyBytesPerSecond: 512, maxConnections: 20))
        #expect(configuration.ingestTokens == [IngestToken(name: "agents-prod", sha256: [UInt8](repeating: 0xAB, count: 32))])
    }

    @Test("a bad token entry or timeout names the key and its line", arguments: [
        ("auth:\n  ingest_tokens:\n    - { name: a, sha256: nothex }\n", "auth.ingest_tokens[0].sha256 at line 3 must be the 64 hex digits"),
        ("auth:\n  ingest_tokens:\n    - { sha256: \"\(digest)\" }\n", "name"),
        ("auth:\n  ingest_tokens:\n    - { name: a, sha256: \"\(digest)\", role: admin }\n", "unknown key"),
        ("ingest:\n  idle_timeout: soon\n", "ingest.idle_timeout at line 2"),
    ])
    func errors(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) { try CausewayConfiguration.load(yaml: yaml) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }

    @Test("an OTLP listener off loopback needs ingest tokens; the API needs reviewers; on purpose is allowed")
    func refusal() throws {
        var configuration = CausewayConfiguration.default
        #expect(configuration.refusal == nil)
        configuration.otlpGRPC = ListenAddress(host: "0.0.0.0", port: 4317)
        #expect(configuration.refusal?.contains("otlp-grpc on 0.0.0.0:4317") == true)
        #expect(configuration.refusal?.contains("auth.ingest_tokens") == true)
        configuration.ingestTokens = [IngestToken(name: "agents", sha256: [UInt8](repeating: 1, count: 32))]
        #expect(configuration.refusal == nil)
        configuration.api = ListenAddress(host: "10.0.0.5", port: 8319)
        #expect(configuration.refusal?.contains("auth.reviewers") == true)
        configuration.allowUnauthenticated = true
        #expect(configuration.refusal == nil)
    }
}
