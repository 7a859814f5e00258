import Foundation
import LastMileCore

/// What a kept MPI index is valid for: the format of this build and the match model. The MPI's own state is
/// checked apart (`MPIIndex.digest`, `count`), since a changed MPI updates the index rather than discarding it.
public struct MPIIndexVersion: Equatable, Sendable {
    /// Bump whenever the encoding, normalisation, nicknames, blocking rules, layout or row hash change (2: the
    /// patient row hash became a stored column, migration 19).
    public static let format: UInt32 = 2
    /// A digest of the match model file (`"none"` when the night trains its own).
    public var model: String

    public init(model: String) { self.model = model }

    /// A digest of model file contents (64-bit FNV-1a, hex).
    public static func modelDigest(_ data: Data?) -> String {
        guard let data else { return "none" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

/// Why a kept index file was not used.
public enum MPIIndexFileProblem: Error, Equatable, Sendable {
    case missing
    /// Not an index file, cut short, or its checksum does not match: it is rebuilt.
    case corrupt
    /// Written by another format version or for another model.
    case stale
}

/// The kept MPI index: one file, `mpi-index.bin`, in a directory of its own (mode 0700; the file 0600), written
/// to a temporary file and renamed into place. It holds personal data derived from the MPI (names, birth
/// dates, addresses, SSNs as integers and strings): lastmile never prints it, and it is trusted only when its
/// checksum, format, model and MPI digest all match.
public struct MPIIndexFile: Sendable {
    public let directory: URL
    public var path: URL { directory.appendingPathComponent("mpi-index.bin") }
    static let magic: UInt64 = 0x5844_4E49_4D4C_0001

    public init(directory: URL) { self.directory = directory }

    /// Writes `index` (which must still hold its lexicon).
    public func write(_ index: MPIIndex, version: MPIIndexVersion) throws {
        try write(index.image(), version: version)
    }

    /// Writes an image taken with `MPIIndex.image()`; safe on another thread while the index is used and changed.
    public func write(_ index: MPIIndexImage, version: MPIIndexVersion) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(directory.path, 0o700)
        // One temporary name per process: two runs of other sources may write at once; the last rename wins.
        let temporary = directory.appendingPathComponent("mpi-index.bin.\(getpid()).tmp")
        unlink(temporary.path)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path]) }
        var out = BinaryWriter(fd: fd)
        do {
            out.scalar(Self.magic)
            out.scalar(MPIIndexVersion.format)
            out.scalar(UInt32(MemoryLayout<PersonCode>.stride))
            out.string(version.model)
            out.string(index.changedUpTo ?? "")
            index.encode(into: &out)
            out.finish()
            guard out.failed == false, fsync(fd) == 0 else { throw CocoaError(.fileWriteOutOfSpace) }
            close(fd)
        } catch {
            close(fd)
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, path.path) == 0 else {
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path.path])
        }
    }

    /// Reads the kept index when its checksum, format and model match `version`.
    public func read(version: MPIIndexVersion) -> Result<MPIIndex, MPIIndexFileProblem> {
        let fd = open(path.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.missing) }
        defer { close(fd) }
        var input = BinaryReader(fd: fd)
        guard input.scalar(UInt64.self) == Self.magic else { return .failure(.corrupt) }
        let format = input.scalar(UInt32.self)
        let stride = input.scalar(UInt32.self)
        let model = input.string()
        guard !input.failed else { return .failure(.corrupt) }
        guard format == MPIIndexVersion.format, stride.map(Int.init) == MemoryLayout<PersonCode>.stride,
            model == version.model
        else { return .failure(.stale) }
        let changedUpTo = input.string().flatMap { $0.isEmpty ? nil : $0 }
        guard let index = MPIIndex.decode(from: &input, changedUpTo: changedUpTo),
            input.verifyChecksum()
        else { return .failure(.corrupt) }
        return .success(index)
    }

    /// Removes the kept index (e.g. when it can no longer be trusted).
    public func remove() { unlink(path.path) }
}

