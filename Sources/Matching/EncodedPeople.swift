import Dispatch
import LastMileCore

/// A column-wise, integer-coded copy of a list of people: what blocking and comparison read.
///
/// Strings are `Lexicon` ids (-1 when missing), dates are packed `YYYYMMDD` (0 when missing), phone and SSN are
/// integers (-1 when missing). About 80 bytes a person.
public final class EncodedPeople: Sendable {
    public let count: Int
    let given: [Int32]
    let family: [Int32]
    let familyPart1: [Int32]
    let familyPart2: [Int32]
    /// Birth date as YYYYMMDD; 0 when missing.
    let birth: [Int32]
    /// Birth date as days since 1970-01-01; valid where `birth` is not 0.
    let birthDay: [Int32]
    /// 0 missing, 1 F, 2 M, 3 X.
    let sex: [UInt8]
    /// 0 none, 1 JR, 2 SR, 3 II, 4 III, 5 IV, 6 V.
    let suffix: [UInt8]
    let street: [Int32]
    let unit: [Int32]
    let city: [Int32]
    /// Postal code digits as a number plus 10^6 × digit count; -1 missing.
    let postal: [Int32]
    let phone: [Int64]
    /// SSN or other numeric id as a number plus 10^10 × digit count; -1 missing.
    let ssn: [Int64]
    /// Last four SSN digits; -1 missing.
    let ssnLast4: [Int16]

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
        var given = [Int32](), family = [Int32](), part1 = [Int32](), part2 = [Int32]()
        var birth = [Int32](), birthDay = [Int32](), sex = [UInt8](), suffix = [UInt8]()
        var street = [Int32](), unit = [Int32](), city = [Int32](), postal = [Int32]()
        var phone = [Int64](), ssn = [Int64](), last4 = [Int16]()
        given.reserveCapacity(count); family.reserveCapacity(count); birth.reserveCapacity(count)
        // Normalise a slab on all cores, then intern it on this thread, so memory holds one slab of strings.
        let slab = 1 << 16
        var start = 0
        while start < count {
            let end = min(count, start + slab)
            let base = start
            let normalized = Parallel.map(count: end - start, chunkSize: 2048) { r in
                normalize((base + r.lowerBound)..<(base + r.upperBound))
            }
            for p in normalized {
                func name(_ s: String?) -> Int32 { s.map { lexicon.internName($0) } ?? -1 }
                given.append(name(p.givenName))
                family.append(name(p.familyName))
                part1.append(p.familyNameParts.count > 0 ? lexicon.internName(p.familyNameParts[0]) : -1)
                part2.append(p.familyNameParts.count > 1 ? lexicon.internName(p.familyNameParts[p.familyNameParts.count - 1]) : -1)
                if let d = p.birthDate {
                    birth.append(Int32(d.year * 10_000 + d.month * 100 + d.day))
                    birthDay.append(Int32(d.dayNumber))
                } else {
                    birth.append(0)
                    birthDay.append(0)
                }
                sex.append(p.sex == .female ? 1 : p.sex == .male ? 2 : p.sex == .other ? 3 : 0)
                suffix.append(Self.suffixCodes[p.suffix ?? ""] ?? 0)
                street.append(p.street.map { lexicon.intern($0) } ?? -1)
                unit.append(p.unit.map { lexicon.intern($0) } ?? -1)
                city.append(p.city.map { lexicon.intern($0) } ?? -1)
                postal.append(p.postalCode.map { Int32($0.utf8.count) * 1_000_000 + Int32($0)! } ?? -1)
                phone.append(p.phone.map { Int64($0)! } ?? -1)
                ssn.append(p.ssn.map { Int64($0.utf8.count) * 10_000_000_000 + Int64($0)! } ?? -1)
                last4.append(p.ssnLast4.map { Int16($0)! } ?? -1)
            }
            start = end
        }
        self.given = given
        self.family = family
        self.familyPart1 = part1
        self.familyPart2 = part2
        self.birth = birth
        self.birthDay = birthDay
        self.sex = sex
        self.suffix = suffix
        self.street = street
        self.unit = unit
        self.city = city
        self.postal = postal
        self.phone = phone
        self.ssn = ssn
        self.ssnLast4 = last4
    }

    static let suffixCodes: [String: UInt8] = ["JR": 1, "SR": 2, "II": 3, "III": 4, "IV": 5, "V": 6]

    @inline(__always) func birthYear(_ i: Int) -> Int32 { birth[i] / 10_000 }
}
