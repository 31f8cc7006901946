/// A usage plan's quota (contract: `quota`): `limit` admitted requests per UTC calendar period.
///
/// `offset` moves the period's start: hours for DAY (0–23), days for WEEK (0–6, from Monday) and MONTH (0–27, from
/// the 1st, so every month has the day).
public struct Quota: Sendable, Hashable {
    public enum Period: String, Sendable, Hashable, CaseIterable {
        case day = "DAY"
        case week = "WEEK"
        case month = "MONTH"

        /// The largest `offset` the period accepts.
        public var maxOffset: Int {
            switch self {
            case .day: 23
            case .week: 6
            case .month: 27
            }
        }
    }

    public let limit: Int64
    public let period: Period
    public let offset: Int

    public init(limit: Int64, period: Period, offset: Int = 0) {
        precondition(limit >= 0 && (0...period.maxOffset).contains(offset))
        self.limit = limit
        self.period = period
        self.offset = offset
    }

    /// The period holding `now`: its first nanosecond and the first one after it.
    public func window(containing now: EpochNanoseconds) -> (start: EpochNanoseconds, end: EpochNanoseconds) {
        let second: Int64 = 1_000_000_000
        let hour = 3600 * second, day = 24 * hour
        switch period {
        case .day:
            let shift = Int64(offset) * hour
            let start = Self.floor(now - shift, day) * day + shift
            return (start, start + day)
        case .week:
            // 1970-01-01 was a Thursday: Mondays are days 4 + 7k since the epoch.
            let shift = (4 + Int64(offset)) * day
            let start = Self.floor(now - shift, 7 * day) * 7 * day + shift
            return (start, start + 7 * day)
        case .month:
            let shift = Int64(offset) * day
            let (year, month, _) = CivilDate.date(fromDays: Self.floor(now - shift, day))
            let start = CivilDate.days(year: year, month: month, day: 1) * day + shift
            let (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1)
            return (start, CivilDate.days(year: nextYear, month: nextMonth, day: 1) * day + shift)
        }
    }

    /// Division rounding towards minus infinity (periods before 1970 exist in tests of the arithmetic).
    static func floor(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}

/// Days since 1970-01-01 to and from proleptic Gregorian dates (H. Hinnant's algorithms): exact for every date,
/// leap years included, with no calendar library.
public enum CivilDate {
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The UTC date and time of whole seconds since the epoch (floored, so times before 1970 come out right too):
    /// what every timestamp the gateway writes is formatted from.
    public static func dateTime(epochSeconds: Int64)
        -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let (year, month, day) = date(fromDays: days)
        let secondOfDay = epochSeconds - days * 86_400
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }

    public static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
