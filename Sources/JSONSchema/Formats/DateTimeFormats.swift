/// RFC 3339 `date-time`, `full-date` and `full-time` (with the leap-second rule: `:60` only at 23:59 UTC).
enum DateTimeFormats {
    static func isDateTime(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard bytes.count > 11, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else { return false }
        return parseDate(bytes[0..<10]) && parseTime(bytes[11...]) != nil
    }

    static func isDate(_ string: String) -> Bool { parseDate(Array(string.utf8)[...]) }

    static func isTime(_ string: String) -> Bool { parseTime(Array(string.utf8)[...]) != nil }

    private static func number(_ bytes: ArraySlice<UInt8>, _ offset: Int, _ count: Int) -> Int? {
        let start = bytes.startIndex + offset
        guard start + count <= bytes.endIndex else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    private static func parseDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count == 10, bytes[bytes.startIndex + 4] == UInt8(ascii: "-"), bytes[bytes.startIndex + 7] == UInt8(ascii: "-"),
              let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
              (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    /// Parses `HH:MM:SS[.frac](Z|±HH:MM)`; returns the time in UTC minutes-of-day, or nil.
    private static func parseTime(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= 9, let hour = number(bytes, 0, 2), bytes[bytes.startIndex + 2] == UInt8(ascii: ":"),
              let minute = number(bytes, 3, 2), bytes[bytes.startIndex + 5] == UInt8(ascii: ":"),
              let second = number(bytes, 6, 2), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var index = bytes.startIndex + 8
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let digitsStart = index
            while index < bytes.endIndex, bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
            guard index > digitsStart else { return nil }
        }
        guard index < bytes.endIndex else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.endIndex else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let offset = bytes[(index + 1)...]
            guard offset.count == 5, let offsetHour = number(offset, 0, 2), offset[offset.startIndex + 2] == UInt8(ascii: ":"),
                  let offsetMinute = number(offset, 3, 2), offsetHour <= 23, offsetMinute <= 59 else { return nil }
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        if second == 60 && utc != 23 * 60 + 59 { return nil }
        return utc
    }
}
