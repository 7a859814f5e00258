import LastMileCore

/// A postal address as a household knows it.
public struct SyntheticAddress: Sendable, Hashable {
    public var street: String
    public var city: String
    public var state: String
    public var postalCode: String
}

/// How a person belongs to their household.
public enum HouseholdRole: String, Sendable, Hashable {
    case adult, child
}

/// One synthetic person: the truth behind every record a source or the MPI holds about them.
public struct SyntheticPerson: Sendable, Hashable {
    /// Unique within a world, in creation order.
    public var key: Int
    public var householdKey: Int
    public var givenName: String
    public var middleName: String?
    public var familyName: String
    /// `Jr` for a son named after his father (the father may carry `Sr`).
    public var suffix: String?
    public var birthDate: CivilDate
    public var sex: Sex
    /// Nine digits; nil when the person has none on record anywhere.
    public var ssn: String?
    /// The person's own phone (ten digits) when not only the household's.
    public var ownPhone: String?
    public var role: HouseholdRole
    /// The key of this person's twin, if any.
    public var twinOf: Int?
    /// The key of the father this person is named after (a junior), if any.
    public var juniorOf: Int?
}

/// People who live together: they share an address, usually a phone, and often a family name.
public struct SyntheticHousehold: Sendable {
    public var key: Int
    public var members: [SyntheticPerson]
    /// Where the household lived when the MPI last saw it.
    public var address: SyntheticAddress
    /// Where it lives now; nil when it has not moved. Sources see this one.
    public var movedTo: SyntheticAddress?
    public var phone: String?
    /// The household's new phone after a move, when it changed.
    public var newPhone: String?
    /// Which district the household lives in (index into the region's districts).
    public var district: Int

    public var currentAddress: SyntheticAddress { movedTo ?? address }
    public var currentPhone: String? { newPhone ?? phone }
}

/// The made-up region the synthetic people live in: districts of towns with postal codes and area codes.
public struct SyntheticRegion: Sendable {
    public struct Town: Sendable {
        public var name: String
        public var postalCodes: [String]
        public var district: Int
    }
    public var state: String
    public var areaCodes: [String]
    public var towns: [Town]

    /// Two school districts (0: Riverside, 1: Lakeside) and the county around them.
    public static let standard = SyntheticRegion(
        state: "OR",
        areaCodes: ["541", "458", "503", "971"],
        towns: [
            Town(name: "Riverside", postalCodes: ["97401", "97402", "97403", "97404", "97405"], district: 0),
            Town(name: "Millbrook", postalCodes: ["97411", "97412"], district: 0),
            Town(name: "Cedar Falls", postalCodes: ["97416", "97417"], district: 0),
            Town(name: "Oakdale", postalCodes: ["97420"], district: 0),
            Town(name: "Lakeside", postalCodes: ["97431", "97432", "97433", "97434"], district: 1),
            Town(name: "Harbor View", postalCodes: ["97438", "97439"], district: 1),
            Town(name: "Pine Hollow", postalCodes: ["97442"], district: 1),
            Town(name: "Fairmont", postalCodes: ["97446", "97447"], district: 1),
            Town(name: "Westbrook", postalCodes: ["97451", "97452", "97453"], district: 2),
            Town(name: "Stonebridge", postalCodes: ["97457", "97458"], district: 2),
            Town(name: "Maple Grove", postalCodes: ["97461", "97462", "97463"], district: 2),
            Town(name: "Brookfield", postalCodes: ["97467", "97468", "97469"], district: 2),
        ])
}

/// Generates households one at a time from a seeded stream, so worlds of any size stream in flat memory.
///
/// Households are singles, couples, families with children (some twins, some juniors named after their
/// father) and three-generation homes; names follow the embedded frequency lists, so common names repeat.
public struct PopulationGenerator: Sendable {
    public let region: SyntheticRegion
    public let asOf: CivilDate
    private var rng: SplitMix64
    private var nextPersonKey = 0
    private var nextHouseholdKey = 0
    /// Restricts new households to one district when set (the sample world places schools by district).
    public var onlyDistricts: [Int]?
    /// Makes families with school-age children more likely (the sample world wants students).
    public var familyBias: Double = 0
    /// Families still owed a pair of twins / a junior: small worlds get at least these hard cases.
    public var guaranteedTwins = 0
    public var guaranteedJuniors = 0