/// What the kept index file holds, taken from an `MPIIndex` at one moment. Every part is immutable or copied on
/// write, so the file can be written on another thread while the night matches with (and changes) the index.
public struct MPIIndexImage: @unchecked Sendable {
    let ids: [String]
    let rowHashes: [Int64]
    let birthDates: [Int32]
    let records: [PersonCode]
    let lexicon: Lexicon
    let phoneticCodes: [String]
    let blocking: BlockingIndex
    let changedUpTo: String?
}

extension MPIIndex {
    /// The index as it is now, for `MPIIndexFile.write` (call it before the lexicon is taken).
    public func image() -> MPIIndexImage {
        MPIIndexImage(
            ids: ids, rowHashes: rowHashes, birthDates: birthDates, records: people.records,
            lexicon: lexicon.freeze(), phoneticCodes: lexicon.phoneticIds.sorted { $0.value < $1.value }.map(\.key),
            blocking: blocking, changedUpTo: changedUpTo)
    }
}

extension MPIIndexImage {
    func encode(into out: inout BinaryWriter) {
        out.strings(ids)
        out.array(rowHashes)
        out.array(birthDates)
        out.array(records)
        out.array(lexicon.bytes)
        out.array(lexicon.offsets)
        out.array(lexicon.phonetic)
        out.array(lexicon.nicknameStart)
        out.array(lexicon.nicknameCount)
        out.array(lexicon.nicknameGroups)
        out.array(lexicon.canonicalInitial)
        out.array(lexicon.characterSets)
        out.strings(phoneticCodes)
        out.scalar(Int64(blocking.maxBlockSize))
        out.strings(blocking.rules.map(\.rawValue))
        for r in blocking.rules.indices {
            out.array(blocking.keys[r])
            out.array(blocking.members[r])
        }
    }
}

extension MPIIndex {
    static func decode(from input: inout BinaryReader, changedUpTo: String?) -> MPIIndex? {
        guard let ids = input.strings(), let rowHashes = input.array(Int64.self),
            let birthDates = input.array(Int32.self), let records = input.array(PersonCode.self),
            ids.count == rowHashes.count, ids.count == birthDates.count, ids.count == records.count,
            let lexicon = LexiconBuilder.decode(from: &input), let maxBlockSize = input.scalar(Int64.self),
            let ruleNames = input.strings()
        else { return nil }
        let rules = ruleNames.compactMap(BlockingRule.init(rawValue:))
        guard rules.count == ruleNames.count else { return nil }
        var keys: [[UInt64]] = []
        var members: [[Int32]] = []
        for _ in rules {
            guard let k = input.array(UInt64.self), let m = input.array(Int32.self), k.count == m.count,
                m.allSatisfy({ $0 >= 0 && Int($0) < ids.count })
            else { return nil }
            keys.append(k)
            members.append(m)
        }
        let stringCount = Int32(lexicon.offsets.count - 1)
        guard records.allSatisfy({ $0.referencesOnly(below: stringCount) }) else { return nil }
        return MPIIndex(
            ids: ids, rowHashes: rowHashes, birthDates: birthDates, people: EncodedPeople(records: records),
            lexicon: lexicon,
            blocking: BlockingIndex(rules: rules, maxBlockSize: Int(maxBlockSize), keys: keys, members: members),
            changedUpTo: changedUpTo)
    }
}

extension PersonCode {
    /// Whether every string id is missing or below `count` (a file that passed its checksum but was written by
    /// a faulty build must still not index out of bounds).
    func referencesOnly(below count: Int32) -> Bool {
        func ok(_ id: Int32) -> Bool { id >= -1 && id < count }
        return ok(given) && ok(family) && ok(familyPart1) && ok(familyPart2) && ok(street) && ok(unit) && ok(city)
    }
}

