import Crypto
@testable import Notify
import Testing

@Suite("Notification deliveries: signature and retry schedule")
struct DeliveryTests {
    @Test("the signature is HMAC-SHA256 of \"t.body\" keyed with the secret's bytes, as lowercase hex")
    func signature() {
        let body = Array(#"{"event":"opened"}"#.utf8)
        let header = DeliverySignature.header(secret: Array("whsec".utf8), body: body, unixSeconds: 1_800_000_000)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("1800000000.".utf8) + body, using: SymmetricKey(data: Array("whsec".utf8)))
        #expect(header == "t=1800000000,v1=" + mac.map { String(format: "%02x", $0) }.joined())
        #expect(header != DeliverySignature.header(secret: Array("other".utf8), body: body, unixSeconds: 1_800_000_000))
    }

    @Test("retries wait 1 s, doubling to 1 h, and stop after 24 h")
    func schedule() {
        let second: UInt64 = 1_000_000_000
        let created: UInt64 = 1_800_000_000 * second
        #expect(NotificationDispatcher.retryAt(now: created, attempts: 1, created: created) == created + second)
        #expect(NotificationDispatcher.retryAt(now: created, attempts: 2, created: created) == created + 2 * second)
        #expect(NotificationDispatcher.retryAt(now: created, attempts: 5, created: created) == created + 16 * second)
        #expect(NotificationDispatcher.retryAt(now: created, attempts: 13, created: created) == created + 3600 * second)
        #expect(NotificationDispatcher.retryAt(now: created, attempts: 60, created: created) == created + 3600 * second)
        let late = created + 23 * 3600 * second + 30 * 60 * second
        #expect(NotificationDispatcher.retryAt(now: late, attempts: 20, created: created) == nil)
    }
}
