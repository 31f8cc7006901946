/// A JSON number kept as an exact decimal `±digits × 10^exponent`, so `1.0 == 1`, `1e308` is an integer and
/// `multipleOf: 0.01` is decided without binary floating-point error.
///
/// The value is normalised on creation (no leading or trailing zeros in `digits`; zero has no digits), so equality
/// of values is equality of the stored parts.
public struct JSONNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Significant decimal digits (each 0...9), most significant first; empty for zero.
    let digits: [UInt8]
    let exponent: Int
    let isNegative: Bool

    /// Builds from significand digits and a power of ten; normalises away leading and trailing zeros.
    init(negative: Bool, digits rawDigits: some Collection<UInt8>, exponent rawExponent: Int) {
        var digits = Array(rawDigits.drop(while: { $0 == 0 }))
        var exponent = rawExponent
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        self.digits = digits
        self.exponent = digits.isEmpty ? 0 : exponent
        self.isNegative = digits.isEmpty ? false : negative
    }

    public init(_ value: Int) {
        let magnitude = value.magnitude
        self.init(negative: value < 0, digits: String(magnitude).utf8.map { $0 - 48 }, exponent: 0)
    }

    /// Parses JSON number text (`-?int frac? exp?`); nil when the text is not a JSON number.
    public init?(_ text: String) {
        guard let number = JSONNumber.parse(Array(text.utf8)[...]) else { return nil }
        self = number
    }

    /// Parses a JSON number grammar exactly; nil when malformed. Exponents beyond ±10^15 are rejected as absurd.
    static func parse(_ bytes: ArraySlice<UInt8>) -> JSONNumber? {
        var index = bytes.startIndex
        let end = bytes.endIndex
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var digits: [UInt8] = []
        guard index < end, isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < end, isDigit(bytes[index]) { digits.append(bytes[index] - 48); index += 1 }
        }
        var exponent = 0
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else { return nil }
            while index < end, isDigit(bytes[index]) {
                digits.append(bytes[index] - 48); exponent -= 1; index += 1
            }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-"); index += 1
            }
            guard index < end, isDigit(bytes[index]) else { return nil }
            var value = 0
            while index < end, isDigit(bytes[index]) {
                if value < 1_000_000_000_000_000 { value = value * 10 + Int(bytes[index] - 48) }
                index += 1
            }
            guard value < 1_000_000_000_000_000 else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == end else { return nil }
        return JSONNumber(negative: negative, digits: digits, exponent: exponent)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    public var isZero: Bool { digits.isEmpty }

    /// True for whole numbers, including `1.0` and `1e308`.
    public var isInteger: Bool { exponent >= 0 }

    /// The nearest `Double` (infinite beyond its range); only for display and approximate fallbacks.
    public var doubleValue: Double { Double(description) ?? (isNegative ? -.infinity : .infinity) }

    /// The value as an `Int` when it is an integer that fits.
    public var intValue: Int? {
        guard isInteger, digits.count + exponent <= 18 else { return nil }
        var value = 0
        for digit in digits { value = value * 10 + Int(digit) }
        for _ in 0..<exponent { value *= 10 }
        return isNegative ? -value : value
    }

    /// Shortest exact text: plain notation for moderate exponents, scientific otherwise.
    public var description: String {
        if digits.isEmpty { return "0" }
        let sign = isNegative ? "-" : ""
        let text = String(decoding: digits.map { $0 + 48 }, as: UTF8.self)
        let pointPosition = digits.count + exponent  // digits before the decimal point
        if exponent >= 0 && pointPosition <= 21 {
            return sign + text + String(repeating: "0", count: exponent)
        }
        if exponent < 0 && pointPosition > 0 {
            let split = text.index(text.startIndex, offsetBy: pointPosition)
            return sign + text[..<split] + "." + text[split...]
        }
        if exponent < 0 && pointPosition > -6 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + text
        }
        let mantissa = digits.count == 1 ? text : String(text.prefix(1)) + "." + text.dropFirst()
        return sign + mantissa + "e" + String(pointPosition - 1)
    }

    public static func < (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let magnitudeOrder = compareMagnitude(lhs, rhs)
        return lhs.isNegative ? magnitudeOrder > 0 : magnitudeOrder < 0
    }

    /// -1, 0 or 1 comparing absolute values exactly.
    static func compareMagnitude(_ lhs: JSONNumber, _ rhs: JSONNumber) -> Int {
        if lhs.digits.isEmpty || rhs.digits.isEmpty {
            return lhs.digits.isEmpty ? (rhs.digits.isEmpty ? 0 : -1) : 1
        }
        let lhsMagnitude = lhs.digits.count + lhs.exponent
        let rhsMagnitude = rhs.digits.count + rhs.exponent
        if lhsMagnitude != rhsMagnitude { return lhsMagnitude < rhsMagnitude ? -1 : 1 }
        let common = max(lhs.digits.count, rhs.digits.count)
        for position in 0..<common {
            let left = position < lhs.digits.count ? lhs.digits[position] : 0
            let right = position < rhs.digits.count ? rhs.digits[position] : 0
            if left != right { return left < right ? -1 : 1 }
        }
        return 0
    }

    /// Exact divisibility: whether `self / divisor` is an integer. The divisor must be positive.
    ///
    /// Writing self = a·10^ea and divisor = b·10^eb with a, b free of trailing zeros, the quotient is an integer only
    /// when ea ≥ eb and b divides a·10^(ea−eb). Divisors too long for 64-bit arithmetic fall back to `Double`.
    public func isMultiple(of divisor: JSONNumber) -> Bool {
        if isZero { return true }
        guard !divisor.isZero else { return false }
        if exponent < divisor.exponent { return false }
        guard divisor.digits.count <= 18 else {
            let quotient = doubleValue / divisor.doubleValue
            return quotient.isFinite && quotient == quotient.rounded()
        }
        var modulus: UInt64 = 0
        for digit in divisor.digits { modulus = modulus * 10 + UInt64(digit) }
        var remainder: UInt64 = 0
        for digit in digits { remainder = JSONNumber.mulMod(remainder, 10, modulus) &+ UInt64(digit); remainder %= modulus }
        let scale = JSONNumber.powMod(10, UInt64(exponent - divisor.exponent), modulus)
        return JSONNumber.mulMod(remainder, scale, modulus) == 0
    }

    private static func mulMod(_ a: UInt64, _ b: UInt64, _ m: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return m.dividingFullWidth((high: product.high % m, low: product.low)).remainder
    }

    private static func powMod(_ base: UInt64, _ power: UInt64, _ m: UInt64) -> UInt64 {
        var result: UInt64 = 1 % m
        var factor = base % m
        var remaining = power
        while remaining > 0 {
            if remaining & 1 == 1 { result = mulMod(result, factor, m) }
            factor = mulMod(factor, factor, m)
            remaining >>= 1
        }
        return result
    }
}
