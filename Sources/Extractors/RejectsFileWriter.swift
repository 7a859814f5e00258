import LastMileCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes quarantined rows to a run-local CSV file readable by its owner only (mode 0600).
///
/// This is the one documented place raw rows may go: a data engineer opens it to see why a row was rejected.
/// Columns: `file,table,line,column,reason,expected,raw_row`. `table` is the file of a multi-file input the row
/// came from (the HMIS CSV table, e.g. `Enrollment`; empty for a one-file input). `raw_row` is the row's original
/// bytes as in the input — its encoding, delimiter, quoting and inner line breaks untouched, without its line
/// end — quoted as one CSV field when it holds a comma, quote, CR or LF; the row's fields re-joined with commas
/// only when its bytes could not be read back; empty when no single row was at fault. So `raw_row` is in the
/// input's encoding, which may not be UTF-8. Delete the file with the run's other local output.
/// - Important: contains personal data. Never copy it into logs, tickets or the warehouse.
public final class RejectsFileWriter {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var count = 0

    /// Creates (or truncates) `path` with mode 0600 and writes the header line.
    /// - Throws: `RejectsFileError` (exit status 73) when the file cannot be created.
    public init(path: String) throws(RejectsFileError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RejectsFileError(path: path, reason: String(cString: strerror(errno))) }
        // An existing file keeps its old mode through O_CREAT; force owner-only.
        fchmod(fd, 0o600)
        self.fd = fd
        buffer.append(contentsOf: Array("file,table,line,column,reason,expected,raw_row\n".utf8))
    }

    deinit {
        try? flush()
        close(fd)
    }

    /// Appends one rejected row.
    public func write(_ rejection: RowRejection, raw: RawRow?) throws(RejectsFileError) {
        let fields = [
            rejection.file, Self.table(of: rejection.file), String(rejection.line), rejection.column ?? "",
            rejection.code, rejection.expectation,
        ]
        buffer.append(contentsOf: Array(Self.csvLine(fields).utf8))
        buffer.append(UInt8(ascii: ","))
        if let raw {
            Self.appendField(raw.originalBytes ?? Array(Self.csvLine(raw.personalDataFields).utf8), to: &buffer)
        }
        buffer.append(10)
        count += 1
        if buffer.count > 64 * 1024 { try flush() }
    }

    /// Writes buffered rows to the file.
    public func flush() throws(RejectsFileError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RejectsFileError(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The table of a multi-file input a rejected row's file is (`Enrollment` of `export/Enrollment.csv`); empty
    /// for a one-file input.
    public static func table(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        let name = file[file.index(after: slash)...]
        return String(name.lastIndex(of: ".").map { name[..<$0] } ?? name)
    }

    /// Appends bytes as one RFC 4180 field, byte for byte (quoted, quotes doubled, when needed).
    static func appendField(_ bytes: [UInt8], to out: inout [UInt8]) {
        let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), 10, 13]
        guard bytes.contains(where: special.contains) else { return out.append(contentsOf: bytes) }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled.
    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacing("\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }
}

/// Calls `write(2)` (the method of the same name shadows it inside the class).
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, pointer, count)
}

/// The rejects file cannot be written (exit status 73).
public struct RejectsFileError: ClassifiedError, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String { "\(path): cannot write the rejects file: \(reason)" }
}

/// A sink that writes every rejection to a rejects file and passes everything on to `base`.
public struct QuarantiningSink<Base: RecordSink>: RecordSink {
    public var base: Base
    public let rejects: RejectsFileWriter

    public init(base: Base, rejects: RejectsFileWriter) {
        self.base = base
        self.rejects = rejects
    }

    public mutating func accept(_ record: SourceRecord) throws { try base.accept(record) }

    public mutating func reject(_ rejection: RowRejection, raw: RawRow?) throws {
        try rejects.write(rejection, raw: raw)
        try base.reject(rejection, raw: raw)
    }
}
