import Consent
import Foundation
import LastMileCore
import Logging
import Reports
import Store
import Warehouse

/// Builds, writes and records the Monday absenteeism lists, re-checking consent at report time.
///
/// For each practice: its attributed, active patients with an active `chronic-absenteeism` flag that consent
/// lets reach `practice:<id>` (acting in the pipeline's roles) for the pipeline's purpose on the report date,
/// with the other active flags the practice may see, each checked the same way. The directives are read from
/// the warehouse when the list is made, so a directive recorded after the nightly load counts at once.
public struct AbsenteeismReport {
    public let connection: Connection
    public let config: DeliveryPipelineConfig
    public let gate: ConsentGate
    public let logger: Logger
    /// The clock the report's and its disclosures' times are read from.
    public let clock: Clock

    public init(
        connection: Connection, config: DeliveryPipelineConfig, gate: ConsentGate, clock: Clock, logger: Logger
    ) {
        self.connection = connection
        self.config = config
        self.gate = gate
        self.clock = clock
        self.logger = logger
    }

    public static let kind = "absenteeism"

    /// The advisory-lock key that keeps two report runs apart, so a list is never made or sent twice at once.
    public static let lockKey: Int64 = 0x6C61_7374_6D69_0007

    /// Runs `body` holding the report lock; throws `WarehouseError` (`lockHeld`, exit 75) when another report
    /// run holds it.
    public static func exclusively<T>(_ connection: Connection, _ body: () throws -> T) throws -> T {
        guard try connection.tryAdvisoryLock(lockKey) else {
            throw WarehouseError(kind: .lockHeld, context: "report absenteeism")
        }
        defer { _ = try? connection.advisoryUnlock(lockKey) }
        return try body()
    }

