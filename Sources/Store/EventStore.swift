import Foundation
import LastMileCore
import Logging
import Warehouse

/// Inserted and updated row counts of one upsert.
public struct UpsertCounts: Sendable, Codable, Equatable {
    public var inserted = 0
    public var updated = 0
    /// Records identical to the stored row (not rewritten).
    public var unchanged = 0
    public init() {}
    package mutating func add(_ other: UpsertCounts) {
        inserted += other.inserted
        updated += other.updated
        unchanged += other.unchanged
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
        package var record: SourceRecord
        package var patientId: String
        /// The input file (its SHA-256) the record came from, stored with the row.
        package var fileSha256: String?

        package init(record: SourceRecord, patientId: String, fileSha256: String? = nil) {
            self.record = record
            self.patientId = patientId
            self.fileSha256 = fileSha256
        }
    }

    /// Writes each kind's records into its table (see `EventTable`); a kind without records writes nothing.
    package func load(_ records: [LinkedRecord], runId: Int64) throws -> UpsertCounts {
        let kinds = Kinds(records)
        var counts = UpsertCounts()
        counts.add(try merge(.attendanceDay, kinds.attendance, of: records, runId: runId))
        counts.add(try merge(.schoolEnrollment, kinds.enrollments, of: records, runId: runId))
        counts.add(try merge(.attendanceTotals, kinds.totals, of: records, runId: runId))
        counts.add(try merge(.shelterStay, kinds.stays, of: records, runId: runId))
        counts.add(try merge(.bedNight, kinds.nights, of: records, runId: runId))
        counts.add(try merge(.booking, kinds.bookings, of: records, runId: runId))
        counts.add(try merge(.housingStatus, kinds.housing, of: records, runId: runId))
        return counts
    }

    /// Each kind's rows as (index into the records, event): the records themselves are not copied.
    private struct Kinds {
        var attendance: [(Int, AttendanceDay)] = []
        var enrollments: [(Int, SchoolEnrollment)] = []
        var totals: [(Int, AttendanceTotals)] = []
        var stays: [(Int, ShelterStay)] = []
        var nights: [(Int, BedNight)] = []
        var bookings: [(Int, Booking)] = []
        var housing: [(Int, HousingStatusEvent)] = []

        init(_ records: [LinkedRecord]) {
            for i in records.indices {
                switch records[i].record.event {
                case .attendance(let e): attendance.append((i, e))
                case .enrollment(let e): enrollments.append((i, e))
                case .attendanceTotals(let e): totals.append((i, e))
                case .shelterStay(let e): stays.append((i, e))
                case .bedNight(let e): nights.append((i, e))
                case .booking(let e): bookings.append((i, e))
                case .housingStatus(let e): housing.append((i, e))
                }
            }
        }
    }

    /// Deletes the event rows of `source` whose key none of `kept` has — only those last written from the file
    /// `file` when it is given (a file loaded again no longer produces them), every one of the source otherwise
    /// (a full snapshot no longer lists them). The patient of `kept` is not read: only their keys.
    /// - Returns: the rows deleted.
    package func removeRows(of source: String, notIn kept: [LinkedRecord], lastWrittenBy file: String?) throws -> Int {
        let kinds = Kinds(kept)
        var removed = 0
        removed += try remove(.attendanceDay, kinds.attendance, of: kept, source: source, file: file)
        removed += try remove(.schoolEnrollment, kinds.enrollments, of: kept, source: source, file: file)
        removed += try remove(.attendanceTotals, kinds.totals, of: kept, source: source, file: file)
        removed += try remove(.shelterStay, kinds.stays, of: kept, source: source, file: file)
        removed += try remove(.bedNight, kinds.nights, of: kept, source: source, file: file)
        removed += try remove(.booking, kinds.bookings, of: kept, source: source, file: file)
        removed += try remove(.housingStatus, kinds.housing, of: kept, source: source, file: file)
        return removed
    }

    /// Stages the kept rows' columns, then deletes the source's rows (of `file`) without a staged key.
    private func remove<Event>(
        _ table: EventTable<Event>, _ rows: [(Int, Event)], of records: [LinkedRecord], source: String, file: String?
    ) throws -> Int {
        let stage = "kept_\(table.name)"
        let columnList = table.columns.map(\.name).joined(separator: ", ")
        try connection.execute(
            unsafeSQL: """
                DROP TABLE IF EXISTS pg_temp.\(stage);
                CREATE TEMP TABLE \(stage) ON COMMIT DROP AS SELECT \(columnList) FROM lastmile.\(table.name) WITH NO DATA;
                """)
        if !rows.isEmpty {
            try connection.withCopy("COPY \(stage) (\(columnList)) FROM STDIN") { writer in
                for row in rows {
                    try table.write(&writer, records[row.0], row.1)
                    try writer.endRow()
                }
            }
        }
        let matches = table.key.map { "k.\($0) = t.\($0)" }.joined(separator: " AND ")
        var parameters: [any SQLParameter] = [source]
        var fileFilter = ""
        if let file {
            parameters.append(file)
            fileFilter = " AND t.\(EventTable<Event>.fileColumn) = $2"
        }
        let deleted =
            try connection.execute(
                """
                DELETE FROM lastmile.\(table.name) t WHERE t.source = $1\(fileFilter)
                    AND NOT EXISTS (SELECT 1 FROM pg_temp.\(stage) k WHERE \(matches))
                """, parameters
            ).affectedRows ?? 0
        try connection.execute(unsafeSQL: "DROP TABLE pg_temp.\(stage)")
        return deleted
    }

