import Foundation

/// The outcome of one fuzz input: the invariants it broke, each a short constant-prefixed sentence.
///
/// A fuzz executable traps when the list is not empty (libFuzzer then keeps the input as a crash); the
/// regression tests expect it to be empty. Thrown errors and rejected input are not violations.
public struct FuzzOutcome: Sendable, Equatable, CustomStringConvertible {
    public var violations: [String] = []

    public init() {}

    /// Records `message` when `condition` is false.
    mutating func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { violations.append(message()) }
    }

    public var description: String {
        violations.isEmpty ? "ok" : violations.joined(separator: "\n")
    }
}

/// One scratch file per process, rewritten for every input (the CSV reader reads files only) and removed
/// when the process exits.
enum ScratchFile {
    static let path: String = {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        atexit { unlink(ScratchFile.path) }
        return "\(directory)/lastmile-fuzz-\(getpid()).csv"
    }()

    /// Writes `bytes` to the scratch file and returns its path.
    static func write(_ bytes: UnsafeRawBufferPointer) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create the fuzz scratch file")
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            precondition(n > 0 || errno == EINTR, "cannot write the fuzz scratch file")
            if n > 0 { offset += n }
        }
        close(fd)
        return path
    }
}

extension UnsafeRawBufferPointer {
    /// The buffer from `offset` on (empty when `offset` is past the end).
    func dropping(_ offset: Int) -> UnsafeRawBufferPointer {
        guard offset < count, let base = baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count - offset)
    }

    /// The byte at `index`, or 0 past the end.
    func byte(_ index: Int) -> UInt8 { index < count ? self[index] : 0 }
}

/// Physical lines in `bytes`: LF, CRLF and lone CR each end one; a last line without an end counts too.
func physicalLineCount(_ bytes: UnsafeRawBufferPointer) -> Int {
    var lines = 1
    var i = 0
    while i < bytes.count {
        if bytes[i] == 10 {
            lines += 1
        } else if bytes[i] == 13 {
            lines += 1
            if i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1 }
        }
        i += 1
    }
    return lines
}

/// True when `text` looks like personal data: at least six characters, three of them digits (an id, a
/// date, a phone number). Such a value must never be echoed by an error message.
func looksPersonal(_ text: String) -> Bool {
    text.count >= 6 && text.utf8.filter { $0 >= 48 && $0 <= 57 }.count >= 3
}
