import Testing
@testable import JSONSchema

@Suite struct JSONNumberTests {
    func number(_ text: String) -> JSONNumber { JSONNumber(text)! }

    @Test func equalityIsByValue() {
        #expect(number("1.0") == number("1"))
        #expect(number("1e2") == number("100"))
        #expect(number("-0") == number("0"))
        #expect(number("0.10") == number("1e-1"))
        #expect(number("1") != number("1.0000000000000000000001"))
    }

    @Test func integerness() {
        #expect(number("1.0").isInteger)
        #expect(number("1e308").isInteger)
        #expect(!number("1.5").isInteger)
        #expect(!number("1e-1").isInteger)
    }

    @Test func exactOrdering() {
        #expect(number("0.1") < number("0.2"))
        #expect(number("-2") < number("-1.5"))
        #expect(number("98249283749234923498293171823948729348710298301928331") > number("9.8e52"))
        #expect(!(number("3.0") < number("3")))
    }

    @Test func exactMultipleOf() {
        #expect(number("0.0075").isMultiple(of: number("0.0001")))
        #expect(!number("0.00751").isMultiple(of: number("0.0001")))
        #expect(number("19.99").isMultiple(of: number("0.01")))
        #expect(number("1e308").isMultiple(of: number("0.5")))
        #expect(!number("4.5").isMultiple(of: number("2")))
        #expect(number("12391239123").isMultiple(of: number("123456789")) == (12391239123 % 123456789 == 0))
        #expect(number("0").isMultiple(of: number("7")))
    }

    @Test func rejectsMalformedText() {
        for text in ["01", "1.", ".5", "+1", "1e", "--1", "0x10", "1e+", ""] {
            #expect(JSONNumber(text) == nil, "\(text)")
        }
    }

    @Test func description() {
        #expect(number("1.50").description == "1.5")
        #expect(number("100").description == "100")
        #expect(number("-0.001").description == "-0.001")
        #expect(number("1e308").description == "1e308")
    }

    /// Significands up to 19 digits are stored inline, longer ones as digits: values must compare and hash alike
    /// across that boundary whichever way they were written.
    @Test func inlineAndLongSignificandsAgree() {
        #expect(number("10000000000000000000000") == number("1e22"))
        #expect(number("10000000000000000000000").hashValue == number("1e22").hashValue)
        #expect(number("1234567890123456789") < number("12345678901234567890"))
        #expect(number("12345678901234567890") < number("12345678901234567891"))
        #expect(number("9999999999999999999") < number("1e19"))
        #expect(number("0.00000000000000000001234") == number("1.234e-20"))
        #expect(number("123456789012345678901.5") > number("123456789012345678901"))
        #expect(number("-12345678901234567890") < number("-1234567890123456789"))
        #expect(number("12345678901234567890").description == "12345678901234567890")
        #expect(number("12345678901234567890").isMultiple(of: number("10")))
        #expect(!number("12345678901234567891").isMultiple(of: number("10")))
        #expect(number("18446744073709551615").isMultiple(of: number("5")))
        #expect(number("9223372036854775807").intValue == nil)
        #expect(number("922337203685477580").intValue == 922_337_203_685_477_580)
        #expect(number("1.5e3").intValue == 1500)
        #expect(JSONNumber(Int.min).description == "-9223372036854775808")
        #expect(number("250.50") == number("250.5"))
        #expect(number("100.25") < number("100.3"))
    }
}
