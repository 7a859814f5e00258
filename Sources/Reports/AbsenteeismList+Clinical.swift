import LastMileCore

/// A school as a district's directory names it: what a clinician needs to recognise the school and call it.
public struct School: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The attendance or health liaison's phone, as the directory writes it; nil when it gives none.
    public var liaisonPhone: String?

    public init(id: String, name: String, liaisonPhone: String? = nil) {
        self.id = id
        self.name = name
        self.liaisonPhone = liaisonPhone
    }
}

/// Every district's school directory, by source (the district's feed) and school id.
///
/// Reference data the HIE keeps beside the delivery pipeline (`school_directories` in
/// `pipelines/monday-absenteeism.yaml`), read when lists are made; no personal data.
public struct SchoolDirectory: Sendable, Hashable {
    public var schools: [String: [String: School]]

    public init(_ schools: [String: [String: School]] = [:]) { self.schools = schools }

    /// The school `schoolId` of `source`'s directory, when the directory lists it.
    public func school(source: String, id schoolId: String) -> School? { schools[source]?[schoolId] }
}

/// A patient's recent whole-day absences from one source, counted from the stored attendance days before
/// the list's Monday (the reporting week's data is not in yet).
public struct RecentAbsences: Sendable, Hashable {
    /// Weeks in the trend.
    public static let trendWeeks = 8
    /// Days in the recent count.
    public static let recentDays = 30

    /// Whole days absent (excused, unexcused or illness) in the 30 calendar days before the list's Monday.
    public var last30Days: Int
    /// Whole days absent with an excused code other than illness, from the school year's first day to the
    /// Sunday before the list.
    public var excused: Int
    /// Whole days absent with an unexcused code, over the same days as `excused`.
    public var unexcused: Int
    /// Whole days absent with an illness code (`absent-illness`), over the same days as `excused`; nil when the
    /// source is not known to code illness, so a list shows "not known" rather than a 0 it cannot vouch for.
    public var illness: Int?
    /// Whole days absent in each of the eight Monday–Sunday weeks before the list's Monday, oldest first.
    public var weekly: [Int]

    public init(last30Days: Int, excused: Int, unexcused: Int, illness: Int? = nil, weekly: [Int]) {
        self.last30Days = last30Days
        self.excused = excused
        self.unexcused = unexcused
        self.illness = illness
        self.weekly = weekly
    }

    /// Counts the absences among `days` (date and status) before `monday`, on or after `yearStart` for the
    /// excused, unexcused and illness totals. Present, tardy and partial days count nowhere. The illness
    /// count is known when `sourceCodesIllness` (some stored day of the source has `absent-illness`) or
    /// when one of `days` is an illness day; otherwise it is nil.
    public init(
        days: [(date: CivilDate, status: AttendanceStatus)], before monday: CivilDate, yearStart: CivilDate,
        sourceCodesIllness: Bool = false
    ) {
        var recent = 0
        var byStatus: [AttendanceStatus: Int] = [:]
        var weekly = Array(repeating: 0, count: Self.trendWeeks)
        for day in days where day.date < monday && day.status.isWholeDayAbsence {
            let daysBefore = day.date.days(until: monday)
            if daysBefore <= Self.recentDays { recent += 1 }
            let week = (daysBefore - 1) / 7
            if week < Self.trendWeeks { weekly[Self.trendWeeks - 1 - week] += 1 }
            if day.date >= yearStart { byStatus[day.status, default: 0] += 1 }
        }
        let codesIllness = sourceCodesIllness || days.contains { $0.status == .absentIllness }
        self.init(
            last30Days: recent, excused: byStatus[.absentExcused, default: 0],
            unexcused: byStatus[.absentUnexcused, default: 0],
            illness: codesIllness ? byStatus[.absentIllness, default: 0] : nil, weekly: weekly)
    }

    /// The illness count as the list prints it: the number, or "—" when the source is not known to code
    /// illness.
    public var illnessText: String { illness.map(String.init) ?? "—" }

    /// "0 1 0 2 1 0 3 2": the weekly counts, oldest first, as the CSV shows them.
    public var trendText: String { weekly.map(String.init).joined(separator: " ") }

    /// What a screen reader says for the sparkline: the numbers, oldest week first.
    public var trendDescription: String {
        "Days absent per week, last \(weekly.count) weeks, oldest first: "
            + weekly.map(String.init).joined(separator: ", ")
    }

    /// The sparkline's polyline in a `Sparkline.width` × `Sparkline.height` box; a school week (5 days) is
    /// the top, so rows compare at a glance.
    public var sparklinePoints: [(x: Double, y: Double)] {
        let step = weekly.count > 1 ? (Sparkline.width - 2 * Sparkline.inset) / Double(weekly.count - 1) : 0
        let usable = Sparkline.height - 2 * Sparkline.inset
        return weekly.enumerated().map { i, count in
            let clamped = Double(min(count, Sparkline.fullWeek))
            return (
                Sparkline.inset + Double(i) * step,
                Sparkline.height - Sparkline.inset - usable * clamped / Double(Sparkline.fullWeek)
            )
        }
    }
}

/// The geometry of the list's trend sparkline (an inline SVG drawn by the template).
public enum Sparkline {
    public static let width = 72.0
    public static let height = 24.0
    static let inset = 2.0
    /// The most whole days a school week can hold: the top of the chart.
    static let fullWeek = 5

    /// `12.3` or `12`: one decimal, none when whole, for SVG attributes.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// `2,18 10.6,14.8 …`: a polyline's `points` attribute.
    static func points(_ points: [(x: Double, y: Double)]) -> String {
        points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
    }
}

/// Text for a CSS string that the template's HTML escaping leaves alone: every character other than an
/// ASCII letter, digit or space as a CSS hex escape (`·` as `\B7 `), so a value cannot end the string, the
/// rule or the style element, and `&` prints as `&` (not `&amp;`) in a page margin box.
func cssStringContent(_ s: String) -> String {
    var out = ""
    for scalar in visibleDirectionalOverrides(s).unicodeScalars {
        let isPlain =
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == " "
        if isPlain {
            // An escape's terminating space is consumed, so a space after it stays a space.
            out.unicodeScalars.append(scalar)
        } else {
            out += "\\" + String(scalar.value, radix: 16, uppercase: true) + " "
        }
    }
    return out
}
