import Foundation
import LastMileCore
import YAMLConfig
import Yams

/// One source's declarative config, `pipelines/sources/<name>.yaml`: which extractor reads it and how.
///
/// ```yaml
/// source: riverside-usd                  # the source's name; also the file's name
/// extractor: school-attendance
/// category: education                    # education | shelter | justice | housing
/// agreement: riverside-usd-dsa-2026      # the data-sharing agreement the data arrives under
/// layout: edfi                           # optional: another layout of the extractor
/// input: sample-data/inbox/riverside-usd/*.csv
/// csv: { delimiter: "|", encoding: windows-1252 }
/// columns:                               # lastmile column: this feed's header
///   student_id: StuNum
///   birth_date: { header: DOB, formats: ["MM/DD/YYYY", "YYYY-MM-DD"] }
///   guardian_phone: { required: true }
/// codes:
///   attendance_code: { U: absent-unexcused, X: absent-excused }
/// labels: [sealed]                       # restriction labels put on every record of this source
/// attendance: positive                   # school-attendance only: positive | absences-only | aggregate
/// ```
/// `load(path:)` reports every problem at once, each with the file and key path.
public struct SourceConfig: Sendable {
    /// A column's settings as the config gives them; nil fields keep the layout's default.
    public struct ColumnOverride: Sendable, Hashable {
        public var header: String?
        public var formats: [String]?
        public var required: Bool?

        public init(header: String? = nil, formats: [String]? = nil, required: Bool? = nil) {
            self.header = header
            self.formats = formats
            self.required = required
        }
    }

    /// The source's name (`source:`), e.g. `riverside-usd`; records carry it.
    public var name: String
    /// The extractor kind, e.g. `school-attendance`.
    public var extractor: String
    public var category: DataCategory?
    /// The data-sharing agreement id; required in committed configs, absent for `--extractor` dry runs.
    public var agreement: String?
    /// Another layout of the extractor (`edfi`); nil for the default.
    public var layout: String?
    /// Where the pipeline finds the source's files (a glob); informational for `extract`.
    public var input: String?
    public var description: String?
    public var dialect: CSVDialect
    public var columns: [String: ColumnOverride]
    /// Column → (source code → lastmile value), merged over the layout's default map.
    public var codes: [String: [String: String]]
    public var labels: Set<RestrictionLabel>
    /// How a school-attendance feed accounts for enrolled days (`attendance:`); `.positive` by default.
    public var attendance: AttendanceShape
    /// The enrollment-spans file an absences-only feed needs (`enrollment:`), as the config gives it.
    public var enrollment: String?
    /// The school-calendar file an absences-only feed needs (`calendar:`), as the config gives it.
    public var calendar: String?
    /// The file the config came from (for messages), or `<built-in>`.
    public var file: String
    /// Snapshot kind, feed age and row-count expectations (`snapshot`, `max_feed_age_days`, `min_row_share`).
    public var feed = FeedExpectations()
    /// Header line, sheet, fixed-width positions and transforms (`SourceConfig+Reading.swift`).
    public var reading = ReadingOptions()

    public init(
        name: String, extractor: String, category: DataCategory? = nil, agreement: String? = nil,
        layout: String? = nil, input: String? = nil, description: String? = nil, dialect: CSVDialect = CSVDialect(),
        columns: [String: ColumnOverride] = [:], codes: [String: [String: String]] = [:],
        labels: Set<RestrictionLabel> = [], attendance: AttendanceShape = .positive, enrollment: String? = nil,
        calendar: String? = nil, file: String = "<built-in>"
    ) {
        self.name = name
        self.extractor = extractor
        self.category = category
        self.agreement = agreement
        self.layout = layout
        self.input = input
        self.description = description
        self.dialect = dialect
        self.columns = columns
        self.codes = codes
        self.labels = labels
        self.attendance = attendance
        self.enrollment = enrollment
        self.calendar = calendar
        self.file = file
    }

    /// The config `--extractor KIND` uses: the extractor's default layout, named after the kind.
    public static func defaults(for kind: String) -> SourceConfig {
        SourceConfig(name: kind, extractor: kind, category: ExtractorRegistry.extractor(kind: kind)?.category)
    }

    /// The restriction labels a config may name.
    public static let knownLabels: [RestrictionLabel] = [
        .victimServiceProvider, .juvenile, .ferpaBasisMissing, .sealed, .currentlyFleeing,
    ]

    // MARK: - Loading

