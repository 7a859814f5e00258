import LastMileCore

/// A patient who may appear on a practice's Monday list, as the warehouse query returns them.
///
/// The caller has already checked attribution and consent for this practice; the list only shapes and sorts.
/// - Important: personal data. Never log a field of this type.
public struct ListedPatient: Sendable, Hashable {
    /// The HIE's patient id.
    public var patientId: String
    public var givenName: String?
    public var familyName: String?
    public var birthDate: CivilDate?
    /// The practice's own id for the patient (from attribution), when known.
    public var practicePatientId: String?
    /// The patient's active `chronic-absenteeism` flag (tier `at-risk`, `moderate` or `severe`).
    public var absenteeism: Flag
    /// The patient's other flags the practice may see; only active ones of `visibleKinds` are shown.
    public var otherFlags: [Flag]
    /// Whether the patient was on last week's list for this practice; nil when unknown, in which case the
    /// flag's `previous_rate` evidence decides whether the row is new.
    public var onLastWeeksList: Bool?
    /// The patient's recent absences from the absenteeism flag's source; nil when not counted.
    public var recentAbsences: RecentAbsences?

    public init(
        patientId: String, givenName: String?, familyName: String?, birthDate: CivilDate?,
        practicePatientId: String? = nil, absenteeism: Flag, otherFlags: [Flag] = [], onLastWeeksList: Bool? = nil,
        recentAbsences: RecentAbsences? = nil
    ) {
        self.patientId = patientId
        self.givenName = givenName
        self.familyName = familyName
        self.birthDate = birthDate
        self.practicePatientId = practicePatientId
        self.absenteeism = absenteeism
        self.otherFlags = otherFlags
        self.onLastWeeksList = onLastWeeksList
        self.recentAbsences = recentAbsences
    }
}

/// How a row moved since last week's list.
public enum AbsenteeismChange: String, Sendable, Hashable, CaseIterable {
    /// Not on last week's list (or below this row's tier floor a week ago).
    case new
    /// Rate up by at least 0.1 percentage point.
    case worse
    /// Rate down by at least 0.1 percentage point.
    case better
    case unchanged

    /// Higher is more urgent, for sorting.
    var urgency: Int {
        switch self {
        case .worse: 3
        case .new: 2
        case .unchanged: 1
        case .better: 0
        }
    }
}

/// Thresholds and choices for building a list; keep them equal to the pipeline's `flags.absenteeism`.
public struct AbsenteeismListOptions: Sendable, Hashable {
    public var atRiskThreshold: Double
    public var chronicThreshold: Double
    /// Whether at-risk (not chronic) patients are listed, after every chronic one.
    public var includeAtRisk: Bool
    /// Flag kinds shown as "other active flags" (issue 7: shelter, housing, release).
    public var visibleKinds: [FlagKind]
    /// The clinical lead's suggested next step for each tier (`next_steps` in the pipeline file).
    public var nextSteps: [AbsenteeismTier: String]
    /// The districts' school directories, for school names and liaison phones.
    public var schools: SchoolDirectory

    public init(
        atRiskThreshold: Double = 0.05, chronicThreshold: Double = 0.10, includeAtRisk: Bool = true,
        visibleKinds: [FlagKind] = [
            .shelteredHomelessness, .unshelteredHomelessness, .housingInstability, .recentRelease,
        ],
        nextSteps: [AbsenteeismTier: String] = [:], schools: SchoolDirectory = SchoolDirectory()
    ) {
        self.atRiskThreshold = atRiskThreshold
        self.chronicThreshold = chronicThreshold
        self.includeAtRisk = includeAtRisk
        self.visibleKinds = visibleKinds
        self.nextSteps = nextSteps
        self.schools = schools
    }
}

