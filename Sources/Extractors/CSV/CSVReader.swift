// The one file that talks to libcsv. Everything else reads CSV through `CSVReader` and `CSVRow`.
internal import CLibCSV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A streaming RFC 4180 reader over libcsv: constant memory, physical line numbers, typed field access.
///
/// The file is read in 256 KiB chunks; libcsv's callbacks copy each field once into a batch buffer, and rows
/// are handed out as views into it, so memory stays flat whatever the file size. The first non-blank row is
/// the header. CRLF, LF and lone CR line ends are accepted, a UTF-8 byte-order mark is skipped, quoted fields
/// may hold delimiters, doubled quotes and newlines, and `CSVRow.line` is the physical line a row starts on,
/// counting newlines inside quoted fields. Problems of one row (invalid UTF-8, a ragged row, an unterminated
/// quote at the end of the file) are reported on the row as `CSVRow.problem`; problems that make the file
/// unusable (empty, not text, a field over `CSVDialect.maxFieldBytes`) are thrown as `InputError`.
///
/// Usage — look columns up once, then read typed values straight from the bytes:
///
/// ```swift
/// let reader = try CSVReader(path: "attendance.csv", dialect: CSVDialect(delimiter: UInt8(ascii: "|")))
/// guard let dateColumn = reader.columnIndex(named: "Attendance Date") else { ... }  // matches attendance_date
/// let formats = [DateFormat.iso, DateFormat("MM/DD/YYYY")!]
/// while let row = try reader.nextRow() {
///     if let problem = row.problem { print("line \(row.line): \(problem)"); continue }
///     let date = row.date(dateColumn, formats: formats)  // CivilDate? parsed from the bytes, no String
///     let school = row.string(0)                          // String? (nil when empty), trimmed
/// }
/// ```
/// - Important: a `CSVRow` is a view into the reader's buffer and is valid only until the next call to
///   `nextRow()`; copy what you need out of it (strings, dates) before asking for the next row.
public final class CSVReader {
    /// The file's name as used in messages and provenance (relative to its input root).
    public let file: String
    public let dialect: CSVDialect
    /// The header fields as written (transcoded, trimmed).
    public private(set) var header: [String] = []
    /// Physical line of the header row.
    public private(set) var headerLine = 1
    /// The header row's field count and apparent delimiter, for messages that must not quote it.
    public private(set) var headerShape = LineShape(configured: UInt8(ascii: ","), detected: nil, fields: 0)
    /// Configured names of the columns an extractor resolved, by index: the only header text messages show.
    private var declaredColumns: [Int: String] = [:]
    /// How often each of `CSVDialect.allowedDelimiters` occurs in the first non-blank line, counted on the raw
    /// bytes (the parser trims spaces and tabs at the ends of fields, and a tab-separated line read with another
    /// delimiter ends in tabs).
    private var firstLineDelimiterCounts: [(delimiter: UInt8, count: Int)] = []

    /// The open file; -1 when the reader reads `memory` instead (text transcoded from UTF-16).
    private let fd: Int32
    private var memory: [UInt8] = []
    /// True when the reader reads text in memory (transcoded), not the file's own bytes.
    public let readsMemory: Bool
    private var memoryOffset = 0
    /// Lines before the header (`header_line:` in a source config) still to be skipped, and whether the last
    /// byte skipped was a CR whose LF may follow in the next chunk.
    private var linesToSkip: Int
    private var skippedCR = false
    private var firstDataChunk = true
    private let parser: UnsafeMutablePointer<csv_parser>
    private let state: UnsafeMutablePointer<ParseState>
    private let chunk: UnsafeMutableRawPointer
    private static let chunkSize = 256 * 1024
    private var normalizedHeader: [String] = []
    private var reachedEOF = false
    private var finished = false
    private var firstChunk = true
    private var lastRowUnterminated = false
    private var pendingError: InputError?

    /// Opens `path` and reads its header row.
    /// - Parameter displayName: the name used in messages and provenance; defaults to the last path component.
    /// - Throws: `InputError` when the file cannot be opened, is empty, has no header or is not text.
    public convenience init(path: String, displayName: String? = nil, dialect: CSVDialect = CSVDialect())
        throws(InputError)
    {
        let name = displayName ?? String(path.split(separator: "/").last ?? Substring(path))
        switch RegularFile.openForReading(path) {
        case .success(let fd): try self.init(fd: fd, memory: [], file: name, dialect: dialect)
        case .failure(let refusal): throw InputError(file: name, problem: .cannotOpen(reason: refusal.description))
        }
    }

