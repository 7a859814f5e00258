import LastMileCore

/// A person as one record shows them: the truth after a registration clerk, a form and an export got to it.
struct RecordedPerson: Sendable {
    var givenName: String
    var middleName: String
    var familyName: String
    var suffix: String
    var birthDate: CivilDate?
    var sex: Sex?
    var street: String
    var city: String
    var state: String
    var postalCode: String
    /// Ten digits, or empty.
    var phone: String
    /// Nine digits (possibly a placeholder), or empty.
    var ssn: String

    /// The birth date as `YYYY-MM-DD`, or empty.
    var birthDateText: String { birthDate?.description ?? "" }
    var sexText: String { sex?.rawValue ?? "" }
}

/// How often each kind of registration error happens in one kind of record (each a probability).
struct MessProfile: Sendable {
    var nickname = 0.0
    var givenTypo = 0.0
    var familyTypo = 0.0
    var swapNames = 0.0
    var juniorSuffixInFamily = 0.0
    var dropCompoundPart = 0.0
    var dayMonthSwap = 0.0
    var dateOff = 0.0
    var dropBirthDate = 0.0
    var dropSex = 0.0
    var streetVariant = 0.0
    var streetTypo = 0.0
    var dropAddress = 0.0
    var dropPhone = 0.0
    var dropSSN = 0.0
    var placeholderSSN = 0.0
    var ssnTypo = 0.0
    var dropMiddle = 0.0

    /// The HIE's own MPI: registration is careful but not perfect.
    static let mpi = MessProfile(
        nickname: 0.04, givenTypo: 0.015, familyTypo: 0.01, swapNames: 0.003, juniorSuffixInFamily: 0.5,
        dropCompoundPart: 0.1, dayMonthSwap: 0.004, dateOff: 0.004, dropBirthDate: 0.0, dropSex: 0.005,
        streetVariant: 0.1, streetTypo: 0.01, dropAddress: 0.01, dropPhone: 0.15, dropSSN: 0.3,
        placeholderSSN: 0.015, ssnTypo: 0.005, dropMiddle: 0.3)

    /// A community source (school, shelter, jail, registry): hurried intake, forms, re-keying.
    static let source = MessProfile(
        nickname: 0.12, givenTypo: 0.06, familyTypo: 0.05, swapNames: 0.02, juniorSuffixInFamily: 0.4,
        dropCompoundPart: 0.4, dayMonthSwap: 0.03, dateOff: 0.03, dropBirthDate: 0.015, dropSex: 0.03,
        streetVariant: 0.25, streetTypo: 0.04, dropAddress: 0.05, dropPhone: 0.3, dropSSN: 0.5,
        placeholderSSN: 0.03, ssnTypo: 0.02, dropMiddle: 0.5)

    /// A source that always has a birth date (a school's SIS, a jail, a registry whose intake requires one):
    /// the same errors, but the date is never empty.
    static let sourceWithBirthDate: MessProfile = {
        var profile = MessProfile.source
        profile.dropBirthDate = 0
        return profile
    }()
}

/// Placeholder SSNs that intake systems use when the real one is unknown (nine digits).
let placeholderSSNs = ["123456789", "000000000", "999999999", "111111111", "000001234"]

