import Testing
@testable import GatewayCore

@Suite struct QuotaTests {
    static let second: Int64 = 1_000_000_000
    static let hour = 3600 * second
    static let day = 24 * hour

    /// Epoch nanoseconds of a UTC date and time.
    static func at(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Int64 {
        (CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60) * second
    }

    func window(_ period: Quota.Period, offset: Int = 0, _ now: Int64) -> (Int64, Int64) {
        let w = Quota(limit: 1, period: period, offset: offset).window(containing: now)
        return (w.start, w.end)
    }

    @Test func civilDatesRoundTripAcrossLeapYearsAndCenturies() {
        #expect(CivilDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilDate.days(year: 2000, month: 3, day: 1) == 11_017)
        for days in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let (y, m, d) = CivilDate.date(fromDays: days)
            #expect(CivilDate.days(year: y, month: m, day: d) == days)
        }
        #expect(CivilDate.date(fromDays: CivilDate.days(year: 2028, month: 2, day: 29)) == (2028, 2, 29))
        #expect(CivilDate.days(year: 2100, month: 3, day: 1) - CivilDate.days(year: 2100, month: 2, day: 28) == 1)
    }

    @Test func dayPeriodsStartAtMidnightUTCPlusTheOffsetInHours() {
        let now = Self.at(2026, 12, 7, 10, 30)
        #expect(window(.day, now) == (Self.at(2026, 12, 7), Self.at(2026, 12, 8)))
        #expect(window(.day, offset: 12, now) == (Self.at(2026, 12, 6, 12), Self.at(2026, 12, 7, 12)))
        #expect(window(.day, offset: 10, Self.at(2026, 12, 7, 10)) == (Self.at(2026, 12, 7, 10), Self.at(2026, 12, 8, 10)))
        // The last nanosecond of a period is in it; the next one is not.
        #expect(window(.day, Self.at(2026, 12, 8) - 1).0 == Self.at(2026, 12, 7))
        #expect(window(.day, Self.at(2026, 12, 8)).0 == Self.at(2026, 12, 8))
    }

    @Test func weekPeriodsStartOnMondayPlusTheOffsetInDays() {
        // 2026-12-07 is a Monday.
        let thursday = Self.at(2026, 12, 10, 8)
        #expect(window(.week, thursday) == (Self.at(2026, 12, 7), Self.at(2026, 12, 14)))
        #expect(window(.week, Self.at(2026, 12, 6, 23, 59)) == (Self.at(2026, 11, 30), Self.at(2026, 12, 7)))
        // Offset 2: weeks run Wednesday to Wednesday.
        #expect(window(.week, offset: 2, thursday) == (Self.at(2026, 12, 9), Self.at(2026, 12, 16)))
        #expect(window(.week, offset: 2, Self.at(2026, 12, 8)) == (Self.at(2026, 12, 2), Self.at(2026, 12, 9)))
        // Offset 6: Sunday. Before 1970 too.
        #expect(window(.week, offset: 6, Self.at(2026, 12, 13)) == (Self.at(2026, 12, 13), Self.at(2026, 12, 20)))
        #expect(window(.week, Self.at(1969, 12, 31)) == (Self.at(1969, 12, 29), Self.at(1970, 1, 5)))
    }

    @Test func monthPeriodsFollowMonthLengthsAndLeapYears() {
        #expect(window(.month, Self.at(2026, 12, 31, 23)) == (Self.at(2026, 12, 1), Self.at(2027, 1, 1)))
        #expect(window(.month, Self.at(2028, 2, 29, 12)) == (Self.at(2028, 2, 1), Self.at(2028, 3, 1)))
        #expect(window(.month, Self.at(2027, 2, 28)).1 - window(.month, Self.at(2027, 2, 28)).0 == 28 * Self.day)
        #expect(window(.month, Self.at(2028, 2, 28)).1 - window(.month, Self.at(2028, 2, 28)).0 == 29 * Self.day)
        #expect(window(.month, Self.at(2100, 2, 10)).1 - window(.month, Self.at(2100, 2, 10)).0 == 28 * Self.day)
        #expect(window(.month, Self.at(2000, 2, 10)).1 - window(.month, Self.at(2000, 2, 10)).0 == 29 * Self.day)
    }

    @Test func monthOffsetsMoveTheStartDay() {
        // Offset 14: periods run from the 15th.
        #expect(window(.month, offset: 14, Self.at(2026, 12, 7)) == (Self.at(2026, 11, 15), Self.at(2026, 12, 15)))
        #expect(window(.month, offset: 14, Self.at(2026, 12, 15)) == (Self.at(2026, 12, 15), Self.at(2027, 1, 15)))
        // Offset 27 (the 28th) exists in every month, February of a common year included.
        #expect(window(.month, offset: 27, Self.at(2027, 3, 1)) == (Self.at(2027, 2, 28), Self.at(2027, 3, 28)))
        #expect(window(.month, offset: 27, Self.at(2027, 2, 27)) == (Self.at(2027, 1, 28), Self.at(2027, 2, 28)))
    }
}
