import CausewayServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("an empty file gives the built-in defaults")
    func defaults() throws {
        #expect(try CausewayConfiguration.load(yaml: "") == .default)
        #expect(CausewayConfiguration.default.otlpGRPC == ListenAddress(host: "127.0.0.1", port: 4317))
        #expect(CausewayConfiguration.default.otlpHTTP == ListenAddress(host: "127.0.0.1", port: 4318))
        #expect(CausewayConfiguration.default.api == ListenAddress(host: "127.0.0.1", port: 8319))
        #expect(CausewayConfiguration.default.databasePath == "./causeway.db")
    }

    @Test("keys set what they name")
    func keys() throws {
        let configuration = try CausewayConfiguration.load(yaml: """
            storage: { path: /var/lib/causeway.db }
            listen:
              otlp_grpc: 0.0.0.0:14317
              otlp_http: "[::1]:0"
              api: localhost:9000
            ingest: { max_body_bytes: 1_048_576, max_queued_spans: 100 }
            """)
        #expect(configuration.databasePath == "/var/lib/causeway.db")
        #expect(configuration.otlpGRPC == ListenAddress(host: "0.0.0.0", port: 14317))
        #expect(configuration.otlpHTTP == ListenAddress(host: "::1", port: 0))
        #expect(configuration.api == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(configuration.ingestLimits.maxBodyBytes == 1_048_576)
        #expect(configuration.maxQueuedSpans == 100)
    }

    @Test("a bad key or value names the key and its line", arguments: [
        ("storage:\n  path: x\nlisten:\n  otlp_grcp: 127.0.0.1:1\n", "unknown key listen.otlp_grcp at line 4"),
        ("listen:\n  api: nowhere\n", "listen.api at line 2 must be HOST:PORT"),
        ("ingest:\n  max_body_bytes: -5\n", "ingest.max_body_bytes at line 2 must be a positive integer"),
        ("colour: blue\n", "unknown key colour at line 1"),
        ("listen: [1, 2]\n", "listen (line 1) must be a mapping"),
        ("listen: {api: [\n", "not valid YAML"),
    ])
    func errors(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) { try CausewayConfiguration.load(yaml: yaml) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}
