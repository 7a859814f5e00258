import Consent
import Foundation
import LastMileCore
import Logging
import Reports
import Store
import Warehouse

/// Exports flags as FHIR R4 NDJSON (Bulk Data layout) to one recipient, re-checking consent and recording
/// every exported flag in the disclosure log.
public struct FHIRFlagExport {
    public let connection: Connection
    public let gate: ConsentGate
    public let logger: Logger
    /// The clock the export's name and its disclosures' times are read from.
    public let clock: Clock

    public init(connection: Connection, gate: ConsentGate, clock: Clock, logger: Logger) {
        self.connection = connection
        self.gate = gate
        self.clock = clock
        self.logger = logger
    }

    public static let kind = "fhir-export"

    /// What an export wrote.
    public struct Outcome: Sendable, Hashable {
        public var reportName: String
        public var reportId: Int64
        public var flags: Int
        public var patients: Int
        /// Flags left out because consent did not permit them for this recipient and purpose.
        public var withheld: Int
        public var files: [URL]
    }

    /// Writes `Flag.ndjson` and `Patient.ndjson` into `directory` for the flags changed since `since`.
    ///
    /// A flag is exported when a run on or after `since` (UTC) last wrote it, or its period starts or ends on or
    /// after `since`, its patient is active (and attributed to the recipient, when that is a practice: minimum
    /// necessary), and consent permits it to `recipient` for `purpose` on `date`.
    /// - Parameter recipientToken: the recipient as recorded in the disclosure log (`practice:<id>`, `role:<r>`).
    public func run(
        since: CivilDate, recipient: Recipient, recipientToken: String, purpose: PurposeOfUse, to directory: URL,
        on date: CivilDate
    ) throws -> Outcome {
        // One instant for the export's name, its report row and its disclosures.
        let madeAt = clock.now
        let release = Release(
            kind: Self.kind,
            name: Self.kind + "-" + Self.timestamp(madeAt) + "-" + UUID().uuidString.prefix(8).lowercased(),
            audience: ReleaseAudience(recipient: recipient, token: recipientToken, purpose: purpose), root: directory,
            query: { try $0.changedFlags(since: since, attributedTo: recipient.practiceId) },
            render: try renderer(since: since, recipient: recipient, recipientToken: recipientToken, madeAt: madeAt))
        let outcome = try ReleasePath(
            connection: connection, gate: gate, clock: .fixed(madeAt, timeZone: clock.timeZone), logger: logger
        ).release(release, on: date)
        return Outcome(
            reportName: outcome.name, reportId: outcome.reportId, flags: outcome.flags, patients: outcome.patients,
            withheld: outcome.withheld, files: outcome.files)
    }

    /// The renderer for one export, with its transaction time, manifest request and the practice's name.
    private func renderer(since: CivilDate, recipient: Recipient, recipientToken: String, madeAt: Date) throws
        -> (ReleaseCandidates) throws -> RenderedRelease
    {
        let practiceName = try recipient.practiceId.flatMap { id in
            try ReleaseQueries(connection: connection).practices().first { $0.id == id }?.name
        }
        return { permitted in
            try Self.render(
                permitted, transactionTime: madeAt, request: Self.request(recipientToken: recipientToken, since: since),
                practice: recipient.practiceId.map { (id: $0, name: practiceName) })
        }
    }

    /// The manifest's `request`: the export as a Bulk Data kick-off URL on a placeholder base,
    /// `[base]/Group/<recipient token>/$export?_since=<date>&_type=Flag,Patient,Observation,Organization`.
    package static func request(recipientToken: String, since: CivilDate) -> String {
        "[base]/Group/\(recipientToken)/$export?_since=\(since)&_type=Flag,Patient,Observation,Organization"
    }

    /// The renderer: every permitted flag as a FHIR Flag (with its absenteeism evidence as an Observation), a
    /// Patient for each of their subjects (with the practice's chart number when the recipient is a practice),
    /// the authoring Organization, and `manifest.json`.
    package static func render(
        _ permitted: ReleaseCandidates, transactionTime: Date, request: String,
        practice: (id: String, name: String?)?
    ) throws -> RenderedRelease {
        let patients = permitted.patients.values.sorted { $0.patientId < $1.patientId }.map { p in
            FHIRPatient(
                id: p.patientId, givenName: p.givenName, familyName: p.familyName, birthDate: p.birthDate, sex: p.sex,
                chartNumber: practice.flatMap { practice in
                    p.practicePatientId.map {
                        FHIRChartNumber(practiceId: practice.id, practiceName: practice.name, value: $0)
                    }
                })
        }
        var provenance: [String: FHIRFlagProvenance] = [:]
        for stored in permitted.flags {
            provenance[FHIRExport.flagId(stored.flag)] = FHIRFlagProvenance(
                lastUpdated: stored.updatedAt, dataThrough: stored.dataThrough)
        }
        let export = FHIRExport(transactionTime: transactionTime)
        let ndjson = export.ndjsonFiles(flags: permitted.flags.map(\.flag), patients: patients, provenance: provenance)
        let manifest = try FHIRExport.manifest(files: ndjson, transactionTime: transactionTime, request: request)
        return RenderedRelease(
            files: ndjson.map { (name: $0.name, data: $0.data) } + [(name: FHIRExport.manifestName, data: manifest)],
            disclosed: permitted.flags, patients: patients.count)
    }

    package static func timestamp(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: instant)
    }
}
