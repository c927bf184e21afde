import Foundation
import SignalingProtocol
import Testing
@testable import SignalingServer

@Suite("JWT rules (PROTOCOL.md §1 Authentication)", .timeLimit(.minutes(1)))
struct TokenVerifierTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var exp: Int { Int(now.timeIntervalSince1970) + 600 }

    func verify(_ token: String, room: String = "room1") async throws -> Result<TokenIdentity, ProtocolError> {
        let verifier = try #require(await TokenVerifier(secret: TestTokens.secret))
        return await verifier.verify(token, room: room, now: now)
    }

    @Test func emptySecretMeansOff() async {
        #expect(await TokenVerifier(secret: "") == nil)
    }

    @Test func subAsDigitStringOrJSONInteger() async throws {
        #expect(try await verify(TestTokens.make(#"{"sub":"1001","exp":\#(exp)}"#)) == .success(.init(userID: 1001)))
        #expect(try await verify(TestTokens.make(#"{"sub":1002,"exp":\#(exp)}"#)) == .success(.init(userID: 1002)))
        #expect(try await verify(TestTokens.make(#"{"sub":"9007199254740991"}"#)) == .success(.init(userID: 9_007_199_254_740_991)))
    }

    @Test(arguments: [
        #"{"sub":1001.0}"#, #"{"sub":1001.5}"#, #"{"sub":1e3}"#, #"{"sub":"1001.0"}"#, #"{"sub":"abc"}"#,
        #"{"sub":"0"}"#, #"{"sub":0}"#, #"{"sub":-5}"#, #"{"sub":"9007199254740992"}"#, #"{"sub":true}"#,
        #"{"sub":null}"#, #"{}"#, #"{"sub":"01001"}"#, #"[1]"#,
    ])
    func badSubIsUnauthorized(claims: String) async throws {
        let result = try await verify(TestTokens.make(claims))
        #expect(result.failureCode == .unauthorized, "\(claims)")
    }

    @Test func expiryHasThirtySecondsOfLeeway() async throws {
        let t = Int(now.timeIntervalSince1970)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","exp":\#(t - 10)}"#)).isSuccess)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","exp":\#(t - 60)}"#)).failureCode == .unauthorized)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","exp":"soon"}"#)).failureCode == .unauthorized)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","nbf":\#(t + 120)}"#)).failureCode == .unauthorized)
    }

    @Test func forgedOrMalformedTokens() async throws {
        let forged = TestTokens.make(#"{"sub":"1"}"#, secret: "another-secret")
        #expect(try await verify(forged).failureCode == .unauthorized)
        #expect(try await verify("not.a.jwt").failureCode == .unauthorized)
        #expect(try await verify("").failureCode == .unauthorized)
        #expect(try await verify("a.b").failureCode == .unauthorized)
        // A valid signature with a tampered payload.
        let good = TestTokens.make(#"{"sub":"1"}"#)
        let parts = good.split(separator: ".")
        let tampered = parts[0] + "." + TestTokens.base64URL(Array(#"{"sub":"2"}"#.utf8)) + "." + parts[2]
        #expect(try await verify(String(tampered)).failureCode == .unauthorized)
    }

    @Test func onlyHS256() async throws {
        for header in [#"{"alg":"HS512","typ":"JWT"}"#, #"{"alg":"none"}"#, #"{"typ":"JWT"}"#, #"{"alg":"hs256"}"#] {
            let token = TestTokens.make(#"{"sub":"1"}"#, header: header)
            #expect(try await verify(token).failureCode == .unauthorized, "\(header)")
        }
    }

    @Test func roomClaimRestrictsTheRoom() async throws {
        let token = TestTokens.make(#"{"sub":"1","room":"room1"}"#)
        #expect(try await verify(token, room: "room1").isSuccess)
        #expect(try await verify(token, room: "room2").failureCode == .unauthorized)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","room":5}"#)).failureCode == .unauthorized)
    }

    @Test func nameClaimIsTheUsernameAndFollowsTheRules() async throws {
        #expect(try await verify(TestTokens.make(#"{"sub":"1","name":"  Ana María "}"#)) == .success(.init(userID: 1, username: "Ana María")))
        #expect(try await verify(TestTokens.make(#"{"sub":"1","name":"evil\u202Ename"}"#)).failureCode == .unauthorized)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","name":"   "}"#)).failureCode == .unauthorized)
        #expect(try await verify(TestTokens.make(#"{"sub":"1","name":7}"#)).failureCode == .unauthorized)
    }
}

extension Result where Failure == ProtocolError {
    var failureCode: ErrorCode? {
        if case .failure(let error) = self { return error.code }
        return nil
    }

    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
