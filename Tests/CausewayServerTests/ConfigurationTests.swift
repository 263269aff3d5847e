import CausewayServer
import Detection
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

    @Test("storage.postgres names the PostgreSQL database to serve from")
    func postgres() throws {
        let configuration = try CausewayConfiguration.load(yaml: "storage:\n  postgres: postgresql://causeway@db:5432/causeway?sslmode=require\n")
        #expect(configuration.postgresURL == "postgresql://causeway@db:5432/causeway?sslmode=require")
        #expect(CausewayConfiguration.default.postgresURL == nil)
    }

    @Test("a bad key or value names the key and its line", arguments: [
        ("storage:\n  path: x\nlisten:\n  otlp_grcp: 127.0.0.1:1\n", "unknown key listen.otlp_grcp at line 4"),
        ("listen:\n  api: nowhere\n", "listen.api at line 2 must be HOST:PORT"),
        ("ingest:\n  max_body_bytes: -5\n", "ingest.max_body_bytes at line 2 must be a positive integer"),
        ("colour: blue\n", "unknown key colour at line 1"),
        ("listen: [1, 2]\n", "listen (line 1) must be a mapping"),
        ("listen: {api: [\n", "not valid YAML"),
        ("storage:\n  postgres: mysql://causeway@db/causeway\n", "storage.postgres at line 2 must be a postgres:// or postgresql:// address"),
    ])
    func errors(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) { try CausewayConfiguration.load(yaml: yaml) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}

@Suite("Configuration: detect and owners")
struct DetectionConfigurationTests {
    static let designExample = """
        storage: { path: ./causeway.db }
        listen: { otlp_grpc: 127.0.0.1:4317, otlp_http: 127.0.0.1:4318, api: 127.0.0.1:8319 }
        stitch: { correlation_attributes: [messaging.message.id] }
        detect:
          repeat_failure: { max_attempts: 3, non_transient_max_attempts: 2,
                            transient_error_types: [timeout, rate_limited, "429", "503", "504", unavailable],
                            generic_error_types: [ToolRetryError, ToolFailedError, tool_error, _OTHER, error] }
          stale_connector_data: { max_age: 15m, stale_reads_before_escalation: 2,
                                  max_age_by_connector: { vendor-master: 1h } }
          approval: { required_tools: ["payments.*", "email.send"] }
          unresolved_failure: { settle_after: 30s }
          rules:
            - { name: low-confidence, attribute: gen_ai.evaluation.score, below: 0.5,
                class: low_confidence, category: confidence, severity: high }
        owners:                        # first match wins; match keys: class, category, service, tool (glob)
          - { match: { class: approval_required, tool: "payments.*" }, owner: finance-approvals, sla: 15m }
          - { match: { service: device-recovery }, owner: logistics-ops, sla: 4h }
          - { owner: ops-triage, sla: 24h }
        """

    @Test("the example of DESIGN.md §3 reads whole")
    func designExample() throws {
        let configuration = try CausewayConfiguration.load(yaml: Self.designExample)
        let detect = configuration.detection
        #expect(detect.maxAttempts == 3)
        #expect(detect.transientErrorTypes == ["timeout", "rate_limited", "429", "503", "504", "unavailable"])
        #expect(detect.genericErrorTypes == ["ToolRetryError", "ToolFailedError", "tool_error", "_OTHER", "error"])
        #expect(configuration.correlationAttributes == ["messaging.message.id"])
        #expect(detect.maxDataAgeNanos == 15 * 60 * 1_000_000_000)
        #expect(detect.maxDataAgeByConnector == ["vendor-master": 3600 * 1_000_000_000])
        #expect(detect.rules == [AttributeRule(name: "low-confidence", attribute: "gen_ai.evaluation.score", condition: .below(0.5),
                                               exceptionClass: "low_confidence", category: .confidence, severity: .high)])
        #expect(configuration.owners.rules.map(\.owner) == ["finance-approvals", "logistics-ops", "ops-triage"])
        #expect(configuration.owners.rules[0].tool == "payments.*")
        #expect(configuration.owners.rules[0].exceptionClass == "approval_required")
        #expect(configuration.owners.rules[1].slaNanos == 4 * 3600 * 1_000_000_000)
    }

    @Test("durations", arguments: [("30s", UInt64(30_000_000_000)), ("15m", 900_000_000_000), ("1h30m", 5_400_000_000_000), ("500ms", 500_000_000)])
    func durations(text: String, nanos: UInt64) throws {
        let configuration = try CausewayConfiguration.load(yaml: "detect: { stale_connector_data: { max_age: \(text) } }")
        #expect(configuration.detection.maxDataAgeNanos == nanos)
    }

    @Test("bad detect or owners values name the key and line", arguments: [
        ("detect:\n  stale_connector_data:\n    max_age: soon\n", "detect.stale_connector_data.max_age at line 3 must be a duration"),
        ("detect:\n  repeat_failure: { max_atempts: 3 }\n", "unknown key detect.repeat_failure.max_atempts at line 2"),
        ("detect:\n  rules:\n    - { name: x, attribute: y, below: low }\n", "detect.rules[0].below at line 3 must be a number"),
        ("detect:\n  rules:\n    - { name: x, attribute: y, below: 1, category: vibes }\n", "detect.rules[0].category at line 3 must be one of"),
        ("owners:\n  - { match: { tool: x } }\n", "owners[0] at line 2 needs owner"),
        ("owners:\n  - { owner: a, sla: forever }\n", "owners[0].sla at line 2 must be a duration"),
        ("owners: { owner: a }\n", "owners at line 1 must be a list"),
        ("stitch:\n  correlation_attributes: messaging.message.id\n", "stitch.correlation_attributes at line 2 must be a list"),
        ("stitch:\n  correlation_keys: [x]\n", "unknown key stitch.correlation_keys at line 2"),
        ("detect:\n  repeat_failure: { generic_error_types: tool_error }\n", "detect.repeat_failure.generic_error_types at line 2 must be a list"),
    ])
    func errors(yaml: String, message: String) {
        let error = #expect(throws: ConfigurationError.self) { try CausewayConfiguration.load(yaml: yaml) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}
