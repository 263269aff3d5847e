import CausewayServer
import Foundation
import TestSupport

/// The real `causeway` executable, started as `causeway serve` on ephemeral ports.
final class ServerProcess {
    let process = Process()
    let databasePath: String
    private(set) var ports: [String: Int] = [:]
    private(set) var listeningLines: [String] = []
    private let output = Pipe()

    var otlpHTTP: String { "http://127.0.0.1:\(ports["otlp-http"] ?? 0)" }
    var api: String { "http://127.0.0.1:\(ports["api"] ?? 0)" }
    var pid: Int32 { process.processIdentifier }

    /// The executable `swift build` put beside this test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("causeway")
    }

    /// - Parameter configuration: YAML for `--config`, if any.
    init(databasePath: String = temporaryDatabasePath(), configuration: String? = nil) throws {
        self.databasePath = databasePath
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw TestServerError("no causeway executable at \(Self.executable.path); build it first")
        }
        process.executableURL = Self.executable
        process.arguments = ["serve", "--db", databasePath, "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0",
                             "--api", "127.0.0.1:0", "--log-level", "warning"]
        if let configuration {
            // Beside the database file, or (a PostgreSQL address) in a directory of its own.
            let path = (CausewayConfiguration.isPostgresURL(databasePath) ? temporaryDatabasePath() : databasePath) + ".yaml"
            try configuration.write(toFile: path, atomically: true, encoding: .utf8)
            process.arguments! += ["--config", path]
        }
        process.standardOutput = output
        try process.run()
        // Read the three `listening NAME HOST:PORT` lines.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while listeningLines.count < 3, Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
            listeningLines = lines.filter { $0.hasPrefix("listening ") }
        }
        for line in listeningLines {
            let parts = line.split(separator: " ")
            if parts.count == 3, let port = parts[2].split(separator: ":").last.flatMap({ Int($0) }) {
                ports[String(parts[1])] = port
            }
        }
        guard ports.count == 3 else {
            process.terminate()
            throw TestServerError("the server did not report its listeners: \(listeningLines)")
        }
    }

    /// Two servers on one database, started at the same moment (each on a thread of its own).
    static func startTogether(databasePath: String, configuration: String? = nil) throws -> (ServerProcess, ServerProcess) {
        let results = Results()
        let group = DispatchGroup()
        for index in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let started = Result { try ServerProcess(databasePath: databasePath, configuration: configuration) }
                results.lock.withLock { results.started[index] = started }
            }
        }
        group.wait()
        return try results.lock.withLock { (try results.started[0]!.get(), try results.started[1]!.get()) }
    }

    /// What `startTogether`'s threads started.
    private final class Results: @unchecked Sendable {
        let lock = NSLock()
        var started: [Int: Result<ServerProcess, any Error>] = [:]
    }

    /// Sends SIGTERM and waits; returns the exit status.
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Peak resident memory of the server so far (VmHWM), in bytes.
    func peakResidentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw TestServerError("no VmHWM in /proc/\(pid)/status")
        }
        return kilobytes * 1024
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// One run of the `causeway` executable as a client command, e.g. `traces show`.
struct CommandRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// - Parameter environment: variables set on top of this process's environment.
    static func causeway(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandRun {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                          stderr: String(decoding: stderr, as: UTF8.self))
    }
}
