import LastMileCore

/// The HIE's consent rules, as pipelines/consent-policy.yaml states them.
///
/// Build one with `ConsentPolicy(yaml:file:)`, which validates everything and reports every problem at once.
public struct ConsentPolicy: Sendable, Hashable {
    /// The HIE's default when no directive applies.
    public enum Model: String, Sendable, Hashable, Codable, CaseIterable {
        /// Data flows unless the patient denied it.
        case optOut = "opt-out"
        /// Nothing flows until the patient permits it.
        case optIn = "opt-in"
    }

    public var model: Model
    public var agreements: [DataSharingAgreement]
    public var restrictions: [RestrictionRule]
    public var minors: MinorsRules
    public var guardians: GuardianRules

    public init(
        model: Model, agreements: [DataSharingAgreement], restrictions: [RestrictionRule] = RestrictionRule.builtIn,
        minors: MinorsRules = MinorsRules(), guardians: GuardianRules = GuardianRules()
    ) {
        self.model = model
        self.agreements = agreements
        self.restrictions = restrictions
        self.minors = minors
        self.guardians = guardians
    }

    /// The agreements signed with one source, for one category when given.
    public func agreements(forSource source: String, category: DataCategory? = nil) -> [DataSharingAgreement] {
        agreements.filter { $0.source == source && (category == nil || $0.category == category) }
    }

    /// The agreement with this id, if any.
    public func agreement(id: String) -> DataSharingAgreement? { agreements.first { $0.id == id } }
}

/// A data-sharing agreement with one source: what may flow, for what, to whom, until when, and on what basis.
public struct DataSharingAgreement: Sendable, Hashable {
    public var id: String
    /// The source config's name, e.g. `riverside-usd`.
    public var source: String
    public var category: DataCategory
    public var legalBasis: String
    public var purposes: Set<PurposeOfUse>
    /// Recipient roles data may be delivered to, e.g. `pediatrics`.
    public var recipientRoles: Set<String>
    /// `PersonIdentity` fields that may pass gate 1 (`fields.person`).
    public var personFields: Set<PersonField>
    /// Event fields that may pass gate 1 (`fields.event`); optional ones also need a flag rule to need them.
    public var eventFields: Set<EventField>
    /// First day in force.
    public var effective: CivilDate
    /// Last day in force.
    public var expires: CivilDate
    /// When true the source-side basis needs a patient permit (FERPA-style): the default becomes deny.
    public var patientPermitRequired: Bool

    public init(
        id: String, source: String, category: DataCategory, legalBasis: String, purposes: Set<PurposeOfUse>,
        recipientRoles: Set<String>, personFields: Set<PersonField>, eventFields: Set<EventField>,
        effective: CivilDate, expires: CivilDate, patientPermitRequired: Bool = false
    ) {
        self.id = id
        self.source = source
        self.category = category
        self.legalBasis = legalBasis
        self.purposes = purposes
        self.recipientRoles = recipientRoles
        self.personFields = personFields
        self.eventFields = eventFields
        self.effective = effective
        self.expires = expires
        self.patientPermitRequired = patientPermitRequired
    }

    /// Whether the agreement is in force on `date` (effective and expiry days included).
    public func isInForce(on date: CivilDate) -> Bool { effective <= date && date <= expires }

    /// The legal bases lastmile knows; others are a validation problem.
    public static let knownLegalBases = [
        "FERPA-99.30", "FERPA-99.31", "HMIS-ROI", "VAWA-written", "HIPAA-TPO", "state-law", "sheriff-MOU",
        "CE-ROI",
    ]
}

/// A record-level restriction label that makes gate 1 drop the record, and why.
public struct RestrictionRule: Sendable, Hashable {
    public var label: RestrictionLabel
    public var basis: String

    public init(label: RestrictionLabel, basis: String) {
        self.label = label
        self.basis = basis
    }

    /// Labels the law requires; a policy cannot leave one out.
    public static let builtIn: [RestrictionRule] = [
        RestrictionRule(label: .victimServiceProvider, basis: "42 U.S.C. 11363; VAWA 34 U.S.C. 12291(b)(2)"),
        RestrictionRule(label: .juvenile, basis: "state juvenile-record confidentiality"),
        RestrictionRule(label: .ferpaBasisMissing, basis: "FERPA 34 CFR 99.30"),
        RestrictionRule(label: .sealed, basis: "sealing or expungement order"),
        RestrictionRule(label: .currentlyFleeing, basis: "VAWA; HMIS HealthAndDV CurrentlyFleeing"),
    ]
}

/// Rules for patients under the age of majority, age computed at the run date from the MPI birth date.
public struct MinorsRules: Sendable, Hashable {
    public var ageOfMajority: Int
    /// Categories where a parent's or guardian's permit stops applying when the patient comes of age.
    public var parentalAuthorityEndsAtMajority: Set<DataCategory>
    /// Categories never delivered to a parent-facing recipient while the patient is a minor.
    public var adolescentProtectedCategories: Set<DataCategory>
    /// Recipient roles that face parents (a parent portal, a guardian proxy).
    public var parentFacingRoles: Set<String>
    /// Justice records of a person younger than this at booking are dropped at gate 1; nil disables the rule.
    public var justiceMinimumAge: Int?

    public init(
        ageOfMajority: Int = 18, parentalAuthorityEndsAtMajority: Set<DataCategory> = [.education],
        adolescentProtectedCategories: Set<DataCategory> = [], parentFacingRoles: Set<String> = [],
        justiceMinimumAge: Int? = 18
    ) {
        self.ageOfMajority = ageOfMajority
        self.parentalAuthorityEndsAtMajority = parentalAuthorityEndsAtMajority
        self.adolescentProtectedCategories = adolescentProtectedCategories
        self.parentFacingRoles = parentFacingRoles
        self.justiceMinimumAge = justiceMinimumAge
    }
}

/// Whose directives count.
public struct GuardianRules: Sendable, Hashable {
    /// Directives from other grantors are ignored.
    public var acceptedGrantorRoles: Set<GrantorRole>
    /// When true a court's directive is superseded only by a newer court directive.
    public var courtOrdersFinal: Bool

    public init(acceptedGrantorRoles: Set<GrantorRole> = Set(GrantorRole.allCases), courtOrdersFinal: Bool = true) {
        self.acceptedGrantorRoles = acceptedGrantorRoles
        self.courtOrdersFinal = courtOrdersFinal
    }
}
