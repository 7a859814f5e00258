import LastMileCore

/// An input read through a layout and a source config: renamed headers, date formats and code maps applied.
///
/// The extractors are written against this: they ask for columns by lastmile name and read typed values
/// that throw a `RowRejection` naming the file, line and header when a value does not fit. The rows come from
/// a `RecordSource` chosen by the file's bytes (CSV, UTF-16 text, XLSX, JSON, fixed width), with the config's
/// transforms applied.
public final class MappedCSV {
    public let reader: any RecordSource
    public let layout: SourceLayout
    public var file: String { reader.file }
    private var columns: [String: MappedColumn] = [:]
    /// The file's lines as on disk, read only when a row is rejected.
    private let originalLines: OriginalLines?
    /// The configured headers of the optional columns the source config maps that the file lacks.
    public let missingMappedColumns: [String]
    /// Recent values by column, shared by the rows of `forEachRow`.
    private let interner: UnsafeMutablePointer<TextInterner>

    /// Opens `input`, finds every layout column and fails before any row when a required one is missing.
    public init(_ input: InputLocation, layout: SourceLayout, config: SourceConfig) throws(InputError) {
        reader = try RecordSources.open(input, config: config)
        // Original bytes exist only for a CSV file read from disk: other formats' rows are not lines of the file.
        if let csv = reader as? CSVReader, !csv.readsMemory {
            originalLines = OriginalLines(path: input.path)
        } else {
            originalLines = nil
        }
        self.layout = layout
        var wanted: [ColumnResolver.Wanted] = []
        for spec in layout.columns {
            let override = config.columns[spec.name]
            let headers = override?.header.map { [$0] } ?? [spec.header] + spec.aliases
            let inHeader = override?.required ?? (spec.required || spec.mustBeInHeader)
            wanted.append(.init(name: spec.name, headers: headers, required: inHeader))
        }
        let found = try ColumnResolver.resolve(wanted, in: reader)
        missingMappedColumns = layout.columns.indices.filter {
            found[$0] == nil && config.columns[layout.columns[$0].name]?.header != nil
        }.map { wanted[$0].headers[0] }
        interner = .allocate(capacity: 1)
        interner.initialize(to: TextInterner(columns: reader.header.count))
        for (i, spec) in layout.columns.enumerated() {
            let override = config.columns[spec.name]
            var column = MappedColumn(
                name: spec.name, index: found[i]?.index ?? -1, header: found[i]?.header ?? wanted[i].headers[0],
                required: override?.required ?? spec.required)
            switch spec.kind {
            case .date(let defaults), .dateTime(let defaults):
                let patterns = override?.formats ?? defaults
                column.formatNames = patterns
                column.formats = patterns.compactMap(DateFormat.init)
                if reader.format == .xlsx { column.acceptSpreadsheetDates() }
            case .code(let values, let defaults, let namespaced):
                column.codes = CodeMap(values: values, entries: defaults.merging(config.codes[spec.name] ?? [:]) { $1 })
                column.namespaced = namespaced
            default:
                break
            }
            columns[spec.name] = column
        }
    }

    deinit {
        interner.pointee.release()
        interner.deinitialize(count: 1)
        interner.deallocate()
    }

    /// The column with this lastmile name. Traps for a name the layout does not have (a programming error).
    public subscript(_ name: String) -> MappedColumn {
        guard let column = columns[name] else { preconditionFailure("no column \(name) in layout \(layout.name)") }
        return column
    }

    /// Reads every row: a row the reader or `body` rejects goes to `sink.reject` with its raw fields; a record
    /// `body` returns goes to `sink.accept`; nil skips the row silently (e.g. a soft-deleted row).
    @inline(__always)
    public func forEachRow(into sink: inout some RecordSink, _ body: (MappedRow) throws -> SourceRecord?) throws {
        for header in missingMappedColumns {
            try sink.warn(InputWarning(file: reader.file, problem: .mappedColumnMissing(header: header)))
        }
        // A CSV file (the common case) is read through the concrete reader, without a dynamic call per row.
        if let csv = reader as? CSVReader {
            try forEachRow(of: csv, into: &sink, body)
        } else {
            try forEachRow(of: reader, into: &sink, body)
        }
    }

    @inline(__always)
    private func forEachRow<Source: RecordSource>(
        of source: Source, into sink: inout some RecordSink, _ body: (MappedRow) throws -> SourceRecord?
    ) throws {
        let file = source.file
        while let row = try source.nextRow() {
            if let problem = row.problem {
                try sink.reject(RowRejection(problem, row: row, reader: source), raw: raw(row))
                continue
            }
            if let rejection = source.rowRejection {
                try sink.reject(rejection, raw: raw(row))
                continue
            }
            let mapped = MappedRow(row: row, file: file, interner: interner)
            let record: SourceRecord?
            do {
                record = try body(mapped)
            } catch let rejection as RowRejection {
                try sink.reject(rejection, raw: raw(row))
                continue
            }
            if let record { try sink.accept(record) }
        }
    }

