import Foundation
import LastMileCore

/// A person's demographics in the form the comparisons use: upper-case ASCII, suffixes split out, codes checked.
///
/// - Important: personal data. Never log or print a value of this type.
public struct NormalizedPerson: Sendable, Hashable {
    /// Given name with spaces and punctuation removed (`MARY ANN` → `MARYANN`).
    public var givenName: String?
    /// Family name with spaces, hyphens and apostrophes removed (`GARCIA-LOPEZ` → `GARCIALOPEZ`).
    public var familyName: String?
    /// The parts of a compound family name, particles (DE, LA, VAN …) dropped; empty for a simple name.
    public var familyNameParts: [String]
    /// Generational suffix: JR, SR, II, III, IV or V.
    public var suffix: String?
    public var birthDate: CivilDate?
    public var sex: Sex?
    /// Street line in USPS style (`12 N MAIN ST`), unit split off.
    public var street: String?
    /// Apartment or unit designator's value (`4B`).
    public var unit: String?
    public var city: String?
    public var state: String?
    /// Postal code digits: five for a US ZIP (ZIP+4 cut), as given for shorter codes.
    public var postalCode: String?
    /// Ten-digit North American number.
    public var phone: String?
    /// Full SSN (nine digits) or another numeric person identifier of five to eight digits.
    public var ssn: String?
    /// The last four SSN digits, from `ssn` or given alone.
    public var ssnLast4: String?
}

/// The normalisation rules for each demographic field. Pure functions; nothing here logs.
public enum Normalizer {
    /// Normalises every field of `person`.
    public static func normalize(_ person: PersonIdentity) -> NormalizedPerson {
        var suffix = person.suffix.flatMap { generationalSuffix(fold($0)) }
        let given = splitName(person.givenName, suffix: &suffix)
        let family = splitName(person.familyName, suffix: &suffix)
        let (street, unit) = normalizeStreet(person.street)
        let (ssn, last4FromSSN) = normalizeSSN(person.ssn)
        // When a full SSN is given, its last four come from it only: a placeholder SSN must not survive as last four.
        let last4 = person.ssn != nil ? last4FromSSN : normalizeSSNLast4(person.ssnLast4)
        return NormalizedPerson(
            givenName: given.joined.isEmpty ? nil : given.joined,
            familyName: family.joined.isEmpty ? nil : family.joined,
            familyNameParts: family.parts.count > 1 ? family.parts : [],
            suffix: suffix,
            birthDate: person.birthDate,
            sex: person.sex,
            street: street, unit: unit,
            city: nonEmpty(lettersAndDigits(person.city)),
            state: nonEmpty(lettersAndDigits(person.state)),
            postalCode: normalizePostalCode(person.postalCode),
            phone: normalizePhone(person.phone),
            ssn: ssn, ssnLast4: last4)
    }

