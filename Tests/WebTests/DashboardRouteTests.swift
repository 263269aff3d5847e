import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TraceModel
@testable import Web

/// DESIGN.md §7–8 through the router: sign-in, sessions, CSRF, headers, escaping, error pages.
@Suite("Dashboard routes")
struct DashboardRouteTests {
    /// The `causeway_session` cookie a response sets, as a request header value.
    static func sessionCookie(_ response: TestResponse) -> String? {
        guard let header = response.headers[.setCookie], let pair = header.split(separator: ";").first else { return nil }
        return String(pair)
    }

    static func csrf(_ html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    static func form(_ cookie: String?, _ body: String) -> (HTTPFields, ByteBuffer) {
        var fields = HTTPFields()
        fields[.contentType] = "application/x-www-form-urlencoded"
        if let cookie { fields[.cookie] = cookie }
        return (fields, ByteBuffer(string: body))
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, cookie: String?) async throws -> TestResponse {
        var fields = HTTPFields()
        if let cookie { fields[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: fields)
    }

    @Test("with reviewers, a page without a session answers 303 to /login; the login form signs in; a wrong token is 401")
    func signIn() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: WebFixture.reviewers).test(.router) { client in
            let queue = try await client.execute(uri: "/?class=repeat_failure", method: .get)
            #expect(queue.status == .seeOther)
            #expect(queue.headers[.location] == "/login?next=%2F%3Fclass%3Drepeat_failure")

            let login = try await client.execute(uri: "/login", method: .get)
            let anonymous = try #require(Self.sessionCookie(login))
            let csrf = try #require(Self.csrf(login.text))
            #expect(login.headers[.setCookie]?.contains("HttpOnly") == true)
            #expect(login.headers[.setCookie]?.contains("SameSite=Strict") == true)

            let (badFields, badBody) = Self.form(anonymous, "csrf=\(csrf)&next=%2F&token=nope")
            let refused = try await client.execute(uri: "/login", method: .post, headers: badFields, body: badBody)
            #expect(refused.status == .unauthorized)
            #expect(refused.text.contains("not one of this server"))

            let (fields, body) = Self.form(anonymous, "csrf=\(csrf)&next=%2Fexceptions%2F\(fixture.approvalID)&token=alice-token")
            let signedIn = try await client.execute(uri: "/login", method: .post, headers: fields, body: body)
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/exceptions/\(fixture.approvalID)")
            let session = try #require(Self.sessionCookie(signedIn))

            let page = try await Self.get(client, "/", cookie: session)
            #expect(page.status == .ok)
            #expect(page.text.contains("data-exception-id=\"\(fixture.approvalID)\""))
            #expect(page.text.contains("data-user=\"alice\""))

            // A cookie altered by one character is no session.
            var tampered = Array(session)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            #expect(try await Self.get(client, "/", cookie: String(tampered)).status == .seeOther)
            // Sign-in never sends the browser off the site.
            #expect(LoginPage.safeNext("//evil.example/") == "/")
            #expect(LoginPage.safeNext("https://evil.example/") == "/")
        }
    }

    @Test("a form post needs the session's CSRF token (403 without); with it the action's actor is the signed-in name")
    func csrfAndActor() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: WebFixture.reviewers).test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .get)
            let anonymous = try #require(Self.sessionCookie(login))
            let loginCSRF = try #require(Self.csrf(login.text))
            let (fields, body) = Self.form(anonymous, "csrf=\(loginCSRF)&token=alice-token")
            let session = try #require(Self.sessionCookie(try await client.execute(uri: "/login", method: .post, headers: fields, body: body)))
            let page = try await Self.get(client, "/exceptions/\(fixture.approvalID)", cookie: session)
            let csrf = try #require(Self.csrf(page.text))
            #expect(csrf != loginCSRF)

            let uri = "/exceptions/\(fixture.approvalID)/actions"
            let (noTokenFields, noTokenBody) = Self.form(session, "action=ack&note=x")
            #expect(try await client.execute(uri: uri, method: .post, headers: noTokenFields, body: noTokenBody).status == .forbidden)
            let (wrongFields, wrongBody) = Self.form(session, "action=ack&csrf=\(loginCSRF)")
            #expect(try await client.execute(uri: uri, method: .post, headers: wrongFields, body: wrongBody).status == .forbidden)
            #expect(try await fixture.store.exception(id: fixture.approvalID)?.record.status == .open)

            let (okFields, okBody) = Self.form(session, "action=ack&csrf=\(csrf)&note=looking+into+it&actor=mallory")
            let done = try await client.execute(uri: uri, method: .post, headers: okFields, body: okBody)
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/exceptions/\(fixture.approvalID)")
        }
        let detail = try #require(try await fixture.store.exception(id: fixture.approvalID))
        #expect(detail.record.status == .acknowledged)
        #expect(detail.history.last?.actor == "alice")
        #expect(detail.history.last?.note == "looking into it")
    }

    @Test("with no reviewers the dashboard is open (actor local), still with a session and CSRF token")
    func openDashboard() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            let page = try await client.execute(uri: "/exceptions/\(fixture.repeatID)", method: .get)
            #expect(page.status == .ok)
            let session = try #require(Self.sessionCookie(page))
            let csrf = try #require(Self.csrf(page.text))
            let (fields, body) = Self.form(session, "action=resolve&csrf=\(csrf)")
            #expect(try await client.execute(uri: "/exceptions/\(fixture.repeatID)/actions", method: .post, headers: fields, body: body).status == .seeOther)
            #expect(try await client.execute(uri: "/login", method: .get).status == .seeOther)
        }
        #expect(try await fixture.store.exception(id: fixture.repeatID)?.history.last?.actor == "local")
    }

    @Test("every page and API answer carries the CSP and the other security headers, error pages too")
    func securityHeaders() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            for uri in ["/", "/insights", "/exceptions/\(fixture.approvalID)", "/workflows/\(TraceID.stub(1).hex)", "/api/v1/exceptions",
                        "/exceptions/exc_0000000000000000", "/workflows/\(TraceID.stub(99).hex)", "/exceptions/nope"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'self'; frame-ancestors 'none'", "\(uri)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
            }
            let missing = try await client.execute(uri: "/exceptions/exc_0000000000000000", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(try await client.execute(uri: "/workflows/\(TraceID.stub(99).hex)", method: .get).status == .notFound)
        }
    }

    @Test("span data on a page is text: hostile attribute values and keys are escaped, never markup")
    func escaping() async throws {
        let fixture = try await WebFixture.make()
        try await fixture.application(reviewers: ReviewerDirectory()).test(.router) { client in
            for uri in ["/exceptions/\(fixture.approvalID)", "/workflows/\(TraceID.stub(1).hex)", "/"] {
                let html = try await client.execute(uri: uri, method: .get).text
                #expect(!html.contains("<img src=x"), "\(uri)")
                #expect(!html.contains("<script>"), "\(uri)")
            }
            let page = try await client.execute(uri: "/exceptions/\(fixture.approvalID)", method: .get).text
            #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }
}
