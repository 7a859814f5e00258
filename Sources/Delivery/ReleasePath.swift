import Consent
import Foundation
import LastMileCore
import Logging
import Reports
import Store
import Warehouse

/// Who a release goes to and why; consent is re-checked for exactly this recipient and purpose.
package struct ReleaseAudience: Sendable, Hashable {
    /// The recipient the consent gate checks (a practice and the roles it acts in, or a role).
    package var recipient: Recipient
    /// The recipient as the report row and the disclosure log record it: `practice:<id>`, `role:<role>`.
    package var token: String
    package var purpose: PurposeOfUse

    package init(recipient: Recipient, token: String, purpose: PurposeOfUse) {
        self.recipient = recipient
        self.token = token
        self.purpose = purpose
    }
}

/// The files a renderer made from the permitted flags, and which of those flags the files show.
package struct RenderedRelease {
    /// File names (one path component each) and contents, in the order they are recorded.
    package var files: [(name: String, data: Data)]
    /// The flags the files disclose; each must be one consent permitted (the path refuses any other).
    package var disclosed: [StoredFlag]
    /// How many patients the files show, as the report row records it.
    package var patients: Int

    package init(files: [(name: String, data: Data)], disclosed: [StoredFlag], patients: Int) {
        self.files = files
        self.disclosed = disclosed
        self.patients = patients
    }
}

/// One report to release: what it is called, who gets it, where it is written, and its two pieces of logic —
/// a query (Store) and a renderer (Reports). The consent re-check, the outbox, the ledger, the disclosure log
/// and delivery are `ReleasePath`'s, never the report's.
package struct Release {
    /// The report kind recorded in `lastmile.report` (`absenteeism`, `fhir-export`).
    package var kind: String
    /// The report's unique name; a delivered report of this name is never made or sent again.
    package var name: String
    package var audience: ReleaseAudience
    /// The week a weekly list is for; nil for other reports.
    package var weekOf: CivilDate?
    /// Where the files go: `root` (created 0700 when missing) and folders below it (made 0700).
    package var root: URL
    package var folders: [(role: String, name: String)]
    /// The delivery command; nil leaves the report in the outbox (`not-configured`).
    package var delivery: DeliveryCommand?
    /// The candidate flags with their patients, before consent.
    package var query: (ReleaseQueries) throws -> ReleaseCandidates
    /// The files made from the flags consent permitted.
    package var render: (ReleaseCandidates) throws -> RenderedRelease

    package init(
        kind: String, name: String, audience: ReleaseAudience, weekOf: CivilDate? = nil, root: URL,
        folders: [(role: String, name: String)] = [], delivery: DeliveryCommand? = nil,
        query: @escaping (ReleaseQueries) throws -> ReleaseCandidates,
        render: @escaping (ReleaseCandidates) throws -> RenderedRelease
    ) {
        self.kind = kind
        self.name = name
        self.audience = audience
        self.weekOf = weekOf
        self.root = root
        self.folders = folders
        self.delivery = delivery
        self.query = query
        self.render = render
    }
}

/// A renderer claimed to disclose a flag that consent did not permit; nothing was written or recorded.
package struct UnpermittedDisclosure: ClassifiedError, CustomStringConvertible {
    package var report: String
    package var flagId: Int64
    package var exitStatus: ExitStatus { .software }
    package var description: String {
        "report \(report): the renderer disclosed flag \(flagId), which consent did not permit"
    }
}

