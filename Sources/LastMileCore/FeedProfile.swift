// What `lastmile profile` reports about one input file. Every field is a count, a share, a length, a date
// format, a configured name or a short code: never a value that could be personal.

/// The profile of one file read through a source's config (or an extractor's default layout).
public struct FeedProfile: Codable, Sendable, Equatable {
    /// The file's name (its last path component).
    public var file: String
    public var source: String
    public var extractor: String
    public var layout: String
    /// Data rows (the header not counted), including `unreadableRows`.
    public var rows: Int
    /// Rows the CSV reader could not use as read (ragged, invalid text); not counted in the columns.
    public var unreadableRows: Int
    /// Fields in the first line (the header, or the first data row of a headerless file).
    public var headerFields: Int
    /// Every column of the file, by position.
    public var columns: [ColumnProfile]
    public var drift: HeaderDrift
    /// Repeats of the source's person key (e.g. `student_id`); nil when the layout has none or the file lacks it.
    public var personKey: KeyRepeats?
    /// The attendance-code mix; nil for extractors without an attendance code.
    public var attendance: AttendanceMix?
    /// Rows per day of the event date (e.g. `attendance_date`), oldest first; empty when there is none.
    public var rowsPerDay: [DayCount]
    /// The row count of the source's previous file, when there is one.
    public var previous: PreviousFile?
    /// Another delimiter the header splits on better than the configured one (a semicolon file read as comma);
    /// nil when the configured one fits.
    public var likelyDelimiter: LikelyDelimiter? = nil

    public init(
        file: String, source: String, extractor: String, layout: String, rows: Int, unreadableRows: Int,
        headerFields: Int, columns: [ColumnProfile], drift: HeaderDrift, personKey: KeyRepeats? = nil,
        attendance: AttendanceMix? = nil, rowsPerDay: [DayCount], previous: PreviousFile? = nil
    ) {
        self.file = file
        self.source = source
        self.extractor = extractor
        self.layout = layout
        self.rows = rows
        self.unreadableRows = unreadableRows
        self.headerFields = headerFields
        self.columns = columns
        self.drift = drift
        self.personKey = personKey
        self.attendance = attendance
        self.rowsPerDay = rowsPerDay
        self.previous = previous
    }
}

/// The delimiter a header seems to be written with, told from its shape only.
public struct LikelyDelimiter: Codable, Sendable, Equatable {
    /// `semicolon`, `tab`, `pipe` or `comma`: a value `csv.delimiter` accepts.
    public var name: String
    /// The header's fields when split on it.
    public var fields: Int

    public init(name: String, fields: Int) {
        self.name = name
        self.fields = fields
    }
}

/// One column: how full it is and, by its role, its codes or its date formats.
public struct ColumnProfile: Codable, Sendable, Equatable {
    /// What lastmile knows about a column, which decides what may be shown of its values.
    public enum Role: String, Codable, Sendable {
        /// A code column of the layout (with a code map) or a descriptive one (grade, school id): codes shown.
        case code
        /// A date or date-time column of the layout: formats shown.
        case date
        /// The source's person key: repeats counted.
        case personKey = "person-key"
        /// A layout column holding personal data (names, phone, address): counts and lengths only.
        case personal
        /// Other layout columns (numbers, free text): counts and lengths only.
        case other
        /// A column the config does not know: named by position; counts, lengths and date formats only.
        case undeclared
    }

    /// 1-based position in the file.
    public var position: Int
    /// The lastmile column name; nil for an undeclared column.
    public var name: String?
    /// The header the config (or layout) expects; nil for an undeclared column (its header is never shown).
    public var header: String?
    public var role: Role
    /// Rows with a value (not empty, not only spaces).
    public var filled: Int
    /// `filled` over the readable rows, 0…1.
    public var fillRate: Double
    public var minLength: Int?
    public var maxLength: Int?
    /// Distinct values; nil when more than `FeedProfiler.distinctLimit`.
    public var distinct: Int?
    /// For code columns: each distinct value and how often it occurs, most frequent first.
    public var codes: [CodeCount]?
    /// Rows of a code column whose code the map does not know (for columns with a code map).
    public var unmapped: Int?
    /// For date columns, and undeclared columns whose values are mostly dates.
    public var dates: DateProfile?

