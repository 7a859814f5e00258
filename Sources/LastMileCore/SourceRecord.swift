/// What every extractor emits: one event about one person, with where it came from.
public struct SourceRecord: Sendable, Hashable, Codable {
    /// The source config's name, e.g. `riverside-usd`.
    public var source: String
    /// A stable id of this record within the source (booking number, enrollment id, student id + date),
    /// used so that a re-sent record replaces rather than duplicates.
    public var recordId: String
    public var person: PersonIdentity
    public var event: SourceEvent
    /// Record-level restrictions; any label makes the consent gate drop the record.
    public var labels: Set<RestrictionLabel>
    public var provenance: Provenance

    public init(
        source: String, recordId: String, person: PersonIdentity, event: SourceEvent,
        labels: Set<RestrictionLabel> = [], provenance: Provenance
    ) {
        self.source = source
        self.recordId = recordId
        self.person = person
        self.event = event
        self.labels = labels
        self.provenance = provenance
    }
}

/// Where a record came from: a file (relative to its input root) and the physical line it starts on.
public struct Provenance: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    /// 1-based physical line where the record starts (quoted newlines counted).
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A record-level restriction set by the extractor from the data itself.
public struct RestrictionLabel: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// From a victim service provider (VAWA): never disclosed.
    public static let victimServiceProvider = RestrictionLabel(rawValue: "victim-service-provider")
    /// About a juvenile (justice data): never enters.
    public static let juvenile = RestrictionLabel(rawValue: "juvenile")
    /// School data without a recorded FERPA basis.
    public static let ferpaBasisMissing = RestrictionLabel(rawValue: "ferpa-basis-missing")
    /// A sealed or expunged record.
    public static let sealed = RestrictionLabel(rawValue: "sealed")
    /// The person is currently fleeing domestic violence (HMIS HealthAndDV CurrentlyFleeing = 1).
    public static let currentlyFleeing = RestrictionLabel(rawValue: "currently-fleeing")

    public var description: String { rawValue }
}

/// The kind of data a source provides; consent directives and agreements are scoped by it.
public enum DataCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case education
    case shelter
    case justice
    case housing
}

/// One typed event about a person.
public enum SourceEvent: Sendable, Hashable, Codable {
    case attendance(AttendanceDay)
    /// An enrollment span of an absences-only school feed: with the school calendar it gives enrolled days.
    case enrollment(SchoolEnrollment)
    /// Days absent and enrolled to date, from an aggregate school feed.
    case attendanceTotals(AttendanceTotals)
    case shelterStay(ShelterStay)
    case bedNight(BedNight)
    case booking(Booking)
    case housingStatus(HousingStatusEvent)

    /// The data category of the event.
    public var category: DataCategory {
        switch self {
        case .attendance, .enrollment, .attendanceTotals: .education
        case .shelterStay, .bedNight: .shelter
        case .booking: .justice
        case .housingStatus: .housing
        }
    }
}

/// How a student attended one school day.
public enum AttendanceStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case present
    case absentExcused = "absent-excused"
    case absentUnexcused = "absent-unexcused"
    case tardy
    /// Left early or absent for part of the day (minutes may say how much).
    case partialDay = "partial-day"
    /// Absent the whole day, excused for illness: an excused absence wherever absences are counted, told apart
    /// only where a list shows illness. Last, so the order of the statuses before it (and their output) holds.
    case absentIllness = "absent-illness"

    /// A whole day absent, whatever the reason: excused, unexcused or illness.
    public var isWholeDayAbsence: Bool {
        switch self {
        case .absentExcused, .absentUnexcused, .absentIllness: true
        case .present, .tardy, .partialDay: false
        }
    }
}

/// One student, one school day. Re-sent with another status it is a correction of the same day.
public struct AttendanceDay: Sendable, Hashable, Codable {
    public var schoolId: String
    public var schoolName: String?
    public var grade: String?
    public var date: CivilDate
    public var status: AttendanceStatus
    public var minutesAbsent: Int?

    public init(
        schoolId: String, schoolName: String? = nil, grade: String? = nil, date: CivilDate,
        status: AttendanceStatus, minutesAbsent: Int? = nil
    ) {
        self.schoolId = schoolId
        self.schoolName = schoolName
        self.grade = grade
        self.date = date
        self.status = status
        self.minutesAbsent = minutesAbsent
    }
}

/// An HMIS enrollment in a homeless-services project (HMIS 2.02.6 ProjectType codes).
public struct ShelterStay: Sendable, Hashable, Codable {
    public var enrollmentId: String
    public var projectId: String
    /// HMIS ProjectType: 0/1 emergency shelter, 2 transitional, 4 street outreach, 8 safe haven, 13 RRH …
    public var projectType: Int
    public var entryDate: CivilDate
    public var exitDate: CivilDate?
    /// RRH/PSH move-in date: from here the person is housed.
    public var moveInDate: CivilDate?
    /// HMIS Destination code at exit (list 3.12.1), when exited.
    public var exitDestination: Int?

    public init(
        enrollmentId: String, projectId: String, projectType: Int, entryDate: CivilDate,
        exitDate: CivilDate? = nil, moveInDate: CivilDate? = nil, exitDestination: Int? = nil
    ) {
        self.enrollmentId = enrollmentId
        self.projectId = projectId
        self.projectType = projectType
        self.entryDate = entryDate
        self.exitDate = exitDate
        self.moveInDate = moveInDate
        self.exitDestination = exitDestination
    }
}

/// A night-by-night shelter bed night (HMIS Services RecordType 200), or a street-outreach contact.
public struct BedNight: Sendable, Hashable, Codable {
    public var enrollmentId: String
    public var projectType: Int
    public var date: CivilDate

    public init(enrollmentId: String, projectType: Int, date: CivilDate) {
        self.enrollmentId = enrollmentId
        self.projectType = projectType
        self.date = date
    }
}

/// A county jail booking; re-sent with a release date-time it updates the same booking.
public struct Booking: Sendable, Hashable, Codable {
    public var bookingNumber: String
    public var bookedAt: CivilDateTime
    public var releasedAt: CivilDateTime?
    public var facility: String?
    /// Charge count only: the charges themselves are not carried past extraction (minimum necessary).
    public var chargeCount: Int?
    public var agency: String?

    public init(
        bookingNumber: String, bookedAt: CivilDateTime, releasedAt: CivilDateTime? = nil, facility: String? = nil,
        chargeCount: Int? = nil, agency: String? = nil
    ) {
        self.bookingNumber = bookingNumber
        self.bookedAt = bookedAt
        self.releasedAt = releasedAt
        self.facility = facility
        self.chargeCount = chargeCount
        self.agency = agency
    }
}

/// Which housing list a status event comes from.
public enum HousingRecordType: String, Sendable, Hashable, Codable, CaseIterable {
    case byNameList = "by-name-list"
    case evictionFiling = "eviction-filing"
}

/// A status on a coordinated-entry by-name list or an eviction case.
public enum HousingStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, housed, inactive, deceased
    case filed, judgment, dismissed
}

/// A by-name-list status change or an eviction filing event.
public struct HousingStatusEvent: Sendable, Hashable, Codable {
    public var recordId: String
    public var recordType: HousingRecordType
    public var status: HousingStatus
    public var statusDate: CivilDate
    public var program: String?
    public var householdId: String?

    public init(
        recordId: String, recordType: HousingRecordType, status: HousingStatus, statusDate: CivilDate,
        program: String? = nil, householdId: String? = nil
    ) {
        self.recordId = recordId
        self.recordType = recordType
        self.status = status
        self.statusDate = statusDate
        self.program = program
        self.householdId = householdId
    }
}
