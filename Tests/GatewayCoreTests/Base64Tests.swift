import GatewayCore
import Testing

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                      ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func everyByteValueRoundTrips() {
        let bytes = (0...255).map { UInt8($0) } + [0xFF, 0x00]
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test(arguments: ["Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9v", "Zg==Zg==", "Zm=v", "Zm9v!A=="])
    func malformedTextIsRefused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
