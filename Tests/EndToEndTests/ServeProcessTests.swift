import Foundation
import Testing
import TestSupport
import TraceModel

@Suite("causeway serve, as a process", .serialized)
struct ServeProcessTests {
    @Test("prints one listening line per listener, exits 0 on SIGTERM, keeps what it acknowledged")
    func lifecycle() async throws {
        let path = temporaryDatabasePath()
        let first = try ServerProcess(databasePath: path)
        #expect(first.listeningLines.map { $0.split(separator: " ")[1] } == ["otlp-grpc", "otlp-http", "api"])
        #expect(first.listeningLines.allSatisfy { $0.contains("127.0.0.1:") })
        let reply = try await HTTP.send(first.otlpHTTP + "/v1/traces", headers: [("Content-Type", "application/x-protobuf")],
                                        body: TraceBatch.everyField.protobufExportRequest())
        #expect(reply.status == 200)
        #expect(first.terminate() == 0)

        let second = try ServerProcess(databasePath: path)
        let trace = try await HTTP.send(second.api + "/api/v1/traces/\(TraceID.stub(0xABCD).hex)", method: .GET)
        #expect(trace.status == 200)
        #expect((try trace.json()["spans"] as? [Any])?.count == 3)
        #expect(second.terminate() == 0)
    }

    @Test("a 1 GiB gzip bomb is refused with 413 while the server's memory stays bounded")
    func gzipBomb() async throws {
        let server = try ServerProcess()
        defer { _ = server.terminate() }
        // 1,024 gzip members of 1 MiB of zeros each: 1 GiB decompressed, about 1 MiB on the wire.
        let member = try gzipped([UInt8](repeating: 0, count: 1024 * 1024))
        var bomb: [UInt8] = []
        bomb.reserveCapacity(member.count * 1024)
        for _ in 0..<1024 { bomb.append(contentsOf: member) }
        let before = try server.peakResidentBytes()
        let reply = try await HTTP.send(server.otlpHTTP + "/v1/traces",
                                        headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")], body: bomb)
        #expect(reply.status == 413)
        let growth = try server.peakResidentBytes() - before
        #expect(growth < 96 * 1024 * 1024, "peak memory grew by \(growth / 1024 / 1024) MiB")
        let health = try await HTTP.send(server.api + "/healthz", method: .GET)
        #expect(health.status == 200)
    }
}

@Suite("causeway serve with a configuration file")
struct ServeConfigurationTests {
    @Test("a bad key or value stops serve with a message naming the key and line")
    func badConfiguration() throws {
        let directory = URL(fileURLWithPath: temporaryDatabasePath()).deletingLastPathComponent()
        let file = directory.appendingPathComponent("causeway.yaml")
        try "detect:\n  stale_connector_data:\n    max_age: soon\n".write(to: file, atomically: true, encoding: .utf8)
        let run = try CommandRun.causeway(["serve", "--config", file.path, "--db", directory.appendingPathComponent("c.db").path,
                                           "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--api", "127.0.0.1:0"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("detect.stale_connector_data.max_age at line 3 must be a duration"), "\(run.stderr)")
        #expect(!run.stdout.contains("listening"))
    }
}
