import LastMileCore

/// The thresholds and windows the flag rules use: the `flags:` section of a pipeline file.
///
/// Every key is optional; a missing key takes the default in `docs/flags.md`. Decoding checks ranges and
/// ordering and throws `DecodingError.dataCorrupted` naming the key path.
public struct FlagRules: Sendable, Hashable, Decodable {
    public var absenteeism: AbsenteeismRules
    public var homelessness: HomelessnessRules
    public var justice: JusticeRules
    public var housing: HousingRules

    public init(
        absenteeism: AbsenteeismRules = .init(), homelessness: HomelessnessRules = .init(),
        justice: JusticeRules = .init(), housing: HousingRules = .init()
    ) {
        self.absenteeism = absenteeism
        self.homelessness = homelessness
        self.justice = justice
        self.housing = housing
    }

    /// The defaults of issue 6: 10 % of ≥ 10 enrolled days, tiers 5/10/20 %, release window 30 days.
    public static let `default` = FlagRules()

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case absenteeism, homelessness, justice, housing
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        absenteeism = try c.decodeIfPresent(AbsenteeismRules.self, forKey: .absenteeism) ?? .init()
        homelessness = try c.decodeIfPresent(HomelessnessRules.self, forKey: .homelessness) ?? .init()
        justice = try c.decodeIfPresent(JusticeRules.self, forKey: .justice) ?? .init()
        housing = try c.decodeIfPresent(HousingRules.self, forKey: .housing) ?? .init()
    }
}

/// A month and day without a year, written `MM-DD` (e.g. `08-01` for a school year starting 1 August).
public struct MonthDay: Sendable, Hashable, Decodable, CustomStringConvertible {
    public let month: Int
    public let day: Int

    /// Nil for a day that is not in every year (February 29) or not a day at all.
    public init?(month: Int, day: Int) {
        guard (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: 2001)).contains(day) else {
            return nil
        }
        self.month = month
        self.day = day
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        let parts = s.split(separator: "-")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let m = Int(parts[0]), let d = Int(parts[1]),
            let v = MonthDay(month: m, day: d)
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected MM-DD, e.g. 08-01 (not 02-29)")
        }
        self = v
    }

    /// The latest date with this month and day on or before `date`.
    public func latest(onOrBefore date: CivilDate) -> CivilDate {
        // Safe: the initialisers reject days that are not in every year.
        let sameYear = CivilDate(year: date.year, month: month, day: day)!
        return sameYear <= date ? sameYear : CivilDate(year: date.year - 1, month: month, day: day)!
    }

    public var description: String { (month < 10 ? "0" : "") + "\(month)-" + (day < 10 ? "0" : "") + "\(day)" }
}

/// How a partial school day (left early, half day absent) counts towards days absent.
public enum PartialDayCounting: String, Sendable, Hashable, Decodable, CaseIterable {
    /// Every partial day is half an absence.
    case halfDay = "half-day"
    /// Minutes absent ÷ instructional minutes (half a day when minutes are missing).
    case fraction
    /// A whole absence when minutes absent reach the configured share of the day, else none
    /// (half a day when minutes are missing).
    case threshold
    /// Partial days count as present.
    case present
    /// Every partial day is a whole absence.
    case full
}

/// Chronic-absenteeism thresholds (issue 6; formats.md §2.3).
public struct AbsenteeismRules: Sendable, Hashable, Decodable {
    /// First day of the school year; the rate covers that day to the as-of date.
    public var schoolYearStart: MonthDay
    /// Share of enrolled days absent from which a student is at risk (not chronic).
    public var atRiskThreshold: Double
    /// Share of enrolled days absent from which a student is chronically absent (moderate).
    public var chronicThreshold: Double
    /// Share of enrolled days absent from which chronic absence is severe.
    public var severeThreshold: Double
    /// Enrolled days needed before any absenteeism flag is raised.
    public var minimumEnrolledDays: Int
    /// Whether at-risk students get a `chronic-absenteeism` flag with tier `at-risk` (no diagnosis code).
    public var emitAtRisk: Bool
    /// The trend compares with the rate this many days before the as-of date.
    public var trendDays: Int
    public var partialDays: PartialDayCounting
    /// Length of an instructional day, for `fraction` and `threshold` partial-day counting.
    public var instructionalMinutes: Int
    /// Share of the day missed that makes a partial day a whole absence under `threshold` counting.
    public var absentWhenMissedAtLeast: Double