    private static let familyTable = WeightedTable(NameLists.commonFamily)
    private static let femaleAdultTable = WeightedTable(NameLists.femaleAdult)
    private static let maleAdultTable = WeightedTable(NameLists.maleAdult)
    private static let femaleChildTable = WeightedTable(NameLists.femaleChild)
    private static let maleChildTable = WeightedTable(NameLists.maleChild)

    public init(seed: UInt64, asOf: CivilDate, region: SyntheticRegion = .standard) {
        self.rng = SplitMix64(seed: seed)
        self.asOf = asOf
        self.region = region
    }

    /// The next household, with every member.
    public mutating func nextHousehold() -> SyntheticHousehold {
        let key = nextHouseholdKey
        nextHouseholdKey += 1
        // Owed hard cases go to the two school districts, where the school sources will see them.
        let townIndex = guaranteedTwins + guaranteedJuniors > 0 ? pickTown(among: [0, 1]) : pickTown()
        let town = region.towns[townIndex]
        let address = makeAddress(in: town)
        let family = familyName()
        var members: [SyntheticPerson] = []

        let roll = guaranteedTwins + guaranteedJuniors > 0 ? 1 : rng.unit() - familyBias
        if roll < 0.26 {
            members.append(adult(household: key, family: family, ageRange: 19...88, sex: nil))
        } else if roll < 0.40 {
            let first = adult(household: key, family: family, ageRange: 22...80, sex: nil)
            members.append(first)
            members.append(partner(of: first, household: key))
        } else {
            // Families with children: two parents (most), one parent, or three generations.
            let kind = rng.unit()
            let owed = guaranteedTwins + guaranteedJuniors > 0
            let first = adult(
                household: key, family: family, ageRange: 28...46,
                sex: owed ? .male : (kind < 0.2 ? .female : nil))
            members.append(first)
            if kind >= 0.2 || owed { members.append(partner(of: first, household: key)) }
            if kind > 0.93 && !owed {
                let elder = adult(
                    household: key, family: first.familyName,
                    ageRange: (first.birthDate.age(on: asOf) + 20)...(first.birthDate.age(on: asOf) + 34),
                    sex: nil)
                members.append(elder)
            }
            addChildren(to: &members, household: key)
        }
        let phone: String? = rng.chance(0.9) ? makePhone() : nil
        var household = SyntheticHousehold(
            key: key, members: members, address: address, movedTo: nil, phone: phone, newPhone: nil,
            district: town.district)
        if rng.chance(0.14) {
            let newTown = rng.chance(0.6) ? town : region.towns[pickTown()]
            household.movedTo = makeAddress(in: newTown)
            if rng.chance(0.5) { household.newPhone = makePhone() }
        }
        return household
    }

    // MARK: - People

    private mutating func newKey() -> Int {
        defer { nextPersonKey += 1 }
        return nextPersonKey
    }

    private mutating func adult(household: Int, family: String, ageRange: ClosedRange<Int>, sex: Sex?)
        -> SyntheticPerson
    {
        let sex = sex ?? (rng.chance(0.5) ? .female : .male)
        let age = rng.int(in: ageRange.lowerBound...max(ageRange.lowerBound, ageRange.upperBound))
        return SyntheticPerson(
            key: newKey(), householdKey: household, givenName: givenName(sex: sex, adult: true),
            middleName: middleName(sex: sex), familyName: family, suffix: nil,
            birthDate: birthDate(age: age), sex: sex, ssn: rng.chance(0.93) ? makeSSN() : nil,
            ownPhone: rng.chance(0.35) ? makePhone() : nil, role: .adult, twinOf: nil, juniorOf: nil)
    }