    /// Reads CSV text already in memory (e.g. transcoded from UTF-16); `file` names it in messages.
    public convenience init(text: [UInt8], file: String, dialect: CSVDialect = CSVDialect()) throws(InputError) {
        try self.init(fd: -1, memory: text, file: file, dialect: dialect)
    }

    private init(fd: Int32, memory: [UInt8], file: String, dialect: CSVDialect) throws(InputError) {
        self.file = file
        self.dialect = dialect
        self.fd = fd
        self.memory = memory
        self.readsMemory = fd < 0
        linesToSkip = max(0, dialect.headerLine - 1)
        parser = .allocate(capacity: 1)
        // Quoted empty fields arrive as "" and unquoted empty ones as nil; every unquoted CR and LF is
        // reported so blank lines can be counted.
        _ = csv_init(parser, UInt8(CSV_APPEND_NULL | CSV_EMPTY_IS_NULL | CSV_REPALL_NL))
        csv_set_delim(parser, dialect.delimiter)
        state = .allocate(capacity: 1)
        state.initialize(to: ParseState(maxFieldBytes: dialect.maxFieldBytes, maxFields: dialect.maxFields))
        chunk = .allocate(byteCount: Self.chunkSize, alignment: 16)
        try readHeader()
    }

    deinit {
        if fd >= 0 { close(fd) }
        csv_free(parser)
        parser.deallocate()
        state.pointee.release()
        state.deinitialize(count: 1)
        state.deallocate()
        chunk.deallocate()
    }

    /// Folds a header for lookup: case, spaces and underscores are ignored (`Student ID` = `student_id`).
    public static func normalize(header: String) -> String {
        String(header.lowercased().unicodeScalars.filter { $0 != "_" && !$0.properties.isWhitespace })
    }

    /// The index of the only column whose header folds to the same as `name`; nil when none or several.
    public func columnIndex(named name: String) -> Int? {
        let matches = columnIndices(named: name)
        return matches.count == 1 ? matches[0] : nil
    }

    /// Every column whose header folds to the same as `name` (several when the header is duplicated).
    public func columnIndices(named name: String) -> [Int] {
        let key = Self.normalize(header: name)
        return normalizedHeader.indices.filter { normalizedHeader[$0] == key }
    }

    /// Records that the column at `index` is the one configured as `name`; messages then call it by that name.
    public func declare(column index: Int, as name: String) {
        declaredColumns[index] = name
    }

    /// The configured name of the column at `index`; nil when no extractor declared it (its header text could
    /// be data and is never shown: name it by position instead).
    public func declaredName(ofColumn index: Int) -> String? {
        declaredColumns[index]
    }

    /// The next data row, or nil at the end of the file. Blank lines are skipped (and counted).
    /// - Throws: `InputError` when the rest of the file is unusable (a field over the size limit, a read error).
    public func nextRow() throws(InputError) -> CSVRow? {
        while true {
            // Per-row state lives behind `state` (no dynamic exclusivity checks, unlike this class's vars).
            let next = state.pointee.nextRowToHand
            if next < state.pointee.rowCount {
                let meta = state.pointee.rows[next]
                state.pointee.nextRowToHand = next + 1
                let isLast = next + 1 == state.pointee.rowCount && lastRowUnterminated && finished
                return makeRow(meta, unterminated: isLast)
            }
            if let error = pendingError { throw error }
            if finished { return nil }
            try fill()
        }
    }

    // MARK: - Reading

    private func readHeader() throws(InputError) {
        while true {
            if state.pointee.nextRowToHand < state.pointee.rowCount { break }
            if let error = pendingError { throw error }
            if finished { throw InputError(file: file, problem: .empty) }
            try fill()
        }
        let meta = state.pointee.rows[state.pointee.nextRowToHand]
        state.pointee.nextRowToHand += 1
        let row = makeRow(meta, unterminated: false)
        if case .invalidUTF8 = row.problem { throw InputError(file: file, problem: .notText(line: meta.line)) }
        headerLine = meta.line
        header = (0..<row.fieldCount).map { row.string($0) ?? "" }
        headerShape = LineShape(delimiterCounts: firstLineDelimiterCounts, configured: dialect.delimiter)
        headerShape.line = meta.line
        state.pointee.headerFieldCount = header.count
        normalizedHeader = header.map(Self.normalize(header:))
    }

