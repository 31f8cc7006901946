/// A JSON number kept as an exact decimal `±significand × 10^exponent`, so `1.0 == 1`, `1e308` is an integer and
/// `multipleOf: 0.01` is decided without binary floating-point error.
///
/// The value is normalised on creation (no trailing zeros in the significand; zero is 0 × 10^0), so equality of
/// values is equality of the stored parts. Significands of up to 19 digits, nearly every number a request
/// carries, live in one `UInt64` so parsing and comparing allocate nothing; longer ones keep their digits.
public struct JSONNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The significand when it has at most `maxSmallDigits` digits (then `large` is nil).
    private let small: UInt64
    /// Significant digits (each 0...9, most significant first) of a longer significand; nil otherwise.
    private let large: [UInt8]?
    let exponent: Int
    let isNegative: Bool

    private static let maxSmallDigits = 19

    /// Builds from significand digits and a power of ten; normalises away leading and trailing zeros.
    init(negative: Bool, digits rawDigits: some Collection<UInt8>, exponent rawExponent: Int) {
        var digits = Array(rawDigits.drop(while: { $0 == 0 }))
        var exponent = rawExponent
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        if digits.count <= JSONNumber.maxSmallDigits {
            self.init(negative: negative, significand: digits.reduce(0) { $0 * 10 + UInt64($1) }, exponent: exponent)
        } else {
            self.init(small: 0, large: digits, exponent: exponent, isNegative: negative)
        }
    }

    /// Builds from a significand of at most 19 digits; normalises away trailing zeros.
    private init(negative: Bool, significand: UInt64, exponent: Int) {
        var significand = significand
        var exponent = exponent
        while significand != 0, significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        self.init(small: significand, large: nil, exponent: significand == 0 ? 0 : exponent,
                  isNegative: significand == 0 ? false : negative)
    }

    private init(small: UInt64, large: [UInt8]?, exponent: Int, isNegative: Bool) {
        self.small = small
        self.large = large
        self.exponent = exponent
        self.isNegative = isNegative
    }

    public init(_ value: Int) {
        self.init(negative: value < 0, significand: UInt64(value.magnitude), exponent: 0)
    }

    /// Parses JSON number text (`-?int frac? exp?`); nil when the text is not a JSON number.
    public init?(_ text: String) {
        guard let number = Array(text.utf8).withUnsafeBufferPointer({ JSONNumber.parse($0) }) else { return nil }
        self = number
    }

    /// Significant digits, most significant first; empty for zero. Allocates: for the slow paths only.
    var digits: [UInt8] {
        if let large { return large }
        guard small != 0 else { return [] }
        var digits: [UInt8] = []
        var rest = small
        while rest != 0 {
            digits.append(UInt8(rest % 10))
            rest /= 10
        }
        return digits.reversed()
    }

    /// How many significant digits the significand has.
    private var digitCount: Int {
        if let large { return large.count }
        var count = 0
        var rest = small
        while rest != 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// Parses a JSON number grammar exactly; nil when malformed. Exponents beyond ±10^15 are rejected as absurd.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONNumber? {
        var index = bytes.startIndex
        let end = bytes.endIndex
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        // Digits accumulate into `significand` while they fit (leading zeros of a fraction do not count), and
        // spill into `digits` only for longer significands.
        var significand: UInt64 = 0
        var significantDigits = 0
        var digits: [UInt8]?
        func take(_ digit: UInt8) {
            if significantDigits == 0, digit == 0 { return }
            significantDigits += 1
            if significantDigits <= JSONNumber.maxSmallDigits {
                significand = significand * 10 + UInt64(digit)
                return
            }
            if digits == nil {
                digits = Array(String(significand).utf8.map { $0 - 48 })
            }
            digits!.append(digit)
        }
        guard index < end, isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < end, isDigit(bytes[index]) { take(bytes[index] - 48); index += 1 }
        }
        var exponent = 0
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else { return nil }
            while index < end, isDigit(bytes[index]) {
                take(bytes[index] - 48); exponent -= 1; index += 1
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
        if let digits { return JSONNumber(negative: negative, digits: digits, exponent: exponent) }
        return JSONNumber(negative: negative, significand: significand, exponent: exponent)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    public var isZero: Bool { small == 0 && large == nil }

    /// True for whole numbers, including `1.0` and `1e308`.
    public var isInteger: Bool { exponent >= 0 }

    /// The nearest `Double` (infinite beyond its range); only for display and approximate fallbacks.
    public var doubleValue: Double { Double(description) ?? (isNegative ? -.infinity : .infinity) }

    /// The value as an `Int` when it is an integer that fits.
    public var intValue: Int? {
        guard isInteger, large == nil, digitCount + exponent <= 18 else { return nil }
        var value = Int(small)
        for _ in 0..<exponent { value *= 10 }
        return isNegative ? -value : value
    }

    /// Shortest exact text: plain notation for moderate exponents, scientific otherwise.
    public var description: String {
        let digits = digits
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
        if lhs.isZero || rhs.isZero {
            return lhs.isZero ? (rhs.isZero ? 0 : -1) : 1
        }
        let lhsCount = lhs.digitCount
        let rhsCount = rhs.digitCount
        let lhsMagnitude = lhsCount + lhs.exponent
        let rhsMagnitude = rhsCount + rhs.exponent
        if lhsMagnitude != rhsMagnitude { return lhsMagnitude < rhsMagnitude ? -1 : 1 }
        if lhs.large == nil, rhs.large == nil {
            // Same magnitude: pad the shorter significand with zeros; it then has the longer one's digit count (≤ 19).
            var left = lhs.small
            var right = rhs.small
            for _ in lhsCount..<max(lhsCount, rhsCount) { left *= 10 }
            for _ in rhsCount..<max(lhsCount, rhsCount) { right *= 10 }
            return left == right ? 0 : (left < right ? -1 : 1)
        }
        let lhsDigits = lhs.digits
        let rhsDigits = rhs.digits
        for position in 0..<max(lhsCount, rhsCount) {
            let left = position < lhsCount ? lhsDigits[position] : 0
            let right = position < rhsCount ? rhsDigits[position] : 0
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
        guard divisor.large == nil else {
            let quotient = doubleValue / divisor.doubleValue
            return quotient.isFinite && quotient == quotient.rounded()
        }
        let modulus = divisor.small
        var remainder: UInt64 = 0
        if large == nil {
            remainder = small % modulus
        } else {
            for digit in digits { remainder = JSONNumber.mulMod(remainder, 10, modulus) &+ UInt64(digit); remainder %= modulus }
        }
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
