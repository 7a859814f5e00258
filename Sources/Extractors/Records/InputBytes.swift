import Foundation
import ZIPFoundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads an input's bytes through `RegularFile` (no symbolic links, FIFOs or devices), for the formats that are
/// read whole: XLSX, JSON, UTF-16 text.
enum InputBytes {
    /// The largest file read whole (a workbook, a JSON export, UTF-16 text).
    static let maxWholeFileBytes = 1 << 30

    /// Up to `count` bytes from the start of the file.
    static func head(_ input: InputLocation, count: Int) throws(InputError) -> [UInt8] {
        try read(input, limit: count, whole: false)
    }

    /// The whole file.
    /// - Throws: `InputError` when it cannot be read or is over `maxWholeFileBytes`.
    static func all(_ input: InputLocation) throws(InputError) -> [UInt8] {
        try read(input, limit: maxWholeFileBytes, whole: true)
    }

    private static func read(_ input: InputLocation, limit: Int, whole: Bool) throws(InputError) -> [UInt8] {
        let fd: Int32
        switch RegularFile.openForReading(input.path) {
        case .success(let opened): fd = opened
        case .failure(let refusal):
            throw InputError(file: input.name, problem: .cannotOpen(reason: refusal.description))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit, 1 << 20))
        while bytes.count < limit {
            let want = min(chunk.count, limit - bytes.count)
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: input.name, problem: .cannotRead(reason: String(cString: strerror(errno))))
            }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
        if whole {
            var probe: UInt8 = 0
            if systemRead(fd, &probe, 1) > 0 {
                throw InputError(
                    file: input.name,
                    problem: .cannotRead(reason: "larger than \(limit >> 20) MiB, the most read whole"))
            }
        }
        return bytes
    }

    /// The entry names of a ZIP file; nil when it is not a readable archive.
    static func zipEntryNames(_ input: InputLocation) throws -> [String]? {
        let archive = try Archive(data: Data(all(input)), accessMode: .read)
        return archive.map(\.path)
    }

    /// UTF-16 text (after its byte-order mark) as UTF-8 bytes.
    /// - Throws: `InputError.notText` at the line of the first unpaired surrogate.
    static func utf8(fromUTF16 bytes: [UInt8], bigEndian: Bool, file: String) throws(InputError) -> [UInt8] {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = 2
        while i + 1 < bytes.count {
            let a = UInt16(bytes[i])
            let b = UInt16(bytes[i + 1])
            units.append(bigEndian ? a << 8 | b : b << 8 | a)
            i += 2
        }
        var out: [UInt8] = []
        out.reserveCapacity(units.count)
        var line = 1
        var decoder = UTF16()
        var iterator = units.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
                out.append(contentsOf: UTF8.encode(scalar).map(Array.init) ?? [])
            case .emptyInput:
                return out
            case .error:
                throw InputError(file: file, problem: .notText(line: line))
            }
        }
    }
}

/// `read(2)`, named apart from the methods called `read` here.
@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
    #else
        Darwin.read(fd, buffer, count)
    #endif
}
