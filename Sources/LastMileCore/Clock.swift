import Foundation

/// The one source of "now" for every command and library type.
///
/// **Time-zone rule** (docs/architecture.md, "Time"): an instant is a UTC `Date`, and is stored in the warehouse
/// as `timestamptz`; a civil date — "today", a run's as-of day, the day a list is made on — is the date of that
/// instant in the clock's time zone. The CLI's clock uses the process's local zone (`TZ`), the zone cron runs
/// the nightly job in, so a run started at 00:30 local time is for that local day whatever UTC says. Tests pass
/// a fixed clock; nothing else reads the wall clock.
///
/// Durations (timeouts, stage timings) are not wall time: they use `ContinuousClock`, which a change of the
/// system date does not move.
public struct Clock: Sendable {
    private let reading: @Sendable () -> Date
    /// The zone civil dates are taken in.
    public let timeZone: TimeZone

    /// A clock that reads `now` each time it is asked, and takes civil dates in `timeZone`.
    public init(timeZone: TimeZone, now: @escaping @Sendable () -> Date) {
        self.timeZone = timeZone
        self.reading = now
    }

    /// The system clock in the process's local time zone.
    public static var system: Clock { Clock(timeZone: .current) { Date() } }

    /// A clock that always reads `instant`; civil dates in `timeZone` (UTC unless given).
    public static func fixed(_ instant: Date, timeZone: TimeZone = .utc) -> Clock {
        Clock(timeZone: timeZone) { instant }
    }

    /// A clock that always reads `hour`:00 on `day` in `timeZone` (UTC unless given).
    public static func fixed(on day: CivilDate, hour: Int = 12, timeZone: TimeZone = .utc) -> Clock {
        let wallTime = Date(timeIntervalSince1970: TimeInterval(day.dayNumber * 86_400 + hour * 3600))
        let offset = TimeInterval(timeZone.secondsFromGMT(for: wallTime))
        return fixed(wallTime.addingTimeInterval(-offset), timeZone: timeZone)
    }

    /// The current instant.
    public var now: Date { reading() }

    /// Today's civil date in the clock's time zone.
    public var today: CivilDate { civilDate(of: now) }

    /// The civil date of `instant` in the clock's time zone.
    public func civilDate(of instant: Date) -> CivilDate {
        let offset = timeZone.secondsFromGMT(for: instant)
        let seconds = Int((instant.timeIntervalSince1970 + TimeInterval(offset)).rounded(.down))
        return CivilDate(dayNumber: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }

    /// `instant` as an ISO 8601 UTC timestamp with seconds, e.g. `2026-11-23T09:00:00Z`.
    public static func iso8601(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .utc
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: instant)
    }

    /// `instant` as a `timestamptz` literal with milliseconds, for a statement parameter cast `::timestamptz`
    /// (the warehouse stores what the clock says, never the server's `now()`).
    public static func sqlTimestamp(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .utc
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: instant)
    }

    /// Parses an ISO 8601 timestamp with a zone (`2026-11-23T09:00:00Z`, `…+01:00`); nil for anything else.
    public static func instant(iso8601 text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

extension TimeZone {
    /// Coordinated Universal Time.
    public static let utc = TimeZone(secondsFromGMT: 0) ?? .current
}

extension Duration {
    /// The duration in seconds, for stage timings and summaries.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