extension LexiconBuilder {
    static func decode(from input: inout BinaryReader) -> LexiconBuilder? {
        var b = LexiconBuilder()
        guard let bytes = input.array(UInt8.self), let offsets = input.array(Int32.self),
            let phonetic = input.array(Int32.self), let nicknameStart = input.array(Int32.self),
            let nicknameCount = input.array(UInt8.self), let nicknameGroups = input.array(Int32.self),
            let canonicalInitial = input.array(UInt8.self), let characterSets = input.array(UInt64.self),
            let codes = input.strings()
        else { return nil }
        let n = offsets.count - 1
        guard n >= 0, offsets.first == 0, offsets.last.map(Int.init) == bytes.count,
            zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
            [phonetic.count, nicknameStart.count, nicknameCount.count, canonicalInitial.count, characterSets.count]
                .allSatisfy({ $0 == n }),
            phonetic.allSatisfy({ $0 >= -1 && $0 < codes.count }),
            zip(nicknameStart, nicknameCount).allSatisfy({ $0 >= 0 && Int($0) + Int($1) <= nicknameGroups.count })
        else { return nil }
        b.bytes = bytes
        b.offsets = offsets
        b.phonetic = phonetic
        b.nicknameStart = nicknameStart
        b.nicknameCount = nicknameCount
        b.nicknameGroups = nicknameGroups
        b.canonicalInitial = canonicalInitial
        b.characterSets = characterSets
        b.ids.reserveCapacity(n)
        bytes.withUnsafeBufferPointer { all in
            for id in 0..<n {
                let s = String(decoding: all[Int(offsets[id])..<Int(offsets[id + 1])], as: UTF8.self)
                b.ids[s] = Int32(id)
            }
        }
        for (pid, code) in codes.enumerated() { b.phoneticIds[code] = Int32(pid) }
        return b
    }
}

/// A 64-bit checksum of everything written or read, four lanes of 8-byte words (corruption, not tampering:
/// whoever can write the index's 0700 directory can write the warehouse beside it).
struct Checksum {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
        0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x85EB_CA77_C2B2_AE63
    )
    private var tail: [UInt8] = []
    private var length: UInt64 = 0

    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        length &+= UInt64(buffer.count)
        var start = 0
        if !tail.isEmpty {
            while tail.count < 32 && start < buffer.count {
                tail.append(buffer[start])
                start += 1
            }
            guard tail.count == 32 else { return }
            let block = tail
            block.withUnsafeBytes { mix($0) }
            tail.removeAll(keepingCapacity: true)
        }
        let whole = (buffer.count - start) / 32 * 32
        if whole > 0 { mix(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + whole)])) }
        tail.append(contentsOf: buffer[(start + whole)...])
    }

    private mutating func mix(_ blocks: UnsafeRawBufferPointer) {
        var (a, b, c, d) = lanes
        var k = 0
        while k < blocks.count {
            a = ((a ^ blocks.loadUnaligned(fromByteOffset: k, as: UInt64.self)) &* 0x1000_0000_01B3) ^ (a >> 31)
            b = ((b ^ blocks.loadUnaligned(fromByteOffset: k + 8, as: UInt64.self)) &* 0x1000_0000_01B3) ^ (b >> 31)
            c = ((c ^ blocks.loadUnaligned(fromByteOffset: k + 16, as: UInt64.self)) &* 0x1000_0000_01B3) ^ (c >> 31)
            d = ((d ^ blocks.loadUnaligned(fromByteOffset: k + 24, as: UInt64.self)) &* 0x1000_0000_01B3) ^ (d >> 31)
            k += 32
        }
        lanes = (a, b, c, d)
    }

    var value: UInt64 {
        var h = length
        for (i, byte) in tail.enumerated() { h ^= UInt64(byte) << UInt64(i % 8 * 8) }
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] { h = (h ^ lane) &* 0x9E37_79B9_7F4A_7C15 ^ (h >> 29) }
        return h
    }
}

