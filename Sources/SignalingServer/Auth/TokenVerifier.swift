import Foundation
import JWTKit
import SignalingProtocol

/// Who a valid `Join` token says the user is.
public struct TokenIdentity: Sendable, Equatable {
    public var userID: UserID
    /// The `name` claim, trimmed and valid; nil when the token has none (the `Join`'s username is used).
    public var username: String?
}

/// Checks `Join` tokens with the exact rules of PROTOCOL.md §1 "Authentication".
///
/// jwt-kit checks the HS256 signature; the header and claims are read with the protocol's own JSON parser because
/// the contract needs distinctions that `Codable` erases: `sub` may be a string of decimal digits or a JSON integer,
/// but never a float (`1001.0`), and only `HS256` is accepted (jwt-kit would verify a token whose header claims
/// another algorithm with the configured key).
public struct TokenVerifier: Sendable {
    /// A token that expired less than this long ago is still accepted (clock skew between issuer and node).
    public static let expiryLeeway: Duration = .seconds(30)

    /// The shortest secret accepted, in bytes: RFC 7518 §3.2 requires an HS256 key at least as long as the hash.
    /// (jwt-kit asserts it; the configuration loader refuses a shorter `JWT_SECRET` before it gets here.)
    public static let minimumSecretBytes = 32

    private let keys: JWTKeyCollection

    /// Nil when `secret` is empty: authentication is off. A non-empty secret shorter than `minimumSecretBytes` is a
    /// programming error (the configuration loader refuses it).
    public init?(secret: String) async {
        guard !secret.isEmpty else { return nil }
        precondition(secret.utf8.count >= Self.minimumSecretBytes,
                     "JWT_SECRET must be at least \(Self.minimumSecretBytes) bytes (NodeConfiguration.load refuses a shorter one)")
        keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The identity in `token`, or the `unauthorized` error to send. `room` is the room being joined.
    public func verify(_ token: String, room: String, now: Date = Date()) async -> Result<TokenIdentity, ProtocolError>
    {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let payloadBytes = Base64URL.decode(parts[1])
        else { return .failure(.unauthorized("token is not a JWT")) }

        guard case .object(let header)? = try? JSONValue(parsing: headerBytes),
            header["alg"]?.stringValue == "HS256"
        else { return .failure(.unauthorized("token must be signed with HS256")) }

        do {
            _ = try await keys.verify(token, as: UncheckedClaims.self)
        } catch {
            return .failure(.unauthorized("token signature is not valid"))
        }

        guard case .object(let claims)? = try? JSONValue(parsing: payloadBytes) else {
            return .failure(.unauthorized("token payload is not a JSON object"))
        }
        return Self.check(claims, room: room, now: now)
    }

    /// The claim rules, apart from the signature: `sub`, `exp` (with leeway), `nbf`, `room`, `name`.
    static func check(_ claims: JSONObject, room: String, now: Date) -> Result<TokenIdentity, ProtocolError> {
        let userID: UserID
        switch claims["sub"] {
        case .string(let text)?:
            guard let id = Validation.parseUserID(text) else {
                return .failure(.unauthorized("token sub must be a user id in 1...2^53-1"))
            }
            userID = id
        case .number(let text)?:
            // An integer literal only: `1001.0` and `1e3` are rejected, as the contract says.
            guard let id = Validation.parseUserID(text) else {
                return .failure(.unauthorized("token sub must be an integer user id in 1...2^53-1"))
            }
            userID = id
        default:
            return .failure(.unauthorized("token has no sub"))
        }

        let leeway = Self.expiryLeeway.seconds
        let nowSeconds = now.timeIntervalSince1970
        if let exp = claims["exp"] {
            guard let text = exp.numberText, let expiry = Double(text) else {
                return .failure(.unauthorized("token exp must be a number"))
            }
            if nowSeconds > expiry + leeway { return .failure(.unauthorized("token has expired")) }
        }
        if let nbf = claims["nbf"] {
            guard let text = nbf.numberText, let notBefore = Double(text) else {
                return .failure(.unauthorized("token nbf must be a number"))
            }
            if nowSeconds + leeway < notBefore { return .failure(.unauthorized("token is not valid yet")) }
        }
        if let roomClaim = claims["room"] {
            guard let allowed = roomClaim.stringValue else {
                return .failure(.unauthorized("token room must be a string"))
            }
            // Byte comparison: room names are ASCII, and a Unicode look-alike must not match.
            guard Array(allowed.utf8) == Array(room.utf8) else {
                return .failure(.unauthorized("token is for another room"))
            }
        }
        var username: String?
        if let nameClaim = claims["name"] {
            guard let raw = nameClaim.stringValue, let name = Validation.normalizedUsername(raw) else {
                return .failure(.unauthorized("token name is not a valid username"))
            }
            username = name
        }
        return .success(TokenIdentity(userID: userID, username: username))
    }
}

/// Lets jwt-kit check the signature without judging the claims, which `TokenVerifier.check` does by the contract's
/// rules.
private struct UncheckedClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