    public init(
        position: Int, name: String? = nil, header: String? = nil, role: Role, filled: Int, fillRate: Double,
        minLength: Int? = nil, maxLength: Int? = nil, distinct: Int? = nil, codes: [CodeCount]? = nil,
        unmapped: Int? = nil, dates: DateProfile? = nil
    ) {
        self.position = position
        self.name = name
        self.header = header
        self.role = role
        self.filled = filled
        self.fillRate = fillRate
        self.minLength = minLength
        self.maxLength = maxLength
        self.distinct = distinct
        self.codes = codes
        self.unmapped = unmapped
        self.dates = dates
    }

    /// How the column is called in output: its lastmile name, or `column N`.
    public var label: String { name ?? "column \(position)" }
}

/// One value of a code column.
public struct CodeCount: Codable, Sendable, Equatable {
    /// The code, when it is shown: a configured code, or a short code (see `ShortCode`); nil otherwise.
    public var code: String?
    /// The value's length in characters (for values not shown).
    public var length: Int
    public var count: Int
    /// True when the config's (or layout's) code map knows it; nil for a column without a code map.
    public var mapped: Bool?
    /// The lastmile value it maps to (e.g. `absent-unexcused`).
    public var value: String?

    public init(code: String? = nil, length: Int, count: Int, mapped: Bool? = nil, value: String? = nil) {
        self.code = code
        self.length = length
        self.count = count
        self.mapped = mapped
        self.value = value
    }

    /// `P`, or `a value of 12 characters`.
    public var display: String { code ?? "a value of \(length) character\(length == 1 ? "" : "s")" }
}

/// The date formats a column's values follow.
public struct DateProfile: Codable, Sendable, Equatable {
    /// Which part comes first in the values' `nn/nn/YYYY` dates.
    public enum Order: String, Codable, Sendable {
        /// `YYYY-MM-DD`, `YYYYMMDD`: nothing to guess.
        case yearFirst = "year-first"
        /// Some first part is over 12: day/month.
        case dayFirst = "day-first"
        /// Some second part is over 12: month/day.
        case monthFirst = "month-first"
        /// Every `nn/nn/YYYY` value has both parts ≤ 12: the file alone cannot tell.
        case ambiguous
        /// Both orders occur (some first parts and some second parts over 12).
        case mixed
        /// No value looks like a date.
        case unknown
    }

    /// Each candidate format and the share of filled values it parses.
    public var formats: [FormatShare]
    public var order: Order
    /// Filled values no candidate format parses.
    public var unparsed: Int

    public init(formats: [FormatShare], order: Order, unparsed: Int) {
        self.formats = formats
        self.order = order
        self.unparsed = unparsed
    }
}

/// One candidate date format.
public struct FormatShare: Codable, Sendable, Equatable {
    public var format: String
    /// True when the config (or the layout's default) lists it.
    public var configured: Bool
    public var parsed: Int
    /// `parsed` over the column's filled values, 0…1.
    public var share: Double

    public init(format: String, configured: Bool, parsed: Int, share: Double) {
        self.format = format
        self.configured = configured
        self.parsed = parsed
        self.share = share
    }
}

/// Header differences against the config: missing layout columns and columns the config does not know.
public struct HeaderDrift: Codable, Sendable, Equatable {
    /// A layout column the file lacks, by lastmile name and expected header (both from the config).
    public struct Missing: Codable, Sendable, Equatable {
        public var name: String
        public var header: String
        public var required: Bool

