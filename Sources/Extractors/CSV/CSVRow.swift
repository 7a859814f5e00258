import LastMileCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a CSV file is written: delimiter, text encoding and the largest field accepted.
public struct CSVDialect: Sendable, Hashable {
    /// One of `,` tab `|` `;`.
    public var delimiter: UInt8
    public var encoding: TextEncoding
    /// A longer field stops the file with `InputError.Problem.fieldTooLong`, a row over four times this with
    /// `.rowTooLong`; it bounds memory when a quote is never closed.
    public var maxFieldBytes: Int
    /// A row with more fields stops the file with `InputError.Problem.tooManyFields`; it bounds memory when a
    /// line is a million delimiters.
    public var maxFields: Int
    /// The physical line the header is on (1-based); the lines above it (a title, a report date) are skipped
    /// unparsed. A source config's `header_line:`.
    public var headerLine = 1

    /// The delimiters a source config may name.
    public static let allowedDelimiters: [UInt8] = [UInt8(ascii: ","), 9, UInt8(ascii: "|"), UInt8(ascii: ";")]

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), encoding: TextEncoding = .utf8, maxFieldBytes: Int = 1 << 20,
        maxFields: Int = 10_000
    ) {
        self.delimiter = delimiter
        self.encoding = encoding
        self.maxFieldBytes = maxFieldBytes
        self.maxFields = maxFields
    }
}

/// The text encodings a source file may be in.
public enum TextEncoding: String, Sendable, Hashable, CaseIterable {
    /// Invalid byte sequences make a row error.
    case utf8 = "utf-8"
    /// Windows code page 1252; bytes 0x80–0x9F are the typographic characters (€, “, ”, –), as browsers read them.
    case windows1252 = "windows-1252"
    /// ISO 8859-1: every byte is the code point of the same number.
    case latin1 = "latin-1"

    /// Parses a config spelling: `utf-8`, `utf8`, `windows-1252`, `cp1252`, `latin-1`, `latin1`, `iso-8859-1`.
    public init?(configName: String) {
        switch String(configName.lowercased().map { $0 == "_" ? "-" : $0 }) {
        case "utf-8", "utf8": self = .utf8
        case "windows-1252", "cp1252", "win-1252": self = .windows1252
        case "latin-1", "latin1", "iso-8859-1", "iso8859-1": self = .latin1
        default: return nil
        }
    }
}

/// A problem confined to one row; the reader goes on with the next.
public enum CSVRowProblem: Sendable, Hashable, CustomStringConvertible {
    /// A field is not valid UTF-8 (0-based column index).
    case invalidUTF8(column: Int)
    /// The row has another number of fields than the header (extra empty trailing fields are tolerated).
    case fieldCount(expected: Int, found: Int)
    /// The file ends inside a quoted field that started on this row.
    case unterminatedQuote

    public var description: String {
        switch self {
        case .invalidUTF8: "not valid UTF-8 text (set csv.encoding if the file is windows-1252 or latin-1)"
        case .fieldCount(let expected, let found): "expected \(expected) fields as in the header, found \(found)"
        case .unterminatedQuote: "a quoted field is never closed before the end of the file"
        }
    }
}

/// One data row of a `CSVReader`: typed access to its fields straight from the read buffer.
///
/// Field accessors take a 0-based column index (from `CSVReader.columnIndex(named:)`); an index that is
/// negative or past the row's end reads as an empty field. Values are trimmed of ASCII spaces and tabs.
/// - Important: valid only until the reader's next `nextRow()`.
public struct CSVRow {
    /// The physical line the row starts on, 1-based.
    public let line: Int
    let base: UnsafeRawPointer
    let ends: UnsafePointer<Int>
    let firstField: Int
    /// Number of fields in this row.
    public let fieldCount: Int
    let encoding: TextEncoding
    /// Set when the row cannot be used as read.
    public internal(set) var problem: CSVRowProblem?

    init(
        line: Int, base: UnsafeRawPointer, ends: UnsafePointer<Int>, firstField: Int, fieldCount: Int,
        encoding: TextEncoding, problem: CSVRowProblem?
    ) {
        self.line = line
        self.base = base
        self.ends = ends
        self.firstField = firstField
        self.fieldCount = fieldCount
        self.encoding = encoding
        self.problem = problem
    }