    /// One `StagedMerge` per kind, keyed by the source's record key and partitioned by source (so a first night
    /// or a new source's backfill is COPYed straight in); a rewrite records the run.
    ///
    /// A row stored exactly as the batch has it (its `RowHash` is among the stored rows' of its source) is
    /// neither staged nor written, and counts as unchanged: a following night that re-sends its year to date
    /// stages only what changed. The stored hashes are read once per table and load, as one value.
    private func merge<Event>(
        _ table: EventTable<Event>, _ rows: [(Int, Event)], of records: [LinkedRecord], runId: Int64
    ) throws -> UpsertCounts {
        guard !rows.isEmpty else { return UpsertCounts() }
        if let date = table.partitionDate {
            // No default partition: each school year the batch writes needs its own before the COPY or merge.
            let years = Set(rows.map { SchoolYear(containing: date($0.1)).startYear })
            try SchoolYearPartitions(connection: connection).ensure(table.name, years: years)
        }
        let started = ContinuousClock.now
        let hashes = try table.rowHashes(rows, of: records)
        let hashed = ContinuousClock.now
        let stored = try storedHashes(table.name, sources: Self.distinctSources(rows, of: records))
        let read = ContinuousClock.now
        let known = Self.knownRows(
            rows, hashes: hashes, stored: stored, rowKey: { table.rowKey(records[$0.0], $0.1) })
        var upserted = UpsertCounts()
        upserted.unchanged = known.distinct
        var written: [(index: Int, event: Event, hash: RowHash)] = []
        written.reserveCapacity(rows.count - known.rows)
        for i in rows.indices where !known.skip[i] { written.append((rows[i].0, rows[i].1, hashes.rows[i])) }
        if known.rows > 0 {
            logger?.debug(
                "stored rows re-sent unchanged; not staged",
                metadata: [
                    "table": "\(table.name)", "rows.skipped": .number(known.rows),
                    "seconds.hash": .seconds((hashed - started).seconds),
                    "seconds.read": .seconds((read - hashed).seconds),
                    "seconds.compare": .seconds((ContinuousClock.now - read).seconds),
                ])
        }
        guard !written.isEmpty else { return upserted }
        var merge = StagedMerge(
            table: table.name, columns: table.columns.map(\.name) + [RowHash.column], key: table.key,
            compared: table.compared, runColumns: ["run_id"], onUpdate: ["run_id = $1"], partitionColumn: "source")
        merge.partitioned = table.partitionDate != nil
        merge.hashColumn = RowHash.column
        let counts = try merge.run(
            written, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge,
            rowKey: { table.rowKey(records[$0.index], $0.event) }, partition: { records[$0.index].record.source },
            write: { w, row in
                try table.write(&w, records[row.index], row.event)
                try row.hash.append(to: &w)
            })
        upserted.inserted = counts.inserted
        upserted.updated = counts.updated
        upserted.unchanged += counts.unchanged
        return upserted
    }

    /// The rows of a batch not to be written, `skip` by row: those stored exactly so (their hash is in
    /// `stored`), and every row of a key whose last row in the batch is stored so (the batch's last row of a key
    /// wins). A stored row followed by a change of its key is written, in batch order. Also returns how many
    /// `rows` are skipped and how many `distinct` stored rows (keys) they are, the batch's unchanged keys.
    /// Only the rows whose key hash a changed row shares have their `RowKey` built.
    static func knownRows<Row>(
        _ rows: [Row], hashes: (rows: [RowHash], keys: [UInt64]), stored: Set<RowHash>, rowKey: (Row) -> RowKey
    ) -> (skip: [Bool], rows: Int, distinct: Int) {
        guard !stored.isEmpty else { return (Array(repeating: false, count: rows.count), 0, 0) }
        let known = hashes.rows.map { stored.contains($0) }
        var skip = known
        var changedKeyHashes = Set<UInt64>()
        for i in rows.indices where !known[i] { changedKeyHashes.insert(hashes.keys[i]) }
        if !changedKeyHashes.isEmpty {
            let candidates = rows.indices.filter { !known[$0] || changedKeyHashes.contains(hashes.keys[$0]) }
            let keys = candidates.map { rowKey(rows[$0]) }
            var lastChanged: [RowKey: Int] = [:]
            for (c, i) in candidates.enumerated() where !known[i] { lastChanged[keys[c]] = i }
            var lastKnown: [RowKey: Int] = [:]
            for (c, i) in candidates.enumerated() where known[i] && lastChanged[keys[c]] != nil {
                lastKnown[keys[c]] = i
            }
            let settled = Set(lastChanged.compactMap { key, last in (lastKnown[key] ?? -1) > last ? key : nil })
            for (c, i) in candidates.enumerated() where lastChanged[keys[c]] != nil {
                skip[i] = settled.contains(keys[c])
            }
        }
        var distinct = Set<RowHash>()
        var count = 0
        for i in rows.indices where skip[i] {
            count += 1
            if known[i] { distinct.insert(hashes.rows[i]) }
        }
        return (skip, count, distinct.count)
    }