        public init(name: String, header: String, required: Bool) {
            self.name = name
            self.header = header
            self.required = required
        }
    }

    public var missing: [Missing]
    /// 1-based positions of header cells no layout column claims (named by position: they could be data).
    public var undeclaredPositions: [Int]

    public init(missing: [Missing], undeclaredPositions: [Int]) {
        self.missing = missing
        self.undeclaredPositions = undeclaredPositions
    }

    public var isEmpty: Bool { missing.isEmpty && undeclaredPositions.isEmpty }
}

/// How often the source's person key repeats.
public struct KeyRepeats: Codable, Sendable, Equatable {
    public var column: String
    /// Rows with a key.
    public var rowsWithKey: Int
    public var distinct: Int
    /// Keys found on more than one row.
    public var repeatedKeys: Int
    /// Rows whose key is on another row too.
    public var rowsWithRepeatedKey: Int
    /// Rows whose key and event date are both on another row (a person twice on one day); nil without a date.
    public var rowsWithRepeatedKeyAndDate: Int?

    public init(
        column: String, rowsWithKey: Int, distinct: Int, repeatedKeys: Int, rowsWithRepeatedKey: Int,
        rowsWithRepeatedKeyAndDate: Int? = nil
    ) {
        self.column = column
        self.rowsWithKey = rowsWithKey
        self.distinct = distinct
        self.repeatedKeys = repeatedKeys
        self.rowsWithRepeatedKey = rowsWithRepeatedKey
        self.rowsWithRepeatedKeyAndDate = rowsWithRepeatedKeyAndDate
    }
}

/// Attendance codes by what they mean.
public struct AttendanceMix: Codable, Sendable, Equatable {
    /// Rows per lastmile status (`present`, `absent-unexcused`, …), every status listed.
    public var byStatus: [StatusCount]
    /// Rows whose code the map does not know.
    public var unmapped: Int
    /// Rows with no code.
    public var empty: Int
    /// True when no row is present: the district sends absences only, and the absence rate cannot be computed
    /// from this file alone.
    public var absenceOnly: Bool

    public init(byStatus: [StatusCount], unmapped: Int, empty: Int, absenceOnly: Bool) {
        self.byStatus = byStatus
        self.unmapped = unmapped
        self.empty = empty
        self.absenceOnly = absenceOnly
    }
}

extension AttendanceMix {
    /// The absence-only verdict for people: `YES`, `no` (some row is present), or `not known` when no row maps
    /// to any code meaning present yet the file is not shown absence-only (its codes are unmapped or empty).
    public var absenceOnlyVerdict: String {
        if absenceOnly { return "YES (no row is present)" }
        let present = byStatus.first { $0.status == "present" }?.rows ?? 0
        if present > 0 { return "no" }
        if unmapped > 0 {
            return "not known (no row's code maps to present; \(unmapped) row(s) UNMAPPED: map them under codes:)"
        }
        return "not known (no row has an attendance code)"
    }
}

/// Rows of one attendance status.
public struct StatusCount: Codable, Sendable, Equatable {
    public var status: String
    public var rows: Int

    public init(status: String, rows: Int) {
        self.status = status
        self.rows = rows
    }
}

/// Rows on one day.
public struct DayCount: Codable, Sendable, Equatable {
    /// `YYYY-MM-DD`.
    public var date: String
    public var rows: Int

    public init(date: String, rows: Int) {
        self.date = date
        self.rows = rows
    }
}

/// The source's previous file and how the row count moved.
public struct PreviousFile: Codable, Sendable, Equatable {
    public var file: String
    public var rows: Int
    /// This file's rows minus the previous file's.
    public var change: Int
    /// `change` over the previous rows, 0 when it had none.
    public var changeRate: Double

    public init(file: String, rows: Int, change: Int, changeRate: Double) {
        self.file = file
        self.rows = rows
        self.change = change
        self.changeRate = changeRate
    }
}