    /// Reads, parses and validates a config file.
    /// - Throws: `SourceConfigError` with every problem found (exit status 78).
    public static func load(path: String) throws(SourceConfigError) -> SourceConfig {
        let text = try ConfigError.text(ofFile: path)
        let (config, problems) = parse(yaml: text, file: path)
        var all = problems
        if let config {
            all += config.validate()
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if stem != config.name {
                all.append(
                    ConfigProblem(
                        file: path, keyPath: "source", at: config.positions["source"],
                        message: "the file must be named \(config.name).yaml after its source"))
            }
        }
        guard let config, all.isEmpty else { throw SourceConfigError(problems: all) }
        return config
    }

    /// Parses YAML into a config, collecting structural problems (unknown keys, wrong types, duplicate keys).
    /// Returns nil when the document is not a mapping with `source` and `extractor`.
    public static func parse(yaml: String, file: String) -> (SourceConfig?, [ConfigProblem]) {
        var reader = YAMLConfigReader(text: yaml, file: file)
        guard reader.isReadable else { return (nil, reader.problems) }
        guard reader.root != nil else {
            reader.report(nil, "", "the file is empty; expected a mapping with source, extractor, category, agreement")
            return (nil, reader.problems)
        }
        let topKeys =
            [
                "source", "extractor", "category", "agreement", "layout", "input", "description", "owner", "csv",
                "columns", "codes", "labels", "attendance", "enrollment", "calendar",
            ] + FeedExpectations.keys + readingKeys
        guard let top = reader.mapping(reader.root, "", keys: topKeys, required: true) else {
            return (nil, reader.problems)
        }
        let name = reader.string(top["source"], "source", required: true)
        let extractor = reader.string(top["extractor"], "extractor", required: true)
        let agreement = reader.string(top["agreement"], "agreement", required: true)
        let category: DataCategory? = reader.enumValue(top["category"], "category", required: true)
        if let name, name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            reader.report(top["source"], "source", "expected kebab-case (lower-case letters, digits, hyphens)")
        }
        let dialect = readDialect(top["csv"], &reader)
        let columns = readColumns(top["columns"], &reader)
        let codes = readCodes(top["codes"], &reader)
        let labels = readLabels(top["labels"], &reader)
        let layout = reader.string(top["layout"], "layout")
        let input = reader.string(top["input"], "input")
        let description = reader.string(top["description"], "description")
        _ = reader.string(top["owner"], "owner")
        let attendance: AttendanceShape? = reader.enumValue(top["attendance"], "attendance")
        let enrollment = reader.string(top["enrollment"], "enrollment")
        let calendar = reader.string(top["calendar"], "calendar")
        let reading = readReading(top, &reader)
        guard let name, let extractor else { return (nil, reader.problems) }
        var config = SourceConfig(
            name: name, extractor: extractor, category: category, agreement: agreement, layout: layout, input: input,
            description: description, dialect: dialect, columns: columns, codes: codes, labels: labels,
            attendance: attendance ?? .positive, enrollment: enrollment, calendar: calendar, file: file)
        config.feed = FeedExpectations.read(top, &reader)
        config.reading = reading
        config.positions = reader.positions
        return (config, reader.problems)
    }

    private static func readDialect(_ node: Node?, _ reader: inout YAMLConfigReader) -> CSVDialect {
        var dialect = CSVDialect()
        let keys = ["delimiter", "encoding", "max_field_bytes"]
        guard let csv = reader.mapping(node, "csv", keys: keys) else { return dialect }
        if let v = csv["delimiter"] {
            let text = v.scalar?.string ?? ""
            let named: [String: UInt8] = ["comma": 44, "tab": 9, "\\t": 9, "pipe": 124, "semicolon": 59]
            if let d = named[text.lowercased()] ?? (text.utf8.count == 1 ? text.utf8.first : nil),
                CSVDialect.allowedDelimiters.contains(d)
            {
                dialect.delimiter = d
            } else {
                reader.report(
                    v, "csv.delimiter", "expected one of \",\" \"\\t\" \"|\" \";\" (or comma, tab, pipe, semicolon)")
            }
        }
        if let v = csv["encoding"] {
            if let e = v.scalar.flatMap({ TextEncoding(configName: $0.string) }) {
                dialect.encoding = e
            } else {
                reader.report(v, "csv.encoding", "expected one of utf-8, windows-1252, latin-1")
            }
        }
        if let n = reader.int(
            csv["max_field_bytes"], "csv.max_field_bytes", in: 1024...Int.max,
            expected: "a whole number of bytes, at least 1024")
        {
            dialect.maxFieldBytes = n
        }
        return dialect
    }

    private static func readColumns(_ node: Node?, _ reader: inout YAMLConfigReader) -> [String: ColumnOverride] {
        var columns: [String: ColumnOverride] = [:]
        let expected = "a mapping of lastmile column to this feed's header"
        for (column, value) in reader.anyMapping(node, "columns", expected: expected) ?? [] {
            let path = "columns.\(column)"
            if value.scalar != nil {
                if let header = reader.string(value, path) { columns[column] = ColumnOverride(header: header) }
                continue
            }
            guard
                let settings = reader.mapping(
                    value, path, keys: ["header", "formats", "required"],
                    expected: "a header name or a mapping with header, formats, required")
            else { continue }
            var o = ColumnOverride()
            o.header = reader.string(settings["header"], "\(path).header")
            if let formats = settings["formats"] {
                if formats.scalar != nil {
                    o.formats = reader.string(formats, "\(path).formats").map { [$0] }
                } else if let list = reader.strings(formats, "\(path).formats"), !list.isEmpty {
                    o.formats = list
                } else if formats.sequence?.isEmpty == true {
                    reader.report(formats, "\(path).formats", "expected a list of date formats, e.g. [\"MM/DD/YYYY\"]")
                }
            }
            o.required = reader.bool(settings["required"], "\(path).required")
            columns[column] = o
        }
        return columns
    }

    private static func readCodes(_ node: Node?, _ reader: inout YAMLConfigReader) -> [String: [String: String]] {
        var codes: [String: [String: String]] = [:]
        for (column, value) in reader.anyMapping(node, "codes", expected: "a mapping of column to code map") ?? [] {
            let path = "codes.\(column)"
            let expected = "a mapping of this feed's code to a lastmile value"
            var map: [String: String] = [:]
            for (code, target) in reader.anyMapping(value, path, expected: expected) ?? [] {
                if let v = reader.string(target, "\(path).\(code)") { map[code] = v }
            }
            codes[column] = map
        }
        return codes
    }

    private static func readLabels(_ node: Node?, _ reader: inout YAMLConfigReader) -> Set<RestrictionLabel> {
        var labels: Set<RestrictionLabel> = []
        for (i, item) in (reader.sequence(node, "labels", expected: "a list of restriction labels") ?? []).enumerated()
        {
            let label = RestrictionLabel(rawValue: item.scalar?.string ?? "")
            if knownLabels.contains(label) {
                labels.insert(label)
            } else {
                reader.report(
                    item, "labels[\(i)]",
                    "unknown label; expected one of \(knownLabels.map(\.rawValue).joined(separator: ", "))")
            }
        }
        return labels
    }

    /// Where each key path of the file sits, for messages from `validate()`.
    var positions: [String: ConfigPosition] = [:]

    /// The position of `path` in the file, or of its nearest ancestor.
    public func position(of path: String) -> ConfigPosition? {
        var p = Substring(path)
        while true {
            if let found = positions[String(p)] { return found }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return positions[""] }
            p = p[..<cut]
        }
    }

    /// The line and column of the `agreement:` key, for cross-checks against the consent policy.
    public var agreementPosition: ConfigPosition? { positions["agreement"] }

    // MARK: - Validation against the extractor

    /// Checks the config against its extractor: kind, category, layout, column names, formats and codes.
    public func validate() -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem(_ path: String, _ message: String) {
            problems.append(ConfigProblem(file: file, keyPath: path, at: position(of: path), message: message))
        }
        guard let type = ExtractorRegistry.extractor(kind: extractor) else {
            problem(
                "extractor", "unknown extractor; expected one of \(ExtractorRegistry.kinds.joined(separator: ", "))")
            return problems
        }
        if let category, category != type.category {
            problem("category", "\(extractor) data is \(type.category.rawValue), not \(category.rawValue)")
        }
        guard let layout = type.layout(named: layout) else {
            problem("layout", "unknown layout; \(extractor) has \(type.layouts.map(\.name).joined(separator: ", "))")
            return problems
        }
        problems += attendanceProblems()
        problems += readingProblems(type, layout)
        if type.inputKind == .folder, !columns.isEmpty || !codes.isEmpty {
            problem(
                columns.isEmpty ? "codes" : "columns",
                "\(extractor) reads a fixed national format; columns and codes cannot be remapped")
        }
        let names = layout.columns.map(\.name)
        for (column, o) in columns.sorted(by: { $0.key < $1.key }) {
            guard let spec = layout.column(column) else {
                problem(
                    "columns.\(column)",
                    "not a column of \(extractor) (\(layout.name) layout)" + suggestion(column, names))
                continue
            }
            if let formats = o.formats {
                if !spec.isDateLike {
                    problem("columns.\(column).formats", "only date and date-time columns take formats")
                }
                for (i, f) in formats.enumerated() {
                    if let format = DateFormat(f) {
                        if case .date = spec.kind, format.hasTime {
                            problem(
                                "columns.\(column).formats[\(i)]", "a date column takes a date format (no HH, mm, ss)")
                        }
                    } else {
                        problem(
                            "columns.\(column).formats[\(i)]",
                            "not a date format; use YYYY, MM, M, DD, D, HH, H, mm, ss, a and literal separators")
                    }
                }
            }
        }
        for (column, map) in codes.sorted(by: { $0.key < $1.key }) {
            guard let spec = layout.column(column), case .code(let values, _, _) = spec.kind else {
                let codeColumns = layout.columns.filter { if case .code = $0.kind { true } else { false } }.map(\.name)
                problem(
                    "codes.\(column)",
                    "not a code column of \(extractor); code columns: \(codeColumns.joined(separator: ", "))")
                continue
            }
            for (code, value) in map.sorted(by: { $0.key < $1.key }) where !values.contains(value) {
                problem("codes.\(column).\(code)", "unknown value; expected one of \(values.joined(separator: ", "))")
            }
        }
        return problems
    }
}

