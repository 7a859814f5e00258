import LastMileCore

/// Reads an absences-only school source's enrollment file (`enrollment:` in its config): one span per row,
/// student id, school, entry date and exit date, as Ed-Fi's StudentSchoolAssociation carries them
/// (`layout: edfi` reads StudentUniqueId, SchoolId, EntryDate, ExitWithdrawDate).
///
/// The exit date is the first day the student is no longer enrolled (empty while enrolled): spans are
/// half-open like every lastmile period. Each span is a record of the source that carries only the student
/// id, so it reaches a patient through the crosswalk or through the same student's absences of the night,
/// and passes both consent gates like the absences. The file's CSV dialect and labels are the source's; its
/// headers are fixed (a config's `columns:` rename the attendance file's columns only).
public struct SchoolEnrollmentReader: Sendable {
    static let dates = ["YYYY-MM-DD", "MM/DD/YYYY"]

    public static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("student_id", required: true),
        ColumnSpec("school_id", required: true),
        ColumnSpec("entry_date", required: true, .date(formats: dates)),
        ColumnSpec("exit_date", .date(formats: dates)),
    ])

    public static let edfiLayout = SourceLayout(
        name: "edfi",
        columns: [
            ColumnSpec("student_id", header: "StudentUniqueId", required: true),
            ColumnSpec("school_id", header: "SchoolId", required: true),
            ColumnSpec("entry_date", header: "EntryDate", required: true, .date(formats: dates)),
            ColumnSpec("exit_date", header: "ExitWithdrawDate", .date(formats: dates)),
        ])

    let source: SourceConfig

    public init(source: SourceConfig) { self.source = source }

    /// Sends each span to `sink.accept` and each unusable row (an exit before the entry, a bad date) to
    /// `sink.reject`; throws `InputError` when the file is unusable as a whole.
    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let layout = source.layout == "edfi" ? Self.edfiLayout : Self.defaultLayout
        let csv = try MappedCSV(input, layout: layout, config: source.withFixedHeaders)
        let student = csv["student_id"]
        let school = csv["school_id"]
        let entry = csv["entry_date"]
        let exit = csv["exit_date"]
        let name = source.name
        let labels = source.labels
        try csv.forEachRow(into: &sink) { row in
            let id = try row.requiredText(student)
            let schoolId = try row.requiredText(school)
            let entered = try row.requiredDate(entry)
            let exited = try row.date(exit)
            if let exited, exited < entered {
                throw row.rejection(exit, .invalid(expected: "an exit date on or after the entry date"))
            }
            return SourceRecord(
                source: name, recordId: "enrollment/\(id)/\(schoolId)/\(entered)",
                person: PersonIdentity(sourcePersonId: id),
                event: .enrollment(SchoolEnrollment(schoolId: schoolId, entryDate: entered, exitDate: exited)),
                labels: labels, provenance: row.provenance())
        }
    }
}

/// Reads an absences-only school source's calendar file (`calendar:` in its config): school id, date and
/// whether the day was instructional, as Ed-Fi's CalendarDate carries them (`layout: edfi` reads SchoolId,
/// Date and CalendarEventDescriptor, where `Instructional day`, `Make-up day` and late-arrival or
/// early-dismissal days are instructional, Ed-Fi's other default events are not, and a descriptor outside
/// Ed-Fi's defaults refuses the calendar).
///
/// A calendar is every student's denominator, so a row that cannot be read refuses the whole file
/// (`InputError.unusableCalendarRow`, exit 65) rather than silently dropping a school day.
public struct SchoolCalendarReader: Sendable {
    static let dates = ["YYYY-MM-DD", "MM/DD/YYYY"]

    public static let defaultLayout = SourceLayout(columns: [
        ColumnSpec("school_id", required: true),
        ColumnSpec("calendar_date", header: "date", required: true, .date(formats: dates)),
        ColumnSpec("instructional", required: true, .yesNo),
    ])

    public static let edfiLayout = SourceLayout(
        name: "edfi",
        columns: [
            ColumnSpec("school_id", header: "SchoolId", required: true),
            ColumnSpec("calendar_date", header: "Date", required: true, .date(formats: dates)),
            ColumnSpec(
                "calendar_event", header: "CalendarEventDescriptor", required: true,
                .code(
                    values: ["instructional", "not-instructional"],
                    defaults: [
                        "Instructional day": "instructional", "Make-up day": "instructional",
                        "Student late arrival/early dismissal": "instructional", "Holiday": "not-instructional",
                        "Non-instructional day": "not-instructional", "Teacher only day": "not-instructional",
                        "Weather day": "not-instructional", "Emergency day": "not-instructional",
                        "Strike": "not-instructional", "Other": "not-instructional",
                    ],
                    namespaced: true)),
        ])

    let source: SourceConfig

    public init(source: SourceConfig) { self.source = source }

    /// Every day of the calendar, in file order.
    /// - Throws: `InputError` when the file or any of its rows cannot be read.
    public func read(_ input: InputLocation) throws -> [SchoolCalendarDay] {
        let edfi = source.layout == "edfi"
        let csv = try MappedCSV(
            input, layout: edfi ? Self.edfiLayout : Self.defaultLayout, config: source.withFixedHeaders)
        let school = csv["school_id"]
        let date = csv["calendar_date"]
        let flag = csv[edfi ? "calendar_event" : "instructional"]
        var days: [SchoolCalendarDay] = []
        var sink = WholeFileSink(file: input.name)
        try csv.forEachRow(into: &sink) { row in
            let instructional = try edfi ? row.code(flag) == 0 : row.yesNo(flag) == true
            days.append(
                SchoolCalendarDay(
                    schoolId: try row.requiredText(school), date: try row.requiredDate(date),
                    instructional: instructional))
            return nil
        }
        return days
    }
}

/// Refuses the file at its first unusable row.
private struct WholeFileSink: RecordSink {
    var file: String

    mutating func accept(_ record: SourceRecord) throws {}

    mutating func reject(_ rejection: RowRejection, raw: RawRow?) throws {
        throw InputError(file: file, problem: .unusableCalendarRow(rejection))
    }
}

extension SourceConfig {
    /// The config with no renamed columns or codes: an enrollment or calendar file has fixed headers, and the
    /// source's `columns:` and `codes:` are the attendance file's.
    var withFixedHeaders: SourceConfig {
        var plain = self
        plain.columns = [:]
        plain.codes = [:]
        return plain
    }
}
