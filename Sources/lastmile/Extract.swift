import ArgumentParser
import Extractors
import Foundation
import LastMileCore

/// `lastmile extract`: a dry run of one source's extractor over files, for data engineers.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dry-run an extractor: print the normalised records and a summary of rejected rows.",
        discussion: """
            Reads FILE… (a folder for hmis-csv) with a source's config (--source, from PIPELINES/sources/NAME.yaml) \
            or an extractor's default layout (--extractor, optionally --layout). Nothing is matched or loaded. \
            Personal fields (names, birth date, address, phone, SSN, person and record ids, attendance status) \
            print as *** unless --show-personal-data is given; rejected rows are described by file, line, column \
            and what was expected, never by their values.

            --all lists every rejected row instead of the first ten; with --format jsonl each is a JSON line \
            on standard output ({"type": "rejection", "file", "table", "line", "column", "reason", "expected"}) \
            beside the records ({"type": "record", …}). The rows' values go only to a rejects file, never here.

            Exit status: 0 when every file was read (even with rejected rows), 65 when a file is unusable \
            (empty, no header, a required column missing, not text), 78 when the source config is invalid.

            Example:  lastmile extract --source riverside-usd sample-data/inbox/riverside-usd/attendance-2026-11-20.csv --limit 5
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var feed: FeedOptions

    @Option(name: .long, help: "Print at most N records (the summary then covers only the rows read so far).")
    var limit: Int?

    @Option(name: .long, help: "Output format: table or jsonl (then the summary goes to standard error).")
    var format: OutputFormat = .table

    @ArgumentParser.Flag(name: .long, help: "Print names, dates of birth, ids and codes instead of ***.")
    var showPersonalData = false

    @ArgumentParser.Flag(
        name: .long,
        help: ArgumentHelp(
            "Print every rejected row, not the first ten (with --format jsonl: one JSON line each on standard output).",
            discussion: "A rejection names its file, line, column and what was expected, never the row's values."))
    var all = false

    @Argument(help: "Input files (or an HMIS export folder).")
    var files: [String]

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case table, jsonl
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
        if files.isEmpty { throw ValidationError("Give at least one input file.") }
    }

    func run() throws {
        let config = try feed.config()
        let extractor = try ExtractorRegistry.makeExtractor(for: config)
        let printer = RecordPrinter(format: format, showPersonalData: showPersonalData)
        var failures: [InputError] = []
        var remaining = limit ?? Int.max
        for file in files where remaining > 0 {
            var sink = DryRunSink(printer: printer, remaining: remaining, all: all)
            var stopped = false
            do {
                try extractor.extract(InputLocation(path: file), into: &sink)
            } catch is LimitReached {
                stopped = true
            } catch let error as InputError {
                failures.append(error)
            }
            remaining = sink.remaining
            let summary = sink.summary(
                file: InputLocation(path: file).name, stopped: stopped,
                failed: failures.last?.file == InputLocation(path: file).name ? failures.last : nil)
            if format == .jsonl { standardError(summary) } else { print(summary, terminator: "") }
        }
        if !failures.isEmpty {
            for failure in failures { standardError("lastmile: \(failure)\n") }
            throw ExitCode(ExitStatus.dataError.rawValue)
        }
    }
}

struct LimitReached: Error {}

/// Prints records as they come and counts rejections by reason.
struct DryRunSink: RecordSink {
    let printer: RecordPrinter
    var remaining: Int
    var good = 0
    var rejectedByReason: [String: Int] = [:]
    var examples: [RowRejection] = []
    /// Every rejection, not the first ten; with JSON lines, printed as they come.
    let all: Bool

    init(printer: RecordPrinter, remaining: Int, all: Bool = false) {
        self.printer = printer
        self.remaining = remaining
        self.all = all
    }

    mutating func accept(_ record: SourceRecord) throws {
        if good == 0 { printer.printHeader() }
        printer.print(record)
        good += 1
        remaining -= 1
        if remaining == 0 { throw LimitReached() }
    }

    mutating func reject(_ rejection: RowRejection, raw: RawRow?) {
        rejectedByReason[rejection.code, default: 0] += 1
        if all && printer.format == .jsonl {
            printer.print(rejection)
        } else if all || examples.count < 10 {
            examples.append(rejection)
        }
    }

    func summary(file: String, stopped: Bool, failed: InputError?) -> String {
        let rejected = rejectedByReason.values.reduce(0, +)
        var text = "\n\(terminalSafe(file)): \(good + rejected) rows read, \(good) good, \(rejected) rejected"
        if stopped { text += " (stopped at --limit)" }
        if failed != nil { text += "; the file is unusable (see below)" }
        text += "\n"
        for (reason, count) in rejectedByReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            text += "  \(count) \(reason)\n"
        }
        if !examples.isEmpty {
            text += all ? "rejected rows:\n" : "first rejected rows:\n"
            for example in examples { text += "  \(terminalSafe(example.description))\n" }
        }
        return text
    }
}

/// Renders records as an aligned table or JSON lines, masking personal fields unless asked.
struct RecordPrinter {
    let format: Extract.OutputFormat
    let showPersonalData: Bool

    private func personal(_ value: String?) -> String {
        guard let value else { return "" }
        return showPersonalData ? value : "***"
    }

    func printHeader() {
        guard format == .table else { return }
        Swift.print(
            row([
                "line", "record", "event", "when", "detail", "given", "family", "birth", "sex", "ssn", "phone",
                "address", "labels",
            ]))
    }

    private func row(_ cells: [String]) -> String {
        let widths = [6, 14, 14, 19, 26, 10, 10, 10, 3, 9, 8, 8, 0]
        return zip(cells.map(terminalSafe), widths).map { cell, width in
            width == 0 || cell.count >= width
                ? cell + " " : cell + String(repeating: " ", count: width - cell.count + 1)
        }.joined().trimmingCharacters(in: .whitespaces)
    }

    func print(_ record: SourceRecord) {
        let p = record.person
        let (kind, when, detail) = describe(record.event)
        let address = [p.street, p.city, p.state, p.postalCode].compactMap { $0 }.joined(separator: ", ")
        switch format {
        case .table:
            Swift.print(
                row([
                    String(record.provenance.line), personal(record.recordId), kind, when, detail,
                    personal(p.givenName),
                    personal(p.familyName), personal(p.birthDate?.description), p.sex?.rawValue ?? "",
                    personal(p.ssn ?? p.ssnLast4),
                    personal(p.phone), personal(address.isEmpty ? nil : address),
                    record.labels.map(\.rawValue).sorted().joined(separator: ","),
                ]))
        case .jsonl:
            var person: [String: String] = [:]
            let fields: [(String, String?)] = [
                ("source_person_id", p.sourcePersonId), ("given_name", p.givenName), ("middle_name", p.middleName),
                ("family_name", p.familyName), ("suffix", p.suffix), ("birth_date", p.birthDate?.description),
                ("street", p.street), ("city", p.city), ("state", p.state), ("postal_code", p.postalCode),
                ("phone", p.phone), ("ssn", p.ssn), ("ssn_last4", p.ssnLast4),
            ]
            for (key, value) in fields where value != nil { person[key] = personal(value) }
            if let sex = p.sex { person["sex"] = sex.rawValue }
            let object: [String: Any] = [
                "type": "record", "source": record.source, "record_id": personal(record.recordId),
                "file": record.provenance.file,
                "line": record.provenance.line, "event": kind, "when": when, "detail": detail, "person": person,
                "labels": record.labels.map(\.rawValue).sorted(),
            ]
            if let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            {
                Swift.print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// A rejection as one JSON line: where it is and what was expected, never the row's values.
    func print(_ rejection: RowRejection) {
        var object: [String: Any] = [
            "type": "rejection", "file": rejection.file, "table": RejectsFileWriter.table(of: rejection.file),
            "line": rejection.line, "reason": rejection.code, "expected": rejection.expectation,
        ]
        if let column = rejection.column { object["column"] = column }
        if let position = rejection.position { object["position"] = position }
        if let data = try? JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        {
            Swift.print(String(decoding: data, as: UTF8.self))
        }
    }

    private func describe(_ event: SourceEvent) -> (String, String, String) {
        switch event {
        case .attendance(let day):
            return (
                "attendance", day.date.description,
                "school \(day.schoolId) \(personal(day.status.rawValue))"
                    + (day.minutesAbsent.map { " \(personal(String($0)))m" } ?? "")
            )
        case .enrollment(let span):
            return (
                "enrollment", span.entryDate.description + (span.exitDate.map { "..\($0)" } ?? ".."),
                "school \(span.schoolId)"
            )
        case .attendanceTotals(let totals):
            return (
                "attendance-totals", totals.asOf.description,
                "\(personal(String(totals.daysAbsent))) of \(personal(String(totals.daysEnrolled))) days absent"
            )
        case .shelterStay(let stay):
            return (
                "shelter-stay", stay.entryDate.description + (stay.exitDate.map { "..\($0)" } ?? ".."),
                "project \(stay.projectId) type \(stay.projectType)"
            )
        case .bedNight(let night):
            return ("bed-night", night.date.description, "type \(night.projectType)")
        case .booking(let booking):
            return (
                "booking", booking.bookedAt.description,
                (booking.releasedAt.map { "released \($0)" } ?? "in custody")
                    + (booking.chargeCount.map { " charges \(personal(String($0)))" } ?? "")
            )
        case .housingStatus(let status):
            return (
                "housing", status.statusDate.description,
                "\(status.recordType.rawValue) \(personal(status.status.rawValue))"
            )
        }
    }
}