    public init(
        schoolYearStart: MonthDay = MonthDay(month: 8, day: 1)!, atRiskThreshold: Double = 0.05,
        chronicThreshold: Double = 0.10, severeThreshold: Double = 0.20, minimumEnrolledDays: Int = 10,
        emitAtRisk: Bool = true, trendDays: Int = 7, partialDays: PartialDayCounting = .threshold,
        instructionalMinutes: Int = 360, absentWhenMissedAtLeast: Double = 0.5
    ) {
        self.schoolYearStart = schoolYearStart
        self.atRiskThreshold = atRiskThreshold
        self.chronicThreshold = chronicThreshold
        self.severeThreshold = severeThreshold
        self.minimumEnrolledDays = minimumEnrolledDays
        self.emitAtRisk = emitAtRisk
        self.trendDays = trendDays
        self.partialDays = partialDays
        self.instructionalMinutes = instructionalMinutes
        self.absentWhenMissedAtLeast = absentWhenMissedAtLeast
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case schoolYearStart = "school_year_start"
        case atRiskThreshold = "at_risk_threshold"
        case chronicThreshold = "chronic_threshold"
        case severeThreshold = "severe_threshold"
        case minimumEnrolledDays = "minimum_enrolled_days"
        case emitAtRisk = "emit_at_risk"
        case trendDays = "trend_days"
        case partialDays = "partial_days"
        case instructionalMinutes = "instructional_minutes"
        case absentWhenMissedAtLeast = "absent_when_missed_at_least"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AbsenteeismRules()
        schoolYearStart = try c.decodeIfPresent(MonthDay.self, forKey: .schoolYearStart) ?? d.schoolYearStart
        atRiskThreshold = try c.decodeIfPresent(Double.self, forKey: .atRiskThreshold) ?? d.atRiskThreshold
        chronicThreshold = try c.decodeIfPresent(Double.self, forKey: .chronicThreshold) ?? d.chronicThreshold
        severeThreshold = try c.decodeIfPresent(Double.self, forKey: .severeThreshold) ?? d.severeThreshold
        minimumEnrolledDays = try c.decodeIfPresent(Int.self, forKey: .minimumEnrolledDays) ?? d.minimumEnrolledDays
        emitAtRisk = try c.decodeIfPresent(Bool.self, forKey: .emitAtRisk) ?? d.emitAtRisk
        trendDays = try c.decodeIfPresent(Int.self, forKey: .trendDays) ?? d.trendDays
        partialDays = try c.decodeIfPresent(PartialDayCounting.self, forKey: .partialDays) ?? d.partialDays
        instructionalMinutes = try c.decodeIfPresent(Int.self, forKey: .instructionalMinutes) ?? d.instructionalMinutes
        absentWhenMissedAtLeast =
            try c.decodeIfPresent(Double.self, forKey: .absentWhenMissedAtLeast) ?? d.absentWhenMissedAtLeast

        func check(_ ok: Bool, _ key: CodingKeys, _ expected: String) throws {
            if !ok { throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: expected) }
        }
        try check(atRiskThreshold > 0 && atRiskThreshold <= 1, .atRiskThreshold, "a fraction in (0, 1], e.g. 0.05")
        try check(
            chronicThreshold >= atRiskThreshold && chronicThreshold <= 1, .chronicThreshold,
            "a fraction in [at_risk_threshold, 1], e.g. 0.10")
        try check(
            severeThreshold >= chronicThreshold && severeThreshold <= 1, .severeThreshold,
            "a fraction in [chronic_threshold, 1], e.g. 0.20")
        try check(minimumEnrolledDays >= 1, .minimumEnrolledDays, "a whole number of days ≥ 1")
        try check(trendDays >= 1, .trendDays, "a whole number of days ≥ 1")
        try check(instructionalMinutes >= 1, .instructionalMinutes, "minutes in a school day, ≥ 1")
        try check(
            absentWhenMissedAtLeast > 0 && absentWhenMissedAtLeast <= 1, .absentWhenMissedAtLeast,
            "a fraction of the day in (0, 1], e.g. 0.5")
    }

    /// The tier of a rate (a fraction of enrolled days).
    public func tier(of rate: Double) -> AbsenteeismTier {
        // Rates are quotients of small counts; the tolerance keeps 10/100 at 10 % whatever the rounding.
        let r = rate + 1e-9
        if r >= severeThreshold { return .severe }
        if r >= chronicThreshold { return .moderate }
        if r >= atRiskThreshold { return .atRisk }
        return .satisfactory
    }

    /// The first day of the school year that contains `date`.
    public func schoolYearStart(containing date: CivilDate) -> CivilDate { schoolYearStart.latest(onOrBefore: date) }
}

