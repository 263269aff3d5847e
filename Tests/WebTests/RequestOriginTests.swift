import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
import TraceModel
@testable import Web

/// DESIGN.md §1: what a hostile page could send through a reviewer's browser, and big workflows a page at a time.
@Suite("Request origin checks and trace paging")
struct RequestOriginTests {
    @Test("API writes take only application/json: 415 for text/plain (a cross-site form) or none")
    func jsonOnlyWrites() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            for contentType in ["text/plain", "application/x-www-form-urlencoded", nil] as [String?] {
                var fields = HTTPFields()
                if let contentType { fields[.contentType] = contentType }
                let reply = try await client.execute(uri: "/api/v1/exceptions/\(fixture.repeatID)/actions", method: .post, headers: fields,
                                                     body: ByteBuffer(string: #"{"action":"ack"}"#))
                #expect(reply.status == .unsupportedMediaType, "\(contentType ?? "none")")
                #expect(reply.text.contains("unsupported_media_type"))
            }
            var json = HTTPFields()
            json[.contentType] = "application/json; charset=utf-8"
            let reply = try await client.execute(uri: "/api/v1/exceptions/\(fixture.repeatID)/actions", method: .post, headers: json,
                                                 body: ByteBuffer(string: #"{"action":"ack"}"#))
            #expect(reply.status == .ok)
        }
    }

    @Test("Host names are compared without port or brackets, case-insensitively", arguments: [
        ("Causeway.Internal:8319", "causeway.internal"), ("[::1]:8319", "::1"), ("127.0.0.1", "127.0.0.1"), ("localhost:80", "localhost"),
    ])
    func hostNames(host: String, name: String) {
        #expect(RequestOriginMiddleware.hostName(host) == name)
    }

    @Test("the listener's host, localhost and listen.allowed_hosts are answered for; nothing else")
    func allowedHosts() {
        let origin = RequestOriginMiddleware(listenerHost: "10.1.2.3", allowedHosts: ["causeway.example.com:443"])
        #expect(origin.allowedHosts.isSuperset(of: ["10.1.2.3", "localhost", "127.0.0.1", "::1", "causeway.example.com"]))
        #expect(!origin.allowedHosts.contains("evil.example"))
    }

    @Test("a trace larger than limit comes in pages: truncated, next_cursor, edges into the page")
    func paging() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            let trace = TraceID.stub(1).hex
            let first = try JSONSerialization.jsonObject(with: Data(try await client.execute(uri: "/api/v1/traces/\(trace)?limit=3", method: .get).text.utf8)) as? [String: Any]
            #expect((first?["spans"] as? [Any])?.count == 3)
            #expect(first?["truncated"] as? Bool == true)
            #expect(first?["span_count"] as? Int == 4)
            let cursor = try #require(first?["next_cursor"] as? String)
            let second = try JSONSerialization.jsonObject(with: Data(try await client.execute(uri: "/api/v1/traces/\(trace)?limit=3&cursor=\(cursor)", method: .get).text.utf8)) as? [String: Any]
            let spans = try #require(second?["spans"] as? [[String: Any]])
            #expect(spans.count == 1)
            #expect(second?["truncated"] as? Bool == false)
            #expect(second?["next_cursor"] is NSNull)
            let pageIDs = Set(spans.compactMap { $0["span_id"] as? String })
            let edges = try #require(second?["edges"] as? [[String: Any]])
            #expect(edges.allSatisfy { pageIDs.contains((($0["to"] as? [String: Any])?["span_id"] as? String) ?? "") })
            for bad in ["limit=0", "limit=50001", "limit=x", "cursor=-3"] {
                #expect(try await client.execute(uri: "/api/v1/traces/\(trace)?\(bad)", method: .get).status == .badRequest, "\(bad)")
            }
        }
    }
}