    /// A rejected row's fields and its original bytes (its physical lines as in the file).
    private func raw(_ row: CSVRow) -> RawRow {
        let last = row.line + row.physicalLineCount - 1
        return RawRow(
            personalDataFields: row.allFields, originalBytes: originalLines?.bytes(lines: row.line, through: last))
    }
}

/// A resolved column: where it is in this file and how its values are read.
public struct MappedColumn {
    public var name: String
    /// 0-based index in the file; -1 when the (optional) column is absent.
    public var index: Int
    /// The configured header this column was found by (as configured, also when absent). Messages name the
    /// column by it, never by the file's header text, which could be data.
    public var header: String
    public var required: Bool
    var formats: [DateFormat] = []
    var formatNames: [String] = []
    var codes: CodeMap?
    var namespaced = false
    /// A spreadsheet's column: a number in a date column is an Excel serial date.
    var serialDates = false

    /// True when the file has this column.
    public var isPresent: Bool { index >= 0 }
}

/// Source code → lastmile value, matched on bytes ignoring ASCII case and surrounding spaces.
struct CodeMap: Sendable {
    let values: [String]
    private let keys: [[UInt8]]
    private let targets: [Int]
    /// The source codes accepted, as configured, for messages (codes are not personal; values found never appear).
    let acceptedCodes: [String]

    init(values: [String], entries: [String: String]) {
        self.values = values
        var keys: [[UInt8]] = []
        var targets: [Int] = []
        var accepted: [String] = []
        for (code, value) in entries.sorted(by: { $0.key < $1.key }) {
            guard let target = values.firstIndex(of: value) else { continue }
            keys.append(Array(code.trimmingSpaces.utf8).map(CSVRow.lower))
            targets.append(target)
            accepted.append(code.trimmingSpaces)
        }
        self.keys = keys
        self.targets = targets
        self.acceptedCodes = accepted
    }

    /// The index in `values` of the code's value; nil when unknown.
    @inline(__always)
    func lookup(_ bytes: UnsafeRawBufferPointer) -> Int? {
        outer: for (k, key) in keys.enumerated() where key.count == bytes.count {
            for i in 0..<key.count where key[i] != CSVRow.lower(bytes[i]) { continue outer }
            return targets[k]
        }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}

/// One row of a `MappedCSV`, read by lastmile column. Throwing accessors throw `RowRejection`.
public struct MappedRow {
    public let row: CSVRow
    public let file: String
    /// The file's value cache; nil decodes every value.
    let interner: UnsafeMutablePointer<TextInterner>?

    init(row: CSVRow, file: String, interner: UnsafeMutablePointer<TextInterner>? = nil) {
        self.row = row
        self.file = file
        self.interner = interner
    }

    public var line: Int { row.line }

    /// This row's file and starting line, for `SourceRecord.provenance`.
    public func provenance() -> Provenance { Provenance(file: file, line: row.line) }

    /// A rejection of this row, naming the column by its configured header (never the file's header text).
    public func rejection(_ column: MappedColumn, _ reason: RowRejection.Reason) -> RowRejection {
        RowRejection(file: file, line: row.line, column: column.header, reason: reason)
    }

