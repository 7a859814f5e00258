import Flags
import Foundation
import LastMileCore
import Logging
import Warehouse

/// The school calendars of absences-only school feeds, `lastmile.school_calendar_day`: one row per source,
/// school and date. Not personal data (a school and a date), so it has no `patient_id`; it is kept whether or
/// not any student of the school matched, since it is the denominator of every student's rate.
package struct SchoolCalendarStore {
    package let connection: Connection
    package var logger: Logger? = nil

    package init(connection: Connection, logger: Logger? = nil) {
        self.connection = connection
        self.logger = logger
    }

    /// Writes calendar days keyed by source, school and date: a re-sent day replaces what it corrects.
    package func save(_ days: [(source: String, day: SchoolCalendarDay)], runId: Int64, alwaysMerge: Bool = false)
        throws -> UpsertCounts
    {
        let merge = StagedMerge(
            table: "school_calendar_day", columns: ["source", "school_id", "calendar_date", "instructional"],
            key: ["source", "school_id", "calendar_date"], runColumns: ["run_id"], onUpdate: ["run_id = $1"],
            partitionColumn: "source")
        let counts = try merge.run(
            days, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge,
            rowKey: { RowKey($0.source, $0.day.schoolId, date: $0.day.date) }, partition: { $0.source },
            write: { w, row in
                try w.append(row.source)
                try w.append(row.day.schoolId)
                try w.append(row.day.date)
                try w.append(row.day.instructional ? "t" : "f")
            })
        var upserted = UpsertCounts()
        upserted.inserted = counts.inserted
        upserted.updated = counts.updated
        return upserted
    }

    /// Every stored calendar, with each absences-only source's data date (its latest stored absence).
    package func calendars() throws -> SchoolCalendars {
        var days: [(source: String, day: SchoolCalendarDay)] = []
        for row in try connection.execute(
            """
            SELECT source, school_id, calendar_date, instructional FROM lastmile.school_calendar_day
            ORDER BY source, school_id, calendar_date
            """
        ).rows {
            guard let source = row["source"], let school = row["school_id"], let date = row.date("calendar_date"),
                let instructional = row.bool("instructional")
            else { continue }
            days.append((source, SchoolCalendarDay(schoolId: school, date: date, instructional: instructional)))
        }
        var through: [String: CivilDate] = [:]
        // Per absences-only source only, so a warehouse of positive feeds never scans its attendance days here.
        for source in Set(days.map(\.source)).sorted() {
            let latest = try connection.execute(
                "SELECT max(attendance_date) AS through FROM lastmile.attendance_day WHERE source = $1", [source])
            if let date = latest.rows.first?.date("through") { through[source] = date }
        }
        return SchoolCalendars(days, dataThrough: through)
    }
}
