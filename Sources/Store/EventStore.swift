import Foundation
import LastMileCore
import Logging
import Warehouse

/// Inserted and updated row counts of one upsert.
public struct UpsertCounts: Sendable, Codable, Equatable {
    public var inserted = 0
    public var updated = 0
    public init() {}
    package mutating func add(_ other: UpsertCounts) {
        inserted += other.inserted
        updated += other.updated
    }
}

/// Loads consented, matched events into the per-source event tables and reads them back for flag derivation.
///
/// Each kind is written with a `StagedMerge` keyed by the source's own record key, so a re-sent record replaces
/// what it corrects; within one load the last record of a key wins. Rows are rewritten only when a value
/// changed, so a repeated load leaves the tables untouched. A source's first load is COPYed straight in.
package struct EventStore {
    package let connection: Connection
    package var logger: Logger? = nil

    /// Merge through staging even into an empty table (to compare with the COPY fast path).
    package var alwaysMerge = false

    package init(connection: Connection, logger: Logger? = nil, alwaysMerge: Bool = false) {
        self.connection = connection
        self.logger = logger
        self.alwaysMerge = alwaysMerge
    }

    /// A record that passed both gates, with the patient it was linked to.
    package struct LinkedRecord {
        var record: SourceRecord
        var patientId: String

        package init(record: SourceRecord, patientId: String) {
            self.record = record
            self.patientId = patientId
        }
    }

    package func load(_ records: [LinkedRecord], runId: Int64) throws -> UpsertCounts {
        var counts = UpsertCounts()
        // Each kind's rows are (index into `records`, event): the records themselves are not copied.
        var attendance: [(Int, AttendanceDay)] = []
        var stays: [(Int, ShelterStay)] = []
        var nights: [(Int, BedNight)] = []
        var bookings: [(Int, Booking)] = []
        var housing: [(Int, HousingStatusEvent)] = []
        for i in records.indices {
            switch records[i].record.event {
            case .attendance(let e): attendance.append((i, e))
            case .shelterStay(let e): stays.append((i, e))
            case .bedNight(let e): nights.append((i, e))
            case .booking(let e): bookings.append((i, e))
            case .housingStatus(let e): housing.append((i, e))
            }
        }
        if !attendance.isEmpty {
            counts.add(
                try merge(
                    table: "attendance_day",
                    columns: ["source", "student_id", "attendance_date", "patient_id", "school_id", "grade", "status", "minutes_absent"],
                    key: ["source", "student_id", "attendance_date"], runId: runId, records: records, rows: attendance,
                    rowKey: { RowKey(records[$0.0].record.source, Self.studentId(records[$0.0]), date: $0.1.date) }
                ) { w, linked, e in
                    try w.append(linked.record.source)
                    try w.append(Self.studentId(linked))
                    try w.append(e.date)
                    try w.append(linked.patientId)
                    try w.append(e.schoolId)
                    try w.append(e.grade)
                    try w.append(e.status.rawValue)
                    try w.append(e.minutesAbsent)
                })
        }
        if !stays.isEmpty {
            counts.add(
                try merge(
                    table: "shelter_stay",
                    columns: ["source", "enrollment_id", "patient_id", "project_id", "project_type", "entry_date", "exit_date", "move_in_date", "exit_destination"],
                    key: ["source", "enrollment_id"], runId: runId, records: records, rows: stays,
                    rowKey: { RowKey(records[$0.0].record.source, $0.1.enrollmentId) }
                ) { w, linked, e in
                    try w.append(linked.record.source)
                    try w.append(e.enrollmentId)
                    try w.append(linked.patientId)
                    try w.append(e.projectId)
                    try w.append(e.projectType)
                    try w.append(e.entryDate)
                    try w.append(e.exitDate)
                    try w.append(e.moveInDate)
                    try w.append(e.exitDestination)
                })
        }
        if !nights.isEmpty {
            counts.add(
                try merge(
                    table: "bed_night", columns: ["source", "enrollment_id", "night", "patient_id", "project_type"],
                    key: ["source", "enrollment_id", "night"], runId: runId, records: records, rows: nights,
                    rowKey: { RowKey(records[$0.0].record.source, $0.1.enrollmentId, date: $0.1.date) }
                ) { w, linked, e in
                    try w.append(linked.record.source)
                    try w.append(e.enrollmentId)
                    try w.append(e.date)
                    try w.append(linked.patientId)
                    try w.append(e.projectType)
                })
        }
        if !bookings.isEmpty {
            counts.add(
                try merge(
                    table: "booking",
                    columns: ["source", "booking_number", "patient_id", "booked_at", "released_at", "facility", "charge_count", "agency"],
                    key: ["source", "booking_number"], runId: runId, records: records, rows: bookings,
                    rowKey: { RowKey(records[$0.0].record.source, $0.1.bookingNumber) }
                ) { w, linked, e in
                    try w.append(linked.record.source)
                    try w.append(e.bookingNumber)
                    try w.append(linked.patientId)
                    try w.append(e.bookedAt)
                    try w.append(e.releasedAt)
                    try w.append(e.facility)
                    try w.append(e.chargeCount)
                    try w.append(e.agency)
                })
        }
        if !housing.isEmpty {
            counts.add(
                try merge(
                    table: "housing_status",
                    columns: ["source", "record_id", "patient_id", "record_type", "status", "status_date", "program", "household_id"],
                    key: ["source", "record_id"], runId: runId, records: records, rows: housing,
                    rowKey: { RowKey(records[$0.0].record.source, $0.1.recordId) }
                ) { w, linked, e in
                    try w.append(linked.record.source)
                    try w.append(e.recordId)
                    try w.append(linked.patientId)
                    try w.append(e.recordType.rawValue)
                    try w.append(e.status.rawValue)
                    try w.append(e.statusDate)
                    try w.append(e.program)
                    try w.append(e.householdId)
                })
        }
        return counts
    }

    /// One `StagedMerge` per kind, keyed by the source's record key and partitioned by source (so a first night
    /// or a new source's backfill is COPYed straight in); a rewrite records the run.
    private func merge<Event>(
        table: String, columns: [String], key: [String], runId: Int64, records: [LinkedRecord], rows: [(Int, Event)],
        rowKey: ((Int, Event)) -> RowKey, write: (inout CopyWriter, LinkedRecord, Event) throws -> Void
    ) throws -> UpsertCounts {
        let merge = StagedMerge(
            table: table, columns: columns, key: key, runColumns: ["run_id"], onUpdate: ["run_id = $1"],
            partitionColumn: "source")
        let counts = try merge.run(
            rows, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge, rowKey: rowKey,
            partition: { records[$0.0].record.source }, write: { w, row in try write(&w, records[row.0], row.1) })
        var upserted = UpsertCounts()
        upserted.inserted = counts.inserted
        upserted.updated = counts.updated
        return upserted
    }

    /// The attendance key's student: the source person id, or the record id when the source has none.
    private static func studentId(_ linked: LinkedRecord) -> String {
        linked.record.person.sourcePersonId ?? linked.record.recordId
    }

    /// Every stored event, grouped by patient, in a stable order (for deterministic flags).
    package func eventsByPatient() throws -> [String: [(source: String, event: SourceEvent)]] {
        var byPatient: [String: [(source: String, event: SourceEvent)]] = [:]
        func add(_ row: QueryResult.Row, _ event: SourceEvent?) {
            guard let event, let patient = row["patient_id"], let source = row["source"] else { return }
            byPatient[patient, default: []].append((source, event))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, school_id, grade, attendance_date, status, minutes_absent
            FROM lastmile.attendance_day ORDER BY patient_id, source, attendance_date, student_id
            """
        ).rows {
            guard let date = row.date("attendance_date"), let school = row["school_id"],
                let status = row["status"].flatMap(AttendanceStatus.init(rawValue:))
            else { continue }
            add(row, .attendance(AttendanceDay(schoolId: school, grade: row["grade"], date: date, status: status, minutesAbsent: row.int("minutes_absent"))))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, enrollment_id, project_id, project_type, entry_date, exit_date, move_in_date,
                   exit_destination
            FROM lastmile.shelter_stay ORDER BY patient_id, source, entry_date, enrollment_id
            """
        ).rows {
            guard let entry = row.date("entry_date"), let type = row.int("project_type") else { continue }
            add(row, .shelterStay(ShelterStay(
                enrollmentId: row["enrollment_id"] ?? "", projectId: row["project_id"] ?? "", projectType: type,
                entryDate: entry, exitDate: row.date("exit_date"), moveInDate: row.date("move_in_date"),
                exitDestination: row.int("exit_destination"))))
        }
        for row in try connection.execute(
            "SELECT source, patient_id, enrollment_id, project_type, night FROM lastmile.bed_night ORDER BY patient_id, source, night, enrollment_id"
        ).rows {
            guard let night = row.date("night"), let type = row.int("project_type") else { continue }
            add(row, .bedNight(BedNight(enrollmentId: row["enrollment_id"] ?? "", projectType: type, date: night)))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, booking_number, booked_at, released_at, facility, charge_count, agency
            FROM lastmile.booking ORDER BY patient_id, source, booked_at, booking_number
            """
        ).rows {
            guard let booked = row["booked_at"].flatMap(Self.dateTime) else { continue }
            add(row, .booking(Booking(
                bookingNumber: row["booking_number"] ?? "", bookedAt: booked,
                releasedAt: row["released_at"].flatMap(Self.dateTime), facility: row["facility"],
                chargeCount: row.int("charge_count"), agency: row["agency"])))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, record_id, record_type, status, status_date, program, household_id
            FROM lastmile.housing_status ORDER BY patient_id, source, status_date, record_id
            """
        ).rows {
            guard let type = row["record_type"].flatMap(HousingRecordType.init(rawValue:)),
                let status = row["status"].flatMap(HousingStatus.init(rawValue:)), let date = row.date("status_date")
            else { continue }
            add(row, .housingStatus(HousingStatusEvent(
                recordId: row["record_id"] ?? "", recordType: type, status: status, statusDate: date,
                program: row["program"], householdId: row["household_id"])))
        }
        return byPatient
    }

    /// Parses PostgreSQL's `timestamp` text (`YYYY-MM-DD HH:MM:SS`).
    package static func dateTime(_ text: String) -> CivilDateTime? {
        guard text.count >= 19, let date = CivilDate(iso: text.prefix(10)) else { return nil }
        let parts = text.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return CivilDateTime(date: date, hour: parts[0], minute: parts[1], second: parts[2])
    }
}
