import LastMileCore

/// A demographic field the model compares, with its comparison levels (strongest agreement first, `else` last).
public enum MatchField: String, CaseIterable, Codable, Sendable {
    case givenName = "given_name"
    case familyName = "family_name"
    case birthDate = "birth_date"
    case sex
    case ssn
    case street
    case city
    case postalCode = "postal_code"
    case phone

    /// Human labels of the levels, in order. A missing value on either side is "null" and weighs nothing.
    public var levelLabels: [String] {
        switch self {
        case .givenName:
            [
                "exact", "nickname", "Jaro-Winkler >= 0.92 or one edit", "Jaro-Winkler >= 0.80 or same NYSIIS",
                "initial or prefix", "else",
            ]
        case .familyName:
            ["exact", "compound part", "Jaro-Winkler >= 0.92", "Jaro-Winkler >= 0.80 or same NYSIIS", "else"]
        case .birthDate: ["exact", "day/month swapped", "one component off", "within a year", "else"]
        case .sex: ["exact", "else"]
        case .ssn: ["exact", "one edit", "last four only, equal", "else"]
        case .street: ["exact", "Damerau-Levenshtein <= 3", "same house number and street name", "else"]
        case .city: ["exact", "Jaro-Winkler >= 0.90", "else"]
        case .postalCode: ["exact", "one edit", "first three digits", "else"]
        case .phone: ["exact", "one edit", "else"]
        }
    }

    /// Address and phone: shared by a household, so weak evidence of identity on their own.
    public var isHouseholdField: Bool { self == .street || self == .city || self == .postalCode || self == .phone }

    var ordinal: Int { MatchField.ordinals[self]! }
    static let ordinals = Dictionary(uniqueKeysWithValues: MatchField.allCases.enumerated().map { ($1, $0) })
    var elseLevel: Int { levelLabels.count - 1 }
}

/// The level of every field for one pair, four bits each (15 = null), plus flags.
struct LevelVector: Hashable, Sendable {
    var raw: UInt64

    static let null: UInt64 = 15
    static let allNull = LevelVector(raw: (1 << (4 * UInt64(MatchField.allCases.count))) - 1)
    /// Given and family names agree only when crossed.
    static let swappedBit: UInt64 = 1 << 60
    /// The pair shares a street address (with unit) or a phone: a household, if not one person.
    static let householdBit: UInt64 = 1 << 61

    @inline(__always) func level(_ f: Int) -> Int { Int((raw >> (4 * UInt64(f))) & 15) }
    @inline(__always) mutating func set(_ f: Int, _ level: Int) {
        raw = (raw & ~(15 << (4 * UInt64(f)))) | (UInt64(level) << (4 * UInt64(f)))
    }
    var isSwapped: Bool { raw & Self.swappedBit != 0 }
    var isHousehold: Bool { raw & Self.householdBit != 0 }
    /// The vector without flags, for histogram keys.
    var levelsOnly: UInt64 { raw & ((1 << 60) - 1) }
}

/// Computes comparison levels between a record of `left` and one of `right` (both encoded with `lexicon`).
struct PairComparer: Sendable {
    let lexicon: Lexicon
    let left: EncodedPeople
    let right: EncodedPeople

    static let given = MatchField.givenName.ordinal
    static let family = MatchField.familyName.ordinal
    static let birth = MatchField.birthDate.ordinal
    static let sexF = MatchField.sex.ordinal
    static let ssnF = MatchField.ssn.ordinal
    static let streetF = MatchField.street.ordinal
    static let cityF = MatchField.city.ordinal
    static let postalF = MatchField.postalCode.ordinal
    static let phoneF = MatchField.phone.ordinal

    func levels(_ i: Int, _ j: Int) -> LevelVector {
        var v = LevelVector.allNull
        let a = left.records[i]
        let b = right.records[j]
        var g = givenLevel(a.given, b.given)
        var f = familyLevel(a.family, a.familyPart1, a.familyPart2, b.family, b.familyPart1, b.familyPart2)
        // Given and family names written in each other's place: compare them crossed, and keep the crossed
        // levels when both are close (exact or Jaro–Winkler >= 0.92).
        if g >= 3 && g != 15 && f >= 2 && f != 15, b.given >= 0, b.family >= 0 {
            let cg = givenLevel(a.given, b.family)
            if cg <= 3 {
                let cf = givenLevel(a.family, b.given)
                // Both close, or one exact and the other at least similar.
                if (cg <= 2 && cf <= 2) || (min(cg, cf) == 0 && max(cg, cf) <= 4) {
                    g = cg
                    f = cf == 0 ? 0 : cf <= 2 ? 2 : cf <= 4 ? 3 : 4
                    v.raw |= LevelVector.swappedBit
                }
            }
        }
        v.set(Self.given, g)
        v.set(Self.family, f)
        v.set(Self.birth, birthLevel(a.birth, a.birthDay, b.birth, b.birthDay))
        if a.sex != 0 && b.sex != 0 { v.set(Self.sexF, a.sex == b.sex ? 0 : 1) }
        v.set(Self.ssnF, ssnLevel(a.ssn, a.ssnLast4, b.ssn, b.ssnLast4))
        let streetLevel = streetLevel(a.street, b.street)
        v.set(Self.streetF, streetLevel)
        if a.city >= 0 && b.city >= 0 {
            v.set(Self.cityF, a.city == b.city ? 0 : lexicon.jaroWinkler(a.city, b.city) >= 0.90 ? 1 : 2)
        }
        v.set(Self.postalF, postalLevel(a.postal, b.postal))
        let phoneLevel = digitsLevel(a.phone, b.phone)
        v.set(Self.phoneF, phoneLevel)
        if (streetLevel == 0 && a.unit == b.unit) || phoneLevel == 0 { v.raw |= LevelVector.householdBit }
        return v
    }

