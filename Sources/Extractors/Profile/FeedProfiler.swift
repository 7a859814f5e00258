import LastMileCore

/// Builds a `FeedProfile` from a header and rows, in memory: feed it rows with `add(_:)`, then `finish`.
///
/// Columns are found as the extractor would find them (the config's header, else the layout's header and
/// aliases, folded for case, spaces and underscores). What is kept of the values depends on the column's role
/// (`ColumnProfile.Role`): code columns keep their distinct values, date columns the formats that parse them,
/// the person key its repeats; personal and undeclared columns keep counts and lengths only.
public struct FeedProfiler {
    /// Above this many distinct values a column is not a code column (and its distinct values are not kept).
    public static let distinctLimit = 30
    /// Date formats tried on every date column besides the configured ones.
    public static let standardDateFormats = ["YYYY-MM-DD", "M/D/YYYY", "D/M/YYYY", "YYYYMMDD"]
    /// Layout columns that identify a person in the source, first present wins.
    static let personKeyNames = ["student_id", "client_id", "PersonalID"]
    /// Layout columns dating the event a row records, first present wins.
    static let eventDateNames = ["attendance_date", "status_date", "booking_datetime"]
    /// Layout text columns that describe the event, not the person: their short codes may be shown.
    static let descriptiveNames: Set<String> = [
        "grade", "school_id", "facility", "arresting_agency", "program", "ferpa_basis",
    ]
    /// Layout text columns that are neither personal nor codes: counts and lengths only, role `other`.
    static let otherNames: Set<String> = ["school_name"]
    /// An undeclared column is reported as a date column when this share of its values parses.
    static let undeclaredDateShare = 0.9

    let config: SourceConfig
    let layout: SourceLayout
    let fileName: String
    private var columns: [Column]
    private var drift: HeaderDrift
    private var rows = 0
    private var unreadable = 0
    private let headerFields: Int
    private let personKeyIndex: Int?
    private let eventDate: (index: Int, formats: [DateFormat])?
    private let attendanceIndex: Int?
    private var keys: [String: Int] = [:]
    private var keysAndDates: [String: Int] = [:]
    private var days: [CivilDate: Int] = [:]
    private var statusRows: [String: Int] = [:]
    private var attendanceUnmapped = 0
    private var attendanceEmpty = 0

    /// Prepares a profile of `file` whose first line is `header`, read through `config` and its `layout`.
    public init(file: String, config: SourceConfig, layout: SourceLayout, header: [String]) {
        self.config = config
        self.layout = layout
        self.fileName = file
        headerFields = header.count
        let claimed = Self.resolve(layout: layout, config: config, header: header)
        var missing: [HeaderDrift.Missing] = []
        for spec in layout.columns where !claimed.values.contains(spec.name) {
            let o = config.columns[spec.name]
            missing.append(
                .init(name: spec.name, header: o?.header ?? spec.header, required: o?.required ?? spec.required))
        }
        let undeclared = header.indices.filter { claimed[$0] == nil }.map { $0 + 1 }
        drift = HeaderDrift(missing: missing, undeclaredPositions: undeclared)
        columns = header.indices.map { i in
            guard let name = claimed[i], let spec = layout.column(name) else { return Column(undeclaredAt: i) }
            return Column(spec: spec, position: i, config: config)
        }
        let indexOf = { (name: String) in claimed.first { $0.value == name }?.key }
        personKeyIndex = Self.personKeyNames.lazy.compactMap(indexOf).first
        eventDate = Self.eventDateNames.lazy.compactMap { name in indexOf(name).map { (name, $0) } }.first.map {
            (index: $0.1, formats: Self.formats(for: layout.column($0.0), config: config).compactMap(DateFormat.init))
        }
        let attendance = indexOf("attendance_code")
        attendanceIndex = config.extractor == SchoolAttendanceExtractor.kind ? attendance : nil
    }

    /// Which layout column each header position is, by 0-based position.
    static func resolve(layout: SourceLayout, config: SourceConfig, header: [String]) -> [Int: String] {
        let folded = header.map(CSVReader.normalize(header:))
        var claimed: [Int: String] = [:]
        for spec in layout.columns {
            let names = config.columns[spec.name]?.header.map { [$0] } ?? [spec.header] + spec.aliases
            let wanted = Set(names.map(CSVReader.normalize(header:)))
            if let i = folded.indices.first(where: { claimed[$0] == nil && wanted.contains(folded[$0]) }) {
                claimed[i] = spec.name
            }
        }
        return claimed
    }

