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
        let all = try connection.execute("SELECT practice_id, name FROM lastmile.practice ORDER BY practice_id").rows
            .map { (id: $0["practice_id"] ?? "", name: $0["name"] ?? "") }
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
        var outcomes: [Outcome] = []
        for practice in try practices(only: only, allPractices: allPractices) {
            outcomes.append(try report(practice: practice, weekOf: monday, on: date, template: template))
        }
        return outcomes
    }

    package func report(
        practice: (id: String, name: String), weekOf monday: CivilDate, on date: CivilDate, template: HTMLTemplate?
    )
        throws -> Outcome
    {
        let name = "\(Self.kind)-\(practice.id)-\(monday)"
        if let existing = try ReportLedger(connection: connection).report(named: name),
            existing.deliveryStatus == .delivered
        {
            logger.info(
                "list already delivered; not sent again",
                metadata: ["practice": "\(practice.id)", "week": "\(monday)", "report.id": .number(existing.reportId)])
            return Outcome(
                practiceId: practice.id, weekOf: monday, reportName: name, reportId: existing.reportId,
                action: .alreadyDelivered, patients: existing.patients, flags: existing.flags, files: existing.files)
        }
        let (list, flagIds) = try build(practiceId: practice.id, practiceName: practice.name, weekOf: monday, on: date)
        let files = try list.write(toOutbox: config.outbox, template: template)
        let disclosed = list.disclosedFlags.compactMap { flag in
            flagIds[flag].map { (patientId: flag.patientId, flagId: $0) }
        }
        let madeAt = clock.now
        let reportId = try Self.removing(files) {
            try connection.withTransaction {
                try record(
                    name: name, practiceId: practice.id, weekOf: monday, files: files, list: list, disclosed: disclosed,
                    madeAt: madeAt)
            }
        }
        logger.info(
            "list written",
            metadata: [
                "practice": "\(practice.id)", "week": "\(monday)", "report.id": .number(reportId),
                "patients": .number(list.rows.count), "flags.disclosed": .number(disclosed.count),
            ])
        return Outcome(
            practiceId: practice.id, weekOf: monday, reportName: name, reportId: reportId, action: .written,
            patients: list.rows.count, flags: disclosed.count, files: files)
    }

    /// Records the written list and its disclosures (call inside a transaction); returns the report's id.
    private func record(
        name: String, practiceId: String, weekOf monday: CivilDate, files: [URL], list: AbsenteeismList,
        disclosed: [(patientId: String, flagId: Int64)], madeAt: Date
    ) throws -> Int64 {
        let id = try ReportLedger(connection: connection).record(
            ReportLedger.NewReport(
                kind: Self.kind, name: name, practiceId: practiceId, recipient: "practice:\(practiceId)",
                purpose: config.purpose.rawValue, weekOf: monday, directory: files[0].deletingLastPathComponent(),
                files: files, patients: list.rows.count, flags: disclosed.count,
                deliveryStatus: config.delivery == nil ? .notConfigured : .pending, createdAt: madeAt))
        try DisclosureLog(connection: connection).record(
            disclosed, recipient: "practice:\(practiceId)", purpose: config.purpose.rawValue, reportName: name,
            reportId: id, at: madeAt)
        return id
    }

    /// Runs `body`; when it throws, removes `files` first: a list the ledger does not record stays nowhere.
    package static func removing<T>(_ files: [URL], after body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            for file in files { try? FileManager.default.removeItem(at: file) }
            throw error
        }
    }

    /// The practice's list for the week, without writing it, and the row id of every flag it may show.
    public func build(practiceId: String, practiceName: String, weekOf: CivilDate, on date: CivilDate) throws
        -> (AbsenteeismList, [Flag: Int64])
    {
        let monday = weekOf.mondayOfWeek
        let rows = try connection.execute(
            """
            SELECT \(WarehouseRows.flagColumns), \(WarehouseRows.patientColumns), a.practice_patient_id
            FROM lastmile.attribution a
            JOIN lastmile.patient p ON p.patient_id = a.patient_id AND p.active
            JOIN lastmile.flag f ON f.patient_id = a.patient_id AND f.status = 'active'
            WHERE a.practice_id = $1
              AND EXISTS (SELECT 1 FROM lastmile.flag c WHERE c.patient_id = a.patient_id
                          AND c.kind = 'chronic-absenteeism' AND c.status = 'active')
            ORDER BY f.patient_id, f.flag_id
            """, [practiceId]
        ).rows
        var patients: [String: StoredPatient] = [:]
        var flagsByPatient: [String: [StoredFlag]] = [:]
        for row in rows {
            let stored = try WarehouseRows.flag(from: row)
            patients[stored.flag.patientId] = patients[stored.flag.patientId] ?? WarehouseRows.patient(from: row)
            flagsByPatient[stored.flag.patientId, default: []].append(stored)
        }
        let directives = try ConsentStore(connection: connection).directives(forPatients: Array(patients.keys))
        let lastWeek = try lastWeeksPatients(practiceId: practiceId, weekOf: monday)
        let recipient = config.recipient(forPractice: practiceId)
        var tally = DecisionTally()
        var listed: [ListedPatient] = []
        var flagIds: [Flag: Int64] = [:]
        for (patientId, stored) in flagsByPatient.sorted(by: { $0.key < $1.key }) {
            guard let patient = patients[patientId] else { continue }
            let permitted = stored.filter { s in
                let decision = gate.evaluate(
                    ConsentRequest(
                        flag: s.flag, purpose: config.purpose, recipient: recipient, date: date,
                        patientBirthDate: patient.birthDate),
                    directives: directives[patientId] ?? [])
                tally.record(decision)
                return decision.passes
            }
            for s in permitted { flagIds[s.flag] = s.flagId }
            let others = permitted.map(\.flag).filter { $0.kind != .chronicAbsenteeism }
            for s in permitted where s.flag.kind == .chronicAbsenteeism {
                listed.append(
                    ListedPatient(
                        patientId: patientId, givenName: patient.givenName, familyName: patient.familyName,
                        birthDate: patient.birthDate, practicePatientId: patient.practicePatientId,
                        absenteeism: s.flag, otherFlags: others,
                        onLastWeeksList: lastWeek.map { $0.contains(patientId) }))
            }
        }
        logger.debug(
            "consent checked at report time",
            metadata: [
                "practice": "\(practiceId)", "consent.passed": .number(tally.passed),
                "consent.stopped": .number(tally.stopped),
            ])
        let list = AbsenteeismList(
            practiceId: practiceId, practiceName: practiceName, weekOf: monday, patients: listed,
            options: config.listOptions)
        return (list, flagIds)
    }

    /// The patients on the practice's list of the week before, from that report's disclosures (of its
    /// delivered version, or every version written to an outbox without a delivery command); nil when no list
    /// was made that week (the flags' `previous_rate` then decides what is new).
    package func lastWeeksPatients(practiceId: String, weekOf monday: CivilDate) throws -> Set<String>? {
        let previous = try connection.execute(
            "SELECT report_id FROM lastmile.report WHERE kind = $1 AND practice_id = $2 AND week_of = $3::date",
            [Self.kind, practiceId, monday.adding(days: -7)]
        ).scalar
        guard let previous, let id = Int(previous) else { return nil }
        let rows = try connection.execute(
            """
            SELECT DISTINCT d.patient_id FROM lastmile.disclosure d
            JOIN lastmile.flag f ON f.flag_id = d.flag_id
            WHERE d.report_id = $1 AND f.kind = 'chronic-absenteeism'
            """, [id]
        ).rows
        return Set(rows.compactMap { $0["patient_id"] })
    }
}