    @inline(__always)
    func givenLevel(_ a: Int32, _ b: Int32) -> Int {
        if a < 0 || b < 0 { return 15 }
        if a == b { return 0 }
        if lexicon.areNicknames(a, b) { return 1 }
        let la = lexicon.length(a)
        let lb = lexicon.length(b)
        // A truncated entry (`J`, `JE` for `JENNIFER`): a prefix of at most three letters.
        if min(la, lb) <= 3 && lexicon.isPrefix(la <= lb ? a : b, of: la <= lb ? b : a) { return 4 }
        if min(la, lb) == 1 { return 5 }
        let jw = lexicon.jaroWinkler(a, b)
        if jw >= 0.92 { return 2 }
        if abs(la - lb) <= 1 && lexicon.damerauLevenshtein(a, b, limit: 1) <= 1 { return 2 }
        if jw >= 0.80 || lexicon.phonetic[Int(a)] == lexicon.phonetic[Int(b)] { return 3 }
        return 5
    }

    @inline(__always)
    func familyLevel(_ a: Int32, _ a1: Int32, _ a2: Int32, _ b: Int32, _ b1: Int32, _ b2: Int32) -> Int {
        if a < 0 || b < 0 { return 15 }
        if a == b { return 0 }
        if a1 >= 0 || b1 >= 0 {
            if a == b1 || a == b2 { return 1 }
            if a1 >= 0 && (a1 == b || a1 == b1 || a1 == b2) { return 1 }
            if a2 >= 0 && (a2 == b || a2 == b1 || a2 == b2) { return 1 }
        }
        let jw = lexicon.jaroWinkler(a, b)
        if jw >= 0.92 { return 2 }
        if jw >= 0.80 || lexicon.phonetic[Int(a)] == lexicon.phonetic[Int(b)] { return 3 }
        return 4
    }

    @inline(__always)
    func birthLevel(_ a: Int32, _ aDay: Int32, _ b: Int32, _ bDay: Int32) -> Int {
        if a == 0 || b == 0 { return 15 }
        if a == b { return 0 }
        let (ya, ma, da) = (a / 10_000, a / 100 % 100, a % 100)
        let (yb, mb, db) = (b / 10_000, b / 100 % 100, b % 100)
        if ya == yb && ma == db && da == mb { return 1 }
        let same = (ya == yb ? 1 : 0) + (ma == mb ? 1 : 0) + (da == db ? 1 : 0)
        if same == 2 { return 2 }
        if abs(aDay - bDay) <= 365 { return 3 }
        return 4
    }

    @inline(__always)
    func ssnLevel(_ a: Int64, _ a4: Int16, _ b: Int64, _ b4: Int16) -> Int {
        if a >= 0 && b >= 0 {
            if a == b { return 0 }
            if a / 10_000_000_000 == b / 10_000_000_000 && digitsDifferByOneEdit(a % 10_000_000_000, b % 10_000_000_000)
            {
                return 1
            }
            return 3
        }
        if a4 >= 0 && b4 >= 0 { return a4 == b4 ? 2 : 3 }
        return 15
    }

    @inline(__always)
    func streetLevel(_ a: Int32, _ b: Int32) -> Int {
        if a < 0 || b < 0 { return 15 }
        if a == b { return 0 }
        if abs(lexicon.length(a) - lexicon.length(b)) <= 3
            && (lexicon.characterSets[Int(a)] ^ lexicon.characterSets[Int(b)]).nonzeroBitCount <= 6
            && lexicon.damerauLevenshtein(a, b, limit: 3) <= 3
        {
            return 1
        }
        return lexicon.firstTwoTokensEqual(a, b) ? 2 : 3
    }

    @inline(__always)
    func postalLevel(_ a: Int32, _ b: Int32) -> Int {
        if a < 0 || b < 0 { return 15 }
        if a == b { return 0 }
        let la = a / 1_000_000
        if la != b / 1_000_000 || la < 3 { return 3 }
        if digitsDifferByOneEdit(Int64(a % 1_000_000), Int64(b % 1_000_000)) { return 1 }
        var scale: Int32 = 1
        for _ in 0..<(la - 3) { scale *= 10 }
        return (a % 1_000_000) / scale == (b % 1_000_000) / scale ? 2 : 3
    }

    @inline(__always)
    func digitsLevel(_ a: Int64, _ b: Int64) -> Int {
        if a < 0 || b < 0 { return 15 }
        if a == b { return 0 }
        return digitsDifferByOneEdit(a, b) ? 1 : 2
    }

    /// True when two equally long digit strings differ in one digit or by one adjacent transposition.
    @inline(__always)
    func digitsDifferByOneEdit(_ a: Int64, _ b: Int64) -> Bool {
        var x = a
        var y = b
        var diffs = 0
        var firstPos = -1
        var pos = 0
        var a0: Int64 = 0
        var a1: Int64 = 0
        var b0: Int64 = 0
        var b1: Int64 = 0
        while x > 0 || y > 0 {
            let p = x % 10
            let q = y % 10
            if p != q {
                diffs += 1
                if diffs > 2 { return false }
                if diffs == 1 {
                    firstPos = pos
                    a0 = p
                    b0 = q
                } else {
                    if pos != firstPos + 1 { return false }
                    a1 = p
                    b1 = q
                }
            }
            x /= 10
            y /= 10
            pos += 1
        }
        if diffs == 1 { return true }
        return a0 == b1 && a1 == b0
    }
}