    /// The formats the config (or the layout's default) gives a date column; empty for other columns.
    static func configuredFormats(of spec: ColumnSpec?, config: SourceConfig) -> [String] {
        guard let spec else { return [] }
        switch spec.kind {
        case .date(let f), .dateTime(let f): return config.columns[spec.name]?.formats ?? f
        default: return []
        }
    }

    /// The configured formats of a date column, then the standard ones.
    static func formats(for spec: ColumnSpec?, config: SourceConfig) -> [String] {
        let configured = configuredFormats(of: spec, config: config)
        return configured + standardDateFormats.filter { !configured.contains($0) }
    }

    /// Counts a row the reader could not use (ragged, not text): it adds to `rows` and nothing else.
    public mutating func addUnreadableRow() {
        rows += 1
        unreadable += 1
    }

    /// Counts one row; `fields[i]` is the value at position i, nil when empty (values are trimmed of spaces).
    public mutating func add(_ fields: [String?]) {
        rows += 1
        for i in columns.indices {
            columns[i].add(i < fields.count ? fields[i].flatMap { $0.isEmpty ? nil : $0 } : nil)
        }
        let value = { (index: Int?) -> String? in
            guard let index, index < fields.count, let v = fields[index], !v.isEmpty else { return nil }
            return v
        }
        var day: CivilDate?
        if let eventDate, let text = value(eventDate.index) {
            day = DateParsing.parse(text, eventDate.formats)
            if let day { days[day, default: 0] += 1 }
        }
        if let key = value(personKeyIndex) {
            keys[key, default: 0] += 1
            if let day { keysAndDates[key + "|" + day.description, default: 0] += 1 }
        }
        if let attendanceIndex {
            if let code = value(attendanceIndex) {
                if let status = columns[attendanceIndex].codeMap?.value(of: code) {
                    statusRows[status, default: 0] += 1
                } else {
                    attendanceUnmapped += 1
                }
            } else {
                attendanceEmpty += 1
            }
        }
    }

    /// The profile; `previous` is the source's previous file and its row count, when there is one.
    public func finish(previous: (file: String, rows: Int)? = nil) -> FeedProfile {
        let readable = rows - unreadable
        return FeedProfile(
            file: fileName, source: config.name, extractor: config.extractor, layout: layout.name, rows: rows,
            unreadableRows: unreadable, headerFields: headerFields,
            columns: columns.map { $0.profile(readableRows: readable) }, drift: drift,
            personKey: personKeyRepeats(), attendance: attendanceMix(),
            rowsPerDay: days.sorted { $0.key < $1.key }.map { DayCount(date: $0.key.description, rows: $0.value) },
            previous: previous.map {
                PreviousFile(
                    file: $0.file, rows: $0.rows, change: rows - $0.rows,
                    changeRate: $0.rows == 0 ? 0 : rounded(Double(rows - $0.rows) / Double($0.rows)))
            })
    }

    private func personKeyRepeats() -> KeyRepeats? {
        guard let personKeyIndex, let name = columns[personKeyIndex].name else { return nil }
        let repeated = keys.values.filter { $0 > 1 }
        return KeyRepeats(
            column: name, rowsWithKey: keys.values.reduce(0, +), distinct: keys.count, repeatedKeys: repeated.count,
            rowsWithRepeatedKey: repeated.reduce(0, +),
            rowsWithRepeatedKeyAndDate: eventDate == nil ? nil : keysAndDates.values.filter { $0 > 1 }.reduce(0, +))
    }

    private func attendanceMix() -> AttendanceMix? {
        guard attendanceIndex != nil else { return nil }
        let statuses = AttendanceStatus.allCases.map(\.rawValue)
        let present = statusRows[AttendanceStatus.present.rawValue, default: 0]
        return AttendanceMix(
            byStatus: statuses.map { StatusCount(status: $0, rows: statusRows[$0, default: 0]) },
            unmapped: attendanceUnmapped, empty: attendanceEmpty,
            absenceOnly: statusRows.values.reduce(0, +) > 0 && present == 0)
    }
}

/// A share rounded to four decimals, so JSON shows `0.9994`, not `0.99939050578915297`.
func rounded(_ share: Double) -> Double { (share * 10_000).rounded() / 10_000 }
