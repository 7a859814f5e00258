import LastMileCore

extension SampleWorld {
    static let schoolHeader = [
        "student_id", "first_name", "middle_name", "last_name", "suffix", "birth_date", "sex", "grade", "school_id",
        "school_name", "attendance_date", "attendance_code", "minutes_absent", "guardian_name", "guardian_phone",
        "address_line", "city", "state", "postal_code", "ferpa_basis",
    ]
    static let edfiHeader = [
        "StudentUniqueId", "FirstName", "LastSurname", "BirthDate", "SexDescriptor", "SchoolId", "EventDate",
        "AttendanceEventCategoryDescriptor", "EntryGradeLevelDescriptor",
    ]
    /// A school directory's header (`school_directories` in the delivery pipeline, docs/reports.md).
    static let schoolDirectoryHeader = ["school_id", "school_name", "liaison_phone"]
    /// Each district's schools with the attendance or health liaison's (made-up, 555) phone.
    static let schoolDirectories: [(file: String, schools: [[String]])] = [
        (
            "schools-riverside-usd.csv",
            [
                ["101", "Riverside Elementary School", "541-555-0101"],
                ["102", "Millbrook Elementary School", "541-555-0102"],
                ["201", "Riverside Middle School", "541-555-0201"],
                ["301", "Riverside High School", "541-555-0301"],
            ]
        ),
        (
            "schools-lakeside-edfi.csv",
            [
                ["255901001", "Lakeside High", "541-555-0171"],
                ["255901044", "Lakeside Middle", "541-555-0144"],
                ["255901107", "Lakeside Elementary", "541-555-0107"],
            ]
        ),
    ]
    /// Ed-Fi GradeLevelDescriptor code values, kindergarten (0) to twelfth grade.
    static let edfiGrades = [
        "Kindergarten", "First grade", "Second grade", "Third grade", "Fourth grade", "Fifth grade", "Sixth grade",
        "Seventh grade", "Eighth grade", "Ninth grade", "Tenth grade", "Eleventh grade", "Twelfth grade",
    ]

    /// Header of `truth/students.csv` (written with `--truth`; never in the committed world).
    static let studentTruthHeader = [
        "source", "student_id", "patient_id", "days_absent", "days_enrolled", "generated_tier", "ferpa_basis",
    ]

    /// Days without school in 2026-27 before Thanksgiving (Labor Day, a staff day, Veterans Day).
    static let schoolHolidays: Set<CivilDate> = [
        CivilDate(year: 2026, month: 9, day: 7)!, CivilDate(year: 2026, month: 10, day: 9)!,
        CivilDate(year: 2026, month: 11, day: 11)!,
    ]

    /// School days from the first day of the year to `asOf`, inclusive.
    public static func schoolDays(through asOf: CivilDate) -> [CivilDate] {
        guard schoolYearStart <= asOf else { return [] }
        return (0...schoolYearStart.days(until: asOf)).map { schoolYearStart.adding(days: $0) }
            .filter { $0.isoWeekday <= 5 && !schoolHolidays.contains($0) }
    }
}

/// One student's year so far: who they are to the district and what each school day recorded.
struct StudentYear {
    var person: SyntheticPerson
    var studentId: String
    var recorded: RecordedPerson
    var grade: Int
    var school: (id: String, name: String)
    /// Attendance code per school day index ("P", "A", "E", "T", "ED", "H").
    var codes: [String]
    var ferpaBasis: String
    /// School-day indices the student was enrolled on: most all year, one transferred in late, one withdrew.
    var enrolled: Range<Int>
    /// The absence tier drawn for the student (index into `absenceTiers`).
    var tier: Int
}

/// Absence tiers (share of school days missed): satisfactory, at risk, moderate and severe chronic absence.
let absenceTiers: [ClosedRange<Double>] = [0.0...0.04, 0.055...0.095, 0.11...0.19, 0.21...0.35]

extension SampleWorldWriter {
    /// Children of school age (K–12 on the first day) in households of `district`.
    func students(in district: Int) -> [SyntheticPerson] {
        model.households.filter { $0.district == district }.flatMap(\.members).filter { person in
            let age = person.birthDate.age(on: SampleWorld.schoolYearStart)
            return person.role == .child && (5...17).contains(age)
        }
    }

    func grade(of person: SyntheticPerson) -> Int {
        person.birthDate.age(on: SampleWorld.schoolYearStart) - 5
    }

    /// The patient among `years` (no twin) who misses the most school days.
    func mostAbsentPatient(_ years: [StudentYear]) -> SyntheticPerson? {
        let candidates = years.filter { model.patientIds[$0.person.key] != nil && $0.person.twinOf == nil }
        func absent(_ year: StudentYear) -> Int { year.codes.filter { $0 == "A" || $0 == "E" }.count }
        return candidates.max { absent($0) < absent($1) }?.person
    }

