// The one clock: civil dates follow the clock's zone (the time-zone rule of docs/architecture.md), fixed clocks
// do not move, and timestamps written to the warehouse round-trip.
import Foundation
import LastMileCore
import Testing

@Suite struct ClockTests {
    let newYork = TimeZone(identifier: "America/New_York")
    let tokyo = TimeZone(identifier: "Asia/Tokyo")

    @Test func aCivilDateIsTheDayInTheClocksZone() throws {
        // 2026-11-23T03:30:00Z: still Sunday the 22nd in New York, already Monday afternoon in Tokyo.
        let instant = Date(timeIntervalSince1970: 1_795_404_600)
        #expect(Clock.fixed(instant).today == CivilDate(iso: "2026-11-23"))
        #expect(Clock.fixed(instant, timeZone: try #require(newYork)).today == CivilDate(iso: "2026-11-22"))
        #expect(Clock.fixed(instant, timeZone: try #require(tokyo)).today == CivilDate(iso: "2026-11-23"))
    }

    @Test func aClockFixedOnADayReadsThatDayAndHourInItsZone() throws {
        let day = try #require(CivilDate(iso: "2026-03-08"))  // the US switch to summer time
        let zone = try #require(newYork)
        let clock = Clock.fixed(on: day, hour: 9, timeZone: zone)
        #expect(clock.today == day)
        #expect(Clock.iso8601(clock.now) == "2026-03-08T13:00:00Z")  // 09:00 EDT
        #expect(Clock.fixed(on: day, hour: 0).today == day)
        #expect(Clock.fixed(on: day, hour: 23).today == day)
        #expect(Clock.iso8601(Clock.fixed(on: day, hour: 2).now) == "2026-03-08T02:00:00Z")
    }

    @Test func beforeTheEpochDaysStillRoundDown() {
        let clock = Clock.fixed(Date(timeIntervalSince1970: -1))
        #expect(clock.today == CivilDate(iso: "1969-12-31"))
    }

    @Test func timestampsRoundTripAndRejectZonelessText() throws {
        let instant = Date(timeIntervalSince1970: 1_795_404_600.25)
        let parsed = try #require(Clock.instant(iso8601: Clock.iso8601(instant)))
        #expect(parsed == Date(timeIntervalSince1970: 1_795_404_600))
        #expect(Clock.sqlTimestamp(instant) == "2026-11-23T03:30:00.250Z")
        #expect(Clock.instant(iso8601: "2026-11-23T03:30:00+09:00") == Date(timeIntervalSince1970: 1_795_372_200))
        #expect(Clock.instant(iso8601: "2026-11-23 03:30") == nil)
        #expect(Clock.instant(iso8601: "2026-11-23") == nil)
    }

    @Test func aReadingClockReadsEachTime() {
        let counter = Counter()
        let clock = Clock(timeZone: .utc) { Date(timeIntervalSince1970: Double(counter.next()) * 86_400) }
        #expect(clock.today == CivilDate(iso: "1970-01-02"))
        #expect(clock.today == CivilDate(iso: "1970-01-03"))
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