    /// The text, nil when empty; throws `missingRequired` when the column is required and empty.
    @inline(__always)
    public func text(_ column: MappedColumn) throws(RowRejection) -> String? {
        let b = row.bytes(column.index)
        guard !b.isEmpty else {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        return decodeText(column.index, b)
    }

    /// The text of a column that must have a value (required or not).
    @inline(__always)
    public func requiredText(_ column: MappedColumn) throws(RowRejection) -> String {
        let b = row.bytes(column.index)
        guard !b.isEmpty else { throw rejection(column, .missingRequired) }
        return decodeText(column.index, b)
    }

    @inline(__always)
    func decodeText(_ index: Int, _ b: UnsafeRawBufferPointer) -> String {
        guard let interner else { return CSVRow.decode(b, row.encoding) }
        return TextInterner.text(interner, column: index, b, row.encoding)
    }

    /// `text|YYYY-MM-DD`: a record id from a column's text and a date, built without string interpolation.
    @inline(__always)
    public func key(_ column: MappedColumn, _ date: CivilDate) throws(RowRejection) -> String {
        let b = row.bytes(column.index)
        guard !b.isEmpty else { throw rejection(column, .missingRequired) }
        if row.encoding == .utf8 || CSVReader.isASCII(b.baseAddress!, b.count) {
            // The bytes are the text: copy them, then the date; empty only when the date has no ISO bytes.
            let key = String(unsafeUninitializedCapacity: b.count + 1 + CivilDate.isoByteCount) { out in
                let base = UnsafeMutableRawPointer(out.baseAddress!)
                base.copyMemory(from: b.baseAddress!, byteCount: b.count)
                base.storeBytes(of: UInt8(ascii: "|"), toByteOffset: b.count, as: UInt8.self)
                return date.writeISO(to: base + b.count + 1) ? b.count + 1 + CivilDate.isoByteCount : 0
            }
            if !key.isEmpty { return key }
        }
        return "\(CSVRow.decode(b, row.encoding))|\(date)"
    }

    /// The date in the first of the column's formats that fits; nil when empty and optional.
    @inline(__always)
    public func date(_ column: MappedColumn) throws(RowRejection) -> CivilDate? {
        if row.isEmpty(column.index) {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        guard let date = row.date(column.index, formats: column.formats) ?? serialDate(column)?.date else {
            throw rejection(column, .unparseableDate(accepted: column.formatNames))
        }
        return date
    }

    /// The date of a column that must have a value (required or not).
    public func requiredDate(_ column: MappedColumn) throws(RowRejection) -> CivilDate {
        guard let date = try date(column) else { throw rejection(column, .missingRequired) }
        return date
    }

    /// The date-time in the first of the column's formats that fits; nil when empty and optional.
    public func dateTime(_ column: MappedColumn) throws(RowRejection) -> CivilDateTime? {
        if row.isEmpty(column.index) {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        guard let value = row.dateTime(column.index, formats: column.formats) ?? serialDate(column) else {
            throw rejection(column, .unparseableDateTime(accepted: column.formatNames))
        }
        return value
    }

    /// A whole number (optionally signed); nil when empty and optional.
    public func int(_ column: MappedColumn) throws(RowRejection) -> Int? {
        if row.isEmpty(column.index) {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        guard let value = row.int(column.index) else { throw rejection(column, .notAnInteger) }
        return value
    }

    /// The code's lastmile value as an index into the column's `values`; nil when empty and optional.
    @inline(__always)
    public func code(_ column: MappedColumn) throws(RowRejection) -> Int? {
        var b = row.bytes(column.index)
        if b.isEmpty {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        if column.namespaced, let hash = b.lastIndex(of: UInt8(ascii: "#")) {
            b = UnsafeRawBufferPointer(rebasing: b[(hash + 1)...])
        }
        guard let codes = column.codes, let value = codes.lookup(b) else {
            throw rejection(column, .unknownCode(allowed: column.codes?.acceptedCodes ?? []))
        }
        return value
    }

    /// `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0`; nil when empty and optional.
    public func yesNo(_ column: MappedColumn) throws(RowRejection) -> Bool? {
        let i = column.index
        if row.isEmpty(i) {
            if column.required { throw rejection(column, .missingRequired) }
            return nil
        }
        if row.equals(i, caseInsensitive: "Y") || row.equals(i, caseInsensitive: "yes")
            || row.equals(i, caseInsensitive: "true") || row.equals(i, caseInsensitive: "1")
        {
            return true
        }
        if row.equals(i, caseInsensitive: "N") || row.equals(i, caseInsensitive: "no")
            || row.equals(i, caseInsensitive: "false") || row.equals(i, caseInsensitive: "0")
        {
            return false
        }
        throw rejection(column, .invalid(expected: "Y or N"))
    }
}

extension MappedRow {
    /// Sex through the column's code map (`F`, `M`, `X`); nil when empty or an unmapped code such as `U`
    /// (unknown sex is not a reason to lose the row).
    @inline(__always)
    public func sex(_ column: MappedColumn) -> Sex? {
        var b = row.bytes(column.index)
        guard !b.isEmpty, let codes = column.codes else { return nil }
        if let hash = b.lastIndex(of: UInt8(ascii: "#")) { b = UnsafeRawBufferPointer(rebasing: b[(hash + 1)...]) }
        guard let index = codes.lookup(b) else { return nil }
        // The sex column's values are ["F", "M", "X"] (ColumnSpec.sex).
        return index == 0 ? .female : index == 1 ? .male : .other
    }
}

extension ColumnSpec {
    /// A `sex` column with the usual spellings (`F`/`Female`, `M`/`Male`, `X`/`Non-binary`), Ed-Fi descriptors
    /// included; unknown codes read as nil.
    public static func sex(header: String? = nil) -> ColumnSpec {
        ColumnSpec(
            "sex", header: header,
            .code(
                values: ["F", "M", "X"],
                defaults: [
                    "F": "F", "M": "M", "X": "X", "Female": "F", "Male": "M", "Non-binary": "X",
                    "Nonbinary": "X",
                ],
                namespaced: true))
    }
}
