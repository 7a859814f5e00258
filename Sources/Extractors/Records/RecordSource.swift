import LastMileCore

/// Where the rows under the mapping come from: a CSV file, a spreadsheet, JSON records or fixed-width lines.
///
/// Every format yields the same `CSVRow` views, named by the same kind of header, so the mapping (renamed
/// columns, date formats, code maps), the transforms and the reject path are one for all of them. A row's
/// `line` is where a person finds it: the physical line (CSV, JSON lines, fixed width, a JSON array's element)
/// or the sheet's row number (XLSX).
public protocol RecordSource: AnyObject {
    /// The file's name as used in messages and provenance.
    var file: String { get }
    /// What the bytes were found to be.
    var format: RecordFormat { get }
    /// The names rows are read by: header cells, JSON field paths, fixed-width field names.
    var header: [String] { get }
    /// The first line's shape, for a missing-columns message that must not quote it.
    var headerShape: LineShape { get }
    /// The next row, nil at the end. Valid until the next call.
    func nextRow() throws(InputError) -> CSVRow?
    /// A rejection a transform made of the row `nextRow` just returned; nil when none.
    var rowRejection: RowRejection? { get }
    /// Every column whose name folds (case, spaces and `_` ignored) to the same as `name`.
    func columnIndices(named name: String) -> [Int]
    /// Records that the column at `index` is the one configured as `name`; messages call it by that name.
    func declare(column index: Int, as name: String)
    /// The configured name of the column at `index`; nil when undeclared (then it is named by position).
    func declaredName(ofColumn index: Int) -> String?
}

/// The input formats lastmile reads, as detected from a file's first bytes (never from its name).
public enum RecordFormat: String, Sendable, Hashable {
    case csv
    /// CSV text in UTF-16 with a byte-order mark (Excel's "Unicode text"), transcoded to UTF-8.
    case utf16Text = "utf-16 text"
    case xlsx
    case jsonLines = "json lines"
    case jsonArray = "json array"
    case fixedWidth = "fixed width"

}

extension CSVReader: RecordSource {
    public var format: RecordFormat { .csv }
    public var rowRejection: RowRejection? { nil }
}

/// Rows built in memory (spreadsheet cells, JSON values, fixed-width slices), handed out as `CSVRow` views of
/// UTF-8 text. Subclasses fill `header` and feed `rows`.
public class MaterializedSource: RecordSource {
    public let file: String
    public let format: RecordFormat
    public internal(set) var header: [String] = []
    /// The header's line or sheet row (`header_line:`); subclasses whose header is not line 1 set it.
    var headerLine = 1
    public var headerShape: LineShape {
        var shape = LineShape(configured: UInt8(ascii: ","), detected: nil, fields: header.count, format: format)
        shape.line = headerLine
        return shape
    }
    public var rowRejection: RowRejection? { nil }
    private var normalizedHeader: [String] = []
    private var declared: [Int: String] = [:]
    let buffer = RowBuffer()

    init(file: String, format: RecordFormat) {
        self.file = file
        self.format = format
    }

    /// Sets the names rows are read by.
    func setHeader(_ names: [String]) {
        header = names
        normalizedHeader = names.map(CSVReader.normalize(header:))
    }

    /// The next row's line and fields (as many as `header`, or fewer), nil at the end.
    func nextFields() throws(InputError) -> (line: Int, fields: [String])? { nil }

    public func nextRow() throws(InputError) -> CSVRow? {
        guard let (line, fields) = try nextFields() else { return nil }
        var row = buffer.row(line: line, fields: fields)
        // PostgreSQL text cannot hold NUL (a JSON "\u0000", a cell): the row is refused like a CSV one.
        if let bad = fields.firstIndex(where: { $0.utf8.contains(0) }) { row.problem = .invalidUTF8(column: bad) }
        return row
    }

    public func columnIndices(named name: String) -> [Int] {
        let key = CSVReader.normalize(header: name)
        return normalizedHeader.indices.filter { normalizedHeader[$0] == key }
    }

    public func declare(column index: Int, as name: String) { declared[index] = name }
    public func declaredName(ofColumn index: Int) -> String? { declared[index] }
}

/// Storage for one row of UTF-8 fields, reused from row to row, that `CSVRow` views point into.
final class RowBuffer {
    private var bytes: UnsafeMutableRawPointer
    private var capacity = 4096
    private var ends: UnsafeMutablePointer<Int>
    private var endsCapacity = 64

    init() {
        bytes = .allocate(byteCount: capacity, alignment: 16)
        ends = .allocate(capacity: endsCapacity)
    }

    deinit {
        bytes.deallocate()
        ends.deallocate()
    }

    /// A view of `fields`, valid until the next call.
    func row(line: Int, fields: [String]) -> CSVRow {
        let total = fields.reduce(0) { $0 + $1.utf8.count }
        if total > capacity {
            bytes.deallocate()
            while capacity < total { capacity *= 2 }
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        if fields.count > endsCapacity {
            ends.deallocate()
            while endsCapacity < fields.count { endsCapacity *= 2 }
            ends = .allocate(capacity: endsCapacity)
        }
        var offset = 0
        for (i, field) in fields.enumerated() {
            var text = field
            text.withUTF8 { utf8 in
                if let base = utf8.baseAddress, utf8.count > 0 {
                    (bytes + offset).copyMemory(from: base, byteCount: utf8.count)
                }
                offset += utf8.count
            }
            ends[i] = offset
        }
        return CSVRow(
            line: line, base: UnsafeRawPointer(bytes), ends: UnsafePointer(ends), firstField: 0,
            fieldCount: fields.count, encoding: .utf8, problem: nil)
    }
}

extension RecordFormat {
    /// What to try when required columns are missing, for formats whose fix is not a delimiter or a header row.
    var missingColumnsHint: String? {
        switch self {
        case .csv, .utf16Text: nil
        case .xlsx: "is the header on another row (header_line:) or another sheet (xlsx.sheet:)?"
        case .jsonLines, .jsonArray:
            "name each column by its field path under columns:, e.g. student_id: studentReference.studentUniqueId"
        case .fixedWidth: "name each column's field under fixed_width.fields:"
        }
    }
}

extension RecordFormat {
    /// The format's name in messages: `XLSX workbook`, `JSON lines file`.
    var displayName: String {
        switch self {
        case .csv: "CSV file"
        case .utf16Text: "UTF-16 text file"
        case .xlsx: "XLSX workbook"
        case .jsonLines: "JSON lines file"
        case .jsonArray: "JSON array"
        case .fixedWidth: "fixed-width file"
        }
    }
}
