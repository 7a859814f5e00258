import Extractors
import LastMileCore

/// Drives `DateFormat` (pattern compiler and parsers) and `CivilDate(iso:)` with one fuzz input.
///
/// Byte 0 is the pattern's length (mod 32); the pattern follows, then the value. Invariants: `parseDate` is
/// `parseDateTime` without the time (so the ISO fast path agrees with the general matcher); a parsed value,
/// written back in the same pattern, parses to itself; `CivilDate(iso:)` agrees with `DateFormat.iso`.
public func fuzzDateParsers(_ input: UnsafeRawBufferPointer) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    let patternLength = Int(input.byte(0) % 32)
    let pattern = String(decoding: input.dropping(1).prefix(patternLength), as: UTF8.self)
    let value = input.dropping(1 + patternLength)
    var formats = [DateFormat.iso]
    if let format = DateFormat(pattern) { formats.append(format) }
    for format in formats {
        let dateTime = format.parseDateTime(value)
        let date = format.parseDate(value)
        outcome.check(date == dateTime?.date, "date: parseDate and parseDateTime disagree for \(format)")
        if let dateTime {
            outcome.check(dateTime.secondOfDay >= 0 && dateTime.secondOfDay < 86_400, "date: time of day out of range")
            if let written = render(dateTime, pattern: format.pattern) {
                let again =
                    written.utf8.withContiguousStorageIfAvailable { format.parseDateTime(UnsafeRawBufferPointer($0)) }
                    ?? Array(written.utf8).withUnsafeBytes { format.parseDateTime($0) }
                outcome.check(again == dateTime, "date: \(format) does not re-parse its own rendering")
            } else {
                outcome.check(false, "date: \(format) parsed a value but is not a pattern the renderer knows")
            }
        }
    }
    if let text = String(validating: value, as: UTF8.self) {
        outcome.check(
            CivilDate(iso: text) == DateFormat.iso.parseDate(value), "date: CivilDate(iso:) and DateFormat.iso disagree"
        )
    }
    return outcome
}

/// Writes `value` in `pattern`, with fixed-width fields (the parser reads `M`, `D`, `H` as one or two digits).
/// An independent reading of the pattern rules in `DateFormat`; nil for a token it does not know.
func render(_ value: CivilDateTime, pattern: String) -> String? {
    let u = Array(pattern.utf8)
    let twelveHour = tokens(u).contains { $0.byte == UInt8(ascii: "a") && $0.count == 1 }
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var out = ""
    for (byte, count) in tokens(u) {
        switch (Unicode.Scalar(byte), count) {
        case ("Y", 4):
            let y = value.date.year
            out += y < 10 ? "000\(y)" : y < 100 ? "00\(y)" : y < 1000 ? "0\(y)" : "\(y)"
        case ("M", 1), ("M", 2): out += two(value.date.month)
        case ("D", 1), ("D", 2): out += two(value.date.day)
        case ("H", 1), ("H", 2): out += two(twelveHour ? (value.hour % 12 == 0 ? 12 : value.hour % 12) : value.hour)
        case ("m", 2): out += two(value.minute)
        case ("s", 2): out += two(value.second)
        case ("a", 1): out += value.hour >= 12 ? "PM" : "AM"
        case ("T", 1): out += "T"
        default:
            let isLetter = (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            guard !isLetter, byte < 0x80 else { return nil }
            out += String(repeating: String(Unicode.Scalar(byte)), count: count)
        }
    }
    return out
}

/// Runs of one byte: `YYYY-MM` is (Y, 4), (-, 1), (M, 2).
private func tokens(_ u: [UInt8]) -> [(byte: UInt8, count: Int)] {
    var result: [(UInt8, Int)] = []
    for b in u {
        if let last = result.last, last.0 == b { result[result.count - 1].1 += 1 } else { result.append((b, 1)) }
    }
    return result
}