/// Windows for homelessness evidence that has no exit date.
public struct HomelessnessRules: Sendable, Hashable, DayWindowRules {
    /// A night-by-night shelter stay counts as active this many days after its last bed night.
    public var bedNightWindowDays: Int
    /// A street-outreach contact shows unsheltered homelessness for this many days.
    public var outreachWindowDays: Int

    public init(bedNightWindowDays: Int = 30, outreachWindowDays: Int = 90) {
        self.bedNightWindowDays = bedNightWindowDays
        self.outreachWindowDays = outreachWindowDays
    }

    static var windows: [(key: String, days: WritableKeyPath<Self, Int>)] {
        [("bed_night_window_days", \.bedNightWindowDays), ("outreach_window_days", \.outreachWindowDays)]
    }

    static var defaults: Self { Self() }

    public init(from decoder: any Decoder) throws { self = try Self.decodeWindows(decoder) }
}

/// The post-release window (formats.md §3.2: 14 days acute, 30/90 for care transition).
public struct JusticeRules: Sendable, Hashable, DayWindowRules {
    /// A release raises a recent-release flag for this many days.
    public var releaseWindowDays: Int

    public init(releaseWindowDays: Int = 30) { self.releaseWindowDays = releaseWindowDays }

    static var windows: [(key: String, days: WritableKeyPath<Self, Int>)] {
        [("release_window_days", \.releaseWindowDays)]
    }

    static var defaults: Self { Self() }

    public init(from decoder: any Decoder) throws { self = try Self.decodeWindows(decoder) }
}

/// Windows for housing-instability evidence.
public struct HousingRules: Sendable, Hashable, DayWindowRules {
    /// An eviction filing or judgment with no later dismissal shows instability for this many days.
    public var evictionWindowDays: Int
    /// After a move to housing, a `housed` flag (Z59.812, homeless in the past 12 months) lasts this long.
    public var housedWindowDays: Int

    public init(evictionWindowDays: Int = 180, housedWindowDays: Int = 365) {
        self.evictionWindowDays = evictionWindowDays
        self.housedWindowDays = housedWindowDays
    }

    static var windows: [(key: String, days: WritableKeyPath<Self, Int>)] {
        [("eviction_window_days", \.evictionWindowDays), ("housed_window_days", \.housedWindowDays)]
    }

    static var defaults: Self { Self() }

    public init(from decoder: any Decoder) throws { self = try Self.decodeWindows(decoder) }
}

/// Rules made only of windows in days, each under its YAML key with a default; one decoder
/// serves them all: an unknown key is refused, an absent one keeps its default, each is a whole number ≥ 1.
protocol DayWindowRules: Decodable {
    /// The rules with every window at its default.
    static var defaults: Self { get }
    /// Each window's YAML key and property.
    static var windows: [(key: String, days: WritableKeyPath<Self, Int>)] { get }
}

extension DayWindowRules {
    static func decodeWindows(_ decoder: any Decoder) throws -> Self {
        try rejectUnknownKeys(decoder, known: windows.map(\.key))
        let c = try decoder.container(keyedBy: AnyKey.self)
        var rules = defaults
        for window in windows {
            rules[keyPath: window.days] = try c.decodeDays(
                AnyKey(stringValue: window.key), default: rules[keyPath: window.days])
        }
        return rules
    }
}

/// Any key, to see the keys a YAML mapping really has.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws for a key that is not one of `known`, so a misspelt threshold fails instead of being ignored.
extension KeyedDecodingContainer {
    /// A window in days: a whole number ≥ 1, or `value` when the key is absent.
    fileprivate func decodeDays(_ key: Key, default value: Int) throws -> Int {
        let days = try decodeIfPresent(Int.self, forKey: key) ?? value
        if days < 1 {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "a whole number of days ≥ 1")
        }
        return days
    }
}

private func rejectUnknownKeys<K: CodingKey & CaseIterable>(_ decoder: any Decoder, known: K.Type) throws {
    try rejectUnknownKeys(decoder, known: K.allCases.map(\.stringValue))
}

private func rejectUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
    let names = Set(known)
    let c = try decoder.container(keyedBy: AnyKey.self)
    for key in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !names.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown key; expected one of \(names.sorted().joined(separator: ", "))"))
    }
}
