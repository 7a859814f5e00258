import LastMileCore

/// `school-attendance`: a district SIS daily attendance export, or the Ed-Fi StudentSchoolAttendanceEvent
/// shape (`layout: edfi`). One record per student per school day.
///
/// The record id is student id + date, so a day re-sent with another code is a correction of the same day.
/// When the file has a `ferpa_basis` column and a row's is empty, the record is labelled
/// `ferpa-basis-missing` (the consent gate drops it). The guardian's phone is the person's phone: it is
/// what a pediatric practice's record usually holds.
///
/// A source declared `attendance: positive` (the default) must carry a present code: a file whose rows are
/// all absences is an absence-only export, and reading it as positive attendance would count each listed day
/// as an enrolled day and rate every student 100 % absent, so it is refused (`InputError.looksAbsenceOnly`).
public struct SchoolAttendanceExtractor: Extractor {
    public static let kind = "school-attendance"
    public static let category = DataCategory.education

    static let statuses = AttendanceStatus.allCases.map(\.rawValue)
    static let dates = ["YYYY-MM-DD", "MM/DD/YYYY"]

    /// The student and school columns the default and aggregate layouts share, in their order.
    static let studentColumns: [ColumnSpec] = [
        ColumnSpec("student_id", required: true),
        ColumnSpec("first_name", required: true),
        ColumnSpec("middle_name"),
        ColumnSpec("last_name", required: true),
        ColumnSpec("suffix"),
        ColumnSpec("birth_date", required: true, .date(formats: dates)),
        .sex(),
        ColumnSpec("grade"),
        ColumnSpec("school_id", required: true),
        ColumnSpec("school_name"),
    ]

    public static let defaultLayout = SourceLayout(
        columns: studentColumns + [
            ColumnSpec("attendance_date", required: true, .date(formats: dates)),
            ColumnSpec(
                "attendance_code", required: true,
                .code(
                    values: statuses,
                    defaults: [
                        "P": "present", "A": "absent-unexcused", "E": "absent-excused", "T": "tardy",
                        "ED": "partial-day", "H": "partial-day",
                    ],
                    namespaced: false)),
            ColumnSpec("minutes_absent", .integer),
            ColumnSpec("guardian_name"),
            ColumnSpec("guardian_phone"),
            ColumnSpec("address_line"),
            ColumnSpec("city"),
            ColumnSpec("state"),
            ColumnSpec("postal_code"),
            ColumnSpec("ferpa_basis"),
        ])

    public static let otherLayouts = [
        SourceLayout(
            name: "edfi",
            columns: [
                ColumnSpec("student_id", header: "StudentUniqueId", required: true),
                ColumnSpec("first_name", header: "FirstName", required: true),
                ColumnSpec("middle_name", header: "MiddleName"),
                ColumnSpec("last_name", header: "LastSurname", required: true),
                ColumnSpec("birth_date", header: "BirthDate", required: true, .date(formats: dates)),
                .sex(header: "SexDescriptor"),
                ColumnSpec("school_id", header: "SchoolId", required: true),
                ColumnSpec("attendance_date", header: "EventDate", required: true, .date(formats: dates)),
                ColumnSpec(
                    "attendance_code", header: "AttendanceEventCategoryDescriptor", required: true,
                    .code(
                        values: statuses,
                        defaults: [
                            "In Attendance": "present", "Excused Absence": "absent-excused",
                            "Unexcused Absence": "absent-unexcused", "Tardy": "tardy",
                            "Early departure": "partial-day", "Partial": "partial-day",
                        ],
                        namespaced: true)),
                // Not on StudentSchoolAttendanceEvent itself: an ODS export joins the student's
                // StudentSchoolAssociation for it. A descriptor (`…/GradeLevelDescriptor#Third grade`), read as `3`.
                ColumnSpec("grade", header: "EntryGradeLevelDescriptor"),
                ColumnSpec("ferpa_basis"),
            ]),
        aggregateLayout,
    ]

