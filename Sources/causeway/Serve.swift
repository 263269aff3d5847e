import ArgumentParser
import CausewayServer
import Foundation
import Logging

/// `causeway serve`: runs the listeners and the writer until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Receive OTLP traces and serve the API.")

    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    @Option(name: .long, help: "SQLite database path (default ./causeway.db), or a PostgreSQL address postgres://USER@HOST:PORT/DB.")
    var db: String?

    @Option(name: .customLong("otlp-grpc"), help: "OTLP/gRPC listen address HOST:PORT (default 127.0.0.1:4317; port 0 = ephemeral).")
    var otlpGRPC: String?

    @Option(name: .customLong("otlp-http"), help: "OTLP/HTTP listen address HOST:PORT (default 127.0.0.1:4318).")
    var otlpHTTP: String?

    @Option(name: .long, help: "API and dashboard listen address HOST:PORT (default 127.0.0.1:8319).")
    var api: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "causeway")
        let configuration = try resolvedConfiguration()
        if let refusal = configuration.refusal {
            FileHandle.standardError.write(Data("causeway serve: \(refusal)\n".utf8))
            throw ExitCode(2)
        }
        if let limit = FileDescriptorLimit.raiseToHard(), limit.after > limit.before {
            logger.debug("raised the open-file limit", metadata: ["from": "\(limit.before)", "to": "\(limit.after)"])
        }
        let server = try CausewayServer(configuration: configuration, logger: logger) { listeners in
            let lines = listeners.map { "listening \($0.name) \($0.address)\n" }.joined()
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        try await server.run()
    }

    /// Defaults, then the config file, then the flags.
    func resolvedConfiguration() throws -> CausewayConfiguration {
        var configuration = CausewayConfiguration.default
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read the configuration file \(config): \(error.localizedDescription)")
            }
            do {
                configuration = try CausewayConfiguration.load(yaml: text)
            } catch {
                throw ValidationError("\(config): \(error.message)")
            }
        }
        if let db {
            if CausewayConfiguration.isPostgresURL(db) {
                configuration.postgresURL = db
            } else {
                configuration.databasePath = db
                configuration.postgresURL = nil   // --db overrides storage.postgres
            }
        }
        if let otlpGRPC { configuration.otlpGRPC = try Self.address(otlpGRPC, flag: "--otlp-grpc") }
        if let otlpHTTP { configuration.otlpHTTP = try Self.address(otlpHTTP, flag: "--otlp-http") }
        if let api { configuration.api = try Self.address(api, flag: "--api") }
        return configuration
    }

    static func address(_ text: String, flag: String) throws -> ListenAddress {
        guard let address = ListenAddress(parsing: text) else {
            throw ValidationError("\(flag) must be HOST:PORT, got \"\(text)\"")
        }
        return address
    }
}