    /// Reads one chunk and parses it; at end of file flushes libcsv.
    private func fill() throws(InputError) {
        state.pointee.compact()
        state.pointee.nextRowToHand = 0
        if reachedEOF {
            // A quoted field still open at end of file: libcsv would submit it silently (pstate 2 = FIELD_BEGUN).
            lastRowUnterminated = parser.pointee.pstate == 2 && parser.pointee.quoted != 0
            csv_fini(parser, fieldCallback, rowCallback, state)
            state.pointee.settleLines(breaksFed: 0)
            finished = true
            checkLimits()
            return
        }
        var count = 0
        repeat {
            let n = readBytes(into: chunk + count, Self.chunkSize - count)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: file, problem: .cannotRead(reason: Self.errnoText()))
            }
            if n == 0 {
                reachedEOF = true
                break
            }
            count += n
            // The first chunk needs at least the three bytes of a possible byte-order mark.
        } while firstChunk && count < 3
        var start = chunk
        if firstChunk {
            firstChunk = false
            if count >= 3, chunk.load(fromByteOffset: 0, as: UInt8.self) == 0xEF,
                chunk.load(fromByteOffset: 1, as: UInt8.self) == 0xBB,
                chunk.load(fromByteOffset: 2, as: UInt8.self) == 0xBF
            {
                start += 3
                count -= 3
            }
        }
        if linesToSkip > 0 || skippedCR { skipLeadingLines(&start, &count) }
        if firstDataChunk, count > 0 || reachedEOF {
            firstDataChunk = false
            // A NUL byte in the first line means a binary file (or UTF-16), not text in any encoding we
            // accept. A NUL further on is one bad row, rejected on its own in `makeRow`.
            let firstLine = memchr(start, 0x0A, count).map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? count
            if firstLine > 0, memchr(start, 0, firstLine) != nil {
                throw InputError(file: file, problem: .notText(line: state.pointee.line))
            }
            firstLineDelimiterCounts = Self.delimiterCounts(inFirstLineOf: UnsafeRawPointer(start), count)
        }
        if count > 0 {
            let parsed = csv_parse(parser, start, count, fieldCallback, rowCallback, state)
            if parsed < count {
                throw InputError(file: file, problem: .cannotRead(reason: "out of memory while parsing"))
            }
            state.pointee.settleLines(breaksFed: ParseState.countBreakBytes(start, count))
            checkLimits()
        }
    }

    /// Reads up to `capacity` bytes from the file or from `memory`; -1 on a read error (see `errno`).
    private func readBytes(into target: UnsafeMutableRawPointer, _ capacity: Int) -> Int {
        guard fd < 0 else { return read(fd, target, capacity) }
        let n = min(capacity, memory.count - memoryOffset)
        if n > 0 {
            memory.withUnsafeBytes { target.copyMemory(from: $0.baseAddress! + memoryOffset, byteCount: n) }
            memoryOffset += n
        }
        return n
    }

    /// Drops the lines above the header (`CSVDialect.headerLine`), counting them so line numbers stay physical.
    /// Skipped lines are not parsed: a title line may hold a stray quote.
    private func skipLeadingLines(_ start: inout UnsafeMutableRawPointer, _ count: inout Int) {
        if skippedCR, count > 0 {
            skippedCR = false
            if start.load(as: UInt8.self) == 10 {
                start += 1
                count -= 1
            }
        }
        while linesToSkip > 0, count > 0 {
            var i = 0
            while i < count, ![10, 13].contains(start.load(fromByteOffset: i, as: UInt8.self)) { i += 1 }
            guard i < count else {
                start += count
                count = 0
                return
            }
            let isCR = start.load(fromByteOffset: i, as: UInt8.self) == 13
            i += 1
            if isCR {
                if i < count {
                    if start.load(fromByteOffset: i, as: UInt8.self) == 10 { i += 1 }
                } else {
                    skippedCR = true
                }
            }
            start += i
            count -= i
            linesToSkip -= 1
            state.pointee.line += 1
        }
    }

    /// Stops the file at the first row that broke a limit, naming the limit it broke.
    private func checkLimits() {
        guard pendingError == nil else { return }
        let s = state.pointee
        let fieldInProgress = parser.pointee.entry_pos > dialect.maxFieldBytes
        guard s.tooLongLine > 0 || fieldInProgress else { return }
        let line = s.tooLongLine > 0 ? s.tooLongLine : (s.rowStarted ? s.rowLine : s.line)
        // Rows before the long one are still handed out; nothing from it on is.
        var keep = 0
        while keep < s.rowCount, s.rows[keep].line < line { keep += 1 }
        state.pointee.rowCount = keep
        finished = true
        let isHeader = header.isEmpty && keep == 0
        let problem: InputError.Problem
        switch s.tooLongLine > 0 ? s.overflow : .field {
        case .field:
            let quoteOpen = s.tooLongLine == 0 && parser.pointee.quoted != 0
            problem = .fieldTooLong(line: line, limit: dialect.maxFieldBytes, quoteOpen: quoteOpen)
        case .row: problem = .rowTooLong(line: line, limit: 4 * dialect.maxFieldBytes, header: isHeader)
        case .fields: problem = .tooManyFields(line: line, limit: dialect.maxFields, header: isHeader)
        }
        pendingError = InputError(file: file, problem: problem)
    }

    private func makeRow(_ meta: RowMeta, unterminated: Bool) -> CSVRow {
        let s = state.pointee
        let rowStart = meta.firstField == 0 ? 0 : s.fieldEnds[meta.firstField - 1]
        let rowEnd = meta.fieldCount == 0 ? rowStart : s.fieldEnds[meta.firstField + meta.fieldCount - 1]
        var row = CSVRow(
            line: meta.line, base: UnsafeRawPointer(s.bytes), ends: UnsafePointer(s.fieldEnds),
            firstField: meta.firstField, fieldCount: meta.fieldCount, encoding: dialect.encoding, problem: nil)
        if unterminated {
            row.problem = .unterminatedQuote
        } else if rowEnd > rowStart, memchr(s.bytes + rowStart, 0, rowEnd - rowStart) != nil,
            let bad = (0..<meta.fieldCount).first(where: { row.rawBytes($0).contains(0) })
        {
            // PostgreSQL text cannot hold NUL, and C strings would cut the value short: never pass one on.
            row.problem = .invalidUTF8(column: bad)
        } else if dialect.encoding == .utf8, !Self.isASCII(s.bytes + rowStart, rowEnd - rowStart),
            let bad = (0..<meta.fieldCount).first(where: { !Self.isValidUTF8(row.rawBytes($0)) })
        {
            row.problem = .invalidUTF8(column: bad)
        } else if s.headerFieldCount > 0, meta.fieldCount != s.headerFieldCount {
            let expected = s.headerFieldCount
            let extraAreEmpty =
                meta.fieldCount > expected && (expected..<meta.fieldCount).allSatisfy { row.isEmpty($0) }
            if !extraAreEmpty { row.problem = .fieldCount(expected: expected, found: meta.fieldCount) }
        }
        return row
    }

    /// Each allowed delimiter's count in the first line of `count` bytes that is not blank.
    static func delimiterCounts(inFirstLineOf p: UnsafeRawPointer, _ count: Int) -> [(delimiter: UInt8, count: Int)] {
        var i = 0
        while i < count, [10, 13, 32].contains(p.load(fromByteOffset: i, as: UInt8.self)) { i += 1 }
        var counts = CSVDialect.allowedDelimiters.map { (delimiter: $0, count: 0) }
        while i < count {
            let byte = p.load(fromByteOffset: i, as: UInt8.self)
            if byte == 10 || byte == 13 { break }
            if let k = counts.firstIndex(where: { $0.delimiter == byte }) { counts[k].count += 1 }
            i += 1
        }
        return counts
    }

    static func isASCII(_ p: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < count {
            if p.load(fromByteOffset: i, as: UInt8.self) & 0x80 != 0 { return false }
            i += 1
        }
        return true
    }

    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

