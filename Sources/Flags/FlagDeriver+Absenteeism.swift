import LastMileCore

/// Absence totals over a run of school days.
struct AbsenceMeasure: Equatable {
    var daysAbsent: Double = 0
    var daysEnrolled = 0
    var lastAbsence: CivilDate?

    var rate: Double { daysEnrolled == 0 ? 0 : daysAbsent / Double(daysEnrolled) }

    mutating func add(_ day: CivilDate, absence: Double) {
        daysEnrolled += 1
        daysAbsent += absence
        if absence > 0 { lastAbsence = day }
    }
}

/// A student's absence record seen date by date: the totals so far, seven days back, and whether (and until
/// when) the rate qualified for a flag.
struct AbsenteeismTimeline {
    let rules: AbsenteeismRules
    let lowestEmitted: AbsenteeismTier
    let trendDate: CivilDate
    private(set) var current = AbsenceMeasure()
    private(set) var previous: AbsenceMeasure?
    /// The tier of the last qualifying point; nil when no point qualified.
    private(set) var qualifyingTier: AbsenteeismTier?
    /// The first point after the last qualifying one; nil while the latest point qualifies.
    private(set) var end: CivilDate?

    init(rules: AbsenteeismRules, asOf: CivilDate) {
        self.rules = rules
        lowestEmitted = rules.emitAtRisk ? .atRisk : .moderate
        trendDate = asOf.adding(days: -rules.trendDays)
    }

    /// Takes the totals to `date`; points come in ascending date order.
    mutating func observe(_ date: CivilDate, _ measure: AbsenceMeasure) {
        current = measure
        if date <= trendDate { previous = measure }
        let tier = rules.tier(of: measure.rate)
        if measure.daysEnrolled >= rules.minimumEnrolledDays, tier >= lowestEmitted {
            qualifyingTier = tier
            end = nil
        } else if qualifyingTier != nil, end == nil {
            end = date
        }
    }
}

/// The school and grade a flag's evidence names: the student's latest.
struct SchoolOfRecord {
    var schoolId: String
    var schoolName: String?
    var grade: String?
}

extension FlagDeriver {
    /// One chronic-absenteeism flag per attendance source for the school year containing `asOf`.
    ///
    /// How a source counts enrolled days depends on its shape (docs/flags.md): positive attendance counts the
    /// days with a record; an absences-only source (one with a calendar in `calendars`) counts the calendar's
    /// instructional days inside the student's enrollment spans; an aggregate source sends its totals. Days
    /// across a source's schools add up (a transfer within a district keeps its history). The period starts
    /// on the school year's first day, so a correction re-derives the same key. The flag closes, with the
    /// first day the rate fell back below the emitted threshold as its end, when the rate recovers.
    func absenteeismFlags(_ events: PatientEvents, asOf: CivilDate) -> [Flag] {
        let yearStart = rules.absenteeism.schoolYearStart(containing: asOf)
        var bySource: [String: [CivilDate: AttendanceDay]] = [:]
        for item in events.attendance where item.event.date >= yearStart && item.event.date <= asOf {
            // One status per student per day: a later record for the same day is a correction.
            bySource[item.source, default: [:]][item.event.date] = item.event
        }
        var spans: [String: [SchoolEnrollment]] = [:]
        for item in events.enrollments { spans[item.source, default: []].append(item.event) }
        var flags: [Flag] = []
        for source in Set(bySource.keys).union(spans.keys) {
            var timeline = AbsenteeismTimeline(rules: rules.absenteeism, asOf: asOf)
            let days = bySource[source] ?? [:]
            let school: SchoolOfRecord?
            var evidence: [String: String] = [:]
            if calendars.isAbsencesOnly(source) {
                school = observeEnrolledDays(
                    spans[source] ?? [], absences: days, source: source, from: yearStart, asOf: asOf, into: &timeline)
                evidence[FlagEvidenceKey.basis] = "enrollment-calendar"
            } else {
                school = observeRecordedDays(days, into: &timeline)
            }
            guard let school else { continue }
            if let flag = absenteeismFlag(
                timeline, school: school, evidence: evidence, patient: events.patientId, source: source,
                yearStart: yearStart, asOf: asOf)
            {
                flags.append(flag)
            }
        }
        return flags + totalsFlags(events, yearStart: yearStart, asOf: asOf)
    }