/// The one release path for everything that leaves the HIE:
/// query → consent re-check for the recipient and purpose → render → write to the outbox (all files or none)
/// → record the report and its disclosures in one transaction → optional delivery.
package struct ReleasePath {
    package let connection: Connection
    package let gate: ConsentGate
    /// The clock the report's and its disclosures' times are read from.
    package let clock: Clock
    package let logger: Logger

    package init(connection: Connection, gate: ConsentGate, clock: Clock, logger: Logger) {
        self.connection = connection
        self.gate = gate
        self.clock = clock
        self.logger = logger
    }

    /// What a release did.
    package struct Outcome {
        package enum Action: Sendable, Hashable {
            /// Written to the outbox and recorded with its disclosures.
            case written
            /// Already delivered under this name: left alone, not made or sent again.
            case alreadyDelivered
        }

        package var action: Action
        package var name: String
        package var reportId: Int64
        package var patients: Int
        /// Flags disclosed (recorded in the disclosure log).
        package var flags: Int
        /// Candidate flags consent did not permit for the recipient and purpose.
        package var withheld: Int
        package var files: [URL]
        /// The delivery command's runs, when delivery was asked for and configured.
        package var attempts: [OutboxDelivery.Attempt]
    }

    /// Releases `release`: consent is checked on `date`; with `deliver`, its delivery command (if any) runs.
    ///
    /// A report already delivered under the same name is left alone. An undelivered one is made again,
    /// overwriting its files; its disclosures replace those of the version never delivered
    /// (`ReportLedger.record`). When recording fails, the files just written are removed.
    package func release(_ release: Release, on date: CivilDate, deliver: Bool = false) throws -> Outcome {
        if let existing = try ReportLedger(connection: connection).report(named: release.name),
            existing.deliveryStatus == .delivered
        {
            logger.info(
                "report already delivered; not sent again",
                metadata: ["report.kind": "\(release.kind)", "report.id": .number(existing.reportId)])
            return Outcome(
                action: .alreadyDelivered, name: release.name, reportId: existing.reportId,
                patients: existing.patients, flags: existing.flags, withheld: 0, files: existing.files, attempts: [])
        }
        let candidates = try release.query(ReleaseQueries(connection: connection))
        let permitted = try self.permitted(candidates, for: release.audience, on: date)
        let rendered = try release.render(permitted)
        let permittedIds = Set(permitted.flags.map(\.flagId))
        if let stray = rendered.disclosed.first(where: { !permittedIds.contains($0.flagId) }) {
            throw UnpermittedDisclosure(report: release.name, flagId: stray.flagId)
        }
        let directory = try PrivateFiles.directory(release.root, release.folders)
        let files = try PrivateFiles.writeAll(rendered.files, in: directory)
        let recordedDirectory = files.first?.deletingLastPathComponent() ?? directory
        let reportId = try Self.removing(files) {
            try record(release, rendered: rendered, directory: recordedDirectory, files: files, madeAt: clock.now)
        }
        var metadata: Logger.Metadata = [
            "report.kind": "\(release.kind)", "report.id": .number(reportId), "patients": .number(rendered.patients),
            "flags.disclosed": .number(rendered.disclosed.count),
            "consent.stopped": .number(candidates.flags.count - permitted.flags.count),
        ]
        if let practiceId = release.audience.recipient.practiceId { metadata["practice"] = "\(practiceId)" }
        if let week = release.weekOf { metadata["week"] = "\(week)" }
        logger.info("report written", metadata: metadata)
        var attempts: [OutboxDelivery.Attempt] = []
        if deliver, let command = release.delivery {
            attempts = try OutboxDelivery(connection: connection, command: command, clock: clock, logger: logger)
                .deliver(reportNames: [release.name])
        }
        return Outcome(
            action: .written, name: release.name, reportId: reportId, patients: rendered.patients,
            flags: rendered.disclosed.count, withheld: candidates.flags.count - permitted.flags.count, files: files,
            attempts: attempts)
    }

    /// The candidates consent permits to reach `audience` on `date`, with the patient directives read from
    /// the warehouse now (a directive recorded after the nightly load counts at once).
    package func permitted(_ candidates: ReleaseCandidates, for audience: ReleaseAudience, on date: CivilDate)
        throws -> ReleaseCandidates
    {
        let directives = try ConsentStore(connection: connection).directives(
            forPatients: Array(candidates.patients.keys))
        let permitted = candidates.filter { stored in
            let patientId = stored.flag.patientId
            let decision = gate.evaluate(
                ConsentRequest(
                    flag: stored.flag, purpose: audience.purpose, recipient: audience.recipient, date: date,
                    patientBirthDate: candidates.patients[patientId]?.birthDate),
                directives: directives[patientId] ?? [])
            return decision.passes
        }
        logger.debug(
            "consent checked at report time",
            metadata: [
                "consent.passed": .number(permitted.flags.count),
                "consent.stopped": .number(candidates.flags.count - permitted.flags.count),
            ])
        return permitted
    }

    /// Records the written report and its disclosures in one transaction; returns the report's id.
    private func record(
        _ release: Release, rendered: RenderedRelease, directory: URL, files: [URL], madeAt: Date
    ) throws -> Int64 {
        try connection.withTransaction {
            let id = try ReportLedger(connection: connection).record(
                ReportLedger.NewReport(
                    kind: release.kind, name: release.name, practiceId: release.audience.recipient.practiceId,
                    recipient: release.audience.token, purpose: release.audience.purpose.rawValue,
                    weekOf: release.weekOf, directory: directory, files: files, patients: rendered.patients,
                    flags: rendered.disclosed.count,
                    deliveryStatus: release.delivery == nil ? .notConfigured : .pending, createdAt: madeAt))
            try DisclosureLog(connection: connection).record(
                rendered.disclosed.map { (patientId: $0.flag.patientId, flagId: $0.flagId) },
                recipient: release.audience.token, purpose: release.audience.purpose.rawValue,
                reportName: release.name, reportId: id, at: madeAt)
            return id
        }
    }

    /// Runs `body`; when it throws, removes `files` first: a report the ledger does not record stays nowhere.
    private static func removing<T>(_ files: [URL], after body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            for file in files { try? FileManager.default.removeItem(at: file) }
            throw error
        }
    }
}