// MARK: - libcsv state and callbacks

struct RowMeta {
    var firstField: Int
    var fieldCount: Int
    var line: Int
}

/// Everything libcsv's callbacks touch, held in one `UnsafeMutablePointer` (a class behind `Unmanaged`
/// measured ~30 % slower because of dynamic exclusivity checks).
struct ParseState {
    var bytes: UnsafeMutableRawPointer
    var bytesCapacity = 512 * 1024
    var bytesCount = 0
    /// End offset in `bytes` of each field of the batch; a field starts where the previous one ends.
    var fieldEnds: UnsafeMutablePointer<Int>
    var fieldsCapacity = 16 * 1024
    var fieldCount = 0
    var rows: UnsafeMutablePointer<RowMeta>
    var rowsCapacity = 4 * 1024
    var rowCount = 0
    /// Index in `rows` of the next row `nextRow()` hands out.
    var nextRowToHand = 0
    /// Fields in the header row; 0 while the header is being read.
    var headerFieldCount = 0
    /// Index in `fieldEnds` of the first field of the row being read.
    var rowFieldStart = 0
    var rowStarted = false
    var rowLine = 1
    /// Offset in `bytes` where the row being read starts.
    var rowStartOffset = 0
    /// The physical line the parser is on.
    var line = 1
    var lastTerminatorWasCR = false
    let maxFieldBytes: Int
    let maxFields: Int
    /// Line of a row that outgrew the limits; 0 when none.
    var tooLongLine = 0
    /// The limit that row broke.
    var overflow = Overflow.field