    /// Positive attendance: every day with a record is an enrolled day. Returns the latest day's school.
    private func observeRecordedDays(_ byDate: [CivilDate: AttendanceDay], into timeline: inout AbsenteeismTimeline)
        -> SchoolOfRecord?
    {
        let days = byDate.values.sorted { $0.date < $1.date }
        var running = AbsenceMeasure()
        for day in days {
            running.add(day.date, absence: absence(of: day))
            timeline.observe(day.date, running)
        }
        return days.last.map { SchoolOfRecord(schoolId: $0.schoolId, schoolName: $0.schoolName, grade: $0.grade) }
    }

    /// Absences only: the enrolled days are the instructional days of each span's school from the school year's
    /// start (or the entry) up to the exit or the source's data date, whichever is first; the rows are the
    /// absences, and a row on a day that is not an enrolled instructional day does not count. Returns the
    /// school of the last enrolled day, or nil when there is none.
    private func observeEnrolledDays(
        _ spans: [SchoolEnrollment], absences: [CivilDate: AttendanceDay], source: String, from yearStart: CivilDate,
        asOf: CivilDate, into timeline: inout AbsenteeismTimeline
    ) -> SchoolOfRecord? {
        let through = min(asOf, calendars.dataThrough(source) ?? asOf).adding(days: 1)
        var enrolled: [CivilDate: String] = [:]
        for span in spans {
            let to = min(span.exitDate ?? through, through)
            let days = calendars.instructionalDays(
                source: source, school: span.schoolId, from: max(span.entryDate, yearStart), to: to)
            for day in days { enrolled[day] = span.schoolId }
        }
        var running = AbsenceMeasure()
        let dates = enrolled.keys.sorted()
        for date in dates {
            running.add(date, absence: absences[date].map(absence(of:)) ?? 0)
            timeline.observe(date, running)
        }
        guard let last = dates.last, let schoolId = enrolled[last] else { return nil }
        let latestRow = absences.values.max { $0.date < $1.date }
        return SchoolOfRecord(schoolId: schoolId, schoolName: latestRow?.schoolName, grade: latestRow?.grade)
    }

    /// Aggregate feeds: each report date is a point whose totals are the sum over the source's schools of each
    /// school's latest report on or before that date (a transfer keeps the first school's days).
    private func totalsFlags(_ events: PatientEvents, yearStart: CivilDate, asOf: CivilDate) -> [Flag] {
        var bySource: [String: [String: [CivilDate: AttendanceTotals]]] = [:]
        for item in events.attendanceTotals where item.event.asOf >= yearStart && item.event.asOf <= asOf {
            bySource[item.source, default: [:]][item.event.schoolId, default: [:]][item.event.asOf] = item.event
        }
        var flags: [Flag] = []
        for (source, schools) in bySource {
            var timeline = AbsenteeismTimeline(rules: rules.absenteeism, asOf: asOf)
            var latestBySchool: [String: AttendanceTotals] = [:]
            var latest: AttendanceTotals?
            for date in Set(schools.values.flatMap(\.keys)).sorted() {
                for school in schools.keys.sorted() {
                    guard let report = schools[school]?[date] else { continue }
                    latestBySchool[school] = report
                    latest = report
                }
                var measure = AbsenceMeasure()
                for report in latestBySchool.values {
                    measure.daysAbsent += report.daysAbsent
                    measure.daysEnrolled += report.daysEnrolled
                }
                timeline.observe(date, measure)
            }
            guard let latest else { continue }
            let school = SchoolOfRecord(schoolId: latest.schoolId, schoolName: latest.schoolName, grade: latest.grade)
            let evidence = [
                FlagEvidenceKey.basis: "reported-totals", FlagEvidenceKey.totalsAsOf: latest.asOf.description,
            ]
            if let flag = absenteeismFlag(
                timeline, school: school, evidence: evidence, patient: events.patientId, source: source,
                yearStart: yearStart, asOf: asOf)
            {
                flags.append(flag)
            }
        }
        return flags
    }

