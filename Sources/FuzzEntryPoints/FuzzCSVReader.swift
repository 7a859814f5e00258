import Extractors
import Foundation
import LastMileCore

/// The configurations the CSV target can run an extractor with: every built-in file extractor and layout.
private let extractorConfigs: [(kind: String, layout: String?)] = [
    ("school-attendance", nil), ("school-attendance", "edfi"), ("jail-bookings", nil), ("housing-registry", nil),
]

private let fuzzDateFormats = [DateFormat.iso, DateFormat("MM/DD/YYYY")!, DateFormat("M/D/YYYY H:mm a")!]

/// Drives `CSVReader` (or a built-in extractor over it) with one fuzz input.
///
/// Byte 0 chooses the options: bits 0–1 the delimiter, bits 2–3 the encoding, bit 4 a tiny field limit
/// (1–64 bytes, from byte 1), bits 5–7 the mode (0–3: the bare reader; 4–7: an extractor and layout). The
/// rest is the file. Invariants: rows come in strictly increasing physical lines after the header and never
/// past the file's last line; a clean UTF-8 row's text is its bytes; an extractor's rejections never echo
/// a value that looks personal.
public func fuzzCSVReader(_ input: UnsafeRawBufferPointer) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    let options = input.byte(0)
    let content = input.dropping(2)
    var dialect = CSVDialect(
        delimiter: CSVDialect.allowedDelimiters[Int(options & 3)],
        encoding: TextEncoding.allCases[Int((options >> 2) & 3) % TextEncoding.allCases.count])
    if options & 0x10 != 0 { dialect.maxFieldBytes = 1 + Int(input.byte(1) % 64) }
    let path = ScratchFile.write(content)
    let mode = Int(options >> 5)
    if mode < 4 {
        readRaw(path: path, dialect: dialect, content: content, into: &outcome)
    } else {
        extract(path: path, dialect: dialect, config: extractorConfigs[mode - 4], content: content, into: &outcome)
    }
    return outcome
}

private func readRaw(
    path: String, dialect: CSVDialect, content: UnsafeRawBufferPointer, into outcome: inout FuzzOutcome
) {
    guard let reader = try? CSVReader(path: path, displayName: "fuzz.csv", dialect: dialect) else { return }
    let lastLine = physicalLineCount(content)
    outcome.check(
        reader.headerLine >= 1 && reader.headerLine <= lastLine,
        "csv: header line \(reader.headerLine) outside 1...\(lastLine)")
    outcome.check(!reader.header.isEmpty, "csv: empty header array")
    var previous = reader.headerLine
    var rows = 0
    while true {
        let next: CSVRow?
        do { next = try reader.nextRow() } catch { break }
        guard let row = next else { break }
        rows += 1
        outcome.check(row.line > previous, "csv: row line \(row.line) not after \(previous)")
        outcome.check(row.line <= lastLine, "csv: row line \(row.line) past the last line \(lastLine)")
        previous = row.line
        outcome.check(row.fieldCount >= 1, "csv: a row with no fields")
        var total = 0
        for column in 0..<row.fieldCount {
            let bytes = row.bytes(column)
            total += bytes.count
            let text = row.string(column)
            outcome.check((text == nil) == bytes.isEmpty, "csv: string(\(column)) nil iff empty")
            if row.problem == nil, dialect.encoding == .utf8, let text {
                outcome.check(Array(text.utf8) == Array(bytes), "csv: UTF-8 text differs from its bytes")
            }
            if let date = row.date(column, formats: fuzzDateFormats) {
                outcome.check(date.year >= 1 && date.year <= 9999, "csv: date out of range")
            }
            _ = row.dateTime(column, formats: fuzzDateFormats)
            _ = row.int(column)
            _ = row.equals(column, caseInsensitive: "Y")
        }
        outcome.check(total <= content.count, "csv: a row holds more bytes than the file")
        outcome.check(row.allFields.count == row.fieldCount, "csv: allFields count")
        outcome.check(row.string(-1) == nil && row.string(row.fieldCount) == nil, "csv: out-of-range column not empty")
        if rows > content.count + 1 {
            outcome.check(false, "csv: more rows than bytes")
            break
        }
    }
}

private func extract(
    path: String, dialect: CSVDialect, config: (kind: String, layout: String?), content: UnsafeRawBufferPointer,
    into outcome: inout FuzzOutcome
) {
    var source = SourceConfig.defaults(for: config.kind)
    source.layout = config.layout
    source.dialect = dialect
    let extractor: any Extractor
    do {
        extractor = try ExtractorRegistry.makeExtractor(for: source)
    } catch {
        outcome.check(false, "csv: the default config of \(config.kind) does not make an extractor")
        return
    }
    var sink = CollectingSink()
    var messages: [String] = []
    do {
        try extractor.extract(InputLocation(path: path, name: "fuzz.csv"), into: &sink)
    } catch {
        messages.append(String(describing: error))
    }
    messages += sink.rejections.map(\.description)
    let lastLine = physicalLineCount(content)
    for rejection in sink.rejections {
        outcome.check(
            rejection.line >= 1 && rejection.line <= lastLine,
            "csv: rejection line \(rejection.line) outside 1...\(lastLine)")
    }
    guard !messages.isEmpty else { return }
    // Values of the file's data lines that look personal must not appear in any message. Header fields may
    // (a rejection names its column), so values that are part of the header line are left out.
    let text = String(decoding: content, as: UTF8.self)
    let lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard let header = lines.first else { return }
    let headerFields = (try? CSVReader(path: path, dialect: dialect))?.header ?? []
    let delimiter = Character(Unicode.Scalar(dialect.delimiter))
    for line in lines.dropFirst() {
        for field in line.split(separator: delimiter) {
            let value = field.trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: "\""))
            guard looksPersonal(value), !header.contains(value), !headerFields.contains(where: { $0.contains(value) })
            else { continue }
            for message in messages where message.contains(value) {
                outcome.check(false, "csv: a message echoes a data value")
                return
            }
        }
    }
}