    /// `layout: aggregate`, for `attendance: aggregate` sources: one row per student, school and date counted
    /// to, with days absent (decimals allowed) and days enrolled from the school year's start.
    public static let aggregateLayout = SourceLayout(
        name: "aggregate",
        columns: studentColumns + [
            ColumnSpec("as_of_date", required: true, .date(formats: dates)),
            ColumnSpec("days_absent", required: true),
            ColumnSpec("days_enrolled", required: true, .integer),
            ColumnSpec("guardian_phone"),
            ColumnSpec("address_line"),
            ColumnSpec("city"),
            ColumnSpec("state"),
            ColumnSpec("postal_code"),
            ColumnSpec("ferpa_basis"),
        ])

    let source: SourceConfig
    let layout: SourceLayout

    public init(source: SourceConfig) throws {
        self.source = source
        guard let layout = Self.layout(named: source.layout) else {
            throw SourceConfigError(problems: source.validate())
        }
        self.layout = layout
    }

    public func extract(_ input: InputLocation, into sink: inout some RecordSink) throws {
        if layout.name == Self.aggregateLayout.name { return try extractTotals(input, into: &sink) }
        let csv = try MappedCSV(input, layout: layout, config: source)
        let studentId = csv["student_id"]
        let first = csv["first_name"]
        let middle = csv["middle_name"]
        let last = csv["last_name"]
        let birth = csv["birth_date"]
        let sex = csv["sex"]
        let school = csv["school_id"]
        let date = csv["attendance_date"]
        let code = csv["attendance_code"]
        let ferpa = csv["ferpa_basis"]
        // Columns of the default layout only; absent (index -1) in the Ed-Fi one, where they read as nil.
        let optional = { (name: String) in
            layout.column(name) != nil ? csv[name] : MappedColumn(name: name, index: -1, header: name, required: false)
        }
        let suffix = optional("suffix")
        let grade = optional("grade")
        let schoolName = optional("school_name")
        let minutes = optional("minutes_absent")
        let phone = optional("guardian_phone")
        let street = optional("address_line")
        let city = optional("city")
        let state = optional("state")
        let postal = optional("postal_code")
        let statuses = AttendanceStatus.allCases
        let name = source.name
        let labels = source.labels
        var tally = PresenceTally()

        try csv.forEachRow(into: &sink) { row in
            // Read first so a present day counts even when another field of its row is rejected.
            let coded = Result { () throws(RowRejection) in try row.code(code) }
            if case .success(let status?) = coded { tally.count(statuses[status]) }
            let id = try row.requiredText(studentId)
            let day = try row.requiredDate(date)
            let recordId = try row.key(studentId, day)
            guard let status = try coded.get() else { throw row.rejection(code, .missingRequired) }
            let person = PersonIdentity(
                sourcePersonId: id, givenName: try row.text(first), middleName: try row.text(middle),
                familyName: try row.text(last), suffix: try row.text(suffix), birthDate: try row.date(birth),
                sex: row.sex(sex), street: try row.text(street), city: try row.text(city),
                state: try row.text(state), postalCode: try row.text(postal), phone: try row.text(phone))
            let event = AttendanceDay(
                schoolId: try row.requiredText(school), schoolName: try row.text(schoolName),
                grade: try row.text(grade).map(GradeLevel.short),
                date: day, status: statuses[status], minutesAbsent: try row.int(minutes))
            var recordLabels = labels
            if ferpa.isPresent, row.row.isEmpty(ferpa.index) { recordLabels.insert(.ferpaBasisMissing) }
            return SourceRecord(
                source: name, recordId: recordId, person: person, event: .attendance(event),
                labels: recordLabels, provenance: row.provenance())
        }
        if source.attendance == .positive, tally.looksAbsenceOnly {
            throw InputError(file: input.name, problem: .looksAbsenceOnly(rows: tally.rows))
        }
    }
}

/// How many attendance rows a file had and how many of them said present.
struct PresenceTally {
    private(set) var rows = 0
    private(set) var present = 0

    mutating func count(_ status: AttendanceStatus) {
        rows += 1
        if status == .present { present += 1 }
    }

    /// Rows were read and none of them is a present day.
    var looksAbsenceOnly: Bool { rows > 0 && present == 0 }
}

