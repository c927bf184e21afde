import Crypto
import Foundation

/// Hand-made JWTs, so tests control every byte of the header and claims (float `sub`, wrong `alg`, …).
enum TestTokens {
    static let secret = "test-secret-of-reasonable-length"

    /// `claims` is the payload's JSON text; signed with HMAC-SHA256 under `secret` whatever `header` claims.
    static func make(
        _ claims: String, secret: String = TestTokens.secret, header: String = #"{"alg":"HS256","typ":"JWT"}"#
    ) -> String {
        let signingInput = base64URL(Array(header.utf8)) + "." + base64URL(Array(claims.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(signingInput.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return signingInput + "." + base64URL(Array(mac))
    }

    /// A valid token for `sub`, with optional `room` and `name`, expiring in an hour.
    static func valid(sub: UInt64, room: String? = nil, name: String? = nil, secret: String = TestTokens.secret) -> String {
        var claims = #"{"sub":"\#(sub)","exp":\#(Int(Date().timeIntervalSince1970) + 3600)"#
        if let room { claims += #","room":"\#(room)""# }
        if let name { claims += #","name":"\#(name)""# }
        return make(claims + "}", secret: secret)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
