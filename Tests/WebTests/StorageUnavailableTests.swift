import Hummingbird
import HummingbirdTesting
import Storage
import Testing
@testable import Web

/// A database that cannot be reached now is no server fault: the API says 503 and when to retry.
@Suite("The API while the database is unreachable")
struct StorageUnavailableTests {
    @Test("a route whose store cannot reach its database answers 503 with Retry-After, in the API's error shape")
    func unavailable() async throws {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.get("/api/v1/exceptions") { _, _ -> Response in
            throw StorageUnavailable("no connection to PostgreSQL at db.internal:5432 within 10 seconds")
        }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/api/v1/exceptions", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
                let body = String(buffer: response.body)
                #expect(body.contains("\"code\":\"storage_unavailable\"") && body.contains("db.internal:5432"), "\(body)")
            }
        }
    }
}