/// Writes scalars and arrays of plain values, buffered, with a trailing checksum.
struct BinaryWriter {
    let fd: Int32
    private(set) var failed = false
    private var checksum = Checksum()

    init(fd: Int32) { self.fd = fd }

    mutating func raw(_ buffer: UnsafeRawBufferPointer, counted: Bool = true) {
        guard !failed else { return }
        if counted { checksum.update(buffer) }
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done)
            guard n > 0 else {
                failed = true
                return
            }
            done += n
        }
    }

    mutating func scalar<T: BitwiseCopyable>(_ value: T) { withUnsafeBytes(of: value) { raw($0) } }

    mutating func array<T: BitwiseCopyable>(_ values: [T]) {
        scalar(Int64(values.count))
        values.withUnsafeBytes { raw($0) }
    }

    mutating func string(_ s: String) { array(Array(s.utf8)) }

    mutating func strings(_ list: [String]) {
        var bytes: [UInt8] = []
        var ends: [Int64] = []
        ends.reserveCapacity(list.count)
        for s in list {
            bytes.append(contentsOf: s.utf8)
            ends.append(Int64(bytes.count))
        }
        array(ends)
        array(bytes)
    }

    mutating func finish() {
        let sum = checksum.value
        withUnsafeBytes(of: sum) { raw($0, counted: false) }
    }
}

/// Reads what `BinaryWriter` wrote; any short read or implausible length sets `failed`.
struct BinaryReader {
    let fd: Int32
    private(set) var failed = false
    private var checksum = Checksum()
    /// Arrays longer than this are taken for corruption (the file is smaller than 64 GiB).
    static let maxBytes = 1 << 36

    init(fd: Int32) { self.fd = fd }

    mutating func raw(_ buffer: UnsafeMutableRawBufferPointer, counted: Bool = true) {
        guard !failed else { return }
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done)
            guard n > 0 else {
                failed = true
                return
            }
            done += n
        }
        if counted { checksum.update(UnsafeRawBufferPointer(buffer)) }
    }

    mutating func scalar<T: BitwiseCopyable>(_ type: T.Type) -> T? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        defer { buffer.deallocate() }
        raw(buffer)
        return failed ? nil : buffer.load(as: T.self)
    }

    mutating func array<T: BitwiseCopyable>(_ type: T.Type) -> [T]? {
        guard let n = scalar(Int64.self), n >= 0, Int(n) <= Self.maxBytes / max(1, MemoryLayout<T>.stride) else {
            failed = true
            return nil
        }
        let values = [T](unsafeUninitializedCapacity: Int(n)) { buffer, count in
            raw(UnsafeMutableRawBufferPointer(buffer))
            count = failed ? 0 : Int(n)
        }
        return failed ? nil : values
    }

    mutating func string() -> String? { array(UInt8.self).map { String(decoding: $0, as: UTF8.self) } }

    mutating func strings() -> [String]? {
        guard let ends = array(Int64.self), let bytes = array(UInt8.self),
            zip([0] + ends, ends).allSatisfy({ $0 <= $1 }), ends.last.map({ Int($0) == bytes.count }) ?? bytes.isEmpty
        else {
            failed = true
            return nil
        }
        return bytes.withUnsafeBufferPointer { all in
            var start = 0
            return ends.map { end in
                defer { start = Int(end) }
                return String(decoding: all[start..<Int(end)], as: UTF8.self)
            }
        }
    }

    /// Reads the trailing checksum and compares it with what was read; the file must end there.
    mutating func verifyChecksum() -> Bool {
        guard !failed else { return false }
        let expected = checksum.value
        var stored: UInt64 = 0
        withUnsafeMutableBytes(of: &stored) { raw($0, counted: false) }
        guard !failed, stored == expected else { return false }
        var extra: UInt8 = 0
        return read(fd, &extra, 1) == 0
    }
}
