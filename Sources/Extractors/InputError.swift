import LastMileCore

/// An input that cannot be used at all: nothing from it is extracted past this point (exit status 65).
///
/// Messages name the file, the line and what was expected; they never quote a field of a data row, nor any
/// header cell the config does not name (a file without a header row has data on its first line).
public struct InputError: ClassifiedError, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        case cannotOpen(reason: String)
        case cannotRead(reason: String)
        /// No non-blank line at all.
        case empty
        /// Binary data or undecodable text where the header should be.
        case notText(line: Int)
        /// A field longer than the limit (`csv.max_field_bytes`). `quoteOpen` when the field was still inside
        /// its quotes at the limit: usually a quote that is never closed.
        case fieldTooLong(line: Int, limit: Int, quoteOpen: Bool)
        /// A row longer than `limit` bytes in all (four times `csv.max_field_bytes`); `header` when it is the
        /// first row.
        case rowTooLong(line: Int, limit: Int, header: Bool)
        /// A row with more than `limit` fields (`CSVDialect.maxFields`); `header` when it is the first row.
        case tooManyFields(line: Int, limit: Int, header: Bool)
        /// Required columns are missing. `present` lists the expected columns that were found, by their
        /// configured names; `firstLine` describes the first line without its text.
        case missingColumns(missing: [String], present: [String], firstLine: LineShape)
        /// A column the extractor reads (by its configured name) appears more than once in the header.
        case duplicateColumn(name: String, positions: [Int])
        /// A multi-file input lacks one of its files.
        case missingFile(name: String)
        /// The input is a folder where a file is expected, or the other way round.
        case wrongKind(expected: String)
        /// A feed configured as positive attendance (a row for every enrolled day) whose `rows` attendance
        /// rows carry no present code at all: an absence-only export, which would rate every student 100 %
        /// absent.
        case looksAbsenceOnly(rows: Int)
        /// An absences-only source's `enrollment:` or `calendar:` matched no file, so no enrolled days can be
        /// counted; `what` names the missing file (`enrollment`, `calendar`).
        case noDenominator(what: String)
        /// A row of a school calendar that cannot be read: the calendar is every student's denominator, so it
        /// is used whole or not at all.
        case unusableCalendarRow(RowRejection)
        /// Bytes of a format lastmile does not read (a PDF, a ZIP that is not XLSX, gzip, XLS…), told from the
        /// bytes themselves; `looksLike` names it ("a PDF document").
        case unsupportedFormat(looksLike: String)
        /// A workbook, JSON or fixed-width input that is broken or does not have the shape expected; `detail`
        /// says what (never a value), `line` where when known.
        case malformed(format: RecordFormat, line: Int?, detail: String)
    }

    /// The file (relative to its input root), or the folder for multi-file inputs.
    public var file: String
    public var problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var exitStatus: ExitStatus { .dataError }

    /// A short stable code for counts and the warehouse, e.g. `missing-columns`.
    public var code: String {
        switch problem {
        case .cannotOpen: "cannot-open"
        case .cannotRead: "cannot-read"
        case .empty: "empty"
        case .notText: "not-text"
        case .fieldTooLong: "field-too-long"
        case .rowTooLong: "row-too-long"
        case .tooManyFields: "too-many-fields"
        case .missingColumns: "missing-columns"
        case .duplicateColumn: "duplicate-column"
        case .missingFile: "missing-file"
        case .wrongKind: "wrong-kind"
        case .looksAbsenceOnly: "looks-absence-only"
        case .noDenominator: "no-denominator"
        case .unusableCalendarRow: "unusable-calendar-row"
        case .unsupportedFormat: "unsupported-format"
        case .malformed: "malformed"
        }
    }

    public var description: String {
        switch problem {
        case .cannotOpen(let reason): return "\(file): cannot open: \(reason)"
        case .cannotRead(let reason): return "\(file): cannot read: \(reason)"
        case .empty: return "\(file): the file is empty; expected a header row"
        case .notText(let line):
            return "\(file):\(line): not text (binary data or an encoding other than the one configured)"
        case .fieldTooLong(let line, let limit, let quoteOpen):
            if quoteOpen {
                return "\(file):\(line): a quoted field is still open after \(limit) bytes (csv.max_field_bytes); "
                    + "probably a quote that is never closed"
            }
            return "\(file):\(line): a field is longer than the limit of \(limit) bytes (csv.max_field_bytes)"
        case .rowTooLong(let line, let limit, let header):
            return "\(file):\(line): \(header ? "the header row" : "the row") is longer than the limit of \(limit) "
                + "bytes in all (4 × csv.max_field_bytes)"
        case .tooManyFields(let line, let limit, let header):
            return "\(file):\(line): \(header ? "the header row" : "the row") has more than \(limit) fields, "
                + "the most a row may have"
        case .missingColumns(let missing, let present, let firstLine):
            return "\(file):\(firstLine.line): " + Self.missingColumnsText(missing, present, firstLine)
        case .duplicateColumn(let name, let positions):
            let list = positions.map { String($0 + 1) }.joined(separator: " and ")
            return "\(file):1: column \"\(name)\" appears more than once (columns \(list)); rename one in the file"
        case .missingFile(let name): return "\(file): missing \(name)"
        case .wrongKind(let expected): return "\(file): expected \(expected)"
        case .looksAbsenceOnly(let rows):
            return "\(file): looks absence-only: no present code in \(rows) row\(rows == 1 ? "" : "s"); "
                + "declare `attendance: absences-only` with an enrollment file and a calendar"
        case .noDenominator(let what):
            return "\(file): absences-only attendance counts enrolled days from its \(what) file, and `\(what):` "
                + "matches no file; place the district's \(what) file there (the absences alone cannot give a rate)"
        case .unusableCalendarRow(let rejection):
            return "\(rejection); a calendar is every student's denominator, so it is read whole or not at all"
        case .unsupportedFormat(let looksLike):
            return "\(file): this looks like \(looksLike); lastmile reads CSV (or XLSX, JSON, fixed width): "
                + "export it as CSV"
        case .malformed(let format, let line, let detail):
            return "\(file)\(line.map { ":\($0)" } ?? ""): not a readable \(format.displayName): \(detail)"
        }
    }

    /// What is missing, what the first line looks like (never its text) and which setting may fix it.
    private static func missingColumnsText(_ missing: [String], _ present: [String], _ line: LineShape) -> String {
        let which = line.line == 1 ? "the first line" : "the header (line \(line.line))"
        var text = "required column(s) missing: \(missing.joined(separator: ", ")); \(which) has \(line)"
        if present.isEmpty {
            text += " and none of the expected column names (its text is not shown: it may be a data row)"
        } else {
            text += "; expected columns found: \(present.joined(separator: ", "))"
            if !line.unreadPositions.isEmpty {
                let shown = line.unreadPositions.prefix(12).map(String.init).joined(separator: ", ")
                text += "; header cells no column reads, by position: \(shown)"
                text += line.unreadPositions.count > 12 ? ", …" : ""
            }
        }
        if let hint = line.format.missingColumnsHint {
            text += "; \(hint)"
        } else if let detected = line.detected, detected != line.configured {
            let configured = LineShape.name(of: line.configured)
            let name = LineShape.name(of: detected)
            text += "; csv.delimiter is \(configured): if the file is \(name)-separated, set csv.delimiter: \(name)"
        } else if present.isEmpty {
            text += "; is there a header row?"
        }
        return text
    }
}