    /// Draws each student's codes for the year so far; the first four students cover the four absence tiers.
    func studentYears(
        _ students: [SyntheticPerson], days: Int, idBase: Int, schools: (Int) -> (id: String, name: String),
        rng: inout SplitMix64
    ) -> [StudentYear] {
        var years: [StudentYear] = []
        var nextId = idBase
        for (index, person) in students.enumerated() {
            nextId += rng.int(in: 1...57)
            let tier =
                index < absenceTiers.count
                ? index : [0, 0, 0, 0, 0, 0, 1, 1, 2, 3][rng.below(10)]
            var enrolled = 0..<days
            if days >= 20, index == absenceTiers.count { enrolled = (days * 35 / 100)..<days }
            if days >= 20, index == absenceTiers.count + 1 { enrolled = 0..<(days * 70 / 100) }
            let rate = rng.double(in: absenceTiers[tier])
            let absentCount = Int((rate * Double(enrolled.count)).rounded())
            var codes = [String](repeating: "P", count: days)
            let excusedShare = rng.double(in: 0.2...0.8)
            for day in rng.sample(absentCount, of: enrolled.count) {
                codes[enrolled.lowerBound + day] = rng.chance(0.06) ? "H" : (rng.chance(excusedShare) ? "E" : "A")
            }
            for day in 0..<days where codes[day] == "P" {
                let roll = rng.unit()
                if roll < 0.035 { codes[day] = "T" } else if roll < 0.045 { codes[day] = "ED" }
            }
            var recorded = Messiness.record(
                of: person, address: household(of: person).currentAddress, phone: household(of: person).currentPhone,
                profile: .sourceWithBirthDate, rng: &rng)
            recorded.ssn = ""
            let roll = rng.unit()
            let ferpa = roll < 0.7 ? "parental-consent" : (roll < 0.8 ? "health-safety" : "")
            years.append(
                StudentYear(
                    person: person, studentId: String(nextId), recorded: recorded, grade: grade(of: person),
                    school: schools(grade(of: person)), codes: codes, ferpaBasis: ferpa,
                    enrolled: enrolled, tier: tier))
        }
        return years
    }

    mutating func writeSchoolAttendance() throws {
        var rng = root.fork(4)
        let days = SampleWorld.schoolDays(through: asOf)
        let students = students(in: 0)
        let years = studentYears(
            students, days: days.count, idBase: 400_000,
            schools: { grade in
                switch grade {
                case ...5: return ("101", "Riverside Elementary School")
                case 6...8: return ("201", "Riverside Middle School")
                default: return ("301", "Riverside High School")
                }
            }, rng: &rng)
        // Elementary students from outside Riverside town go to Millbrook Elementary.
        let adjusted = years.map { year -> StudentYear in
            var year = year
            if year.grade <= 5, household(of: year.person).currentAddress.city != "Riverside" {
                year.school = ("102", "Millbrook Elementary School")
            }
            return year
        }

        func row(_ year: StudentYear, day: Int, code: String) -> [String] {
            let p = year.recorded
            let household = household(of: year.person)
            let guardian = household.members.first { $0.role == .adult }
            let minutes: String
            switch code {
            case "T": minutes = String(rng.int(in: 5...45))
            case "ED": minutes = String(rng.int(in: 60...150))
            case "H": minutes = "195"
            default: minutes = ""
            }
            return [
                year.studentId, p.givenName, p.middleName, p.familyName, p.suffix, p.birthDateText, p.sexText,
                year.grade == 0 ? "K" : String(year.grade), year.school.id, year.school.name,
                days[day].description, code, minutes,
                guardian.map { "\($0.givenName) \($0.familyName)" } ?? "",
                Messiness.formatPhone(household.currentPhone ?? "", style: 1), p.street, p.city, p.state,
                p.postalCode, year.ferpaBasis,
            ]
        }

        var rows: [[String]] = []
        let badAt = Set([days.count / 5, days.count / 2, days.count * 3 / 4, days.count - 2].filter { $0 >= 0 })
        var badKind = 0
        for day in days.indices {
            for year in adjusted where year.enrolled.contains(day) {
                rows.append(row(year, day: day, code: year.codes[day]))
            }
            if badAt.contains(day), let year = adjusted.first {
                // Deliberately bad rows, one of each kind the extractor must quarantine.
                var bad = row(year, day: day, code: year.codes[day])
                switch badKind % 4 {
                case 0: bad[10] = "2026-09-31"  // no such date
                case 1: bad[11] = "Q"  // not an attendance code
                case 2: bad[0] = ""  // student_id missing
                default: bad[3] = ""  // last_name missing
                }
                badKind += 1
                rows.append(bad)
            }
        }
        // Corrections re-sent for past days: an absence later excused, a present day later marked absent.
        var corrected = 0
        var corrections: [String: [Int: String]] = [:]
        for year in adjusted where corrected < 6 && days.count > 10 {
            let day = rng.below(days.count - 5)
            guard year.enrolled.contains(day) else { continue }
            let newCode: String
            switch year.codes[day] {
            case "A": newCode = "E"
            case "P": newCode = "A"
            default: continue
            }
            rows.append(row(year, day: day, code: newCode))
            corrections[year.studentId, default: [:]][day] = newCode
            corrected += 1
        }
        for year in adjusted { noteSource(SampleWorld.schoolSource, year.person) }
        noteTruth(
            SampleWorld.schoolSource, adjusted, corrections: corrections, absent: ["A": 1, "E": 1, "H": 1],
            carriesFERPABasis: true)
        shelteredStudentHousehold = mostAbsentPatient(adjusted).map { household(of: $0).key }
        try write("inbox/riverside-usd/attendance-\(stamp).csv", header: SampleWorld.schoolHeader, rows: rows)
    }