    /// The batch's distinct sources (its rows usually come grouped by source).
    private static func distinctSources<Event>(_ rows: [(Int, Event)], of records: [LinkedRecord]) -> [String] {
        var sources: [String] = []
        for row in rows {
            let source = records[row.0].record.source
            if sources.last != source && !sources.contains(source) { sources.append(source) }
        }
        return sources
    }

    /// The row hashes stored in `table` for `sources`, read as one hexadecimal text (one value, not a row per
    /// stored row).
    private func storedHashes(_ table: String, sources: [String]) throws -> Set<RowHash> {
        let text = try connection.execute(
            """
            SELECT encode(string_agg(\(RowHash.column), ''::bytea), 'hex') FROM lastmile.\(table)
            WHERE source = ANY($1::text[]) AND length(\(RowHash.column)) = 16
            """, [ConsentStore.textArray(sources)]
        ).scalar
        return text.map(RowHash.set(fromHex:)) ?? []
    }

    /// The event tables, each with its `source` and `patient_id` columns.
    package static let tables = [
        "attendance_day", "school_enrollment", "attendance_totals", "shelter_stay", "bed_night", "booking",
        "housing_status",
    ]

    /// The patients with at least one stored event of one of `sources`.
    package func patients(withEventsFrom sources: [String]) throws -> Set<String> {
        let union = Self.tables.map { "SELECT patient_id FROM lastmile.\($0) WHERE source = ANY($1::text[])" }
            .joined(separator: " UNION ")
        return Set(
            try connection.execute(union, [ConsentStore.textArray(sources)]).rows.compactMap { $0["patient_id"] })
    }

