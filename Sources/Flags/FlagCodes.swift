import LastMileCore

/// The codes each flag kind carries (formats.md §5): ICD-10-CM first, SNOMED CT where one is known, then the
/// local lastmile code, which every flag has.
public enum FlagCodes {
    /// Codes for a flag of `kind`; `tier` only matters for absenteeism (`at-risk` carries no ICD-10-CM code).
    public static func codes(for kind: FlagKind, tier: String = "") -> [Coding] {
        switch kind {
        case .chronicAbsenteeism:
            if tier == AbsenteeismTier.atRisk.rawValue {
                return [
                    Coding(system: Coding.local, code: "absenteeism-at-risk", display: "At risk of chronic absenteeism")
                ]
            }
            // No ICD-10-CM code names school absence; Z55.8 is the closest (formats.md §5.1).
            return [
                icd("Z55.8", "Other problems related to education and literacy"),
                local(kind, "Chronic absenteeism"),
            ]
        case .shelteredHomelessness:
            return [icd("Z59.01", "Sheltered homelessness"), homeless, local(kind, "Sheltered homelessness")]
        case .unshelteredHomelessness:
            return [icd("Z59.02", "Unsheltered homelessness"), homeless, local(kind, "Unsheltered homelessness")]
        case .incarceration:
            return [icd("Z65.1", "Imprisonment and other incarceration"), local(kind, "Currently incarcerated")]
        case .recentRelease:
            return [icd("Z65.2", "Problems related to release from prison"), local(kind, "Recently released")]
        case .housingInstability:
            return [
                icd("Z59.811", "Housing instability, housed, with risk of homelessness"), housingInstability,
                local(kind, "Housing instability"),
            ]
        case .housed:
            return [
                icd("Z59.812", "Housing instability, housed, homelessness in past 12 months"), housingInstability,
                local(kind, "Housed after homelessness"),
            ]
        }
    }

    /// SNOMED CT 32911000 Homeless (finding), used for both homelessness kinds as the generic concept.
    public static let homeless = Coding(system: Coding.snomed, code: "32911000", display: "Homeless (finding)")
    /// SNOMED CT 1156191002 Housing instability (finding).
    public static let housingInstability = Coding(
        system: Coding.snomed, code: "1156191002", display: "Housing instability (finding)")

    private static func icd(_ code: String, _ display: String) -> Coding {
        Coding(system: Coding.icd10cm, code: code, display: display)
    }

    private static func local(_ kind: FlagKind, _ display: String) -> Coding {
        Coding(system: Coding.local, code: kind.rawValue, display: display)
    }
}
