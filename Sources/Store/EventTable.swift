import Foundation
import LastMileCore
import Warehouse

/// One event table as `EventStore` writes it: the table, its key, and each column beside the value it takes
/// from a linked record, so the column list and the row writer are one list and cannot drift apart.
package struct EventTable<Event> {
    /// A column and how a linked record's event fills it.
    package struct Column {
        package var name: String
        package var write: (inout CopyWriter, EventStore.LinkedRecord, Event) throws -> Void

        package init(
            _ name: String, _ write: @escaping (inout CopyWriter, EventStore.LinkedRecord, Event) throws -> Void
        ) {
            self.name = name
            self.write = write
        }

        /// The source the record came from (the first key column of every event table).
        package static var source: Column { Column("source") { w, r, _ in try w.append(r.record.source) } }
        /// The patient the record was linked to.
        package static var patientId: Column { Column("patient_id") { w, r, _ in try w.append(r.patientId) } }
    }

    /// The table in schema `lastmile`.
    package var name: String
    /// The primary key (a subset of the columns' names).
    package var key: [String]
    /// The row's key fields, in `key` order, as the columns write them.
    package var rowKey: (EventStore.LinkedRecord, Event) -> RowKey
    /// The columns, in the order they are written.
    package var columns: [Column]
}

extension EventTable where Event == AttendanceDay {
    package static var attendanceDay: Self {
        Self(
            name: "attendance_day", key: ["source", "student_id", "attendance_date"],
            rowKey: { r, e in RowKey(r.record.source, studentId(r), date: e.date) },
            columns: [
                .source, Column("student_id") { w, r, _ in try w.append(studentId(r)) },
                Column("attendance_date") { w, _, e in try w.append(e.date) }, .patientId,
                Column("school_id") { w, _, e in try w.append(e.schoolId) },
                Column("grade") { w, _, e in try w.append(e.grade) },
                Column("status") { w, _, e in try w.append(e.status.rawValue) },
                Column("minutes_absent") { w, _, e in try w.append(e.minutesAbsent) },
            ])
    }

    /// The attendance key's student: the source person id, or the record id when the source has none.
    private static func studentId(_ linked: EventStore.LinkedRecord) -> String {
        linked.record.person.sourcePersonId ?? linked.record.recordId
    }
}

extension EventTable where Event == ShelterStay {
    package static var shelterStay: Self {
        Self(
            name: "shelter_stay", key: ["source", "enrollment_id"],
            rowKey: { r, e in RowKey(r.record.source, e.enrollmentId) },
            columns: [
                .source, Column("enrollment_id") { w, _, e in try w.append(e.enrollmentId) }, .patientId,
                Column("project_id") { w, _, e in try w.append(e.projectId) },
                Column("project_type") { w, _, e in try w.append(e.projectType) },
                Column("entry_date") { w, _, e in try w.append(e.entryDate) },
                Column("exit_date") { w, _, e in try w.append(e.exitDate) },
                Column("move_in_date") { w, _, e in try w.append(e.moveInDate) },
                Column("exit_destination") { w, _, e in try w.append(e.exitDestination) },
            ])
    }
}

extension EventTable where Event == BedNight {
    package static var bedNight: Self {
        Self(
            name: "bed_night", key: ["source", "enrollment_id", "night"],
            rowKey: { r, e in RowKey(r.record.source, e.enrollmentId, date: e.date) },
            columns: [
                .source, Column("enrollment_id") { w, _, e in try w.append(e.enrollmentId) },
                Column("night") { w, _, e in try w.append(e.date) }, .patientId,
                Column("project_type") { w, _, e in try w.append(e.projectType) },
            ])
    }
}

extension EventTable where Event == Booking {
    package static var booking: Self {
        Self(
            name: "booking", key: ["source", "booking_number"],
            rowKey: { r, e in RowKey(r.record.source, e.bookingNumber) },
            columns: [
                .source, Column("booking_number") { w, _, e in try w.append(e.bookingNumber) }, .patientId,
                Column("booked_at") { w, _, e in try w.append(e.bookedAt) },
                Column("released_at") { w, _, e in try w.append(e.releasedAt) },
                Column("facility") { w, _, e in try w.append(e.facility) },
                Column("charge_count") { w, _, e in try w.append(e.chargeCount) },
                Column("agency") { w, _, e in try w.append(e.agency) },
            ])
    }
}

extension EventTable where Event == HousingStatusEvent {
    package static var housingStatus: Self {
        Self(
            name: "housing_status", key: ["source", "record_id"],
            rowKey: { r, e in RowKey(r.record.source, e.recordId) },
            columns: [
                .source, Column("record_id") { w, _, e in try w.append(e.recordId) }, .patientId,
                Column("record_type") { w, _, e in try w.append(e.recordType.rawValue) },
                Column("status") { w, _, e in try w.append(e.status.rawValue) },
                Column("status_date") { w, _, e in try w.append(e.statusDate) },
                Column("program") { w, _, e in try w.append(e.program) },
                Column("household_id") { w, _, e in try w.append(e.householdId) },
            ])
    }
}
