import Foundation

/// `causeway serve` from the same build folder as this benchmark, on ephemeral ports.
final class ServerUnderTest {
    let process = Process()
    let httpPort: Int
    let apiPort: Int

    /// - Parameter configuration: YAML for `--config`, if any.
    init(databasePath: String, configuration: String? = nil) throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("causeway")
        process.executableURL = executable
        process.arguments = ["serve", "--db", databasePath, "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0",
                             "--api", "127.0.0.1:0", "--log-level", "warning"]
        if let configuration {
            // Beside the database file; a PostgreSQL URL names no folder, so in the temporary one.
            let path = databasePath.contains("://")
                ? FileManager.default.temporaryDirectory.appendingPathComponent("causeway-bench-\(UUID().uuidString).yaml").path
                : databasePath + ".yaml"
            try configuration.write(toFile: path, atomically: true, encoding: .utf8)
            process.arguments! += ["--config", path]
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        while text.components(separatedBy: "\n").filter({ $0.hasPrefix("listening ") }).count < 3 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchError("causeway serve exited before listening") }
            text += String(decoding: chunk, as: UTF8.self)
        }
        func port(_ name: String) throws -> Int {
            guard let line = text.components(separatedBy: "\n").first(where: { $0.hasPrefix("listening \(name) ") }),
                  let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw BenchError("no \(name) listener in: \(text)")
            }
            return port
        }
        httpPort = try port("otlp-http")
        apiPort = try port("api")
    }

    func peakResidentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
    }

    /// Resident memory now (VmRSS).
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
