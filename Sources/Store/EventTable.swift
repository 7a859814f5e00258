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

        /// A column holding one of the event's values.
        package init<Value: CopyField>(_ name: String, _ value: KeyPath<Event, Value>) {
            self.init(name) { w, _, e in try e[keyPath: value].append(to: &w) }
        }

        /// The source the record came from (the first key column of every event table).
        package static var source: Column { Column("source") { w, r, _ in try w.append(r.record.source) } }
        /// The patient the record was linked to.
        package static var patientId: Column { Column("patient_id") { w, r, _ in try w.append(r.patientId) } }
        /// The input file (its SHA-256) the record came from; not compared, so a row re-sent unchanged in a
        /// later file keeps naming the file that last changed it.
        package static var fileSha256: Column {
            Column(EventTable.fileColumn) { w, r, _ in try w.append(r.fileSha256) }
        }
    }

    /// The table in schema `lastmile`.
    package var name: String
    /// The primary key (a subset of the columns' names).
    package var key: [String]
    /// The row's key fields, in `key` order, as the columns write them.
    package var rowKey: (EventStore.LinkedRecord, Event) -> RowKey
    /// The columns, in the order they are written.
    package var columns: [Column]
    /// For a table partitioned by school year (migration 12), the date of the row that picks its partition.
    package var partitionDate: ((Event) -> CivilDate)? = nil

    /// Appends one row's columns (without ending the row). The record and event are borrowed for all columns: a
    /// copy per column retained each of the record's strings, which cost more than the COPY on a large night
    /// (docs/benchmarks/nightly.md, run 8).
    package func write(
        _ writer: inout CopyWriter, _ linked: borrowing EventStore.LinkedRecord, _ event: borrowing Event
    ) throws {
        for column in columns { try column.write(&writer, linked, event) }
    }

    /// Each row's `RowHash` (of its columns as `write` appends them, without the file column: a row re-sent
    /// unchanged in a later file is the same row), and a 64-bit hash of its key columns (FNV-1a of their COPY
    /// bytes), which `EventStore` compares before it builds any row's `RowKey`.
    package func rowHashes(_ rows: [(Int, Event)], of records: [EventStore.LinkedRecord]) throws
        -> (rows: [RowHash], keys: [UInt64])
    {
        let hashed = columns.filter { $0.name != Self.fileColumn }
        let keyColumns = key.compactMap { name in columns.first { $0.name == name } }
        let count = rows.count
        // The rows are hashed in as many slices as there are cores (the server waits meanwhile).
        let slices = count < 4096 ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount)
        var hashes = [RowHash](repeating: RowHash.none, count: count)
        var keyHashes = [UInt64](repeating: 0, count: count)
        // Through buffer pointers, whose elements are borrowed: an array's subscript copied each record (and
        // released it) twice a row, a fifth of the hashing time.
        try records.withUnsafeBufferPointer { records in
            try rows.withUnsafeBufferPointer { rows in
                try hashes.withUnsafeMutableBufferPointer { hashes in
                    try keyHashes.withUnsafeMutableBufferPointer { keyHashes in
                        try forEachSlice(of: count, slices: slices) { part, _ in
                            var scratch = CopyWriter()
                            for row in part {
                                try Self.write(keyColumns, &scratch, records[rows[row].0], rows[row].1)
                                keyHashes[row] = scratch.takeRow(Self.fnv1a)
                                try Self.write(hashed, &scratch, records[rows[row].0], rows[row].1)
                                hashes[row] = scratch.takeRow { RowHash(of: $0) }
                            }
                        }
                    }
                }
            }
        }
        return (hashes, keyHashes)
    }

    /// Appends `columns` of one row, the record and event borrowed (not copied per column).
    private static func write(
        _ columns: [Column], _ writer: inout CopyWriter, _ linked: borrowing EventStore.LinkedRecord,
        _ event: borrowing Event
    ) throws {
        for column in columns { try column.write(&writer, linked, event) }
    }

    /// FNV-1a (64 bits) of the bytes.
    private static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The column naming the input file whose load last changed a row.
    package static var fileColumn: String { "file_sha256" }

    /// The columns whose change rewrites a row: every column but the key and the file.
    package var compared: [String] { columns.map(\.name).filter { !key.contains($0) && $0 != Self.fileColumn } }
}

extension EventTable where Event == AttendanceDay {
    package static var attendanceDay: Self {
        Self(
            name: "attendance_day", key: ["source", "student_id", "attendance_date"],
            rowKey: { r, e in RowKey(r.record.source, studentId(r), date: e.date) },
            columns: [
                .source, Column("student_id") { w, r, _ in try w.append(studentId(r)) },
                Column("attendance_date", \.date), .patientId, Column("school_id", \.schoolId),
                Column("grade", \.grade), Column("status", \.status.rawValue),
                Column("minutes_absent", \.minutesAbsent), .fileSha256,
            ], partitionDate: \.date)
    }
}

