import Flags
import LastMileCore

/// Synthetic event builders shared by the flag tests.
enum Fixture {
    static func date(_ s: String) -> CivilDate {
        guard let d = CivilDate(iso: s) else { preconditionFailure("bad fixture date") }
        return d
    }

    /// `count` consecutive school days from `start`, absent on the listed day offsets, present otherwise.
    static func schoolDays(
        from start: String, count: Int, absentOn absent: Set<Int> = [], status: AttendanceStatus = .absentUnexcused,
        school: String = "S01", grade: String = "04"
    ) -> [AttendanceDay] {
        let first = date(start)
        return (0..<count).map { i in
            AttendanceDay(
                schoolId: school, schoolName: "Riverside Elementary", grade: grade, date: first.adding(days: i),
                status: absent.contains(i) ? status : .present)
        }
    }

    static func events(_ patient: String = "P000001", source: String = "riverside-usd", attendance: [AttendanceDay])
        -> PatientEvents
    {
        var e = PatientEvents(patientId: patient)
        for day in attendance { e.append(.attendance(day), from: source) }
        return e
    }

    static func flags(_ events: PatientEvents, asOf: String, rules: FlagRules = .default) -> [Flag] {
        FlagDeriver(rules: rules).flags(for: events, asOf: date(asOf))
    }
}