enum Messiness {
    /// The record a source (or the MPI) holds for `person`, living at `address` with `phone`.
    static func record(
        of person: SyntheticPerson, address: SyntheticAddress, phone: String?, profile: MessProfile,
        rng: inout SplitMix64
    ) -> RecordedPerson {
        var given = person.givenName
        var family = person.familyName
        var suffix = person.suffix ?? ""
        if rng.chance(profile.nickname), let short = NameLists.nicknames[given] {
            given = rng.chance(0.6) ? short[0] : rng.pick(short)
        }
        if rng.chance(profile.givenTypo) { given = typo(given, rng: &rng) }
        if family.utf8.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: " ") }),
            rng.chance(profile.dropCompoundPart)
        {
            let parts = family.split(whereSeparator: { $0 == "-" || $0 == " " })
            family = String(rng.chance(0.75) ? parts[0] : parts[parts.count - 1])
        }
        if rng.chance(profile.familyTypo) { family = typo(family, rng: &rng) }
        if !suffix.isEmpty, rng.chance(profile.juniorSuffixInFamily) {
            family += " " + suffix
            suffix = ""
        }
        if rng.chance(profile.swapNames) { swap(&given, &family) }

        var birth: CivilDate? = person.birthDate
        if let date = birth {
            if rng.chance(profile.dropBirthDate) {
                birth = nil
            } else if rng.chance(profile.dayMonthSwap), let swapped = dayMonthSwapped(date) {
                birth = swapped
            } else if rng.chance(profile.dateOff) {
                birth = oneComponentOff(date, rng: &rng)
            }
        }
        var sex: Sex? = person.sex
        if rng.chance(profile.dropSex) { sex = nil }

        var street = address.street
        var city = address.city
        var state = address.state
        var postal = address.postalCode
        if rng.chance(profile.dropAddress) {
            street = ""
            city = ""
            state = ""
            postal = ""
        } else {
            if rng.chance(profile.streetVariant) { street = streetVariant(street, rng: &rng) }
            if rng.chance(profile.streetTypo) { street = typo(street, rng: &rng) }
        }

        var phoneDigits = phone ?? ""
        if rng.chance(profile.dropPhone) { phoneDigits = "" }

        var ssn = person.ssn ?? ""
        if !ssn.isEmpty, rng.chance(profile.dropSSN) { ssn = "" }
        if rng.chance(profile.placeholderSSN) {
            ssn = rng.pick(placeholderSSNs)
        } else if !ssn.isEmpty, rng.chance(profile.ssnTypo) {
            ssn = digitTypo(ssn, rng: &rng)
        }

        var middle = person.middleName ?? ""
        if rng.chance(profile.dropMiddle) { middle = "" }

        return RecordedPerson(
            givenName: given, middleName: middle, familyName: family, suffix: suffix, birthDate: birth, sex: sex,
            street: street, city: city, state: state, postalCode: postal, phone: phoneDigits, ssn: ssn)
    }

    /// One keying error: a neighbouring key, a dropped, doubled or transposed letter (rarely the first).
    static func typo(_ text: String, rng: inout SplitMix64) -> String {
        var chars = Array(text)
        guard chars.count >= 3 else { return text }
        let position = rng.int(in: 1...(chars.count - 1))
        switch rng.below(4) {
        case 0:
            let lower = Character(chars[position].lowercased())
            guard let near = keyboardNeighbours[lower], !near.isEmpty else { return text }
            var replacement = rng.pick(Array(near))
            if chars[position].isUppercase { replacement = Character(replacement.uppercased()) }
            chars[position] = replacement
        case 1:
            chars.remove(at: position)
        case 2:
            chars.insert(chars[position], at: position)
        default:
            let left = position == chars.count - 1 ? position - 1 : position
            guard left >= 1 else { return text }
            chars.swapAt(left, left + 1)
        }
        return String(chars)
    }

    /// The date with day and month exchanged, when that is a different valid date.
    static func dayMonthSwapped(_ date: CivilDate) -> CivilDate? {
        guard date.day <= 12, date.day != date.month else { return nil }
        return CivilDate(year: date.year, month: date.day, day: date.month)
    }

    /// The date with one of day, month or year off by one.
    static func oneComponentOff(_ date: CivilDate, rng: inout SplitMix64) -> CivilDate {
        let delta = rng.chance(0.5) ? 1 : -1
        switch rng.below(3) {
        case 0:
            return date.adding(days: delta)
        case 1:
            let month = (date.month + delta + 11) % 12 + 1
            return CivilDate(year: date.year, month: month, day: min(date.day, 28)) ?? date
        default:
            return CivilDate(year: date.year + delta, month: date.month, day: min(date.day, 28)) ?? date
        }
    }

    /// One SSN digit changed.
    static func digitTypo(_ digits: String, rng: inout SplitMix64) -> String {
        var chars = Array(digits)
        let position = rng.below(chars.count)
        let current = Int(String(chars[position])) ?? 0
        chars[position] = Character(String((current + rng.int(in: 1...9)) % 10))
        return String(chars)
    }

    /// The same street written differently: the street type spelled out, the unit dropped or moved, capitals.
    static func streetVariant(_ street: String, rng: inout SplitMix64) -> String {
        switch rng.below(4) {
        case 0:
            for type in NameLists.streetTypes where street.contains(" \(type.abbreviation)") {
                if let range = street.range(of: " \(type.abbreviation)") {
                    return street.replacingCharacters(in: range, with: " \(type.full)")
                }
            }
            return street
        case 1:
            if let range = street.range(of: " Apt ") { return String(street[..<range.lowerBound]) }
            return street.uppercased()
        case 2:
            if let range = street.range(of: " Apt ") {
                return street.replacingCharacters(in: range, with: " #")
            }
            return street + "."
        default:
            return street.uppercased()
        }
    }

    /// `(503) 555-0100`, `503-555-0100` or `5035550100`.
    static func formatPhone(_ digits: String, style: Int) -> String {
        guard digits.count == 10 else { return digits }
        let d = Array(digits)
        let area = String(d[0..<3])
        let exchange = String(d[3..<6])
        let line = String(d[6..<10])
        switch style % 3 {
        case 0: return "(\(area)) \(exchange)-\(line)"
        case 1: return "\(area)-\(exchange)-\(line)"
        default: return digits
        }
    }

    /// `123-45-6789` or `123456789`.
    static func formatSSN(_ digits: String, dashed: Bool) -> String {
        guard dashed, digits.count == 9 else { return digits }
        let d = Array(digits)
        return "\(String(d[0..<3]))-\(String(d[3..<5]))-\(String(d[5..<9]))"
    }

    private static let keyboardNeighbours: [Character: String] = [
        "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
        "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm", "o": "iklp",
        "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase",
        "x": "zsdc", "y": "tghu", "z": "asx", "0": "9", "1": "2", "2": "13", "3": "24", "4": "35", "5": "46",
        "6": "57", "7": "68", "8": "79", "9": "80",
    ]
}