    private mutating func partner(of first: SyntheticPerson, household: Int) -> SyntheticPerson {
        let sex: Sex = rng.chance(0.95) ? (first.sex == .female ? .male : .female) : first.sex
        let age = max(19, first.birthDate.age(on: asOf) + rng.int(in: -6...6))
        // Most couples share a family name; some keep their own or hyphenate.
        let roll = rng.unit()
        let family: String
        if roll < 0.72 {
            family = first.familyName
        } else if roll < 0.94 {
            family = familyName()
        } else {
            family = "\(first.familyName)-\(familyName())"
        }
        return SyntheticPerson(
            key: newKey(), householdKey: household, givenName: givenName(sex: sex, adult: true),
            middleName: middleName(sex: sex), familyName: family, suffix: nil,
            birthDate: birthDate(age: age), sex: sex, ssn: rng.chance(0.93) ? makeSSN() : nil,
            ownPhone: rng.chance(0.35) ? makePhone() : nil, role: .adult, twinOf: nil, juniorOf: nil)
    }

    private mutating func addChildren(to members: inout [SyntheticPerson], household: Int) {
        let parents = members.filter { $0.role == .adult && $0.birthDate.age(on: asOf) < 60 }
        guard let youngestParentAge = parents.map({ $0.birthDate.age(on: asOf) }).min() else { return }
        let father = parents.first { $0.sex == .male }
        let childFamily = father?.familyName ?? parents[0].familyName
        let count = [1, 1, 2, 2, 2, 3, 3, 4][rng.below(8)]
        let maxAge = min(19, youngestParentAge - 17)
        guard maxAge >= 0 else { return }
        var index = 0
        while index < count {
            let sex: Sex = guaranteedJuniors > 0 && index == 0 ? .male : (rng.chance(0.5) ? .female : .male)
            var age = rng.int(in: 0...maxAge)
            let owesJunior = guaranteedJuniors > 0 && index == 0
            let owesTwins = guaranteedTwins > 0 && guaranteedJuniors == 0 && index == 0
            // A school-age bias: the sample world's sources are mostly schools.
            if age < 4, rng.chance(0.5) || owesJunior || owesTwins { age = rng.int(in: min(5, maxAge)...maxAge) }
            var child = SyntheticPerson(
                key: newKey(), householdKey: household, givenName: givenName(sex: sex, adult: false),
                middleName: rng.chance(0.7) ? middleName(sex: sex) : nil,
                familyName: rng.chance(0.06) && parents.count > 1 && parents[0].familyName != parents[1].familyName
                    ? "\(parents[0].familyName)-\(parents[1].familyName)" : childFamily,
                suffix: nil, birthDate: birthDate(age: age), sex: sex,
                ssn: rng.chance(0.8) ? makeSSN() : nil, ownPhone: nil, role: .child, twinOf: nil, juniorOf: nil)
            // A junior: a son named after his father.
            if sex == .male, let father, !members.contains(where: { $0.juniorOf != nil }),
                owesJunior || rng.chance(0.08)
            {
                if owesJunior { guaranteedJuniors -= 1 }
                child.givenName = father.givenName
                child.middleName = father.middleName
                child.familyName = father.familyName
                child.suffix = "Jr"
                child.juniorOf = father.key
                if let i = members.firstIndex(where: { $0.key == father.key }), rng.chance(0.3) {
                    members[i].suffix = "Sr"
                }
            }
            members.append(child)
            index += 1
            // Twins: the next child shares the birth date (and often the initial).
            if owesTwins || rng.chance(0.06) {
                if owesTwins { guaranteedTwins -= 1 }
                let twinSex: Sex = rng.chance(0.5) ? sex : (sex == .female ? .male : .female)
                var name = givenName(sex: twinSex, adult: false)
                let wantSameInitial = rng.chance(0.5)
                var tries = 0
                while tries < 8, name == child.givenName || (wantSameInitial && name.first != child.givenName.first) {
                    name = givenName(sex: twinSex, adult: false)
                    tries += 1
                }
                if name == child.givenName { name = twinSex == .female ? "Grace" : "Owen" }
                if name == child.givenName { name = "Sam" }
                let twin = SyntheticPerson(
                    key: newKey(), householdKey: household, givenName: name,
                    middleName: rng.chance(0.7) ? middleName(sex: twinSex) : nil, familyName: child.familyName,
                    suffix: nil, birthDate: child.birthDate, sex: twinSex,
                    ssn: child.ssn == nil ? nil : makeSSN(), ownPhone: nil, role: .child,
                    twinOf: child.key, juniorOf: nil)
                members[members.count - 1].twinOf = twin.key
                members.append(twin)
                index += 1
            }
        }
    }