/// The shape of a file's first line, told without any of its text: how many fields it has and which of the
/// allowed delimiters seems to separate them.
public struct LineShape: Sendable, Hashable, CustomStringConvertible {
    /// The delimiter the file was read with (`csv.delimiter`).
    public var configured: UInt8
    /// The allowed delimiter that occurs most often in the line; nil when none occurs.
    public var detected: UInt8?
    /// The number of fields when the line is split on `detected` (1 when none was found).
    public var fields: Int
    /// The format read; for any but CSV, `fields` is the number of names rows are read by.
    public var format: RecordFormat
    /// The header's line (sheet row): 1 unless `header_line:` put it lower.
    public var line = 1
    /// 1-based positions of the non-empty header cells no column reads: where a renamed column hides.
    public var unreadPositions: [Int] = []

    public init(configured: UInt8, detected: UInt8?, fields: Int, format: RecordFormat = .csv) {
        self.configured = configured
        self.detected = detected
        self.fields = fields
        self.format = format
    }

    /// The shape of a line in which each allowed delimiter occurs `delimiterCounts` times; the most frequent
    /// one is taken as the separator, the configured one when it ties.
    public init(delimiterCounts: [(delimiter: UInt8, count: Int)], configured: UInt8) {
        let configuredCount = delimiterCounts.first { $0.delimiter == configured }?.count ?? 0
        var best: (delimiter: UInt8, count: Int) = (configured, configuredCount)
        for candidate in delimiterCounts where candidate.count > best.count { best = candidate }
        self.init(configured: configured, detected: best.count > 0 ? best.delimiter : nil, fields: best.count + 1)
    }

    /// `7 tab-separated fields`, or `1 field (no comma, tab, semicolon or pipe in it)`.
    public var description: String {
        switch format {
        case .xlsx: return "\(fields) cell\(fields == 1 ? "" : "s") (an XLSX sheet's header row)"
        case .jsonLines, .jsonArray: return "\(fields) field path\(fields == 1 ? "" : "s") (\(format.rawValue))"
        case .fixedWidth: return "\(fields) configured field\(fields == 1 ? "" : "s") (fixed width)"
        case .csv, .utf16Text: break
        }
        guard let detected else { return "\(fields) field (no comma, tab, semicolon or pipe in it)" }
        return "\(fields) \(Self.name(of: detected))-separated field\(fields == 1 ? "" : "s")"
    }

    /// `comma`, `tab`, `semicolon` or `pipe`: the names `csv.delimiter` accepts.
    public static func name(of delimiter: UInt8) -> String {
        switch delimiter {
        case 9: "tab"
        case UInt8(ascii: "|"): "pipe"
        case UInt8(ascii: ";"): "semicolon"
        case UInt8(ascii: ","): "comma"
        default: "byte \(delimiter)"
        }
    }
}
