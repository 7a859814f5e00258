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

extension FlagDeriver {
    /// One chronic-absenteeism flag per attendance source for the school year containing `asOf`.
    ///
    /// Every day with an attendance record is an enrolled day; days across a source's schools add up (a
    /// transfer within a district keeps its history). The period starts on the school year's first day, so
    /// a correction re-derives the same key. The flag closes, with the first day the rate fell back below the
    /// emitted threshold as its end, when the rate recovers.
    func absenteeismFlags(_ events: PatientEvents, asOf: CivilDate) -> [Flag] {
        let r = rules.absenteeism
        let yearStart = r.schoolYearStart(containing: asOf)
        let lowestEmitted: AbsenteeismTier = r.emitAtRisk ? .atRisk : .moderate
        var bySource: [String: [CivilDate: AttendanceDay]] = [:]
        for item in events.attendance where item.event.date >= yearStart && item.event.date <= asOf {
            // One status per student per day: a later record for the same day is a correction.
            bySource[item.source, default: [:]][item.event.date] = item.event
        }
        var flags: [Flag] = []
        for (source, byDate) in bySource {
            let days = byDate.values.sorted { $0.date < $1.date }
            var running = AbsenceMeasure()
            var previous: AbsenceMeasure?
            var lastQualifying: (index: Int, tier: AbsenteeismTier)?
            let trendDate = asOf.adding(days: -r.trendDays)
            for (i, day) in days.enumerated() {
                running.add(day.date, absence: absence(of: day))
                if day.date <= trendDate { previous = running }
                let tier = r.tier(of: running.rate)
                if running.daysEnrolled >= r.minimumEnrolledDays, tier >= lowestEmitted { lastQualifying = (i, tier) }
            }
            guard let qualifying = lastQualifying, let latest = days.last else { continue }
            let current = r.tier(of: running.rate)
            let isActive = qualifying.index == days.count - 1
            let end: CivilDate? = isActive ? nil : days[qualifying.index + 1].date
            var evidence: [String: String] = [
                FlagEvidenceKey.daysAbsent: Decimals.days(running.daysAbsent),
                FlagEvidenceKey.daysEnrolled: String(running.daysEnrolled),
                FlagEvidenceKey.rate: Decimals.rate(running.rate),
                FlagEvidenceKey.schoolId: latest.schoolId,
                FlagEvidenceKey.schoolYearStart: yearStart.description,
            ]
            evidence[FlagEvidenceKey.lastAbsence] = running.lastAbsence?.description
            evidence[FlagEvidenceKey.schoolName] = latest.schoolName
            evidence[FlagEvidenceKey.grade] = latest.grade
            if let previous {
                evidence[FlagEvidenceKey.previousRate] = Decimals.rate(previous.rate)
                evidence[FlagEvidenceKey.previousDaysAbsent] = Decimals.days(previous.daysAbsent)
                evidence[FlagEvidenceKey.previousDaysEnrolled] = String(previous.daysEnrolled)
            }
            flags.append(
                flag(
                    .chronicAbsenteeism, tier: (isActive ? current : qualifying.tier).rawValue,
                    patient: events.patientId, source: source, start: yearStart, end: end, asOf: asOf,
                    evidence: evidence))
        }
        return flags
    }

    /// How much of a day counts as absent: 0 present or tardy, 1 absent (excused or not), partial as configured.
    func absence(of day: AttendanceDay) -> Double {
        let r = rules.absenteeism
        switch day.status {
        case .present, .tardy: return 0
        case .absentExcused, .absentUnexcused: return 1
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
