/// What a flag says about a patient.
public enum FlagKind: String, Sendable, Hashable, Codable, CaseIterable {
    case chronicAbsenteeism = "chronic-absenteeism"
    case shelteredHomelessness = "sheltered-homelessness"
    case unshelteredHomelessness = "unsheltered-homelessness"
    case incarceration
    case recentRelease = "recent-release"
    case housingInstability = "housing-instability"
    /// Formerly homeless or at risk, now housed: resolves housing flags.
    case housed

    /// The data category a flag of this kind is derived from, for consent scoping.
    public var category: DataCategory {
        switch self {
        case .chronicAbsenteeism: .education
        case .shelteredHomelessness, .unshelteredHomelessness: .shelter
        case .incarceration, .recentRelease: .justice
        case .housingInstability, .housed: .housing
        }
    }
}

/// A code in a code system (ICD-10-CM, SNOMED CT, a local system).
public struct Coding: Sendable, Hashable, Codable {
    public var system: String
    public var code: String
    public var display: String

    public init(system: String, code: String, display: String) {
        self.system = system
        self.code = code
        self.display = display
    }

    public static let icd10cm = "http://hl7.org/fhir/sid/icd-10-cm"
    public static let snomed = "http://snomed.info/sct"
    public static let local = "urn:lastmile:flag"
}

public enum FlagStatus: String, Sendable, Hashable, Codable {
    case active
    /// The evidence ended; the flag keeps its period with an end date.
    case inactive
}

/// An actionable fact about a patient, with counts and dates as evidence, never raw rows.
public struct Flag: Sendable, Hashable {
    public var patientId: String
    public var kind: FlagKind
    /// A tier or detail within the kind, e.g. `moderate` for absenteeism; empty when none.
    public var tier: String
    public var codes: [Coding]
    public var status: FlagStatus
    public var periodStart: CivilDate
    public var periodEnd: CivilDate?
    /// Evidence as named numbers and dates, e.g. `days_absent: 14`, `last_absence: 2026-11-20`.
    public var evidence: [String: String]
    public var source: String

    public init(
        patientId: String, kind: FlagKind, tier: String = "", codes: [Coding], status: FlagStatus,
        periodStart: CivilDate, periodEnd: CivilDate? = nil, evidence: [String: String] = [:], source: String
    ) {
        self.patientId = patientId
        self.kind = kind
        self.tier = tier
        self.codes = codes
        self.status = status
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.evidence = evidence
        self.source = source
    }
}
