import LastMileCore

/// A date or date-time pattern such as `MM/DD/YYYY` or `YYYY-MM-DD HH:mm:ss`, matched straight on bytes.
///
/// Tokens: `YYYY` year; `MM` / `DD` two-digit month / day; `M` / `D` one or two digits; `HH` / `H` hour (0–23,
/// two or one-or-two digits); `mm` minute; `ss` second; `a` `AM`/`PM` (then `H`/`HH` is 1–12). Any other
/// character stands for itself (`T` in `YYYY-MM-DDTHH:mm:ss` is literal). The whole field must fit.
public struct DateFormat: Sendable, Hashable, CustomStringConvertible {
    enum Piece: Sendable, Hashable {
        case year, month2, month, day2, day, hour2, hour, minute, second, meridiem
        case literal(UInt8)
    }

    /// The pattern as written in a config.
    public let pattern: String
    let pieces: [Piece]

    /// `YYYY-MM-DD`.
    public static let iso = DateFormat("YYYY-MM-DD")!

    /// Compiles `pattern`; nil when it has no year, month and day, or a letter that is not a token.
    public init?(_ pattern: String) {
        var pieces: [Piece] = []
        let u = Array(pattern.utf8)
        var i = 0
        func run(_ c: UInt8) -> Int {
            var n = 0
            while i + n < u.count, u[i + n] == c { n += 1 }
            return n
        }
        while i < u.count {
            let c = u[i]
            let n = run(c)
            switch (c, n) {
            case (UInt8(ascii: "Y"), 4): pieces.append(.year)
            case (UInt8(ascii: "M"), 2): pieces.append(.month2)
            case (UInt8(ascii: "M"), 1): pieces.append(.month)
            case (UInt8(ascii: "D"), 2): pieces.append(.day2)
            case (UInt8(ascii: "D"), 1): pieces.append(.day)
            case (UInt8(ascii: "H"), 2): pieces.append(.hour2)
            case (UInt8(ascii: "H"), 1): pieces.append(.hour)
            case (UInt8(ascii: "m"), 2): pieces.append(.minute)
            case (UInt8(ascii: "s"), 2): pieces.append(.second)
            case (UInt8(ascii: "a"), 1): pieces.append(.meridiem)
            case (UInt8(ascii: "T"), 1): pieces.append(.literal(c))
            default:
                let isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
                guard !isLetter, c < 0x80 else { return nil }
                for _ in 0..<n { pieces.append(.literal(c)) }
            }
            i += n
        }
        guard pieces.contains(.year), pieces.contains(where: { $0 == .month || $0 == .month2 }),
            pieces.contains(where: { $0 == .day || $0 == .day2 })
        else { return nil }
        self.pattern = pattern
        self.pieces = pieces
        isISODate = pattern == "YYYY-MM-DD"
    }

    /// `YYYY-MM-DD`, parsed by a fast path.
    let isISODate: Bool

    /// True when the pattern has a time part.
    public var hasTime: Bool { pieces.contains { $0 == .hour || $0 == .hour2 } }

    public var description: String { pattern }

    /// Parses a date; a pattern with a time part matches only when the time is midnight-agnostic, so it is
    /// accepted too and the time dropped.
    public func parseDate(_ b: UnsafeRawBufferPointer) -> CivilDate? {
        if isISODate {
            // The common case, without the general matcher.
            guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
            @inline(__always) func d(_ i: Int) -> Int? {
                let v = b[i] &- 48
                return v < 10 ? Int(v) : nil
            }
            guard let y0 = d(0), let y1 = d(1), let y2 = d(2), let y3 = d(3), let m0 = d(5), let m1 = d(6),
                let d0 = d(8), let d1 = d(9)
            else { return nil }
            return CivilDate(year: y0 * 1000 + y1 * 100 + y2 * 10 + y3, month: m0 * 10 + m1, day: d0 * 10 + d1)
        }
        return parse(b)?.date
    }

    public func parseDateTime(_ b: UnsafeRawBufferPointer) -> CivilDateTime? { parse(b) }

    @inline(__always)
    private func parse(_ b: UnsafeRawBufferPointer) -> CivilDateTime? {
        var i = 0
        var year = -1
        var month = -1
        var day = -1
        var hour = 0
        var minute = 0
        var second = 0
        var pm: Bool?
        @inline(__always) func digits(_ minCount: Int, _ maxCount: Int) -> Int? {
            var v = 0
            var n = 0
            while n < maxCount, i < b.count {
                let d = b[i] &- 48
                guard d < 10 else { break }
                v = v * 10 + Int(d)
                n += 1
                i += 1
            }
            return n >= minCount ? v : nil
        }
        for piece in pieces {
            switch piece {
            case .year:
                guard let v = digits(4, 4) else { return nil }
                year = v
            case .month2:
                guard let v = digits(2, 2) else { return nil }
                month = v
            case .month:
                guard let v = digits(1, 2) else { return nil }
                month = v
            case .day2:
                guard let v = digits(2, 2) else { return nil }
                day = v
            case .day:
                guard let v = digits(1, 2) else { return nil }
                day = v
            case .hour2:
                guard let v = digits(2, 2) else { return nil }
                hour = v
            case .hour:
                guard let v = digits(1, 2) else { return nil }
                hour = v
            case .minute:
                guard let v = digits(2, 2) else { return nil }
                minute = v
            case .second:
                guard let v = digits(2, 2) else { return nil }
                second = v
            case .meridiem:
                guard i + 2 <= b.count, CSVRow.lower(b[i + 1]) == UInt8(ascii: "m") else { return nil }
                switch CSVRow.lower(b[i]) {
                case UInt8(ascii: "a"): pm = false
                case UInt8(ascii: "p"): pm = true
                default: return nil
                }
                i += 2
            case .literal(let c):
                guard i < b.count, b[i] == c else { return nil }
                i += 1
            }
        }
        guard i == b.count else { return nil }
        if let pm {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard hour < 24, minute < 60, second < 60, let date = CivilDate(year: year, month: month, day: day) else {
            return nil
        }
        return CivilDateTime(date: date, hour: hour, minute: minute, second: second)
    }
}
