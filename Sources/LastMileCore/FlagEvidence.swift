/// The evidence keys flags carry, shared by the deriver (`Flags`) and the readers (`Reports`, the warehouse).
///
/// Values are strings: whole numbers (`14`), decimals with a dot (`14.5`, rates as fractions `0.1234`),
/// and dates as `YYYY-MM-DD`.
public enum FlagEvidenceKey {
    // Chronic absenteeism (school year to date).
    public static let daysAbsent = "days_absent"
    public static let daysEnrolled = "days_enrolled"
    /// Absent days ÷ enrolled days, a fraction with four decimals.
    public static let rate = "rate"
    public static let lastAbsence = "last_absence"
    public static let schoolId = "school_id"
    public static let schoolName = "school_name"
    public static let grade = "grade"
    public static let schoolYearStart = "school_year_start"
    /// The rate as of seven days before the as-of date; absent when nothing was enrolled then.
    public static let previousRate = "previous_rate"
    public static let previousDaysAbsent = "previous_days_absent"
    public static let previousDaysEnrolled = "previous_days_enrolled"
    /// The date an aggregate feed's totals count to (`basis` `reported-totals` only).
    public static let totalsAsOf = "totals_as_of"

    // Homelessness, incarceration, housing.
    public static let projectType = "project_type"
    public static let stays = "stays"
    public static let bedNights = "bed_nights"
    public static let lastBedNight = "last_bed_night"
    public static let contacts = "contacts"
    public static let lastContact = "last_contact"
    public static let bookedOn = "booked_on"
    public static let releasedOn = "released_on"
    public static let daysInCustody = "days_in_custody"
    public static let windowDays = "window_days"
    /// What kind of record the housing evidence came from: `by-name-list`, `eviction-filing`, `prevention`,
    /// `hmis-exit`, `move-in`. On an absenteeism flag, where its enrolled days came from: `enrollment-calendar`
    /// (an absences-only feed) or `reported-totals` (an aggregate feed); absent for positive attendance.
    public static let basis = "basis"
    public static let lastStatus = "last_status"
    public static let lastStatusDate = "last_status_date"
    public static let housedOn = "housed_on"
}

/// How far a student's absence rate has gone, in Attendance Works' commonly used bands.
///
/// Stored in `Flag.tier` of a `chronic-absenteeism` flag. Only `moderate` and `severe` are chronic; an
/// `at-risk` flag is a watch signal and carries no diagnosis code.
public enum AbsenteeismTier: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Below the at-risk threshold (5 % by default). Never emitted as a flag.
    case satisfactory
    /// 5–10 % by default: visible to practices, not chronic.
    case atRisk = "at-risk"
    /// 10–20 % by default: chronically absent.
    case moderate
    /// 20 % or more by default: severely chronically absent.
    case severe

    /// Whether the tier meets the chronic-absenteeism definition.
    public var isChronic: Bool { self == .moderate || self == .severe }

    private var rank: Int {
        switch self {
        case .satisfactory: 0
        case .atRisk: 1
        case .moderate: 2
        case .severe: 3
        }
    }

    public static func < (a: AbsenteeismTier, b: AbsenteeismTier) -> Bool { a.rank < b.rank }
}
