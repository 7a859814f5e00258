import Foundation
import LastMileCore

/// A buffered CSV file writer (RFC 4180: comma, CRLF-free LF line ends, quotes doubled).
///
/// Rows are encoded straight into a byte buffer that is flushed every megabyte, so writing millions of rows
/// keeps memory flat.
final class CSVOutput {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var rowsWritten = 0

    /// Creates (or truncates) the file at `path`; throws `SampleDataError.cannotWrite` when it can't.
    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw SampleDataError.cannotWrite(path: path) }
        self.handle = handle
        buffer.reserveCapacity(1 << 20 + 4096)
    }

    /// Writes one row; `quoted` lists column indices always written in quotes (HMIS string fields).
    func write(_ fields: [String], quoted: Set<Int> = []) throws {
        CSVOutput.encode(fields, quoted: quoted, into: &buffer)
        rowsWritten += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes bytes that already hold one or more encoded rows.
    func write(encoded bytes: [UInt8], rows: Int = 1) throws {
        buffer.append(contentsOf: bytes)
        rowsWritten += rows
        if buffer.count >= 1 << 20 { try flush() }
    }

    func close() throws {
        try flush()
        do { try handle.close() } catch { throw SampleDataError.cannotWrite(path: path) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch { throw SampleDataError.cannotWrite(path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Appends one encoded row (with its line end) to `out`.
    static func encode(_ fields: [String], quoted: Set<Int> = [], into out: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            append(field, forceQuotes: !field.isEmpty && quoted.contains(index), into: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    static func append(_ field: String, forceQuotes: Bool = false, into out: inout [UInt8]) {
        var needsQuotes = forceQuotes
        if !needsQuotes {
            for byte in field.utf8 where byte == 44 || byte == 34 || byte == 10 || byte == 13 {
                needsQuotes = true
                break
            }
        }
        guard needsQuotes else {
            out.append(contentsOf: field.utf8)
            return
        }
        out.append(34)
        for byte in field.utf8 {
            out.append(byte)
            if byte == 34 { out.append(34) }
        }
        out.append(34)
    }
}

/// Why generating sample data failed.
public enum SampleDataError: ClassifiedError, CustomStringConvertible {
    /// A file or folder under the output directory could not be created or written.
    case cannotWrite(path: String)
    /// An option is out of range.
    case invalidOption(String)

    public var exitStatus: ExitStatus {
        switch self {
        case .cannotWrite: return .cannotCreate
        case .invalidOption: return .usage
        }
    }

    public var description: String {
        switch self {
        case .cannotWrite(let path): return "cannot write \(path)"
        case .invalidOption(let message): return message
        }
    }
}
