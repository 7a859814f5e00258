import LastMileCore

/// A `PersonIdentity` field, spelled as in consent-policy.yaml.
public enum PersonField: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case sourcePersonId = "source_person_id"
    case givenName = "given_name"
    case middleName = "middle_name"
    case familyName = "family_name"
    case suffix
    case birthDate = "birth_date"
    case sex
    case street
    case city
    case state
    case postalCode = "postal_code"
    case phone
    case ssn
    case ssnLast4 = "ssn_last4"

    /// Fields the matcher compares or keys the crosswalk by: all of them. Kept only when the agreement permits.
    public static let neededForMatching: Set<PersonField> = Set(allCases)

    public static func < (a: PersonField, b: PersonField) -> Bool { a.rawValue < b.rawValue }
}

/// A field of a `SourceEvent`, spelled as in consent-policy.yaml (`date`, `status` … per category).
public enum EventField: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    // attendance (education)
    case schoolId = "school_id"
    case schoolName = "school_name"
    case grade
    case date
    case status
    case minutesAbsent = "minutes_absent"
    // shelter stays and bed nights (shelter)
    case enrollmentId = "enrollment_id"
    case projectId = "project_id"
    case projectType = "project_type"
    case entryDate = "entry_date"
    case exitDate = "exit_date"
    case moveInDate = "move_in_date"
    case exitDestination = "exit_destination"
    // bookings (justice)
    case bookingNumber = "booking_number"
    case bookedAt = "booked_at"
    case releasedAt = "released_at"
    case facility
    case chargeCount = "charge_count"
    case agency
    // housing status (housing)
    case recordId = "record_id"
    case recordType = "record_type"
    case statusDate = "status_date"
    case program
    case householdId = "household_id"

    public static func < (a: EventField, b: EventField) -> Bool { a.rawValue < b.rawValue }

    /// The event fields that exist for a data category.
    public static func fields(of category: DataCategory) -> Set<EventField> {
        switch category {
        case .education: [.schoolId, .schoolName, .grade, .date, .status, .minutesAbsent]
        case .shelter:
            [.enrollmentId, .projectId, .projectType, .entryDate, .exitDate, .moveInDate, .exitDestination, .date]
        case .justice: [.bookingNumber, .bookedAt, .releasedAt, .facility, .chargeCount, .agency]
        case .housing: [.recordId, .recordType, .status, .statusDate, .program, .householdId]
        }
    }

    /// Non-optional event fields: the record cannot exist without them, so an agreement must permit them.
    public static func required(for category: DataCategory) -> Set<EventField> {
        switch category {
        case .education: [.schoolId, .date, .status]
        case .shelter: [.enrollmentId, .projectId, .projectType, .entryDate, .date]
        case .justice: [.bookingNumber, .bookedAt]
        case .housing: [.recordId, .recordType, .status, .statusDate]
        }
    }

    /// The optional event fields flag rules read (dates, statuses, counts that decide a flag), and the grade,
    /// which the absenteeism flag carries as evidence for the Monday list (issue 7: "school and grade").
    ///
    /// Everything else (school name, charge count, agency, facility, program, household) is stripped at gate 1
    /// even when the agreement permits it: no flag needs it.
    public static func neededForFlags(_ category: DataCategory) -> Set<EventField> {
        switch category {
        case .education: [.minutesAbsent, .grade]
        case .shelter: [.exitDate, .moveInDate, .exitDestination]
        case .justice: [.releasedAt]
        case .housing: []
        }
    }
}

extension PersonField {
    /// A distinct bit per field, for masks.
    var bit: UInt32 {
        switch self {
        case .sourcePersonId: 1 << 0
        case .givenName: 1 << 1
        case .middleName: 1 << 2
        case .familyName: 1 << 3
        case .suffix: 1 << 4
        case .birthDate: 1 << 5
        case .sex: 1 << 6
        case .street: 1 << 7
        case .city: 1 << 8
        case .state: 1 << 9
        case .postalCode: 1 << 10
        case .phone: 1 << 11
        case .ssn: 1 << 12
        case .ssnLast4: 1 << 13
        }
    }
}

extension EventField {
    /// A distinct bit per field, for masks.
    var bit: UInt32 {
        switch self {
        case .schoolId: 1 << 0
        case .schoolName: 1 << 1
        case .grade: 1 << 2
        case .date: 1 << 3
        case .status: 1 << 4
        case .minutesAbsent: 1 << 5
        case .enrollmentId: 1 << 6
        case .projectId: 1 << 7
        case .projectType: 1 << 8
        case .entryDate: 1 << 9
        case .exitDate: 1 << 10
        case .moveInDate: 1 << 11
        case .exitDestination: 1 << 12
        case .bookingNumber: 1 << 13
        case .bookedAt: 1 << 14
        case .releasedAt: 1 << 15
        case .facility: 1 << 16
        case .chargeCount: 1 << 17
        case .agency: 1 << 18
        case .recordId: 1 << 19
        case .recordType: 1 << 20
        case .statusDate: 1 << 21
        case .program: 1 << 22
        case .householdId: 1 << 23
        }
    }
}
