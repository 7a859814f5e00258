import Dispatch

/// A rule that makes candidate pairs: records with equal keys are compared.
public enum BlockingRule: String, CaseIterable, Codable, Sendable {
    /// The same given and family names, in either order (catches swapped names).
    case names = "given+family names"
    /// Birth date alone, used only where few records share it (a small MPI); larger blocks are left to the
    /// narrower rule below. Training runs EM on this block.
    case birthDate = "birth date"
    /// Birth date and the canonical initial of the given name.
    case birthDateGivenInitial = "birth date+given canonical initial"
    /// Family name and birth date: never capped, so a pair sharing both is always compared.
    case familyBirthDate = "family name+birth date"
    /// Nicknames share the initial of their canonical name (BILL and WILLIAM: W).
    case familyPhoneticBirthYearInitial = "family NYSIIS+birth year+given canonical initial"
    /// Catches a changed family name with a wrong birth day.
    case givenPhoneticBirthYearMonth = "given NYSIIS+birth year and month"
    case ssn = "SSN"
    case ssnLast4GivenInitial = "SSN last four+given initial"
    case phone = "phone"
    /// House number and the first three letters of the street name, across postal codes and spellings of the rest.
    case streetNumberAndName = "house number+street prefix"
    /// The given name and the family name's NYSIIS: a typo'd family name still meets its patient when no rule
    /// on the birth date can (a birth date missing on either side).
    case givenFamilyPhonetic = "given name+family NYSIIS"
    /// The family name and the given name's NYSIIS: the same for a typo'd given name.
    case familyGivenPhonetic = "family name+given NYSIIS"

    /// Rules whose oversized blocks may be skipped; the others always run, so no pair sharing an exact
    /// birth date and family name (same NYSIIS and year) is ever dropped.
    var mayBeCapped: Bool { self != .familyBirthDate }

    /// The rules `lastmile link` uses.
    public static let forLinking: [BlockingRule] = allCases

    /// The largest block this rule uses: common full names and given-name keys are left to the date rules.
    func cap(_ maxBlockSize: Int) -> Int {
        switch self {
        case .names, .givenFamilyPhonetic, .familyGivenPhonetic: min(maxBlockSize, 300)
        case .givenPhoneticBirthYearMonth: min(maxBlockSize, 200)
        case .birthDate: min(maxBlockSize, 25)
        default: maxBlockSize
        }
    }

    /// The blocking key of record `i`, or nil when a field it needs is missing.
    func key(_ p: EncodedPeople, _ i: Int, _ lex: Lexicon) -> UInt64? {
        switch self {
        case .names:
            let g = p.records[i].given
            let f = p.records[i].family
            guard g >= 0, f >= 0 else { return nil }
            return UInt64(UInt32(min(g, f))) << 32 | UInt64(UInt32(max(g, f)))
        case .birthDate:
            return p.records[i].birth == 0 ? nil : UInt64(p.records[i].birth)
        case .birthDateGivenInitial:
            let g = p.records[i].given
            guard g >= 0, p.records[i].birth != 0 else { return nil }
            return UInt64(UInt32(p.records[i].birth)) << 8 | UInt64(lex.canonicalInitial[Int(g)])
        case .familyBirthDate:
            let f = p.records[i].family
            guard f >= 0, p.records[i].birth != 0 else { return nil }
            return UInt64(UInt32(f)) << 32 | UInt64(UInt32(p.records[i].birth))
        case .familyPhoneticBirthYearInitial:
            let f = p.records[i].family
            let g = p.records[i].given
            guard f >= 0, g >= 0, p.records[i].birth != 0 else { return nil }
            return UInt64(UInt32(lex.phonetic[Int(f)])) << 24 | UInt64(p.birthYear(i)) << 8
                | UInt64(lex.canonicalInitial[Int(g)])
        case .givenPhoneticBirthYearMonth:
            let g = p.records[i].given
            guard g >= 0, p.records[i].birth != 0 else { return nil }
            return UInt64(UInt32(lex.phonetic[Int(g)])) << 24 | UInt64(p.records[i].birth / 100)
        case .givenFamilyPhonetic:
            let g = p.records[i].given
            let f = p.records[i].family
            guard g >= 0, f >= 0 else { return nil }
            return UInt64(UInt32(g)) << 32 | UInt64(UInt32(lex.phonetic[Int(f)]))
        case .familyGivenPhonetic:
            let g = p.records[i].given
            let f = p.records[i].family
            guard g >= 0, f >= 0 else { return nil }
            return UInt64(UInt32(f)) << 32 | UInt64(UInt32(lex.phonetic[Int(g)]))
        case .ssn:
            return p.records[i].ssn < 0 ? nil : UInt64(p.records[i].ssn)
        case .ssnLast4GivenInitial:
            let g = p.records[i].given
            guard g >= 0, p.records[i].ssnLast4 >= 0 else { return nil }
            return UInt64(p.records[i].ssnLast4) << 8 | UInt64(lex.firstByte(g))
        case .phone:
            return p.records[i].phone < 0 ? nil : UInt64(p.records[i].phone)
        case .streetNumberAndName:
            let s = p.records[i].street
            guard s >= 0 else { return nil }
            return lex.withBytes(s) { b -> UInt64? in
                // Digits of the house number, a separator, then up to three letters of the next token.
                var key: UInt64 = 0
                var k = 0
                while k < b.count && b[k] >= 48 && b[k] <= 57 && k < 7 {
                    key = key << 8 | UInt64(b[k])
                    k += 1
                }
                guard k > 0, k < b.count, b[k] == 32 else { return nil }
                key = key << 8 | 32
                k += 1
                var letters = 0
                while k < b.count && letters < 3 && b[k] != 32 {
                    key = key << 8 | UInt64(b[k])
                    k += 1
                    letters += 1
                }
                return letters == 3 ? key : nil
            }
        }
    }
}

