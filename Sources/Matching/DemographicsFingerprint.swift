import LastMileCore

/// A stable digest of a person's normalised demographics, for the source crosswalk.
///
/// The pipeline stores it beside each crosswalk entry (source person id → patient id) and skips re-matching
/// when tonight's fingerprint equals last night's. Normalisation comes first, so `José  Smith` and `JOSE SMITH`
/// share a fingerprint; any change of a compared value changes it. 32 hex digits (two 64-bit FNV-1a hashes);
/// it is not a cryptographic hash and must not be published: demographics are guessable.
public enum DemographicsFingerprint {
    /// Bump when normalisation changes, so every crosswalk entry is re-matched once.
    public static let version = "fp1"

    public static func of(_ person: PersonIdentity) -> String {
        of(Normalizer.normalize(person))
    }

    public static func of(_ p: NormalizedPerson) -> String {
        let fields: [String?] = [
            version, p.givenName, p.familyName, p.familyNameParts.joined(separator: " "), p.suffix,
            p.birthDate?.description, p.sex?.rawValue, p.street, p.unit, p.city, p.state, p.postalCode, p.phone,
            p.ssn, p.ssnLast4,
        ]
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x6c62_272e_07bb_0142
        for field in fields {
            for b in (field ?? "\u{0}").utf8 {
                h1 = (h1 ^ UInt64(b)) &* 0x100_0000_01b3
                h2 = (h2 &+ UInt64(b)) &* 0x100_0000_01b3 ^ (h2 >> 29)
            }
            h1 = (h1 ^ 0x1f) &* 0x100_0000_01b3
            h2 = (h2 &+ 0x1f) &* 0x100_0000_01b3 ^ (h2 >> 29)
        }
        return hex(h1) + hex(h2)
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
