import Foundation
import LastMileCore

/// Rows being streamed into a `COPY … FROM STDIN` in PostgreSQL's text format.
///
/// Fields are escaped as the text format requires (backslash, tab, newline, carriage return; `\N` for NULL)
/// into one contiguous buffer that is handed to libpq in large chunks.
///
/// A scratch writer (`init()`) has no connection: it buffers one row at a time, so that a row can be hashed as
/// exactly the bytes COPY would send (`takeRow`).
public struct CopyWriter: ~Copyable {
    private let connection: Connection?
    private var buffer: UnsafeMutableRawPointer
    /// The buffer being sent (or last sent) while `buffer` fills; nil for a scratch writer.
    private var spare: UnsafeMutableRawPointer?
    private let sender: CopySender?
    private let capacity: Int
    private var used = 0
    private var fieldsInRow = 0
    /// Rows finished with `endRow()`.
    public private(set) var rowCount = 0

    /// Buffered bytes are sent once they pass this size.
    static let flushThreshold = 1 << 20

    init(connection: Connection) {
        self.connection = connection
        self.capacity = Self.flushThreshold * 2
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.spare = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.sender = CopySender(connection.handle)
    }

    /// A writer that sends nothing: rows are taken back with `takeRow`.
    public init() {
        self.connection = nil
        self.capacity = Self.flushThreshold * 2
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.spare = nil
        self.sender = nil
    }

    deinit {
        // The sender is done with both buffers: `Connection.withCopy` waits for it before the writer goes.
        buffer.deallocate()
        spare?.deallocate()
    }