    /// Every stored event (of the `patients` only, when given), grouped by patient, in a stable order (for
    /// deterministic flags). With `attendanceWithin`, only the attendance days of those dates are read: the
    /// flags derived over a school year read only its partition (see `attendanceQuery`).
    package func eventsByPatient(
        _ patients: [String]? = nil, attendanceWithin: ClosedRange<CivilDate>? = nil
    ) throws -> [String: [(source: String, event: SourceEvent)]] {
        let only = patients == nil ? "" : "WHERE patient_id = ANY($1::text[])"
        let parameters: [any SQLParameter] = patients.map { [ConsentStore.textArray($0)] } ?? []
        var byPatient: [String: [(source: String, event: SourceEvent)]] = [:]
        func add(_ row: QueryResult.Row, _ event: SourceEvent?) {
            guard let event, let patient = row["patient_id"], let source = row["source"] else { return }
            byPatient[patient, default: []].append((source, event))
        }
        let window: [any SQLParameter] = attendanceWithin.map { [$0.lowerBound, $0.upperBound] } ?? []
        // The year's attendance is most of the rows: read by position (the query's column order), since a lookup
        // by name per field was a fifth of this read.
        for row in try connection.execute(
            Self.attendanceQuery(patientScope: patients != nil, window: attendanceWithin != nil), parameters + window
        ).rows {
            guard let source = row[0], let patient = row[1], let school = row[2],
                let date = row[4].flatMap({ CivilDate(iso: $0) }),
                let status = row[5].flatMap(AttendanceStatus.init(rawValue:))
            else { continue }
            let day = AttendanceDay(
                schoolId: school, grade: row[3], date: date, status: status, minutesAbsent: row[6].flatMap { Int($0) })
            byPatient[patient, default: []].append((source, .attendance(day)))
        }
        try addSchoolEvents(only: only, parameters, add)
        for row in try connection.execute(
            """
            SELECT source, patient_id, enrollment_id, project_id, project_type, entry_date, exit_date, move_in_date,
                   exit_destination
            FROM lastmile.shelter_stay \(only) ORDER BY patient_id, source, entry_date, enrollment_id
            """, parameters
        ).rows {
            guard let entry = row.date("entry_date"), let type = row.int("project_type") else { continue }
            add(
                row,
                .shelterStay(
                    ShelterStay(
                        enrollmentId: row["enrollment_id"] ?? "", projectId: row["project_id"] ?? "", projectType: type,
                        entryDate: entry, exitDate: row.date("exit_date"), moveInDate: row.date("move_in_date"),
                        exitDestination: row.int("exit_destination"))))
        }
        for row in try connection.execute(
            "SELECT source, patient_id, enrollment_id, project_type, night FROM lastmile.bed_night \(only) ORDER BY patient_id, source, night, enrollment_id",
            parameters
        ).rows {
            guard let night = row.date("night"), let type = row.int("project_type") else { continue }
            add(row, .bedNight(BedNight(enrollmentId: row["enrollment_id"] ?? "", projectType: type, date: night)))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, booking_number, booked_at, released_at, facility, charge_count, agency
            FROM lastmile.booking \(only) ORDER BY patient_id, source, booked_at, booking_number
            """, parameters
        ).rows {
            guard let booked = row["booked_at"].flatMap(Self.dateTime) else { continue }
            add(
                row,
                .booking(
                    Booking(
                        bookingNumber: row["booking_number"] ?? "", bookedAt: booked,
                        releasedAt: row["released_at"].flatMap(Self.dateTime), facility: row["facility"],
                        chargeCount: row.int("charge_count"), agency: row["agency"])))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, record_id, record_type, status, status_date, program, household_id
            FROM lastmile.housing_status \(only) ORDER BY patient_id, source, status_date, record_id
            """, parameters
        ).rows {
            guard let type = row["record_type"].flatMap(HousingRecordType.init(rawValue:)),
                let status = row["status"].flatMap(HousingStatus.init(rawValue:)), let date = row.date("status_date")
            else { continue }
            add(
                row,
                .housingStatus(
                    HousingStatusEvent(
                        recordId: row["record_id"] ?? "", recordType: type, status: status, statusDate: date,
                        program: row["program"], householdId: row["household_id"])))
        }
        return byPatient
    }

    /// The attendance read of `eventsByPatient`: `$1` the patients when scoped, then the window's first and last
    /// day. The window is a range on the partition column, so PostgreSQL reads only the school years' partitions
    /// it overlaps (partition pruning, checked with `EXPLAIN` in the tests).
    package static func attendanceQuery(patientScope: Bool, window: Bool) -> String {
        var conditions: [String] = []
        if patientScope { conditions.append("patient_id = ANY($1::text[])") }
        if window {
            let first = patientScope ? 2 : 1
            conditions.append("attendance_date BETWEEN $\(first)::date AND $\(first + 1)::date")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return """
            SELECT source, patient_id, school_id, grade, attendance_date, status, minutes_absent -- read by position
            FROM lastmile.attendance_day \(filter) ORDER BY patient_id, source, attendance_date, student_id
            """
    }

    /// Reads the enrollment spans and attendance totals (absences-only and aggregate school feeds).
    private func addSchoolEvents(
        only: String, _ parameters: [any SQLParameter], _ add: (QueryResult.Row, SourceEvent?) -> Void
    ) throws {
        for row in try connection.execute(
            """
            SELECT source, patient_id, school_id, entry_date, exit_date
            FROM lastmile.school_enrollment \(only) ORDER BY patient_id, source, entry_date, student_id, school_id
            """, parameters
        ).rows {
            guard let school = row["school_id"], let entry = row.date("entry_date") else { continue }
            add(row, .enrollment(SchoolEnrollment(schoolId: school, entryDate: entry, exitDate: row.date("exit_date"))))
        }
        for row in try connection.execute(
            """
            SELECT source, patient_id, school_id, as_of, grade, days_absent, days_enrolled
            FROM lastmile.attendance_totals \(only) ORDER BY patient_id, source, as_of, student_id, school_id
            """, parameters
        ).rows {
            guard let school = row["school_id"], let asOf = row.date("as_of"), let absent = row.double("days_absent"),
                let enrolled = row.int("days_enrolled")
            else { continue }
            add(
                row,
                .attendanceTotals(
                    AttendanceTotals(
                        schoolId: school, grade: row["grade"], asOf: asOf, daysAbsent: absent, daysEnrolled: enrolled)))
        }
    }

    /// Parses PostgreSQL's `timestamp` text (`YYYY-MM-DD HH:MM:SS`).
    package static func dateTime(_ text: String) -> CivilDateTime? {
        guard text.count >= 19, let date = CivilDate(iso: text.prefix(10)) else { return nil }
        let parts = text.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return CivilDateTime(date: date, hour: parts[0], minute: parts[1], second: parts[2])
    }
}