extension SchoolAttendanceExtractor {
    /// An aggregate feed: one record per student, school and date counted to (record id student + school +
    /// date, so a re-sent report replaces the same totals).
    func extractTotals(_ input: InputLocation, into sink: inout some RecordSink) throws {
        let csv = try MappedCSV(input, layout: layout, config: source)
        let c = { (name: String) in csv[name] }
        let (studentId, school, asOf, absent, enrolled) = (
            c("student_id"), c("school_id"), c("as_of_date"), c("days_absent"), c("days_enrolled")
        )
        let ferpa = c("ferpa_basis")
        let name = source.name
        let labels = source.labels
        try csv.forEachRow(into: &sink) { row in
            let id = try row.requiredText(studentId)
            let schoolId = try row.requiredText(school)
            let day = try row.requiredDate(asOf)
            let daysEnrolled = try row.int(enrolled) ?? 0
            guard let daysAbsent = Double(try row.requiredText(absent)), daysAbsent >= 0, daysAbsent.isFinite else {
                throw row.rejection(absent, .invalid(expected: "a number of days of at least 0, e.g. 4 or 4.5"))
            }
            guard daysEnrolled >= 0, daysAbsent <= Double(daysEnrolled) else {
                throw row.rejection(enrolled, .invalid(expected: "whole days enrolled, at least the days absent"))
            }
            let person = PersonIdentity(
                sourcePersonId: id, givenName: try row.text(c("first_name")),
                middleName: try row.text(c("middle_name")),
                familyName: try row.text(c("last_name")), suffix: try row.text(c("suffix")),
                birthDate: try row.date(c("birth_date")), sex: row.sex(c("sex")),
                street: try row.text(c("address_line")), city: try row.text(c("city")), state: try row.text(c("state")),
                postalCode: try row.text(c("postal_code")), phone: try row.text(c("guardian_phone")))
            let totals = AttendanceTotals(
                schoolId: schoolId, schoolName: try row.text(c("school_name")), grade: try row.text(c("grade")),
                asOf: day, daysAbsent: daysAbsent, daysEnrolled: daysEnrolled)
            var recordLabels = labels
            if ferpa.isPresent, row.row.isEmpty(ferpa.index) { recordLabels.insert(.ferpaBasisMissing) }
            return SourceRecord(
                source: name, recordId: "totals/\(id)/\(schoolId)/\(day)", person: person,
                event: .attendanceTotals(totals), labels: recordLabels, provenance: row.provenance())
        }
    }
}

/// School grade levels as a list shows them: `PK`, `K`, `1` … `12`.
public enum GradeLevel {
    /// Ed-Fi GradeLevelDescriptor code values and their short forms.
    static let edFi: [String: String] = [
        "infant/toddler": "PK", "preschool/prekindergarten": "PK", "early education": "PK",
        "transitional kindergarten": "TK", "kindergarten": "K", "first grade": "1", "second grade": "2",
        "third grade": "3", "fourth grade": "4", "fifth grade": "5", "sixth grade": "6", "seventh grade": "7",
        "eighth grade": "8", "ninth grade": "9", "tenth grade": "10", "eleventh grade": "11", "twelfth grade": "12",
        "ungraded": "UG",
    ]

    /// The short form of a grade: an Ed-Fi descriptor (namespace and all, any case) as `3`, `K`; any other
    /// value as sent, after the `#` of a namespaced one.
    public static func short(_ value: String) -> String {
        var value = value
        // Once per attendance row, so ASCII text (all but a stray value) is read as bytes: walking `Character`s
        // twice, reversed, was two thirds of the extractor's time. Other text takes the Unicode path, whose
        // lowercasing can turn a non-ASCII letter into an ASCII one.
        let code = value.withUTF8 { bytes -> (lowered: String, kept: String?)? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var start = (bytes.lastIndex(of: UInt8(ascii: "#")) ?? -1) + 1
            var end = bytes.count
            while start < end && bytes[start] == UInt8(ascii: " ") { start += 1 }
            while end > start && bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
            let code = UnsafeBufferPointer(rebasing: bytes[start..<end])
            let lowered = String(unsafeUninitializedCapacity: code.count) { out in
                for (i, b) in code.enumerated() { out[i] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
                return code.count
            }
            let whole = start == 0 && end == bytes.count
            return (lowered, whole ? nil : String(decoding: code, as: UTF8.self))
        }
        if let code { return edFi[code.lowered] ?? code.kept ?? value }
        let part = value.split(separator: "#", omittingEmptySubsequences: false).last.map(String.init) ?? value
        let trimmed = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        return edFi[trimmed.lowercased()] ?? trimmed
    }
}
