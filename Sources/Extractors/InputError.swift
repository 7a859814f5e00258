import LastMileCore

/// An input that cannot be used at all: nothing from it is extracted past this point (exit status 65).
///
/// Messages name the file, the line and what was expected; they never quote a field of a data row.
public struct InputError: ClassifiedError, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        case cannotOpen(reason: String)
        case cannotRead(reason: String)
        /// No non-blank line at all.
        case empty
        /// Binary data or undecodable text where the header should be.
        case notText(line: Int)
        /// A field longer than the limit: usually a quote that is never closed.
        case fieldTooLong(line: Int, limit: Int)
        /// Required columns are missing. `found` lists the header as written, or is nil when none of the
        /// expected columns is present (then the first line is probably data, which must not be echoed).
        case missingColumns(missing: [String], found: [String]?, delimiterHint: String?)
        /// A column the extractor reads appears more than once in the header.
        case duplicateColumn(name: String, positions: [Int])
        /// A multi-file input lacks one of its files.
        case missingFile(name: String)
        /// The input is a folder where a file is expected, or the other way round.
        case wrongKind(expected: String)
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
        case .missingColumns: "missing-columns"
        case .duplicateColumn: "duplicate-column"
        case .missingFile: "missing-file"
        case .wrongKind: "wrong-kind"
        }
    }

    public var description: String {
        switch problem {
        case .cannotOpen(let reason): return "\(file): cannot open: \(reason)"
        case .cannotRead(let reason): return "\(file): cannot read: \(reason)"
        case .empty: return "\(file): the file is empty; expected a header row"
        case .notText(let line):
            return "\(file):\(line): not text (binary data or an encoding other than the one configured)"
        case .fieldTooLong(let line, let limit):
            return "\(file):\(line): a field is longer than \(limit) bytes; probably a quote that is never closed"
        case .missingColumns(let missing, let found, let hint):
            var text = "\(file):1: required column(s) missing: \(missing.joined(separator: ", "))"
            if let found {
                text += "; the header has: \(found.joined(separator: ", "))"
            } else {
                text += "; none of the expected columns is in the first line (is there a header row?)"
            }
            if let hint { text += "; \(hint)" }
            return text
        case .duplicateColumn(let name, let positions):
            let list = positions.map { String($0 + 1) }.joined(separator: " and ")
            return "\(file):1: column \"\(name)\" appears more than once (columns \(list)); rename one in the file"
        case .missingFile(let name): return "\(file): missing \(name)"
        case .wrongKind(let expected): return "\(file): expected \(expected)"
        }
    }
}
