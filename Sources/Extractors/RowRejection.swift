import LastMileCore

/// A row the extractor could not use. It is quarantined and counted; the file goes on.
///
/// It names where (file, line, column) and what was expected — never the value found, not even a code:
/// an absence code or a charge is personal too. A column is named by its configured header, or by its
/// position when no config names it (a header cell nobody declared could be data). The raw row, when needed,
/// travels separately as `RawRow`.
public struct RowRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// A required field is empty.
        case missingRequired
        case unparseableDate(accepted: [String])
        case unparseableDateTime(accepted: [String])
        case unknownCode(allowed: [String])
        /// Not a whole number (e.g. minutes absent).
        case notAnInteger
        /// Bytes that are not text in the configured encoding.
        case invalidEncoding
        case wrongFieldCount(expected: Int, found: Int)
        /// The file ends inside a quoted field that starts on this row.
        case unterminatedQuote
        /// A reference to a row of another file that is not there (HMIS: an enrollment's client or project).
        case unknownReference(file: String)
        /// Any other expectation, phrased as what was expected, e.g. "Y or N".
        case invalid(expected: String)
    }

    /// The file, relative to the input root.
    public var file: String
    /// The physical line where the row starts, 1-based.
    public var line: Int
    /// The configured header of the column at fault, when one is.
    public var column: String?
    /// The 1-based position of the column at fault when no config names it.
    public var position: Int?
    public var reason: Reason

    public init(file: String, line: Int, column: String? = nil, position: Int? = nil, reason: Reason) {
        self.file = file
        self.line = line
        self.column = column
        self.position = position
        self.reason = reason
    }

    /// A short stable code for summaries and the warehouse's `rejected_row.reason`, e.g. `unparseable-date`.
    public var code: String {
        switch reason {
        case .missingRequired: "missing-required"
        case .unparseableDate: "unparseable-date"
        case .unparseableDateTime: "unparseable-date-time"
        case .unknownCode: "unknown-code"
        case .notAnInteger: "not-an-integer"
        case .invalidEncoding: "invalid-encoding"
        case .wrongFieldCount: "wrong-field-count"
        case .unterminatedQuote: "unterminated-quote"
        case .unknownReference: "unknown-reference"
        case .invalid: "invalid-value"
        }
    }

    /// What was expected, without the location.
    public var expectation: String {
        switch reason {
        case .missingRequired: "a value is required"
        case .unparseableDate(let formats): "not a date in \(formats.joined(separator: " or "))"
        case .unparseableDateTime(let formats): "not a date-time in \(formats.joined(separator: " or "))"
        case .unknownCode(let allowed): "unknown code; expected one of \(allowed.joined(separator: ", "))"
        case .notAnInteger: "not a whole number"
        case .invalidEncoding:
            "not valid text in the configured encoding (csv.encoding; a Windows export is often "
                + "`csv: { encoding: windows-1252 }`)"
        case .wrongFieldCount(let expected, let found): "expected \(expected) fields as in the header, found \(found)"
        case .unterminatedQuote: "a quoted field is never closed before the end of the file"
        case .unknownReference(let file): "refers to a row that is not in \(file)"
        case .invalid(let expected): "expected \(expected)"
        }
    }

    public var description: String {
        "\(file):\(line)" + (column.map { ", column \"\($0)\"" } ?? position.map { ", column \($0)" } ?? "") + ": "
            + expectation
    }
}

/// The fields of a rejected row as read and its original bytes, for the run-local rejects file only.
///
/// - Important: personal data. `description` is redacted; only `RejectsFileWriter` reads `personalDataFields`.
public struct RawRow: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let personalDataFields: [String]
    /// The row's bytes exactly as in the file (its physical lines without the last line end; encoding,
    /// delimiter and quoting untouched); nil when they could not be read back.
    public let originalBytes: [UInt8]?

    public init(personalDataFields: [String], originalBytes: [UInt8]? = nil) {
        self.personalDataFields = personalDataFields
        self.originalBytes = originalBytes
    }

    public var description: String { "RawRow(\(personalDataFields.count) fields, redacted)" }
    public var debugDescription: String { description }
}
