/// Interned strings with what the comparisons need per name: bytes, NYSIIS code and nickname lines.
///
/// Every name, street and city of both inputs becomes a dense `Int32`, so records are a few integers each and
/// equality is an integer comparison. Build it with `LexiconBuilder`, then freeze it.
public final class Lexicon: Sendable {
    let bytes: [UInt8]
    let offsets: [Int32]
    /// NYSIIS code id per string id; -1 for strings that are not names.
    let phonetic: [Int32]
    let nicknameStart: [Int32]
    let nicknameCount: [UInt8]
    let nicknameGroups: [Int32]
    /// First letter of a name's canonical form (`BILL` → `W` for WILLIAM); 0 for strings that are not names.
    let canonicalInitial: [UInt8]
    /// Which of A–Z, 0–9 and space occur in each string: an edit changes at most two of these bits, so
    /// popcount(a ^ b) > 2k proves an edit distance above k without computing it.
    let characterSets: [UInt64]

    init(builder b: LexiconBuilder) {
        characterSets = b.characterSets
        canonicalInitial = b.canonicalInitial
        bytes = b.bytes
        offsets = b.offsets
        phonetic = b.phonetic
        nicknameStart = b.nicknameStart
        nicknameCount = b.nicknameCount
        nicknameGroups = b.nicknameGroups
    }

    /// Number of distinct strings.
    public var count: Int { offsets.count - 1 }

    @inline(__always)
    func withBytes<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let lo = Int(offsets[Int(id)])
        let hi = Int(offsets[Int(id) + 1])
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[lo..<hi])) }
    }

    @inline(__always)
    func length(_ id: Int32) -> Int { Int(offsets[Int(id) + 1] - offsets[Int(id)]) }

    @inline(__always)
    func firstByte(_ id: Int32) -> UInt8 { bytes[Int(offsets[Int(id)])] }

    func string(_ id: Int32) -> String { withBytes(id) { String(decoding: $0, as: UTF8.self) } }

    func jaroWinkler(_ a: Int32, _ b: Int32) -> Double {
        withBytes(a) { pa in withBytes(b) { pb in StringComparators.jaroWinkler(pa, pb) } }
    }

    func damerauLevenshtein(_ a: Int32, _ b: Int32, limit: Int) -> Int {
        withBytes(a) { pa in withBytes(b) { pb in StringComparators.damerauLevenshtein(pa, pb, limit: limit) } }
    }

    /// True when both strings have at least two space-separated tokens and the first two are equal
    /// (`12 MAIN ST` and `12 MAIN ST APT 3`, or `12 MAIN RD`).
    func firstTwoTokensEqual(_ a: Int32, _ b: Int32) -> Bool {
        withBytes(a) { pa in
            withBytes(b) { pb in
                var spaces = 0
                var k = 0
                while k < pa.count && k < pb.count && pa[k] == pb[k] {
                    if pa[k] == 32 {
                        spaces += 1
                        if spaces == 2 { return true }
                    }
                    k += 1
                }
                // Both ended the second token at the same place.
                let endA = k == pa.count || pa[k] == 32
                let endB = k == pb.count || pb[k] == 32
                return spaces == 1 && endA && endB && k > 0
            }
        }
    }

    /// True when string `a` is a proper prefix of string `b`.
    func isPrefix(_ a: Int32, of b: Int32) -> Bool {
        let la = length(a)
        guard la < length(b) else { return false }
        let sa = Int(offsets[Int(a)])
        let sb = Int(offsets[Int(b)])
        for k in 0..<la where bytes[sa + k] != bytes[sb + k] { return false }
        return true
    }

    /// True when two given names share a line of the nickname table.
    func areNicknames(_ a: Int32, _ b: Int32) -> Bool {
        let ca = Int(nicknameCount[Int(a)])
        let cb = Int(nicknameCount[Int(b)])
        if ca == 0 || cb == 0 { return false }
        let sa = Int(nicknameStart[Int(a)])
        let sb = Int(nicknameStart[Int(b)])
        for i in sa..<(sa + ca) {
            for j in sb..<(sb + cb) where nicknameGroups[i] == nicknameGroups[j] { return true }
        }
        return false
    }
}

/// Interns strings into a `Lexicon`. Not thread-safe: intern from one thread.
public struct LexiconBuilder {
    var ids: [String: Int32] = [:]
    var phoneticIds: [String: Int32] = [:]
    var bytes: [UInt8] = []
    var offsets: [Int32] = [0]
    var phonetic: [Int32] = []
    var nicknameStart: [Int32] = []
    var nicknameCount: [UInt8] = []
    var nicknameGroups: [Int32] = []
    var canonicalInitial: [UInt8] = []
    var characterSets: [UInt64] = []

    public init() {}

    /// The id of a string, adding it when new.
    mutating func intern(_ s: String) -> Int32 {
        if let id = ids[s] { return id }
        let id = Int32(offsets.count - 1)
        ids[s] = id
        bytes.append(contentsOf: s.utf8)
        offsets.append(Int32(bytes.count))
        phonetic.append(-1)
        nicknameStart.append(0)
        nicknameCount.append(0)
        canonicalInitial.append(0)
        var set: UInt64 = 0
        for c in s.utf8 {
            if c >= 65 && c <= 90 {
                set |= 1 << UInt64(c - 65)
            } else if c >= 48 && c <= 57 {
                set |= 1 << UInt64(26 + c - 48)
            } else {
                set |= 1 << 36
            }
        }
        characterSets.append(set)
        return id
    }

    /// The id of a name, computing its phonetic code and nickname lines the first time.
    mutating func internName(_ s: String) -> Int32 {
        let id = intern(s)
        if phonetic[Int(id)] < 0 {
            let code = Phonetic.nysiis(s)
            let pid: Int32
            if let p = phoneticIds[code] {
                pid = p
            } else {
                pid = Int32(phoneticIds.count)
                phoneticIds[code] = pid
            }
            phonetic[Int(id)] = pid
            canonicalInitial[Int(id)] = s.utf8.first ?? 0
            if let groups = Nicknames.groups[s] {
                canonicalInitial[Int(id)] = Nicknames.canonicalInitials[Int(groups[0])]
                nicknameStart[Int(id)] = Int32(nicknameGroups.count)
                nicknameCount[Int(id)] = UInt8(min(groups.count, 255))
                nicknameGroups.append(contentsOf: groups.prefix(255))
            }
        }
        return id
    }

    /// The frozen lexicon.
    public func freeze() -> Lexicon { Lexicon(builder: self) }
}