/// One patient on a Monday list.
/// - Important: personal data. Never log a field of this type.
public struct AbsenteeismRow: Sendable, Hashable {
    public var patientId: String
    public var givenName: String
    public var familyName: String
    public var birthDate: CivilDate?
    /// Completed years on the list's week-of date.
    public var age: Int?
    public var practicePatientId: String?
    /// The source of the row's absenteeism flag (the district's feed).
    public var source: String
    public var schoolId: String
    /// The school's name: the district's directory's, else the feed's; nil when neither gives one.
    public var schoolName: String?
    /// The school's attendance or health liaison's phone, from the district's directory.
    public var schoolPhone: String?
    public var grade: String?
    /// As stored in the flag evidence: `14`, `14.5`.
    public var daysAbsent: String
    public var daysEnrolled: Int
    /// Absent days ÷ enrolled days, a fraction.
    public var rate: Double
    public var tier: AbsenteeismTier
    public var change: AbsenteeismChange
    public var lastAbsence: CivilDate?
    /// Other active flags the practice may see, in `FlagKind` order, without repeats.
    public var otherFlags: [FlagKind]
    /// Every flag this row shows (the absenteeism flag first), for the accounting of disclosures.
    public var disclosedFlags: [Flag]
    /// Recent absences (30 days, excused and unexcused, 8-week trend); nil when not counted.
    public var recentAbsences: RecentAbsences? = nil
    /// The clinical lead's suggested next step for the row's tier; nil when the pipeline gives none.
    public var nextStep: String? = nil

    /// "Family, Given" with whichever parts are known.
    public var displayName: String {
        switch (familyName.isEmpty, givenName.isEmpty) {
        case (false, false): "\(familyName), \(givenName)"
        case (false, true): familyName
        case (true, false): givenName
        case (true, true): "(name not recorded)"
        }
    }

    /// The rate as shown on the list, one decimal: `12.3%`.
    public var ratePercent: String { AbsenteeismRow.percent(rate) }