    /// Hands the bytes buffered since the last call (one row's fields, without the row's end) to `body`, then
    /// empties the buffer. For a scratch writer (`init()`), which never sends them.
    public mutating func takeRow<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        defer {
            used = 0
            fieldsInRow = 0
        }
        return try body(UnsafeRawBufferPointer(start: buffer, count: used))
    }

    /// Appends one field; nil is SQL NULL.
    public mutating func append(_ value: String?) throws(WarehouseError) {
        separate()
        guard let value else {
            try appendRaw("\\N")
            return
        }
        try appendEscaped(value)
    }

    /// Appends one field from any parameter-like value (Int, CivilDate, Bool, Optional …).
    public mutating func append(_ value: some SQLParameter) throws(WarehouseError) {
        try append(value.sqlText)
    }

    /// Appends an integer field, its digits written straight into the buffer.
    public mutating func append(_ value: Int) throws(WarehouseError) {
        separate()
        try reserve(20)
        let out = buffer.assumingMemoryBound(to: UInt8.self)
        if value < 0 {
            out[used] = UInt8(ascii: "-")
            used += 1
        }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var i = used + digits - 1
        repeat {
            out[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        used += digits
    }

    /// Appends an integer field; nil is SQL NULL.
    public mutating func append(_ value: Int?) throws(WarehouseError) {
        if let value { try append(value) } else { try append(nil as String?) }
    }

    /// Appends a date field as `YYYY-MM-DD`, written straight into the buffer.
    public mutating func append(_ date: CivilDate) throws(WarehouseError) {
        separate()
        try reserve(CivilDate.isoByteCount)
        if date.writeISO(to: buffer + used) {
            used += CivilDate.isoByteCount
        } else {
            try appendEscaped(date.description)
        }
    }

    /// Appends a date field; nil is SQL NULL.
    public mutating func append(_ date: CivilDate?) throws(WarehouseError) {
        if let date { try append(date) } else { try append(nil as String?) }
    }

    /// Appends one field from UTF-8 bytes (no copy into a `String`); nil is SQL NULL.
    public mutating func append(utf8 bytes: UnsafeBufferPointer<UInt8>?) throws(WarehouseError) {
        separate()
        guard let bytes else {
            try appendRaw("\\N")
            return
        }
        try appendEscaped(bytes)
    }

    /// Ends the current row.
    public mutating func endRow() throws(WarehouseError) {
        try reserve(1)
        buffer.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: used, as: UInt8.self)
        used += 1
        fieldsInRow = 0
        rowCount += 1
        if used >= Self.flushThreshold { try flush() }
    }

    /// Appends bytes that are already in the COPY's format (e.g. a CSV file for `COPY … (FORMAT csv)`).
    public mutating func appendPreformatted(_ bytes: UnsafeRawBufferPointer) throws(WarehouseError) {
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, capacity - used)
            if n == 0 {
                try flush()
                continue
            }
            (buffer + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            used += n
            offset += n
            if used >= Self.flushThreshold { try flush() }
        }
    }

    /// Hands what is buffered to the sender (`PQputCopyData` on its thread) and goes on in the other buffer.
    mutating func flush() throws(WarehouseError) {
        guard used > 0 else { return }
        guard let connection, let sender, let other = spare else {
            // A scratch writer holds one row; a row past its 2 MiB is not hashed but refused.
            throw WarehouseError(
                kind: .server, context: "hash a row", clientMessage: "the row is longer than \(capacity) bytes")
        }
        guard sender.send(buffer, count: used) else { throw connection.lostConnection("COPY") }
        spare = buffer
        buffer = other
        used = 0
    }

    /// Sends what is buffered and waits until everything is sent. False when a send failed.
    mutating func finishSending() -> Bool {
        let flushed = (try? flush()) != nil
        return (sender?.finish() ?? true) && flushed
    }

    private mutating func separate() {
        if fieldsInRow > 0 {
            if used >= capacity { try? flush() }
            buffer.storeBytes(of: UInt8(ascii: "\t"), toByteOffset: used, as: UInt8.self)
            used += 1
        }
        fieldsInRow += 1
    }

    private mutating func reserve(_ n: Int) throws(WarehouseError) {
        if used + n > capacity { try flush() }
    }

    private mutating func appendRaw(_ text: StaticString) throws(WarehouseError) {
        try reserve(text.utf8CodeUnitCount)
        (buffer + used).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        used += text.utf8CodeUnitCount
    }

    private mutating func appendEscaped(_ text: String) throws(WarehouseError) {
        var text = text
        var failure: WarehouseError?
        text.withUTF8 { bytes in
            do throws(WarehouseError) { try appendEscaped(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) throws(WarehouseError) {
        // Most fields need no escaping: copy them whole; otherwise escape byte by byte (worst case doubles).
        var needsEscape = false
        for b in bytes where b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D {
            needsEscape = true
            break
        }
        if !needsEscape {
            if bytes.count > capacity - used { try flush() }
            if bytes.count > capacity {
                try appendPreformatted(UnsafeRawBufferPointer(bytes))
                return
            }
            if let base = bytes.baseAddress { (buffer + used).copyMemory(from: base, byteCount: bytes.count) }
            used += bytes.count
            return
        }
        for b in bytes {
            if used + 2 > capacity { try flush() }
            let out = buffer.assumingMemoryBound(to: UInt8.self)
            switch b {
            case 0x5C:
                out[used] = 0x5C
                out[used + 1] = 0x5C
                used += 2
            case 0x09:
                out[used] = 0x5C
                out[used + 1] = UInt8(ascii: "t")
                used += 2
            case 0x0A:
                out[used] = 0x5C
                out[used + 1] = UInt8(ascii: "n")
                used += 2
            case 0x0D:
                out[used] = 0x5C
                out[used + 1] = UInt8(ascii: "r")
                used += 2
            default:
                out[used] = b
                used += 1
            }
        }
    }
}

extension Connection {
    /// Runs `copySQL` (a `COPY … FROM STDIN` statement), lends a writer to `body`, and finishes the COPY.
    ///
    /// If `body` throws, the COPY is aborted on the server (nothing of it is stored) and the error rethrown.
    /// Calls `PQputCopyData`, `PQputCopyEnd` and `PQgetResult`.
    /// - Returns: the number of rows the server stored.
    /// - Important: the default format is text; pass `(FORMAT csv)` in `copySQL` only with
    ///   `appendPreformatted` of CSV bytes.
    @discardableResult
    public func withCopy(_ copySQL: String, _ body: (inout CopyWriter) throws -> Void) throws -> Int {
        guard let start = handle.exec(copySQL) else { throw lostConnection("COPY") }
        defer { start.clear() }
        guard start.status == .copyIn else {
            _ = try Self.collect(start, context: "COPY", connection: self)
            throw WarehouseError(
                kind: .server, context: "COPY",
                server: ServerErrorFields(
                    sqlState: "42601", severity: "ERROR", message: "statement is not COPY … FROM STDIN"))
        }
        var writer = CopyWriter(connection: self)
        var bodyError: (any Error)?
        do {
            try body(&writer)
        } catch {
            bodyError = error
        }
        // Whatever happened, the sender is done with the connection before it is used here again.
        if !writer.finishSending() && bodyError == nil { bodyError = lostConnection("COPY") }
        // Aborting sends an error message to the server, which fails the COPY: no row of it is kept.
        if handle.putCopyEnd(errorMessage: bodyError == nil ? nil : "aborted by lastmile") != 1 {
            throw bodyError ?? lostConnection("COPY")
        }
        var stored = 0
        var serverError: WarehouseError?
        while let result = handle.nextResult() {
            defer { result.clear() }
            do {
                let collected = try Self.collect(result, context: "COPY", connection: self)
                stored = collected.affectedRows ?? stored
            } catch {
                serverError = serverError ?? error
            }
        }
        if let bodyError { throw bodyError }
        if let serverError { throw serverError }
        return stored
    }
}

/// Sends a COPY's filled buffers on a thread of its own while the writer fills the next one. With
/// `PQputCopyData` called in line, the writer waited while the server read each megabyte (a Unix socket queues
/// a few hundred kilobytes), then the server waited while the writer filled the next: the two took turns, and
/// a 1M-patient MPI load took as long as both together.
///
/// One send is under way at a time; the connection is used by the sender's thread only between `send` and the
/// next `send` or `finish`, which wait for it.
final class CopySender: @unchecked Sendable {
    private let handle: PQConnectionHandle
    private let work = DispatchSemaphore(value: 0)
    /// Signalled when no send is under way.
    private let idle = DispatchSemaphore(value: 1)
    private var pending: (bytes: UnsafeRawPointer, count: Int)?
    private var failed = false

    init(_ handle: PQConnectionHandle) {
        self.handle = handle
        Thread.detachNewThread { [self] in
            while true {
                work.wait()
                guard let (bytes, count) = pending else { return }
                if self.handle.putCopyData(bytes, count: count) != 1 { failed = true }
                idle.signal()
            }
        }
    }

    /// Waits for the send under way, then starts sending `count` bytes at `bytes` (left alone by the caller
    /// until the next `send` or `finish`). False, and nothing sent, once a send has failed.
    func send(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        idle.wait()
        guard !failed else {
            idle.signal()
            return false
        }
        pending = (bytes, count)
        work.signal()
        return true
    }

    /// Waits for the send under way and ends the thread (call once). False when a send failed.
    func finish() -> Bool {
        idle.wait()
        pending = nil
        work.signal()
        // Back to its first value: libdispatch traps on a semaphore freed below it.
        idle.signal()
        return !failed
    }
}