    // MARK: - Values

    private mutating func familyName() -> String {
        if rng.chance(0.62) {
            let name = Self.familyTable.pick(using: &rng)
            // Compound Hispanic family names, written as two words.
            if NameLists.hispanicFamily.contains(name), rng.chance(0.15) {
                var second = Self.familyTable.pick(using: &rng)
                if second == name { second = "Lopez" }
                return "\(name) \(second)"
            }
            return name
        }
        let start = rng.pick(NameLists.rareFamilyStarts)
        let end = rng.pick(NameLists.rareFamilyEnds)
        return start + end
    }

    private mutating func givenName(sex: Sex, adult: Bool) -> String {
        switch (sex, adult) {
        case (.female, true): return Self.femaleAdultTable.pick(using: &rng)
        case (.female, false): return Self.femaleChildTable.pick(using: &rng)
        case (_, true): return Self.maleAdultTable.pick(using: &rng)
        case (_, false): return Self.maleChildTable.pick(using: &rng)
        }
    }

    private mutating func middleName(sex: Sex) -> String? {
        guard rng.chance(0.75) else { return nil }
        return sex == .female ? rng.pick(NameLists.femaleMiddle) : rng.pick(NameLists.maleMiddle)
    }

    private mutating func birthDate(age: Int) -> CivilDate {
        // A birthday in the year that makes the person `age` on the as-of date.
        let daysBack = age * 365 + age / 4 + rng.below(365)
        return asOf.adding(days: -daysBack)
    }

    private mutating func pickTown(among districts: [Int]? = nil) -> Int {
        if let only = districts ?? onlyDistricts {
            let candidates = region.towns.indices.filter { only.contains(region.towns[$0].district) }
            return rng.pick(candidates)
        }
        return rng.below(region.towns.count)
    }

    private mutating func makeAddress(in town: SyntheticRegion.Town) -> SyntheticAddress {
        let number = rng.chance(0.7) ? rng.int(in: 100...3999) : rng.int(in: 4000...19999)
        let type = rng.pick(NameLists.streetTypes)
        var street = "\(number) "
        if rng.chance(0.15) { street += rng.pick(NameLists.directions) + " " }
        street += "\(rng.pick(NameLists.streets)) \(type.abbreviation)"
        if rng.chance(0.22) { street += " Apt \(rng.int(in: 1...40))\(rng.chance(0.3) ? "B" : "")" }
        return SyntheticAddress(
            street: street, city: town.name, state: region.state, postalCode: rng.pick(town.postalCodes))
    }

    private mutating func makePhone() -> String {
        // Random digits, never looked up: an exchange of 200-999 and any line.
        let area = rng.pick(region.areaCodes)
        return "\(area)\(rng.int(in: 200...999))\(String(rng.int(in: 0...9999)).leftPadded(to: 4))"
    }

    private mutating func makeSSN() -> String {
        // Valid-looking (area 001–665 or 667–899, group and serial non-zero) and random, so matchers keep them;
        // they belong to no one we know of.
        var area = rng.int(in: 1...898)
        if area >= 666 { area += 1 }
        let group = rng.int(in: 1...99)
        let serial = rng.int(in: 1...9999)
        return String(area).leftPadded(to: 3) + String(group).leftPadded(to: 2) + String(serial).leftPadded(to: 4)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