    /// The reader limits a row can break.
    enum Overflow {
        /// One field over `maxFieldBytes`.
        case field
        /// The row over four times `maxFieldBytes` in all.
        case row
        /// More than `maxFields` fields.
        case fields
    }
    /// CR and LF bytes libcsv reported as line ends since the last `settleLines`.
    var terminatorsSeen = 0
    /// CR and LF bytes fed to libcsv that no submitted field has accounted for yet: they sit in a quoted
    /// field libcsv is still reading.
    var pendingQuotedBreaks = 0
    /// Fields before this index have had their quoted line breaks counted into `line` and row lines.
    var settledFields = 0

    init(maxFieldBytes: Int, maxFields: Int) {
        self.maxFieldBytes = maxFieldBytes
        self.maxFields = maxFields
        bytes = .allocate(byteCount: bytesCapacity, alignment: 16)
        fieldEnds = .allocate(capacity: fieldsCapacity)
        rows = .allocate(capacity: rowsCapacity)
    }

    func release() {
        bytes.deallocate()
        fieldEnds.deallocate()
        rows.deallocate()
    }

    /// Drops the handed-out rows, keeping the fields of a row still being read at the start of the buffer.
    mutating func compact() {
        rowCount = 0
        guard rowStarted else {
            bytesCount = 0
            fieldCount = 0
            rowFieldStart = 0
            settledFields = 0
            return
        }
        let keepFrom = rowFieldStart == 0 ? 0 : fieldEnds[rowFieldStart - 1]
        let pending = fieldCount - rowFieldStart
        if keepFrom > 0 {
            memmove(bytes, bytes + keepFrom, bytesCount - keepFrom)
            for k in 0..<pending { fieldEnds[k] = fieldEnds[rowFieldStart + k] - keepFrom }
        }
        bytesCount -= keepFrom
        fieldCount = pending
        rowFieldStart = 0
        rowStartOffset = 0
        settledFields = pending
    }

    /// Adds the line breaks inside quoted fields to the lines of the rows that follow them.
    ///
    /// While parsing, lines advance only at the line ends libcsv reports, which is exact for every row unless
    /// a quoted field holds a line break. So after each chunk the CR/LF bytes fed are compared with the line
    /// ends reported; only when they differ (or a quoted field is still open) are the new fields scanned. A
    /// file without quoted line breaks is never scanned field by field.
    mutating func settleLines(breaksFed: Int) {
        pendingQuotedBreaks += breaksFed - terminatorsSeen
        terminatorsSeen = 0
        guard pendingQuotedBreaks > 0 else {
            settledFields = fieldCount
            return
        }
        var shift = 0
        var nextRow = 0
        while nextRow < rowCount, rows[nextRow].firstField < settledFields { nextRow += 1 }
        for k in settledFields..<fieldCount {
            while nextRow < rowCount, rows[nextRow].firstField == k {
                rows[nextRow].line += shift
                nextRow += 1
            }
            if rowStarted, k == rowFieldStart { rowLine += shift }
            let start = k == 0 ? 0 : fieldEnds[k - 1]
            let length = fieldEnds[k] - start
            if length > 0 {
                let (lines, breaks) = ParseState.lineBreaks(in: UnsafeRawPointer(bytes + start), length)
                shift += lines
                pendingQuotedBreaks -= breaks
            }
        }
        while nextRow < rowCount {
            rows[nextRow].line += shift
            nextRow += 1
        }
        line += shift
        settledFields = fieldCount
    }