/// Sorted keys of the MPI for each blocking rule: candidate lookup is a binary search.
public final class BlockingIndex: Sendable {
    public let rules: [BlockingRule]
    /// Blocks larger than this (or the rule's own smaller cap) are skipped for rules that may be capped.
    public let maxBlockSize: Int
    let keys: [[UInt64]]
    let members: [[Int32]]

    public init(
        mpi: EncodedPeople, lexicon: Lexicon, rules: [BlockingRule] = BlockingRule.forLinking, maxBlockSize: Int = 5000
    ) {
        self.rules = rules
        self.maxBlockSize = maxBlockSize
        let built = Parallel.map(count: rules.count, chunkSize: 1) { r -> [KeyColumn] in
            let rule = rules[r.lowerBound]
            var keys: [UInt64] = []
            var members: [Int32] = []
            keys.reserveCapacity(mpi.count)
            members.reserveCapacity(mpi.count)
            for i in 0..<mpi.count {
                if let k = rule.key(mpi, i, lexicon) {
                    keys.append(k)
                    members.append(Int32(i))
                }
            }
            return [KeyColumn.sortedByKey(keys: keys, members: members)]
        }
        keys = built.map { $0.keys }
        members = built.map { $0.members }
    }

    /// An index from its sorted key columns (e.g. read back from a kept MPI index).
    init(rules: [BlockingRule], maxBlockSize: Int, keys: [[UInt64]], members: [[Int32]]) {
        self.rules = rules
        self.maxBlockSize = maxBlockSize
        self.keys = keys
        self.members = members
    }

    /// The MPI positions sharing `key` under rule number `r` (empty when none).
    @inline(__always)
    func block(_ r: Int, _ key: UInt64) -> Range<Int> {
        let k = keys[r]
        var lo = 0
        var hi = k.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if k[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        if lo == k.count || k[lo] != key { return lo..<lo }
        var end = lo + 1
        hi = k.count
        while end < hi {
            let mid = (end + hi) >> 1
            if k[mid] <= key { end = mid + 1 } else { hi = mid }
        }
        return lo..<end
    }
}

struct KeyColumn: Sendable {
    var keys: [UInt64]
    var members: [Int32]
}

extension KeyColumn {
    /// The entries in key order, those of equal keys in the order given: with members given in increasing
    /// order, the order of the (key, member) pairs. A stable radix sort, a byte of the key a pass, skipping the
    /// bytes every key shares (a comparison sort of the pairs was most of a first night's index build).
    static func sortedByKey(keys: [UInt64], members: [Int32]) -> KeyColumn {
        let n = keys.count
        var keys = keys
        var members = members
        var keysOut = [UInt64](repeating: 0, count: n)
        var membersOut = [Int32](repeating: 0, count: n)
        for shift in stride(from: UInt64(0), to: 64, by: 8) {
            var starts = [Int](repeating: 0, count: 256)
            for k in keys { starts[Int(truncatingIfNeeded: k >> shift) & 0xFF] += 1 }
            guard !starts.contains(n) else { continue }
            var offset = 0
            for b in 0..<256 {
                let count = starts[b]
                starts[b] = offset
                offset += count
            }
            keys.withUnsafeBufferPointer { keysIn in
                members.withUnsafeBufferPointer { membersIn in
                    keysOut.withUnsafeMutableBufferPointer { keysTo in
                        membersOut.withUnsafeMutableBufferPointer { membersTo in
                            for i in 0..<n {
                                let b = Int(truncatingIfNeeded: keysIn[i] >> shift) & 0xFF
                                keysTo[starts[b]] = keysIn[i]
                                membersTo[starts[b]] = membersIn[i]
                                starts[b] += 1
                            }
                        }
                    }
                }
            }
            swap(&keys, &keysOut)
            swap(&members, &membersOut)
        }
        return KeyColumn(keys: keys, members: members)
    }
}

/// Candidate pairs and how each rule contributed.
public struct BlockingReport: Sendable, Equatable {
    /// Candidate pairs after the union (each pair counted once).
    public var candidatePairs: Int
    /// Pairs each rule produced on its own (a pair found by two rules counts for both).
    public var pairsByRule: [BlockingRule: Int]
    /// Lookups skipped because their block exceeded `maxBlockSize`.
    public var skippedBlocks: Int
    /// Estimated share of true matches that some rule brings together: for each rule, the share of confident
    /// links found by the other rules that it also finds; the union misses a match only when every rule does
    /// (independence assumed). Nil before linking.
    public var estimatedRecall: Double?
    public var recallByRule: [BlockingRule: Double]
}
