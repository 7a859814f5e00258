import LastMileCore

/// A fixed-width text file (a mainframe or jail-management export): each field at the character positions
/// `fixed_width.fields` gives, trimmed. The field names are the names rows are read by.
///
/// The first `fixed_width.skip_lines` lines (a title, a header) are skipped, and so are blank lines; a line shorter than
/// a field reads that field as empty. Positions count characters after decoding (`csv.encoding`), so a
/// Windows-1252 `é` is one position. A line that is not valid text in the encoding is one rejected row.
final class FixedWidthSource: MaterializedSource {
    private let fields: [FixedWidthField]
    private var lines: [(Int, ArraySlice<UInt8>)] = []
    private var next = 0
    private let encoding: TextEncoding

    init(_ input: InputLocation, layout: FixedWidthLayout, encoding: TextEncoding) throws(InputError) {
        fields = layout.fields
        self.encoding = encoding
        super.init(file: input.name, format: .fixedWidth)
        let bytes = try InputBytes.all(input)
        lines = JSONSource.lines(of: bytes).filter { $0.0 > layout.skipLines }
        guard !lines.isEmpty else { throw InputError(file: input.name, problem: .empty) }
        setHeader(layout.fields.map(\.name))
    }

    override func nextRow() throws(InputError) -> CSVRow? {
        guard next < lines.count else { return nil }
        let (line, raw) = lines[next]
        next += 1
        var bytes = Array(raw)
        if bytes.last == 13 { bytes.removeLast() }
        let text: [Character]
        if encoding == .utf8 {
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                var row = buffer.row(line: line, fields: [])
                row.problem = .invalidUTF8(column: 0)
                return row
            }
            text = Array(decoded)
        } else {
            text = Array(bytes.withUnsafeBytes { CSVRow.decodeSingleByte($0, encoding) })
        }
        let values = fields.map { field -> String in
            let start = field.start - 1
            guard start < text.count else { return "" }
            return String(text[start..<min(text.count, start + field.width)]).trimmingSpaces
        }
        var row = buffer.row(line: line, fields: values)
        if let bad = values.firstIndex(where: { $0.utf8.contains(0) }) { row.problem = .invalidUTF8(column: bad) }
        return row
    }
}

/// A fixed-width file's layout (`fixed_width:` in a source config).
public struct FixedWidthLayout: Sendable, Hashable {
    /// Lines at the top that are not records (a title, a header).
    public var skipLines: Int
    public var fields: [FixedWidthField]

    public init(skipLines: Int = 0, fields: [FixedWidthField]) {
        self.skipLines = skipLines
        self.fields = fields
    }
}

/// One field of a fixed-width layout: its name and 1-based character positions.
public struct FixedWidthField: Sendable, Hashable {
    public var name: String
    /// The first character's position, 1-based.
    public var start: Int
    public var width: Int

    public init(name: String, start: Int, width: Int) {
        self.name = name
        self.start = start
        self.width = width
    }
}