    /// The flag a timeline comes to, or nil when no point of it qualified.
    private func absenteeismFlag(
        _ timeline: AbsenteeismTimeline, school: SchoolOfRecord, evidence extra: [String: String], patient: String,
        source: String, yearStart: CivilDate, asOf: CivilDate
    ) -> Flag? {
        guard let qualifyingTier = timeline.qualifyingTier else { return nil }
        let running = timeline.current
        let isActive = timeline.end == nil
        var evidence: [String: String] = [
            FlagEvidenceKey.daysAbsent: Decimals.days(running.daysAbsent),
            FlagEvidenceKey.daysEnrolled: String(running.daysEnrolled),
            FlagEvidenceKey.rate: Decimals.rate(running.rate),
            FlagEvidenceKey.schoolId: school.schoolId,
            FlagEvidenceKey.schoolYearStart: yearStart.description,
        ]
        evidence.merge(extra) { $1 }
        evidence[FlagEvidenceKey.lastAbsence] = running.lastAbsence?.description
        evidence[FlagEvidenceKey.schoolName] = school.schoolName
        evidence[FlagEvidenceKey.grade] = school.grade
        if let previous = timeline.previous {
            evidence[FlagEvidenceKey.previousRate] = Decimals.rate(previous.rate)
            evidence[FlagEvidenceKey.previousDaysAbsent] = Decimals.days(previous.daysAbsent)
            evidence[FlagEvidenceKey.previousDaysEnrolled] = String(previous.daysEnrolled)
        }
        return flag(
            .chronicAbsenteeism, tier: (isActive ? rules.absenteeism.tier(of: running.rate) : qualifyingTier).rawValue,
            patient: patient, source: source, start: yearStart, end: timeline.end, asOf: asOf, evidence: evidence)
    }

    /// How much of a day counts as absent: 0 present or tardy, 1 absent (excused, unexcused or illness), partial
    /// as configured.
    func absence(of day: AttendanceDay) -> Double {
        let r = rules.absenteeism
        switch day.status {
        case .present, .tardy: return 0
        case .absentExcused, .absentUnexcused, .absentIllness: return 1
        case .partialDay:
            switch r.partialDays {
            case .present: return 0
            case .full: return 1
            case .halfDay: return 0.5
            case .fraction:
                guard let minutes = day.minutesAbsent else { return 0.5 }
                return min(1, max(0, Double(minutes) / Double(r.instructionalMinutes)))
            case .threshold:
                guard let minutes = day.minutesAbsent else { return 0.5 }
                return Double(minutes) / Double(r.instructionalMinutes) + 1e-9 >= r.absentWhenMissedAtLeast ? 1 : 0
            }
        }
    }
}

/// Fixed formats for evidence numbers, so stored evidence compares byte for byte across runs.
public enum Decimals {
    /// A day count with at most two decimals and no trailing zeros: `14`, `14.5`, `3.25`.
    public static func days(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100
        let frac = hundredths % 100
        if frac == 0 { return String(whole) }
        if frac % 10 == 0 { return "\(whole).\(frac / 10)" }
        return "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// A fraction with exactly four decimals: `0.1000`, `1.0000`.
    public static func rate(_ value: Double) -> String {
        let tenThousandths = Int((value * 10_000).rounded())
        let frac = String(tenThousandths % 10_000)
        return "\(tenThousandths / 10_000)." + String(repeating: "0", count: 4 - frac.count) + frac
    }
}
