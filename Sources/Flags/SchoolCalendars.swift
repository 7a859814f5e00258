import LastMileCore

/// The instructional days of every absences-only school feed, by source and school: the days a student
/// enrolled at the school was expected there.
///
/// A source with a calendar is read as absences-only: its attendance rows are the absences, and its enrolled
/// days are the calendar's instructional days inside the student's enrollment spans. A source without one is
/// positive attendance (a row for every enrolled day).
public struct SchoolCalendars: Sendable, Hashable {
    /// Source → school id → instructional days, ascending.
    private var days: [String: [String: [CivilDate]]] = [:]

    /// Source → the last date its attendance data covers.
    private var through: [String: CivilDate] = [:]

    public init() {}

    /// Builds the calendars from calendar days; a day listed twice keeps its last listing. `dataThrough` is,
    /// per source, the last date its attendance export covers (its latest absence date): enrolled days stop
    /// there, so days the export has not reached yet do not count as attended.
    public init(_ entries: [(source: String, day: SchoolCalendarDay)], dataThrough: [String: CivilDate] = [:]) {
        through = dataThrough
        var bySchool: [String: [String: [CivilDate: Bool]]] = [:]
        for (source, day) in entries {
            bySchool[source, default: [:]][day.schoolId, default: [:]][day.date] = day.instructional
        }
        for (source, schools) in bySchool {
            days[source] = schools.mapValues { $0.filter(\.value).keys.sorted() }
        }
    }

    /// The last date the source's attendance data covers, when known.
    public func dataThrough(_ source: String) -> CivilDate? { through[source] }

    /// Whether the source sends absences only (it has a calendar).
    public func isAbsencesOnly(_ source: String) -> Bool { days[source] != nil }

    /// The school's instructional days in the half-open range `[from, to)`, ascending.
    public func instructionalDays(source: String, school: String, from: CivilDate, to: CivilDate)
        -> ArraySlice<CivilDate>
    {
        guard let all = days[source]?[school], from < to else { return [] }
        let lower = all.partitioningIndex(where: { $0 >= from })
        let upper = all.partitioningIndex(where: { $0 >= to })
        return all[lower..<max(lower, upper)]
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, for a predicate false then true along the array.
    fileprivate func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
