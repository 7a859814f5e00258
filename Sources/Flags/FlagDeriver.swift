import LastMileCore

/// Derives one patient's coded flags from their events, as of a date. Pure: no I/O, no clock.
///
/// The result holds at most one flag per (kind, source, period start) — the key the warehouse upserts on
/// (`Flag.key`). Evidence dated after the as-of date is ignored, so re-deriving an old night gives that
/// night's answer. A flag whose evidence has ended is returned `inactive` with `periodEnd` set: the first
/// day on which the flag no longer applied (for a shelter stay, its HMIS exit date). Active flags have no
/// end. Output is sorted by kind (`FlagKind.allCases` order), source, period start.
public struct FlagDeriver: Sendable {
    public var rules: FlagRules
    /// The calendars of absences-only school feeds; a source without one is positive attendance.
    public var calendars: SchoolCalendars

    public init(rules: FlagRules = .default, calendars: SchoolCalendars = SchoolCalendars()) {
        self.rules = rules
        self.calendars = calendars
    }

    /// The patient's flags as of `asOf`, active and closed, in a deterministic order.
    public func flags(for events: PatientEvents, asOf: CivilDate) -> [Flag] {
        var flags = absenteeismFlags(events, asOf: asOf)
        flags += housingFlags(events, asOf: asOf)
        flags += justiceFlags(events, asOf: asOf)
        if let death = deathDate(events, asOf: asOf) { flags = flags.compactMap { close($0, diedOn: death) } }
        return flags.sorted(by: Flag.derivationOrder)
    }

    /// Flags end on the day a source records the person's death (by-name list `deceased`, HMIS destination 24).
    func deathDate(_ events: PatientEvents, asOf: CivilDate) -> CivilDate? {
        let listed = events.housing.lazy.map(\.event)
            .filter { $0.recordType == .byNameList && $0.status == .deceased && $0.statusDate <= asOf }
            .map(\.statusDate)
        let exited = events.shelterStays.lazy.map(\.event)
            .compactMap { $0.exitDestination == HMIS.deceased ? $0.exitDate : nil }
            .filter { $0 <= asOf }
        return (Array(listed) + Array(exited)).min()
    }

    private func close(_ flag: Flag, diedOn death: CivilDate) -> Flag? {
        if flag.periodStart >= death { return nil }
        if let end = flag.periodEnd, end <= death { return flag }
        var closed = flag
        closed.status = .inactive
        closed.periodEnd = death
        return closed
    }

    /// Builds a flag over the half-open span `[start, end)`; `end` nil or after `asOf` means still active.
    func flag(
        _ kind: FlagKind, tier: String = "", patient: String, source: String, start: CivilDate, end: CivilDate?,
        asOf: CivilDate, evidence: [String: String]
    ) -> Flag {
        let ended = end.map { $0 <= asOf } ?? false
        return Flag(
            patientId: patient, kind: kind, tier: tier, codes: FlagCodes.codes(for: kind, tier: tier),
            status: ended ? .inactive : .active, periodStart: start, periodEnd: ended ? end : nil,
            evidence: evidence, source: source)
    }
}

/// HMIS code values the rules use (HMIS CSV FY2026; formats.md §1.4).
enum HMIS {
    /// ProjectType codes for sheltered homelessness: ES entry/exit, ES night-by-night, TH, Safe Haven.
    static let shelteredProjectTypes: Set<Int> = [0, 1, 2, 8]
    static let nightByNight = 1
    static let streetOutreach = 4
    static let homelessnessPrevention = 12
    /// Housing projects where a move-in date means housed: PSH, PH housing only, PH with services, RRH.
    static let housingProjectTypes: Set<Int> = [3, 9, 10, 13]
    /// Destinations (list 3.12.1) that are permanent housing.
    static let permanentDestinations: Set<Int> = [410, 411, 421, 422, 423, 426, 435, 327]
    static let deceased = 24
}

/// The identity the warehouse upserts a flag on: one row per patient, kind, source and period start.
public struct FlagKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var patientId: String
    public var kind: FlagKind
    public var source: String
    public var periodStart: CivilDate

    public init(patientId: String, kind: FlagKind, source: String, periodStart: CivilDate) {
        self.patientId = patientId
        self.kind = kind
        self.source = source
        self.periodStart = periodStart
    }

    public static func < (a: FlagKey, b: FlagKey) -> Bool {
        (a.patientId, a.kind.order, a.source, a.periodStart) < (b.patientId, b.kind.order, b.source, b.periodStart)
    }

    public var description: String { "\(patientId)/\(kind.rawValue)/\(source)/\(periodStart)" }
}

extension FlagKind {
    /// Position in `allCases`, used to order flags.
    var order: Int { FlagKind.allCases.firstIndex(of: self) ?? 0 }
}

extension Flag {
    /// The upsert identity of this flag.
    public var key: FlagKey { FlagKey(patientId: patientId, kind: kind, source: source, periodStart: periodStart) }

    static func derivationOrder(_ a: Flag, _ b: Flag) -> Bool {
        if a.key != b.key { return a.key < b.key }
        return a.tier < b.tier
    }
}