/// How a school-attendance feed accounts for the days a student was enrolled (a source's `attendance:` key).
public enum AttendanceShape: String, Sendable, Hashable, CaseIterable {
    /// A row for every enrolled day, present or not: the days with a row are the enrolled days.
    case positive
    /// Rows only for the days a student was not present (PowerSchool, Infinite Campus); enrolled days must
    /// come from an enrollment file and a school calendar.
    case absencesOnly = "absences-only"
    /// Days absent and days enrolled to date per student (state reports, monthly feeds).
    case aggregate
}

extension SourceConfig {
    /// The config keys that describe a school-attendance feed's shape.
    static let attendanceKeys = ["attendance", "enrollment", "calendar"]

    /// Problems with `attendance`, `enrollment` and `calendar`: only school-attendance sources take them, and
    /// a shape that cannot give a true denominator (enrolled days) is refused rather than rated 100 % absent.
    func attendanceProblems() -> [ConfigProblem] {
        func problem(_ path: String, _ message: String) -> ConfigProblem {
            ConfigProblem(file: file, keyPath: path, at: position(of: path), message: message)
        }
        guard extractor == SchoolAttendanceExtractor.kind else {
            return Self.attendanceKeys.filter { positions[$0] != nil }.map {
                problem($0, "only school-attendance sources take \($0)")
            }
        }
        var problems: [ConfigProblem] = []
        let aggregateLayout = SchoolAttendanceExtractor.aggregateLayout.name
        if attendance == .aggregate, layout != aggregateLayout {
            problems.append(
                problem(
                    "attendance",
                    "aggregate attendance reads days absent and enrolled per student; add `layout: \(aggregateLayout)`")
            )
        } else if attendance != .aggregate, layout == aggregateLayout {
            problems.append(problem("layout", "the \(aggregateLayout) layout is for `attendance: aggregate` sources"))
        }
        guard attendance == .absencesOnly else {
            for key in ["enrollment", "calendar"] where positions[key] != nil {
                problems.append(
                    problem(
                        key,
                        "only `attendance: absences-only` sources take \(key); \(attendance.rawValue) attendance "
                            + "has its own enrolled days"))
            }
            return problems
        }
        var missing: [String] = []
        if enrollment == nil { missing.append("an `enrollment:` file (student id, school, entry date, exit date)") }
        if calendar == nil { missing.append("a `calendar:` file (school id, date, instructional yes/no)") }
        if !missing.isEmpty {
            problems.append(
                problem(
                    "attendance",
                    "absences-only attendance has no enrolled days of its own; name "
                        + missing.joined(separator: " and ")
                        + ", or every listed day counts as enrolled and every student as absent"))
        }
        return problems
    }
}

/// Source configs with problems (exit status 78): the one configuration error of every YAML file.
public typealias SourceConfigError = ConfigError

/// " (did you mean x?)" when a known name is within two edits.
func suggestion(_ word: String, _ candidates: [String]) -> String { Suggestion.text(word, candidates) }
