import Testing
import GatewayCore

@Suite struct HTTPTokenTests {
    @Test func tokens() {
        #expect(HTTPToken.isToken("X-Custom_Header.1") && HTTPToken.isToken("!#$%&'*+-.^_`|~"))
        #expect(!HTTPToken.isToken("bad header") && !HTTPToken.isToken("") && !HTTPToken.isToken("a:b"))
        #expect(!HTTPToken.isToken("a\"b") && !HTTPToken.isToken("é") && !HTTPToken.isToken("a(b)"))
    }

    @Test func everyByteAgreesWithTheGrammar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPToken.isTokenByte(byte) == tchar.contains(byte), "\(byte)")
        }
    }
}
