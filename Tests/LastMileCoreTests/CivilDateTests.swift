// Proves the calendar arithmetic flags and matching rely on: day numbers, weekdays, ages, strict parsing.
import LastMileCore
import Testing

@Suite struct CivilDateTests {
    @Test func dayNumberRoundTripsAcrossCenturiesAndLeapDays() {
        for n in stride(from: -719_000, through: 2_900_000, by: 997) {
            let d = CivilDate(dayNumber: n)
            #expect(d.dayNumber == n)
            #expect(CivilDate(year: d.year, month: d.month, day: d.day) == d)
        }
        #expect(CivilDate(year: 1970, month: 1, day: 1)?.dayNumber == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1)?.dayNumber == 11_017)
    }

    @Test func writeISOWritesTheDescriptionsBytes() {
        let out = UnsafeMutableRawPointer.allocate(byteCount: CivilDate.isoByteCount, alignment: 1)
        defer { out.deallocate() }
        for n in stride(from: -719_162, through: 2_932_896, by: 2_003) {  // 0001-01-01 … 9999-12-31
            let d = CivilDate(dayNumber: n)
            #expect(d.writeISO(to: out))
            let written = String(
                decoding: UnsafeRawBufferPointer(start: out, count: CivilDate.isoByteCount), as: UTF8.self)
            #expect(written == d.description)
        }
        #expect(!CivilDate(iso: "9999-12-31")!.adding(days: 1).writeISO(to: out))
    }

    @Test func rejectsImpossibleDates() {
        #expect(CivilDate(year: 2026, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2026, month: 13, day: 1) == nil)
        #expect(CivilDate(iso: "2026-02-30") == nil)
        #expect(CivilDate(iso: "2026-2-3") == nil)
        #expect(CivilDate(iso: "2026-11-24")?.description == "2026-11-24")
    }

    @Test func weekdaysAndMondays() throws {
        let tuesday = try #require(CivilDate(iso: "2026-11-24"))
        #expect(tuesday.isoWeekday == 2)
        #expect(tuesday.mondayOfWeek.description == "2026-11-23")
        let sunday = try #require(CivilDate(iso: "2026-11-29"))
        #expect(sunday.isoWeekday == 7)
        #expect(sunday.mondayOfWeek.description == "2026-11-23")
    }

    @Test func ageCountsCompletedYears() throws {
        let born = try #require(CivilDate(iso: "2010-03-15"))
        #expect(born.age(on: try #require(CivilDate(iso: "2026-03-14"))) == 15)
        #expect(born.age(on: try #require(CivilDate(iso: "2026-03-15"))) == 16)
    }
}