    /// Upper-case ASCII with diacritics folded (`José` → `JOSE`, `Øyvind` → `OYVIND`).
    public static func fold(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 128 }) { return s.uppercased() }
        var out = String.UnicodeScalarView()
        for scalar in s.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x300...0x36F: continue  // combining marks
            case 0xD8, 0xF8: out.append("O")
            case 0xDF: out.append(contentsOf: "SS".unicodeScalars)
            case 0xC6, 0xE6: out.append(contentsOf: "AE".unicodeScalars)
            case 0x141, 0x142: out.append("L")
            case 0x110, 0x111: out.append("D")
            default: out.append(scalar)
            }
        }
        return String(out).uppercased()
    }

    /// Name tokens: letters kept, apostrophes dropped (`O'BRIEN` → `OBRIEN`), everything else separates tokens.
    static func nameTokens(_ raw: String) -> [String] {
        var tokens: [String] = []
        var cur: [UInt8] = []
        for b in fold(raw).utf8 {
            if b >= 65 && b <= 90 {
                cur.append(b)
            } else if b == 39 || b == 96 {
                continue
            } else if !cur.isEmpty {
                tokens.append(String(decoding: cur, as: UTF8.self))
                cur.removeAll(keepingCapacity: true)
            }
        }
        if !cur.isEmpty { tokens.append(String(decoding: cur, as: UTF8.self)) }
        return tokens
    }

    static let particles: Set<String> = [
        "DE", "DEL", "DELA", "LA", "LE", "VAN", "VON", "DER", "DEN", "DI", "DA", "DOS", "DAS", "DU", "Y", "ST",
    ]

    /// Splits a name into its joined form and its parts, moving a trailing generational suffix to `suffix`.
    static func splitName(_ raw: String?, suffix: inout String?) -> (joined: String, parts: [String]) {
        guard let raw else { return ("", []) }
        var tokens = nameTokens(raw)
        while tokens.count > 1, let s = generationalSuffix(tokens[tokens.count - 1]) {
            if suffix == nil { suffix = s }
            tokens.removeLast()
        }
        let parts = tokens.filter { $0.count > 1 && !particles.contains($0) }
        return (tokens.joined(), parts)
    }

    /// JR, SR, II, III, IV, V for the ways sources write them; nil for anything else.
    public static func generationalSuffix(_ token: String) -> String? {
        switch token.uppercased().filter({ $0.isLetter || $0.isNumber }) {
        case "JR", "JUNIOR": "JR"
        case "SR", "SENIOR": "SR"
        case "II", "2ND": "II"
        case "III", "3RD": "III"
        case "IV", "4TH": "IV"
        case "V", "5TH": "V"
        default: nil
        }
    }

    /// Sex from the codes sources use: F/M/X, female/male, HMIS 0 (woman) and 1 (man).
    public static func normalizeSex(_ raw: String?) -> Sex? {
        switch raw?.trimmingCharacters(in: .whitespaces).uppercased() {
        case "F", "FEMALE", "W", "WOMAN", "0": .female
        case "M", "MALE", "MAN", "1": .male
        case "X", "NONBINARY", "NON-BINARY": .other
        default: nil
        }
    }

    /// Ten digits (a leading country code 1 is dropped); nil for other lengths and obvious placeholders.
    public static func normalizePhone(_ raw: String?) -> String? {
        guard let raw else { return nil }
        var digits = raw.utf8.filter { $0 >= 48 && $0 <= 57 }
        if digits.count == 11 && digits[0] == 49 { digits.removeFirst() }
        guard digits.count == 10 else { return nil }
        // Area codes and exchanges never start with 0 or 1; 555-01xx is reserved for fiction; one repeated digit
        // is filler.
        if digits[0] <= 49 || digits[3] <= 49 { return nil }
        if digits[3] == 53 && digits[4] == 53 && digits[5] == 53 && digits[6] == 48 && digits[7] == 49 { return nil }
        if digits.allSatisfy({ $0 == digits[0] }) { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Postal code digits: ZIP+4 cut to five; codes of three to five digits kept; nil otherwise.
    public static func normalizePostalCode(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let digits = raw.utf8.filter { $0 >= 48 && $0 <= 57 }
        if digits.count == 9 { return String(decoding: digits.prefix(5), as: UTF8.self) }
        guard (3...5).contains(digits.count), !digits.allSatisfy({ $0 == 48 }) else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Full SSN and its last four; invalid SSNs (area 000, 666 or 9xx, group 00, serial 0000, placeholders) are
    /// missing.
    ///
    /// Numbers of five to eight digits are kept as opaque identifiers (some registries use such ids instead).
    /// Four digits alone (or `XXX-XX-1234`) give the last four only.
    public static func normalizeSSN(_ raw: String?) -> (full: String?, last4: String?) {
        guard let raw else { return (nil, nil) }
        let digits = raw.utf8.filter { $0 >= 48 && $0 <= 57 }
        if digits.count == 4 { return (nil, normalizeSSNLast4(String(decoding: digits, as: UTF8.self))) }
        guard (5...9).contains(digits.count), !digits.allSatisfy({ $0 == digits[0] }) else { return (nil, nil) }
        let s = String(decoding: digits, as: UTF8.self)
        if digits.count == 9 {
            let area = s.prefix(3)
            let group = s.dropFirst(3).prefix(2)
            let serial = s.suffix(4)
            if area == "000" || area == "666" || area.hasPrefix("9") || group == "00" || serial == "0000" {
                return (nil, nil)
            }
            if placeholderSSNs.contains(s) { return (nil, nil) }
            return (s, String(serial))
        }
        return (s, nil)
    }

    static let placeholderSSNs: Set<String> = [
        "123456789", "987654321", "078051120", "219099999", "012345678", "111223333",
    ]

    /// Four digits, not 0000; nil otherwise.
    public static func normalizeSSNLast4(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let digits = raw.utf8.filter { $0 >= 48 && $0 <= 57 }
        guard digits.count == 4, !digits.allSatisfy({ $0 == 48 }) else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    /// USPS Publication 28 street suffixes and directionals, as the tokens sources write them.
    static let streetAbbreviations: [String: String] = [
        "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "ROAD": "RD", "DRIVE": "DR",
        "DRV": "DR", "LANE": "LN", "COURT": "CT", "BOULEVARD": "BLVD", "BOUL": "BLVD", "PLACE": "PL",
        "CIRCLE": "CIR", "CIRC": "CIR", "TERRACE": "TER", "TERR": "TER", "HIGHWAY": "HWY", "PARKWAY": "PKWY",
        "PKY": "PKWY", "CRESCENT": "CRES", "SQUARE": "SQ", "TRAIL": "TRL", "ALLEY": "ALY", "CIRCUIT": "CIR",
        "EXPRESSWAY": "EXPY", "FREEWAY": "FWY", "HEIGHTS": "HTS", "HOLLOW": "HOLW", "JUNCTION": "JCT",
        "LOOP": "LOOP", "MOUNT": "MT", "MOUNTAIN": "MTN", "POINT": "PT", "RIDGE": "RDG", "RUN": "RUN",
        "TURNPIKE": "TPKE", "VIEW": "VW", "VILLAGE": "VLG", "CROSSING": "XING", "CENTER": "CTR", "COVE": "CV",
        "CREEK": "CRK", "ESTATES": "EST", "GARDENS": "GDNS", "GROVE": "GRV", "HILL": "HL", "ISLAND": "IS",
        "LAKE": "LK", "MEADOWS": "MDWS", "ORCHARD": "ORCH", "PARK": "PARK", "PLAZA": "PLZ", "SPRINGS": "SPGS",
        "STATION": "STA", "VALLEY": "VLY", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
        "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW", "FIRST": "1ST",
        "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH",
    ]
    static let unitDesignators: Set<String> = [
        "APT", "APARTMENT", "UNIT", "STE", "SUITE", "RM", "ROOM", "FL", "FLOOR", "LOT", "SPC", "TRLR", "BLDG",
    ]
    static let noAddress: Set<String> = [
        "HOMELESS", "TRANSIENT", "NONE", "UNKNOWN", "NA", "N/A", "NOADDRESS", "UNHOUSED", "REFUSED",
    ]

    /// Street line in USPS style and the unit split off it; nil for empty and "homeless"-style placeholders.
    public static func normalizeStreet(_ raw: String?) -> (street: String?, unit: String?) {
        guard let raw else { return (nil, nil) }
        var tokens: [String] = []
        var cur: [UInt8] = []
        for b in fold(raw).utf8 {
            if (b >= 65 && b <= 90) || (b >= 48 && b <= 57) {
                cur.append(b)
            } else if b == 35 {  // '#' starts a unit
                if !cur.isEmpty {
                    tokens.append(String(decoding: cur, as: UTF8.self))
                    cur.removeAll()
                }
                tokens.append("#")
            } else if b == 46 || b == 39 {
                continue
            } else if !cur.isEmpty {
                tokens.append(String(decoding: cur, as: UTF8.self))
                cur.removeAll()
            }
        }
        if !cur.isEmpty { tokens.append(String(decoding: cur, as: UTF8.self)) }
        if tokens.isEmpty || noAddress.contains(tokens.joined()) { return (nil, nil) }
        var unit: String?
        if let i = tokens.firstIndex(where: { $0 == "#" || unitDesignators.contains($0) }), i > 0 {
            let rest = tokens[(i + 1)...].joined()
            unit = rest.isEmpty ? nil : rest
            tokens.removeSubrange(i...)
        }
        let street = tokens.map { streetAbbreviations[$0] ?? $0 }.joined(separator: " ")
        return (street.isEmpty ? nil : street, unit)
    }

    static func lettersAndDigits(_ raw: String?) -> String {
        guard let raw else { return "" }
        var out: [UInt8] = []
        var space = false
        for b in fold(raw).utf8 {
            if (b >= 65 && b <= 90) || (b >= 48 && b <= 57) {
                if space && !out.isEmpty { out.append(32) }
                space = false
                out.append(b)
            } else {
                space = true
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
}
