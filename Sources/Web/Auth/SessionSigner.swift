import Crypto
import Hummingbird
import Ingest
import Foundation
import TraceModel

/// Makes and checks the session cookie: `base64url(name|expires|nonce).base64url(HMAC-SHA256)`,
/// keyed with a random key made at start, so sessions end when the server restarts.
public struct SessionSigner: Sendable {
    public static let cookieName = "causeway_session"
    /// Sessions last 12 hours (DESIGN.md §8).
    public static let lifetimeSeconds: UInt64 = 12 * 3600

    private let key: SymmetricKey

    public init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.key = key
    }

    /// A new session for `name` (nil: not signed in), valid for 12 hours from `now`.
    public func newSession(name: String?, now: UInt64) -> Session {
        var random = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        return session(name: name, expires: now + Self.lifetimeSeconds, nonce: HexDigits.format(bytes: nonce))
    }

    /// The cookie value that carries `session`.
    public func cookieValue(_ session: Session) -> String {
        let payload = Array("\(session.name ?? "")|\(session.expiresAtUnixSeconds)|\(session.nonce)".utf8)
        return Self.base64URL(payload) + "." + Self.base64URL(mac(payload))
    }

    /// The session a cookie value carries, if its signature holds and it has not expired.
    public func session(cookie: String, now: UInt64) -> Session? {
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.bytes(base64URL: parts[0]), let signature = Self.bytes(base64URL: parts[1]),
              TokenDigest.constantTimeEqual(mac(payload), signature),
              let text = String(validating: payload, as: UTF8.self) else { return nil }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 3, let expires = UInt64(fields[1]), expires > now else { return nil }
        return session(name: fields[0].isEmpty ? nil : String(fields[0]), expires: expires, nonce: String(fields[2]))
    }

    /// A CSRF token `candidate` is the session's own.
    public func isValidCSRF(_ candidate: String?, for session: Session) -> Bool {
        guard let candidate else { return false }
        return TokenDigest.constantTimeEqual(Array(candidate.utf8), Array(session.csrfToken.utf8))
    }

    private func session(name: String?, expires: UInt64, nonce: String) -> Session {
        let csrf = HexDigits.format(bytes: mac(Array("csrf|\(nonce)".utf8)))
        return Session(name: name, expiresAtUnixSeconds: expires, nonce: nonce, csrfToken: csrf)
    }

    private func mac(_ bytes: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func bytes(base64URL text: Substring) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}

extension SessionSigner {
    /// The cookie that carries `session`: HttpOnly, SameSite=Strict, for the whole site, 12 h.
    func cookie(_ session: Session) -> Cookie {
        Cookie(name: Self.cookieName, value: cookieValue(session), maxAge: Int(Self.lifetimeSeconds), path: "/", httpOnly: true, sameSite: .strict)
    }
}
