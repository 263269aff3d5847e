import Foundation
import TestSupport
import Testing
import TraceModel

/// DESIGN.md §8 through the real executable: the CLI's token, the actor the server records, and
/// the refusal to serve an open API off loopback.
@Suite("Reviewer auth, end to end")
struct ReviewerAuthCommandTests {
    static let configuration = """
        auth:
          reviewers:
            - { name: alice, sha256: 50494e48a873f58a31adb9d5b218dea509d599cc0bb661c63d40601c136cea93, role: admin }   # alice-cli-token
        """

    @Test("the CLI sends --token or $CAUSEWAY_TOKEN as a Bearer token; without one the server's 401 is said plainly; the actor is the token's name")
    func cliToken() async throws {
        let server = try ServerProcess(configuration: Self.configuration)
        defer { _ = server.terminate() }
        try await HTTP.export(server.otlpHTTP, .stub(service: "dispatch", spans: CourierPickup.first + CourierPickup.second))

        let refused = try CommandRun.causeway(["exceptions", "list", "--server", server.api], environment: ["CAUSEWAY_TOKEN": ""])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Authorization: Bearer"), "\(refused.stderr)")
        let wrong = try CommandRun.causeway(["exceptions", "list", "--token", "nope", "--server", server.api])
        #expect(wrong.status == 1)

        let listed = try CommandRun.causeway(["exceptions", "list", "--json", "--token", "alice-cli-token", "--server", server.api])
        #expect(listed.status == 0, "\(listed.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        let id = try #require((object["exceptions"] as? [[String: Any]])?.first?["id"] as? String)

        let ack = try CommandRun.causeway(["exceptions", "ack", id, "--actor", "mallory", "--server", server.api],
                                          environment: ["CAUSEWAY_TOKEN": "alice-cli-token"])
        #expect(ack.status == 0, "\(ack.stderr)")
        let show = try CommandRun.causeway(["exceptions", "show", id, "--server", server.api], environment: ["CAUSEWAY_TOKEN": "alice-cli-token"])
        #expect(show.stdout.contains("alice  acknowledged"), "\(show.stdout)")
        #expect(!show.stdout.contains("mallory"))
    }

    @Test("serve refuses (exit 2, naming the listener) an API on a non-loopback address with no reviewers")
    func refusesOpenNonLoopback() throws {
        let run = try CommandRun.causeway(["serve", "--db", temporaryDatabasePath(), "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0",
                                           "--api", "0.0.0.0:0"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("0.0.0.0:0"), "\(run.stderr)")
        #expect(run.stderr.contains("auth.reviewers"))
    }
}