    static func percent(_ rate: Double) -> String {
        let tenths = Int((rate * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

/// A practice's Monday absenteeism list: most urgent first, possibly empty.
public struct AbsenteeismList: Sendable, Hashable {
    public var practiceId: String
    public var practiceName: String
    /// The Monday of the list's week.
    public var weekOf: CivilDate
    public var rows: [AbsenteeismRow]
    /// How recent each source on the list is (`freshness(from:)`); empty when the caller did not say.
    public var dataFreshness: [SourceFreshness] = []

    /// Builds the list from already-authorised patients; a patient whose flag is not an active absenteeism
    /// flag of a listed tier is left out, and a patient given twice (two districts) appears once, at the
    /// more urgent row.
    public init(
        practiceId: String, practiceName: String, weekOf: CivilDate, patients: [ListedPatient],
        options: AbsenteeismListOptions = .init()
    ) {
        self.practiceId = practiceId
        self.practiceName = practiceName
        self.weekOf = weekOf.mondayOfWeek
        let monday = weekOf.mondayOfWeek
        // A student in two districts has two flags: the list shows the more urgent one.
        var seen = Set<String>()
        rows = patients.compactMap { AbsenteeismList.row(for: $0, on: monday, options: options) }
            .sorted(by: AbsenteeismList.moreUrgent)
            .filter { seen.insert($0.patientId).inserted }
    }

    /// Counts for the summary at the top of a list.
    public struct Summary: Sendable, Hashable {
        public var chronic = 0
        public var severe = 0
        public var moderate = 0
        public var atRisk = 0
        public var new = 0
        public var worse = 0
    }

    /// Every flag the list shows, row by row: what the disclosure log must record for this report.
    public var disclosedFlags: [Flag] { rows.flatMap(\.disclosedFlags) }

    /// The counts shown at the top of the list.
    public var summary: Summary {
        var s = Summary()
        for row in rows {
            switch row.tier {
            case .severe: s.severe += 1
            case .moderate: s.moderate += 1
            case .atRisk: s.atRisk += 1
            case .satisfactory: break
            }
            if row.tier.isChronic { s.chronic += 1 }
            if row.change == .new { s.new += 1 }
            if row.change == .worse { s.worse += 1 }
        }
        return s
    }

    /// Severe before moderate before at risk; then higher rate, worse before new before unchanged before
    /// better, more other flags; then name and patient id so equal rows keep one order.
    static func moreUrgent(_ a: AbsenteeismRow, _ b: AbsenteeismRow) -> Bool {
        if a.tier != b.tier { return a.tier > b.tier }
        let ra = Int((a.rate * 10_000).rounded())
        let rb = Int((b.rate * 10_000).rounded())
        if ra != rb { return ra > rb }
        if a.change != b.change { return a.change.urgency > b.change.urgency }
        if a.otherFlags.count != b.otherFlags.count { return a.otherFlags.count > b.otherFlags.count }
        return (a.familyName, a.givenName, a.patientId) < (b.familyName, b.givenName, b.patientId)
    }

    static func row(for p: ListedPatient, on monday: CivilDate, options: AbsenteeismListOptions) -> AbsenteeismRow? {
        let flag = p.absenteeism
        let e = flag.evidence
        guard flag.kind == .chronicAbsenteeism, flag.status == .active,
            let tier = AbsenteeismTier(rawValue: flag.tier),
            tier.isChronic || (tier == .atRisk && options.includeAtRisk),
            let rateText = e[FlagEvidenceKey.rate], let rate = Double(rateText)
        else { return nil }
        let previous = e[FlagEvidenceKey.previousRate].flatMap(Double.init)
        let shown = p.otherFlags.filter { $0.status == .active && options.visibleKinds.contains($0.kind) }
        let visible = Set(shown.map(\.kind))
        let schoolId = e[FlagEvidenceKey.schoolId] ?? ""
        let school = options.schools.school(source: flag.source, id: schoolId)
        var row = AbsenteeismRow(
            patientId: p.patientId, givenName: p.givenName ?? "", familyName: p.familyName ?? "",
            birthDate: p.birthDate, age: p.birthDate.map { $0.age(on: monday) }, practicePatientId: p.practicePatientId,
            source: flag.source, schoolId: schoolId, schoolName: school?.name ?? e[FlagEvidenceKey.schoolName],
            schoolPhone: school?.liaisonPhone, grade: e[FlagEvidenceKey.grade],
            daysAbsent: e[FlagEvidenceKey.daysAbsent] ?? "",
            daysEnrolled: Int(e[FlagEvidenceKey.daysEnrolled] ?? "") ?? 0, rate: rate, tier: tier,
            change: change(
                rate: rate, tier: tier, previousRate: previous, onLastWeeksList: p.onLastWeeksList, options: options),
            lastAbsence: e[FlagEvidenceKey.lastAbsence].flatMap { CivilDate(iso: $0) },
            otherFlags: FlagKind.allCases.filter(visible.contains), disclosedFlags: [flag] + shown)
        row.recentAbsences = p.recentAbsences
        row.nextStep = options.nextSteps[tier]
        return row
    }

    /// New when the patient was not listed a week ago (or, unknown, was below this tier's floor); else the
    /// rate's direction at the list's precision of 0.1 percentage point.
    public static func change(
        rate: Double, tier: AbsenteeismTier, previousRate: Double?, onLastWeeksList: Bool?,
        options: AbsenteeismListOptions = .init()
    ) -> AbsenteeismChange {
        let floor = tier.isChronic ? options.chronicThreshold : options.atRiskThreshold
        if onLastWeeksList == false { return .new }
        guard let previousRate else { return .new }
        if onLastWeeksList == nil, previousRate + 1e-9 < floor { return .new }
        let now = Int((rate * 1000).rounded())
        let then = Int((previousRate * 1000).rounded())
        return now > then ? .worse : now < then ? .better : .unchanged
    }
}

extension AbsenteeismTier {
    /// The tier as a practice reads it.
    public var label: String {
        switch self {
        case .severe: "Severe"
        case .moderate: "Moderate"
        case .atRisk: "At risk (not chronic)"
        case .satisfactory: "Satisfactory"
        }
    }
}

extension FlagKind {
    /// The flag as a practice reads it on a list.
    public var label: String {
        switch self {
        case .chronicAbsenteeism: "Chronic absenteeism"
        case .shelteredHomelessness: "Sheltered homelessness"
        case .unshelteredHomelessness: "Unsheltered homelessness"
        case .incarceration: "Incarcerated"
        case .recentRelease: "Recently released from jail"
        case .housingInstability: "Housing instability"
        case .housed: "Recently housed"
        }
    }
}