    @inline(__always)
    mutating func appendField(_ pointer: UnsafeMutableRawPointer?, _ length: Int) {
        if !rowStarted {
            rowStarted = true
            rowLine = line
            rowFieldStart = fieldCount
            rowStartOffset = bytesCount
        }
        // Past a limit nothing more is kept: the reader stops at that row, and memory stays bounded even for
        // a line of a million empty fields.
        guard tooLongLine == 0 else { return }
        if fieldCount &- rowFieldStart >= maxFields {
            overLimit(.fields)
            return
        }
        if fieldCount == fieldsCapacity { growFields() }
        if let pointer, length > 0 {
            if length > maxFieldBytes {
                overLimit(.field)
            } else if bytesCount &- rowStartOffset &+ length > 4 &* maxFieldBytes {
                overLimit(.row)
            } else {
                if bytesCount &+ length > bytesCapacity { growBytes(to: bytesCount &+ length) }
                ParseState.copy(from: UnsafeRawPointer(pointer), to: bytes + bytesCount, length)
                bytesCount &+= length
            }
        }
        fieldEnds[fieldCount] = bytesCount
        fieldCount &+= 1
    }

    @inline(never)
    mutating func overLimit(_ kind: Overflow) {
        tooLongLine = rowLine
        overflow = kind
    }

    /// Copies `n` bytes; short fields (the common case) with overlapping word loads instead of a `memcpy` call.
    @inline(__always)
    static func copy(from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, _ n: Int) {
        if n >= 8 && n <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: n &- 4, as: UInt32.self)
        } else if n < 4 {
            for i in 0..<n {
                target.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            }
        } else {
            memcpy(target, source, n)
        }
    }

    @inline(never)
    mutating func growFields() {
        let grown = UnsafeMutablePointer<Int>.allocate(capacity: fieldsCapacity * 2)
        grown.update(from: fieldEnds, count: fieldCount)
        fieldEnds.deallocate()
        fieldEnds = grown
        fieldsCapacity *= 2
    }

    @inline(never)
    mutating func growBytes(to needed: Int) {
        var capacity = bytesCapacity * 2
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        grown.copyMemory(from: bytes, byteCount: bytesCount)
        bytes.deallocate()
        bytes = grown
        bytesCapacity = capacity
    }

    /// Line breaks in a field (LF, or CR not followed by LF) and the CR/LF bytes among them.
    static func lineBreaks(in p: UnsafeRawPointer, _ n: Int) -> (lines: Int, bytes: Int) {
        var lines = 0
        var bytes = 0
        for i in 0..<n {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b == 10 {
                lines += 1
                bytes += 1
            } else if b == 13 {
                bytes += 1
                if i + 1 == n || p.load(fromByteOffset: i + 1, as: UInt8.self) != 10 { lines += 1 }
            }
        }
        return (lines, bytes)
    }

    /// CR and LF bytes in a buffer.
    static func countBreakBytes(_ p: UnsafeRawPointer, _ n: Int) -> Int {
        var count = 0
        for byte: Int32 in [10, 13] {
            var at = p
            var left = n
            while left > 0, let found = memchr(at, byte, left) {
                count += 1
                let used = UnsafeRawPointer(found) - at + 1
                at += used
                left -= used
            }
        }
        return count
    }

    @inline(__always)
    mutating func endRow(_ terminator: Int32) {
        if terminator == 10 || terminator == 13 { terminatorsSeen += 1 }
        guard rowStarted else {
            // A blank line, or the LF of a CRLF that already ended a row.
            if terminator == 10 && lastTerminatorWasCR {
                lastTerminatorWasCR = false
                return
            }
            if terminator == 10 || terminator == 13 { line += 1 }
            lastTerminatorWasCR = terminator == 13
            return
        }
        if rowCount == rowsCapacity {
            let grown = UnsafeMutablePointer<RowMeta>.allocate(capacity: rowsCapacity * 2)
            grown.moveInitialize(from: rows, count: rowCount)
            rows.deallocate()
            rows = grown
            rowsCapacity *= 2
        }
        (rows + rowCount).initialize(
            to: RowMeta(firstField: rowFieldStart, fieldCount: fieldCount - rowFieldStart, line: rowLine))
        rowCount += 1
        rowStarted = false
        if terminator == 10 || terminator == 13 { line += 1 }
        lastTerminatorWasCR = terminator == 13
    }
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = {
    pointer, length, data in
    data.unsafelyUnwrapped.assumingMemoryBound(to: ParseState.self).pointee.appendField(pointer, length)
}

private let rowCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { terminator, data in
    data.unsafelyUnwrapped.assumingMemoryBound(to: ParseState.self).pointee.endRow(terminator)
}