    /// What happened to one practice's list.
    public struct Outcome: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            /// Written to the outbox and recorded with its disclosures.
            case written
            /// Already delivered for this week: left alone, not re-sent.
            case alreadyDelivered = "already-delivered"
        }

        public var practiceId: String
        public var weekOf: CivilDate
        public var reportName: String
        public var reportId: Int64?
        public var action: Action
        public var patients: Int
        public var flags: Int
        public var files: [URL]
        /// How recent each source on the list is; empty for a list already delivered (not made again).
        public var dataFreshness: [SourceFreshness] = []

        /// The sources on the list whose data is older than the pipeline's `stale_after_days`.
        public var staleSources: [SourceFreshness] { dataFreshness.filter(\.isStale) }
    }

    /// A practice id the warehouse does not know.
    public struct UnknownPractice: ClassifiedError, CustomStringConvertible {
        public var practiceId: String
        public var exitStatus: ExitStatus { .usage }
        public var description: String { "practice \(practiceId) is not in lastmile.practice" }
    }

    /// The practices to report to: every one when `allPractices`, else `only` when given (each must exist),
    /// else the config's list, else every practice in `lastmile.practice`.
    public func practices(only: [String]? = nil, allPractices: Bool = false) throws -> [(id: String, name: String)] {
        let all = try queries.practices()
        guard !allPractices, let wanted = only ?? config.practices else { return all }
        return try wanted.map { id in
            guard let found = all.first(where: { $0.id == id }) else { throw UnknownPractice(practiceId: id) }
            return found
        }
    }

    /// Makes, writes and records the lists of `weekOf`'s week for the given practices (nil: the config's).
    ///
    /// A list already delivered for that week is left alone. An undelivered one is made again (consent
    /// re-checked), overwriting its files; its disclosures replace those of the version that was never
    /// delivered (see `ReportLedger.record`). First, lists past the pipeline's outbox retention are deleted
    /// (`pruneOutbox(on:)`).
    /// - Parameter date: the day consent is checked on (the day the report is made).
    public func run(weekOf: CivilDate, practices only: [String]? = nil, allPractices: Bool = false, on date: CivilDate)
        throws -> [Outcome]
    {
        let monday = weekOf.mondayOfWeek
        try pruneOutbox(on: date)
        let template: HTMLTemplate? = try config.templates.map {
            try HTMLTemplate(directory: $0, name: AbsenteeismList.htmlTemplateName)
        }
        let freshness = try sourceFreshness(on: date)
        var outcomes: [Outcome] = []
        for practice in try practices(only: only, allPractices: allPractices) {
            outcomes.append(
                try report(practice: practice, weekOf: monday, on: date, template: template, freshness: freshness))
        }
        return outcomes
    }

    /// Releases one practice's list through the release path (delivery is left to the caller).
    /// - Parameter freshness: every source's freshness on the day the list is made (`sourceFreshness(on:)`).
    package func report(
        practice: (id: String, name: String), weekOf monday: CivilDate, on date: CivilDate, template: HTMLTemplate?,
        freshness: [SourceFreshness]
    ) throws -> Outcome {
        let shown = ShownFreshness()
        let release = try release(
            practice: practice, weekOf: monday, template: template, freshness: freshness, shown: shown)
        let outcome = try path.release(release, on: date)
        let written = outcome.action == .written
        if written { logStale(shown.sources, practiceId: practice.id, week: monday) }
        return Outcome(
            practiceId: practice.id, weekOf: monday, reportName: outcome.name, reportId: outcome.reportId,
            action: written ? .written : .alreadyDelivered, patients: outcome.patients,
            flags: outcome.flags, files: outcome.files, dataFreshness: written ? shown.sources : [])
    }

    /// Every attendance source's freshness on `date`, the day the lists are made, judged against the
    /// pipeline's `stale_after_days`.
    public func sourceFreshness(on date: CivilDate) throws -> [SourceFreshness] {
        try queries.newestAttendanceDates().sorted { $0.key < $1.key }.map {
            SourceFreshness(source: $0.key, dataThrough: $0.value, madeOn: date, staleAfterDays: config.staleAfterDays)
        }
    }

    /// One warning line per stale source on a written list: source, date and age only.
    private func logStale(_ sources: [SourceFreshness], practiceId: String, week: CivilDate) {
        for stale in sources where stale.isStale {
            var metadata: Logger.Metadata = [
                "practice": "\(practiceId)", "week": "\(week)", "source": "\(stale.source)",
                "stale_after_days": .number(config.staleAfterDays),
            ]
            if let through = stale.dataThrough { metadata["data_through"] = "\(through)" }
            if let days = stale.daysOld { metadata["data_age_days"] = .number(days) }
            logger.warning("list made from stale attendance data", metadata: metadata)
        }
    }

    /// One practice's Monday list as a release: the practice's attributed patients with an active
    /// `chronic-absenteeism` flag (query), rendered as CSV and, with a template, HTML under
    /// `outbox/PRACTICE/WEEK/`.
    /// - Parameter shown: receives the freshness of the sources the rendered list shows.
    package func release(
        practice: (id: String, name: String), weekOf monday: CivilDate, template: HTMLTemplate?,
        freshness: [SourceFreshness], shown: ShownFreshness = ShownFreshness()
    ) throws -> Release {
        let lastWeek = try lastWeeksPatients(practiceId: practice.id, weekOf: monday)
        let absences = try recentAbsenceDays(practiceId: practice.id, weekOf: monday)
        let options = config.listOptions
        return Release(
            kind: Self.kind, name: "\(Self.kind)-\(practice.id)-\(monday)", audience: audience(practice.id),
            weekOf: monday, root: config.outbox, folders: [("practice id", practice.id), ("week", monday.description)],
            delivery: config.delivery,
            query: { try $0.activeFlags(attributedTo: practice.id, requiring: .chronicAbsenteeism) },
            render: { permitted in
                let (list, flagIds) = Self.list(
                    permitted, practice: practice, weekOf: monday, lastWeek: lastWeek, absences: absences,
                    options: options, freshness: freshness)
                shown.sources = list.dataFreshness
                let disclosed = list.disclosedFlags.compactMap { flag in
                    flagIds[flag].map { StoredFlag(flagId: $0, flag: flag) }
                }
                return RenderedRelease(
                    files: try list.files(template: template), disclosed: disclosed, patients: list.rows.count)
            })
    }

    /// The practice's list for the week, without writing it, and the row id of every flag it may show.
    public func build(practiceId: String, practiceName: String, weekOf: CivilDate, on date: CivilDate) throws
        -> (AbsenteeismList, [Flag: Int64])
    {
        let monday = weekOf.mondayOfWeek
        let candidates = try queries.activeFlags(attributedTo: practiceId, requiring: .chronicAbsenteeism)
        let permitted = try path.permitted(candidates, for: audience(practiceId), on: date)
        return Self.list(
            permitted, practice: (practiceId, practiceName), weekOf: monday,
            lastWeek: try lastWeeksPatients(practiceId: practiceId, weekOf: monday),
            absences: try recentAbsenceDays(practiceId: practiceId, weekOf: monday), options: config.listOptions,
            freshness: try sourceFreshness(on: date))
    }

    /// The renderer's first half: the list of the flags consent permitted, and the row id of each.
    private static func list(
        _ permitted: ReleaseCandidates, practice: (id: String, name: String), weekOf monday: CivilDate,
        lastWeek: Set<String>?, absences: AbsenceDays, options: AbsenteeismListOptions,
        freshness: [SourceFreshness]
    ) -> (AbsenteeismList, [Flag: Int64]) {
        var listed: [ListedPatient] = []
        var flagIds: [Flag: Int64] = [:]
        let illnessSources = sourcesCodingIllness(absences)
        for (patient, stored) in permitted.byPatient {
            for s in stored { flagIds[s.flag] = s.flagId }
            let others = stored.map(\.flag).filter { $0.kind != .chronicAbsenteeism }
            for s in stored where s.flag.kind == .chronicAbsenteeism {
                let yearStart = s.flag.evidence[FlagEvidenceKey.schoolYearStart].flatMap { CivilDate(iso: $0) }
                let recent = RecentAbsences(
                    days: absences[patient.patientId]?[s.flag.source] ?? [], before: monday,
                    yearStart: yearStart ?? monday.adding(days: -Self.absenceLookbackDays),
                    sourceCodesIllness: illnessSources.contains(s.flag.source))
                listed.append(
                    ListedPatient(
                        patientId: patient.patientId, givenName: patient.givenName, familyName: patient.familyName,
                        birthDate: patient.birthDate, practicePatientId: patient.practicePatientId,
                        absenteeism: s.flag, otherFlags: others,
                        onLastWeeksList: lastWeek.map { $0.contains(patient.patientId) }, recentAbsences: recent))
            }
        }
        var list = AbsenteeismList(
            practiceId: practice.id, practiceName: practice.name, weekOf: monday, patients: listed, options: options)
        list.dataFreshness = list.freshness(from: freshness)
        return (list, flagIds)
    }

    /// Absence days by patient id and source, as `ReleaseQueries.absences` returns them.
    typealias AbsenceDays = [String: [String: [(date: CivilDate, status: AttendanceStatus)]]]

    /// The sources with an `absent-illness` day among `absences` (the year read for the list): the feeds known
    /// to code illness, whose rows show an illness count even when it is 0. Other rows show "not known".
    static func sourcesCodingIllness(_ absences: AbsenceDays) -> Set<String> {
        var sources: Set<String> = []
        for bySource in absences.values {
            for (source, days) in bySource where days.contains(where: { $0.status == .absentIllness }) {
                sources.insert(source)
            }
        }
        return sources
    }

    /// How far back the absences behind a list's counts are read: a school year and a day.
    static let absenceLookbackDays = 366

    /// The whole-day absences of the practice's patients in the year before the list's Monday, for the
    /// recent-absence counts and the trend (`RecentAbsences`).
    private func recentAbsenceDays(practiceId: String, weekOf monday: CivilDate) throws -> AbsenceDays {
        try queries.absences(
            attributedTo: practiceId, from: monday.adding(days: -Self.absenceLookbackDays), before: monday)
    }

    /// Who a practice's list goes to: `practice:<id>` in the pipeline's roles, for the pipeline's purpose.
    private func audience(_ practiceId: String) -> ReleaseAudience {
        ReleaseAudience(
            recipient: config.recipient(forPractice: practiceId), token: "practice:\(practiceId)",
            purpose: config.purpose)
    }

    /// The patients on the practice's list of the week before, from that report's disclosures (of its
    /// delivered version, or every version written to an outbox without a delivery command); nil when no list
    /// was made that week (the flags' `previous_rate` then decides what is new).
    package func lastWeeksPatients(practiceId: String, weekOf monday: CivilDate) throws -> Set<String>? {
        try queries.patientsDisclosed(
            byReport: Self.kind, practiceId: practiceId, weekOf: monday.adding(days: -7), flagKind: .chronicAbsenteeism)
    }

    private var queries: ReleaseQueries { ReleaseQueries(connection: connection) }
    private var path: ReleasePath { ReleasePath(connection: connection, gate: gate, clock: clock, logger: logger) }
}

/// Where a release's renderer leaves the freshness of the sources its list shows, for the outcome.
package final class ShownFreshness {
    package var sources: [SourceFreshness] = []

    package init() {}
}
