/// A calendar date with no time zone: a school day, a birth date, a shelter entry date.
///
/// Stored as its parts and compared by its day number (days since 1970-01-01, proleptic Gregorian), so the
/// arithmetic that flags and matching need (days between, add days, day of week) needs no `Calendar`.
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date from its parts; returns nil when they don't name a real day (e.g. February 30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Creates the date `dayNumber` days after 1970-01-01 (negative before it).
    public init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Parses `YYYY-MM-DD` exactly; nil for anything else.
    public init?(iso string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let y = CivilDate.digits(u[0..<4]), let m = CivilDate.digits(u[5..<7]), let d = CivilDate.digits(u[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let w = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (3 with Monday = 0)
        return (w < 0 ? w + 7 : w) + 1
    }

    /// The Monday of this date's ISO week.
    public var mondayOfWeek: CivilDate { adding(days: 1 - isoWeekday) }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(until other: CivilDate) -> Int { other.dayNumber - dayNumber }

    /// Age in completed years on `date`.
    public func age(on date: CivilDate) -> Int {
        var age = date.year - year
        if (date.month, date.day) < (month, day) { age -= 1 }
        return age
    }

    public var description: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The length of `description` for years 1–9999: `YYYY-MM-DD`.
    public static let isoByteCount = 10

    /// Writes `description` (`YYYY-MM-DD`, `isoByteCount` bytes) at `out` without building a `String`, for
    /// buffers that are filled byte by byte (COPY rows, record keys). Returns false and writes nothing for a
    /// year outside 1–9999 (reachable only by date arithmetic); use `description` then.
    @inlinable
    public func writeISO(to out: UnsafeMutableRawPointer) -> Bool {
        guard (1...9999).contains(year) else { return false }
        func put(_ value: Int, width: Int, at offset: Int) {
            var v = value
            for k in stride(from: offset + width - 1, through: offset, by: -1) {
                out.storeBytes(of: UInt8(truncatingIfNeeded: 48 + v % 10), toByteOffset: k, as: UInt8.self)
                v /= 10
            }
        }
        put(year, width: 4, at: 0)
        out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 4, as: UInt8.self)
        put(month, width: 2, at: 5)
        out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 7, as: UInt8.self)
        put(day, width: 2, at: 8)
        return true
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var v = 0
        for b in bytes {
            guard b >= 48, b <= 57 else { return nil }
            v = v * 10 + Int(b - 48)
        }
        return v
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = CivilDate(iso: s) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected YYYY-MM-DD"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A local date and time with no time zone, as county systems export them (a booking at 23:40).
public struct CivilDateTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let date: CivilDate
    /// Seconds since midnight, 0..<86400.
    public let secondOfDay: Int

    public init(date: CivilDate, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.date = date
        self.secondOfDay = hour * 3600 + minute * 60 + second
    }

    public init(date: CivilDate, secondOfDay: Int) {
        self.date = date
        self.secondOfDay = secondOfDay
    }

    public var hour: Int { secondOfDay / 3600 }
    public var minute: Int { secondOfDay / 60 % 60 }
    public var second: Int { secondOfDay % 60 }

    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(date) \(two(hour)):\(two(minute)):\(two(second))"
    }

    public static func < (a: CivilDateTime, b: CivilDateTime) -> Bool {
        (a.date, a.secondOfDay) < (b.date, b.secondOfDay)
    }
}
