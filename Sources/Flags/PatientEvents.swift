import LastMileCore

/// An event with the name of the source that sent it.
public struct Sourced<Event: Sendable & Hashable>: Sendable, Hashable {
    /// The source config's name, e.g. `riverside-usd`; it becomes the flag's `source`.
    public var source: String
    public var event: Event

    public init(source: String, event: Event) {
        self.source = source
        self.event = event
    }
}

/// Everything known about one patient that flags are derived from, as loaded from the warehouse.
///
/// Order matters within a source: when two entries describe the same thing (a student's school day, an
/// enrollment, a booking, a housing record on one date), the later one wins, so append in load order.
public struct PatientEvents: Sendable, Hashable {
    public var patientId: String
    public var attendance: [Sourced<AttendanceDay>] = []
    /// Enrollment spans of absences-only school feeds.
    public var enrollments: [Sourced<SchoolEnrollment>] = []
    /// Totals to date of aggregate school feeds.
    public var attendanceTotals: [Sourced<AttendanceTotals>] = []
    public var shelterStays: [Sourced<ShelterStay>] = []
    public var bedNights: [Sourced<BedNight>] = []
    public var bookings: [Sourced<Booking>] = []
    public var housing: [Sourced<HousingStatusEvent>] = []

    public init(patientId: String) { self.patientId = patientId }

    /// Collects events grouped by source name; sources are taken in name order, events in array order.
    public init(patientId: String, eventsBySource: [String: [SourceEvent]]) {
        self.patientId = patientId
        for source in eventsBySource.keys.sorted() {
            for event in eventsBySource[source] ?? [] { append(event, from: source) }
        }
    }

    /// Adds one event after those already held.
    public mutating func append(_ event: SourceEvent, from source: String) {
        switch event {
        case .attendance(let e): attendance.append(Sourced(source: source, event: e))
        case .enrollment(let e): enrollments.append(Sourced(source: source, event: e))
        case .attendanceTotals(let e): attendanceTotals.append(Sourced(source: source, event: e))
        case .shelterStay(let e): shelterStays.append(Sourced(source: source, event: e))
        case .bedNight(let e): bedNights.append(Sourced(source: source, event: e))
        case .booking(let e): bookings.append(Sourced(source: source, event: e))
        case .housingStatus(let e): housing.append(Sourced(source: source, event: e))
        }
    }
}