extension EventTable where Event == SchoolEnrollment {
    /// Enrollment spans of absences-only school feeds, one per student, school and entry date.
    package static var schoolEnrollment: Self {
        Self(
            name: "school_enrollment", key: ["source", "student_id", "school_id", "entry_date"],
            rowKey: { r, e in RowKey(r.record.source, studentId(r), e.schoolId, date: e.entryDate) },
            columns: [
                .source, Column("student_id") { w, r, _ in try w.append(studentId(r)) },
                Column("school_id", \.schoolId), Column("entry_date", \.entryDate), .patientId,
                Column("exit_date", \.exitDate), .fileSha256,
            ])
    }
}

extension EventTable where Event == AttendanceTotals {
    /// Aggregate school feeds' totals, one per student, school and date counted to.
    package static var attendanceTotals: Self {
        Self(
            name: "attendance_totals", key: ["source", "student_id", "school_id", "as_of"],
            rowKey: { r, e in RowKey(r.record.source, studentId(r), e.schoolId, date: e.asOf) },
            columns: [
                .source, Column("student_id") { w, r, _ in try w.append(studentId(r)) },
                Column("school_id", \.schoolId), Column("as_of", \.asOf), .patientId, Column("grade", \.grade),
                Column("days_absent") { w, _, e in try w.append(String(e.daysAbsent)) },
                Column("days_enrolled", \.daysEnrolled), .fileSha256,
            ])
    }
}

extension EventTable {
    /// The attendance key's student: the source person id, or the record id when the source has none.
    fileprivate static func studentId(_ linked: EventStore.LinkedRecord) -> String {
        linked.record.person.sourcePersonId ?? linked.record.recordId
    }
}

extension EventTable where Event == ShelterStay {
    package static var shelterStay: Self {
        Self(
            name: "shelter_stay", key: ["source", "enrollment_id"],
            rowKey: { r, e in RowKey(r.record.source, e.enrollmentId) },
            columns: [
                .source, Column("enrollment_id", \.enrollmentId), .patientId, Column("project_id", \.projectId),
                Column("project_type", \.projectType), Column("entry_date", \.entryDate),
                Column("exit_date", \.exitDate), Column("move_in_date", \.moveInDate),
                Column("exit_destination", \.exitDestination), .fileSha256,
            ])
    }
}

extension EventTable where Event == BedNight {
    package static var bedNight: Self {
        Self(
            name: "bed_night", key: ["source", "enrollment_id", "night"],
            rowKey: { r, e in RowKey(r.record.source, e.enrollmentId, date: e.date) },
            columns: [
                .source, Column("enrollment_id", \.enrollmentId), Column("night", \.date), .patientId,
                Column("project_type", \.projectType), .fileSha256,
            ], partitionDate: \.date)
    }
}

extension EventTable where Event == Booking {
    package static var booking: Self {
        Self(
            name: "booking", key: ["source", "booking_number"],
            rowKey: { r, e in RowKey(r.record.source, e.bookingNumber) },
            columns: [
                .source, Column("booking_number", \.bookingNumber), .patientId, Column("booked_at", \.bookedAt),
                Column("released_at", \.releasedAt), Column("facility", \.facility),
                Column("charge_count", \.chargeCount), Column("agency", \.agency), .fileSha256,
            ])
    }
}

extension EventTable where Event == HousingStatusEvent {
    package static var housingStatus: Self {
        Self(
            name: "housing_status", key: ["source", "record_id"],
            rowKey: { r, e in RowKey(r.record.source, e.recordId) },
            columns: [
                .source, Column("record_id", \.recordId), .patientId, Column("record_type", \.recordType.rawValue),
                Column("status", \.status.rawValue), Column("status_date", \.statusDate), Column("program", \.program),
                Column("household_id", \.householdId), .fileSha256,
            ])
    }
}

/// A value `CopyWriter` appends as one field (through its fast paths for integers and dates).
package protocol CopyField {
    func append(to writer: inout CopyWriter) throws
}

extension String: CopyField { package func append(to writer: inout CopyWriter) throws { try writer.append(self) } }
extension Int: CopyField { package func append(to writer: inout CopyWriter) throws { try writer.append(self) } }
extension CivilDate: CopyField { package func append(to writer: inout CopyWriter) throws { try writer.append(self) } }
extension CivilDateTime: CopyField {
    package func append(to writer: inout CopyWriter) throws { try writer.append(self) }
}

extension Optional: CopyField where Wrapped: CopyField {
    /// nil is SQL NULL.
    package func append(to writer: inout CopyWriter) throws {
        guard let self else { return try writer.append(nil as String?) }
        try self.append(to: &writer)
    }
}
