import Testing
@testable import GatewayServer

@Suite struct AdminAuthorizationTests {
    @Test func bearerCredentialsAreFoundWhateverTheSchemeCaseAndSpacing() {
        #expect(AdminAuthorization.bearerCredentials("Bearer abc") == Array("abc".utf8))
        #expect(AdminAuthorization.bearerCredentials("bEARER   abc ") == Array("abc".utf8))
        #expect(AdminAuthorization.bearerCredentials(" Bearer a b") == Array("a b".utf8))
        for other in ["Bearer", "Bearer ", "Bearerabc", "Basic abc", "abc", "", "Bearer\tabc", "Beare abc"] {
            #expect(AdminAuthorization.bearerCredentials(other) == nil, "\(other.debugDescription)")
        }
    }

    @Test func onlyTheExactTokenIsAuthorized() {
        let token = "s3cret"
        #expect(AdminAuthorization.isAuthorized(header: "Bearer s3cret", token: token))
        #expect(AdminAuthorization.isAuthorized(header: "bearer  s3cret", token: token))
        #expect(!AdminAuthorization.isAuthorized(header: nil, token: token))
        #expect(!AdminAuthorization.isAuthorized(header: "Bearer S3CRET", token: token))
        #expect(!AdminAuthorization.isAuthorized(header: "Bearer s3cre", token: token))
        #expect(!AdminAuthorization.isAuthorized(header: "Bearer s3crets", token: token))
        // A length difference that is a multiple of 256 (the old byte-folded length check wrapped to zero)
        // padded with NUL bytes must not pass.
        let padded = "Bearer s3cret" + String(repeating: "\0", count: 256)
        #expect(!AdminAuthorization.isAuthorized(header: padded, token: token))
    }

    @Test func digestsAreComparedWhole() {
        let a = [UInt8](repeating: 7, count: 32)
        #expect(AdminAuthorization.digestsEqual(a, a))
        for i in [0, 15, 31] {
            var b = a
            b[i] ^= 1
            #expect(!AdminAuthorization.digestsEqual(a, b))
        }
    }
}
