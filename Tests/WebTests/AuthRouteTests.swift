import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Testing
import TraceModel
@testable import Web

/// DESIGN.md §8, the reviewers half: who may read and act through the API, and whose name the history records.
@Suite("Reviewer auth on the API")
struct AuthRouteTests {
    func action(_ client: some TestClientProtocol, _ id: String, token: String?, body: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/exceptions/\(id)/actions", method: .post, headers: headers(token: token, json: true),
                                 body: ByteBuffer(string: body))
    }

    @Test("with reviewers, the API needs a reviewer's Bearer token: 401 without one or with a wrong one; /healthz stays open")
    func unauthorized() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: WebFixture.reviewers).test(.router) { client in
            let none = try await client.execute(uri: "/api/v1/exceptions", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            #expect(none.text.contains("\"code\":\"unauthorized\""))
            let wrong = try await client.execute(uri: "/api/v1/exceptions", method: .get, headers: headers(token: "alice-token2"))
            #expect(wrong.status == .unauthorized)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .unauthorized)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let viewer = try await client.execute(uri: "/api/v1/exceptions/\(fixture.approvalID)", method: .get, headers: headers(token: "victor-token"))
            #expect(viewer.status == .ok)
        }
    }

    @Test("a viewer may not act, a reviewer only on its teams' items, an admin on all: 403 otherwise")
    func roles() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: WebFixture.reviewers).test(.router) { client in
            let viewer = try await action(client, fixture.approvalID, token: "victor-token", body: #"{"action":"ack"}"#)
            #expect(viewer.status == .forbidden)
            let otherTeam = try await action(client, fixture.approvalID, token: "bob-token", body: #"{"action":"ack"}"#)
            #expect(otherTeam.status == .forbidden)
            #expect(otherTeam.text.contains("finance-approvals"))
            let ownTeam = try await action(client, fixture.approvalID, token: "alice-token", body: #"{"action":"ack"}"#)
            #expect(ownTeam.status == .ok)
            let notHers = try await action(client, fixture.repeatID, token: "alice-token", body: #"{"action":"ack"}"#)
            #expect(notHers.status == .forbidden)
            let admin = try await action(client, fixture.repeatID, token: "root-token", body: #"{"action":"resolve"}"#)
            #expect(admin.status == .ok)
        }
        let approval = try #require(try await fixture.store.exception(id: fixture.approvalID))
        #expect(approval.record.status == .acknowledged)
        let repeated = try #require(try await fixture.store.exception(id: fixture.repeatID))
        #expect(repeated.record.status == .resolved)
        // Refused actions left no trace in the history.
        #expect(approval.history.map(\.action) == ["opened", "acknowledged"])
    }

    @Test("the actor in the history is the token's name, never the body's")
    func actorFromToken() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: WebFixture.reviewers).test(.router) { client in
            let response = try await action(client, fixture.approvalID, token: "alice-token", body: #"{"action":"ack","actor":"mallory","note":"on it"}"#)
            #expect(response.status == .ok)
        }
        let detail = try #require(try await fixture.store.exception(id: fixture.approvalID))
        #expect(detail.history.last?.actor == "alice")
        #expect(detail.history.last?.note == "on it")
    }

    @Test("with no reviewers, the API is open and records the body's actor, default local")
    func openAPI() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            let claimed = try await action(client, fixture.approvalID, token: nil, body: #"{"action":"ack","actor":"carol"}"#)
            #expect(claimed.status == .ok)
            let unnamed = try await action(client, fixture.repeatID, token: nil, body: #"{"action":"ack"}"#)
            #expect(unnamed.status == .ok)
        }
        #expect(try await fixture.store.exception(id: fixture.approvalID)?.history.last?.actor == "carol")
        #expect(try await fixture.store.exception(id: fixture.repeatID)?.history.last?.actor == "local")
    }

    @Test("tokens are compared as SHA-256 digests, in constant time, whichever reviewer matches")
    func tokenComparison() {
        #expect(TokenDigest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TokenDigest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!TokenDigest.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(WebFixture.reviewers.reviewer(token: "root-token")?.name == "root")
        #expect(WebFixture.reviewers.reviewer(token: "root-token ") == nil)
        #expect(WebFixture.reviewers.reviewer(token: "") == nil)
    }
}
