#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the physical lines of a file as they are on disk, forward only: the original bytes of a rejected row
/// for the rejects file (its delimiter, quoting, encoding and line breaks untouched), never re-joined fields.
///
/// Lines are counted as `CSVReader` counts them: LF, CRLF and a lone CR each end a line. Rows are asked for
/// in file order, so the whole file is read at most once however many rows are rejected; it is opened only
/// when a first row is. A line's bytes exclude its line end; a row over several lines keeps the line breaks
/// inside it.
/// - Important: personal data. Only the rejects file may receive these bytes.
final class OriginalLines {
    private let path: String
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var position = 0
    /// The 1-based line that starts at `buffer[position]`.
    private var line = 1
    private var atEnd = false
    private var failed = false

    init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// The bytes of lines `first...last`, without the last line's end; nil when the file cannot be read or the
    /// lines were passed already.
    func bytes(lines first: Int, through last: Int) -> [UInt8]? {
        guard first >= line, last >= first, open() else { return nil }
        while line < first {
            guard skipLine() else { return nil }
        }
        var out: [UInt8] = []
        while true {
            guard let (content, ending) = nextLine() else { return out.isEmpty ? nil : out }
            out += content
            if line > last || ending.isEmpty { return out }
            out += ending
        }
    }

    private func open() -> Bool {
        if fd >= 0 { return true }
        if failed { return false }
        switch RegularFile.openForReading(path) {
        case .success(let opened): fd = opened
        case .failure: failed = true
        }
        return !failed
    }

    /// Skips one line; false at the end of the file.
    private func skipLine() -> Bool { nextLine() != nil }

    /// The next line's content and its line end (empty at the end of the file), advancing past both.
    private func nextLine() -> (content: ArraySlice<UInt8>, ending: ArraySlice<UInt8>)? {
        var scan = position
        while true {
            while scan < buffer.count, buffer[scan] != 10, buffer[scan] != 13 { scan += 1 }
            // A CR at the end of the buffer may be the first half of a CRLF: read on before deciding.
            if scan < buffer.count, !(buffer[scan] == 13 && scan + 1 == buffer.count && !atEnd) { break }
            if atEnd { break }
            let shift = position
            buffer.removeFirst(shift)
            scan -= shift
            position = 0
            if !fill() { atEnd = true }
        }
        guard position < buffer.count || scan > position else { return nil }
        let content = buffer[position..<scan]
        var end = scan
        if end < buffer.count {
            end += buffer[end] == 13 && end + 1 < buffer.count && buffer[end + 1] == 10 ? 2 : 1
        }
        let ending = buffer[scan..<end]
        position = end
        line += 1
        return (content, ending)
    }

    /// Appends up to 256 KiB; false at the end of the file or on an error.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }
    }
}

extension CSVRow {
    /// How many physical lines the row spans: one, plus the line breaks inside its quoted fields.
    var physicalLineCount: Int {
        1
            + (0..<fieldCount).reduce(0) { total, column in
                let bytes = rawBytes(column)
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return total }
                return total + ParseState.lineBreaks(in: base, bytes.count).lines
            }
    }
}