    @inline(__always)
    func rawBytes(_ column: Int) -> UnsafeRawBufferPointer {
        guard column >= 0, column < fieldCount else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let k = firstField + column
        let start = k == 0 ? 0 : ends[k - 1]
        return UnsafeRawBufferPointer(start: base + start, count: ends[k] - start)
    }

    /// The field's bytes as read (not transcoded), trimmed of spaces and tabs.
    @inline(__always)
    public func bytes(_ column: Int) -> UnsafeRawBufferPointer {
        let raw = rawBytes(column)
        guard let p = raw.baseAddress, raw.count > 0 else { return raw }
        var lo = 0
        var hi = raw.count
        while lo < hi, Self.isBlank(p.load(fromByteOffset: lo, as: UInt8.self)) { lo += 1 }
        while hi > lo, Self.isBlank(p.load(fromByteOffset: hi - 1, as: UInt8.self)) { hi -= 1 }
        return UnsafeRawBufferPointer(start: p + lo, count: hi - lo)
    }

    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 || b == 10 }

    /// True when the field is absent or holds only spaces.
    @inline(__always)
    public func isEmpty(_ column: Int) -> Bool { bytes(column).isEmpty }

    /// The field as text, transcoded from the file's encoding; nil when empty.
    @inline(__always)
    public func string(_ column: Int) -> String? {
        let b = bytes(column)
        guard !b.isEmpty else { return nil }
        return Self.decode(b, encoding)
    }

    /// Every field as text (lenient: invalid UTF-8 becomes U+FFFD). For quarantine only.
    public var allFields: [String] {
        (0..<fieldCount).map { Self.decode(rawBytes($0), encoding) }
    }

    /// The field as a non-negative or negative decimal integer; nil when empty or not an integer.
    @inline(__always)
    public func int(_ column: Int) -> Int? { Self.parseInt(bytes(column)) }

    /// The field as a date in the first of `formats` that fits; nil when empty or none fits.
    @inline(__always)
    public func date(_ column: Int, formats: [DateFormat]) -> CivilDate? {
        let b = bytes(column)
        guard !b.isEmpty else { return nil }
        for format in formats {
            if let d = format.parseDate(b) { return d }
        }
        return nil
    }

    /// The field as a date-time in the first of `formats` that fits; nil when empty or none fits.
    public func dateTime(_ column: Int, formats: [DateFormat]) -> CivilDateTime? {
        let b = bytes(column)
        guard !b.isEmpty else { return nil }
        for format in formats {
            if let d = format.parseDateTime(b) { return d }
        }
        return nil
    }

    /// True when the field equals `text` ignoring ASCII case.
    public func equals(_ column: Int, caseInsensitive text: StaticString) -> Bool {
        let b = bytes(column)
        guard b.count == text.utf8CodeUnitCount else { return false }
        let t = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for i in 0..<b.count where Self.lower(b[i]) != Self.lower(t[i]) { return false }
        return true
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    static func parseInt(_ b: UnsafeRawBufferPointer) -> Int? {
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
            guard b.count > 1 else { return nil }
        }
        var v = 0
        while i < b.count {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
            i += 1
        }
        return negative ? -v : v
    }

    /// The bytes as text in `encoding`; invalid UTF-8 is repaired with U+FFFD (rows with it are rejected
    /// before records are built, so repair only shows in quarantined raw rows).
    @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, _ encoding: TextEncoding) -> String {
        guard let p = b.baseAddress, b.count > 0 else { return "" }
        if encoding == .utf8 || CSVReader.isASCII(p, b.count) {
            // One copy straight into the string's storage (inline for up to 15 bytes), ASCII checked once;
            // same result as `String(decoding:as:)`, which repairs too.
            let n = b.count
            return String(unsafeUninitializedCapacity: n) { out in
                ParseState.copy(from: p, to: UnsafeMutableRawPointer(out.baseAddress!), n)
                return n
            }
        }
        return decodeSingleByte(b, encoding)
    }

    static func decodeSingleByte(_ b: UnsafeRawBufferPointer, _ encoding: TextEncoding) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in b {
            if encoding == .windows1252, byte >= 0x80, byte <= 0x9F {
                scalars.append(Unicode.Scalar(windows1252High[Int(byte - 0x80)]) ?? Unicode.Scalar(byte))
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }
}

/// Windows-1252 bytes 0x80…0x9F; the five undefined bytes map to the C1 controls of the same number.
private let windows1252High: [UInt32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
    0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0x009D, 0x017E, 0x0178,
]
