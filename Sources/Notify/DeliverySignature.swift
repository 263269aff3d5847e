import Crypto

/// `Causeway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, keyed with the
/// secret's bytes, so a receiver can check a POST came from us and is fresh.
public enum DeliverySignature {
    public static func header(secret: [UInt8], body: [UInt8], unixSeconds: UInt64) -> String {
        let t = String(unixSeconds)
        var message = Array(t.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        let hex = mac.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
        return "t=\(t),v1=\(hex)"
    }
}
