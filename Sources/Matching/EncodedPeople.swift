import Dispatch
import LastMileCore

/// A column-wise, integer-coded copy of a list of people: what blocking and comparison read.
///
/// Strings are `Lexicon` ids (-1 when missing), dates are packed `YYYYMMDD` (0 when missing), phone and SSN are
/// integers (-1 when missing). About 80 bytes a person.
public final class EncodedPeople: Sendable {
    public let count: Int
    /// One 64-byte record per person: a pair comparison touches one cache line on each side.
    let records: [PersonCode]

    /// Normalises `people` on all cores and interns their strings into `lexicon`.
    public convenience init(_ people: [PersonIdentity], lexicon: inout LexiconBuilder) {
        self.init(count: people.count, lexicon: &lexicon) { range in range.map { Normalizer.normalize(people[$0]) } }
    }

    /// Encodes already normalised people.
    public convenience init(normalized: [NormalizedPerson], lexicon: inout LexiconBuilder) {
        self.init(count: normalized.count, lexicon: &lexicon) { range in Array(normalized[range]) }
    }

    init(count: Int, lexicon: inout LexiconBuilder, normalize: @Sendable (Range<Int>) -> [NormalizedPerson]) {
        self.count = count
        var records: [PersonCode] = []
        records.reserveCapacity(count)
        // Normalise a slab on all cores, then intern it on this thread, so memory holds one slab of strings.
        let slab = 1 << 16
        var start = 0
        while start < count {
            let end = min(count, start + slab)
            let base = start
            let normalized = Parallel.map(count: end - start, chunkSize: 2048) { r in
                normalize((base + r.lowerBound)..<(base + r.upperBound))
            }
            for p in normalized { records.append(Self.encode(p, lexicon: &lexicon)) }
            start = end
        }
        self.records = records
    }

    /// People already encoded (e.g. read back from a kept MPI index).
    init(records: [PersonCode]) {
        self.count = records.count
        self.records = records
    }

    /// One normalised person as integers, its strings interned into `lexicon`.
    static func encode(_ p: NormalizedPerson, lexicon: inout LexiconBuilder) -> PersonCode {
        func name(_ s: String?) -> Int32 { s.map { lexicon.internName($0) } ?? -1 }
        var r = PersonCode()
        r.given = name(p.givenName)
        r.family = name(p.familyName)
        r.familyPart1 = p.familyNameParts.count > 0 ? lexicon.internName(p.familyNameParts[0]) : -1
        r.familyPart2 =
            p.familyNameParts.count > 1
            ? lexicon.internName(p.familyNameParts[p.familyNameParts.count - 1]) : -1
        if let d = p.birthDate {
            r.birth = Int32(d.year * 10_000 + d.month * 100 + d.day)
            r.birthDay = Int32(d.dayNumber)
        }
        r.sex = p.sex == .female ? 1 : p.sex == .male ? 2 : p.sex == .other ? 3 : 0
        r.suffix = Self.suffixCodes[p.suffix ?? ""] ?? 0
        r.street = p.street.map { lexicon.intern($0) } ?? -1
        r.unit = p.unit.map { lexicon.intern($0) } ?? -1
        r.city = p.city.map { lexicon.intern($0) } ?? -1
        r.postal = p.postalCode.map { Int32($0.utf8.count) * 1_000_000 + Int32($0)! } ?? -1
        r.phone = p.phone.map { Int64($0)! } ?? -1
        r.ssn = p.ssn.map { Int64($0.utf8.count) * 10_000_000_000 + Int64($0)! } ?? -1
        r.ssnLast4 = p.ssnLast4.map { Int16($0)! } ?? -1
        return r
    }

    static let suffixCodes: [String: UInt8] = ["JR": 1, "SR": 2, "II": 3, "III": 4, "IV": 5, "V": 6]

    @inline(__always) func birthYear(_ i: Int) -> Int32 { records[i].birth / 10_000 }
}

/// One person as integers. Strings are `Lexicon` ids (-1 when missing), the birth date is YYYYMMDD and a day
/// number (0 when missing), postal code is its digits plus 10^6 × digit count, SSN its digits plus 10^10 ×
/// digit count (-1 when missing).
struct PersonCode: Sendable, Hashable {
    var given: Int32 = -1
    var family: Int32 = -1
    var familyPart1: Int32 = -1
    var familyPart2: Int32 = -1
    var birth: Int32 = 0
    var birthDay: Int32 = 0
    var street: Int32 = -1
    var unit: Int32 = -1
    var city: Int32 = -1
    var postal: Int32 = -1
    var phone: Int64 = -1
    var ssn: Int64 = -1
    var ssnLast4: Int16 = -1
    /// 0 missing, 1 F, 2 M, 3 X.
    var sex: UInt8 = 0
    /// 0 none, 1 JR, 2 SR, 3 II, 4 III, 5 IV, 6 V.
    var suffix: UInt8 = 0
    /// Always 0: fills the record to its stride, so the kept index file holds no uninitialised padding bytes
    /// (the same index is written as the same bytes).
    var reserved: UInt32 = 0
}
