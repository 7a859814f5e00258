/// One span of a student's enrollment at a school, from an absences-only district's enrollment file (Ed-Fi
/// StudentSchoolAssociation's EntryDate and ExitWithdrawDate).
///
/// The span is half-open, as every lastmile period is: `entryDate` is the first enrolled day, `exitDate` the
/// first day no longer enrolled (nil while enrolled). Re-sent with an exit date it closes the same span.
public struct SchoolEnrollment: Sendable, Hashable, Codable {
    public var schoolId: String
    public var entryDate: CivilDate
    public var exitDate: CivilDate?

    public init(schoolId: String, entryDate: CivilDate, exitDate: CivilDate? = nil) {
        self.schoolId = schoolId
        self.entryDate = entryDate
        self.exitDate = exitDate
    }

    /// Whether the student was enrolled on `day`.
    public func contains(_ day: CivilDate) -> Bool { day >= entryDate && exitDate.map { day < $0 } ?? true }
}

/// A student's attendance totals to date at one school, as an aggregate feed (a state report, a monthly
/// CARE-H-style extract) sends them: days absent and days enrolled from the school year's start to `asOf`.
public struct AttendanceTotals: Sendable, Hashable, Codable {
    public var schoolId: String
    public var schoolName: String?
    public var grade: String?
    /// The date the totals count to (inclusive).
    public var asOf: CivilDate
    /// Days absent, possibly fractional (half days).
    public var daysAbsent: Double
    public var daysEnrolled: Int

    public init(
        schoolId: String, schoolName: String? = nil, grade: String? = nil, asOf: CivilDate, daysAbsent: Double,
        daysEnrolled: Int
    ) {
        self.schoolId = schoolId
        self.schoolName = schoolName
        self.grade = grade
        self.asOf = asOf
        self.daysAbsent = daysAbsent
        self.daysEnrolled = daysEnrolled
    }
}

/// One day of a school's calendar, from an absences-only district's calendar file (Ed-Fi CalendarDate).
/// Not personal data: it names a school and a date.
public struct SchoolCalendarDay: Sendable, Hashable {
    public var schoolId: String
    public var date: CivilDate
    /// Whether students were expected at school that day (holidays, weekends, in-service days are not).
    public var instructional: Bool

    public init(schoolId: String, date: CivilDate, instructional: Bool) {
        self.schoolId = schoolId
        self.date = date
        self.instructional = instructional
    }
}