    mutating func writeEdFiAttendance() throws {
        var rng = root.fork(5)
        let days = SampleWorld.schoolDays(through: asOf)
        let years = studentYears(
            students(in: 1), days: days.count, idBase: 604_000,
            schools: { grade in
                switch grade {
                case ...5: return ("255901107", "Lakeside Elementary")
                case 6...8: return ("255901044", "Lakeside Middle")
                default: return ("255901001", "Lakeside High")
                }
            }, rng: &rng)
        let category = [
            "P": "In Attendance", "A": "Unexcused Absence", "E": "Excused Absence", "T": "Tardy",
            "ED": "Early departure", "H": "Early departure",
        ]
        func row(_ year: StudentYear, day: Int, code: String) -> [String] {
            let p = year.recorded
            let sex = p.sex.map { $0 == .female ? "Female" : "Male" }
            return [
                year.studentId, p.givenName, p.familyName, p.birthDateText,
                sex.map { "uri://ed-fi.org/SexDescriptor#\($0)" } ?? "", year.school.id, days[day].description,
                "uri://ed-fi.org/AttendanceEventCategoryDescriptor#\(category[code] ?? "In Attendance")",
                "uri://ed-fi.org/GradeLevelDescriptor#\(SampleWorld.edfiGrades[min(max(year.grade, 0), 12)])",
            ]
        }
        var rows: [[String]] = []
        let badAt = Set([days.count / 4, days.count / 2, days.count - 3].filter { $0 >= 0 })
        var badKind = 0
        for day in days.indices {
            for year in years where year.enrolled.contains(day) {
                rows.append(row(year, day: day, code: year.codes[day]))
            }
            if badAt.contains(day), let year = years.last {
                var bad = row(year, day: day, code: year.codes[day])
                switch badKind % 3 {
                case 0: bad[6] = "11/31/2026"  // no such date
                case 1: bad[7] = "uri://ed-fi.org/AttendanceEventCategoryDescriptor#Field Trip"  // unknown category
                default: bad[0] = ""  // StudentUniqueId missing
                }
                badKind += 1
                rows.append(bad)
            }
        }
        // One re-sent event: an unexcused absence later excused.
        var corrections: [String: [Int: String]] = [:]
        if let year = years.first(where: { $0.codes.contains("A") }), let day = year.codes.firstIndex(of: "A") {
            rows.append(row(year, day: day, code: "E"))
            corrections[year.studentId] = [day: "E"]
        }
        for year in years { noteSource(SampleWorld.edfiSource, year.person) }
        // Ed-Fi sends "H" and "ED" as early departures without minutes, which count half a day (docs/flags.md).
        noteTruth(
            SampleWorld.edfiSource, years, corrections: corrections, absent: ["A": 1, "E": 1, "H": 0.5, "ED": 0.5],
            carriesFERPABasis: false)
        try write("inbox/lakeside-edfi/attendance-events-\(stamp).csv", header: SampleWorld.edfiHeader, rows: rows)
    }

    /// Records each student's true patient and the absences the feed itself states (after corrections), a
    /// whole day or, for a partial day the feed sends without minutes, half of one.
    mutating func noteTruth(
        _ source: String, _ years: [StudentYear], corrections: [String: [Int: String]], absent: [String: Double],
        carriesFERPABasis: Bool
    ) {
        guard options.writeTruth else { return }
        for year in years {
            var codes = year.codes
            for (day, code) in corrections[year.studentId] ?? [:] { codes[day] = code }
            let daysAbsent = year.enrolled.reduce(0.0) { total, day in total + (absent[codes[day]] ?? 0) }
            studentTruth.append([
                source, year.studentId, model.patientIds[year.person.key] ?? "", String(daysAbsent),
                String(year.enrolled.count), String(year.tier), carriesFERPABasis ? year.ferpaBasis : "not-in-feed",
            ])
        }
    }

    /// The districts' school directories: reference data for the Monday lists, no people in it.
    mutating func writeSchoolDirectories() throws {
        for directory in SampleWorld.schoolDirectories {
            try write(directory.file, header: SampleWorld.schoolDirectoryHeader, rows: directory.schools)
        }
    }
}
