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
        let rows = try connection.execute(
            """
            SELECT \(WarehouseRows.flagColumns), \(WarehouseRows.patientColumns), NULL AS practice_patient_id
            FROM lastmile.flag f
            JOIN lastmile.patient p ON p.patient_id = f.patient_id AND p.active
            JOIN lastmile.run r ON r.run_id = f.updated_run
            WHERE (r.started_at >= ($1::date AT TIME ZONE 'UTC') OR f.period_start >= $1::date
                   OR f.period_end >= $1::date)
              AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM lastmile.attribution a
                                               WHERE a.patient_id = f.patient_id AND a.practice_id = $2))
            ORDER BY f.patient_id, f.flag_id
            """, [since, recipient.practiceId]
        ).rows
        var stored: [StoredFlag] = []
        var patients: [String: StoredPatient] = [:]
        for row in rows {
            let s = try WarehouseRows.flag(from: row)
            stored.append(s)
            patients[s.flag.patientId] = patients[s.flag.patientId] ?? WarehouseRows.patient(from: row)
        }
        let directives = try ConsentStore(connection: connection).directives(forPatients: Array(patients.keys))
        var tally = DecisionTally()
        let permitted = stored.filter { s in
            let decision = gate.evaluate(
                ConsentRequest(
                    flag: s.flag, purpose: purpose, recipient: recipient, date: date,
                    patientBirthDate: patients[s.flag.patientId]?.birthDate),
                directives: directives[s.flag.patientId] ?? [])
            tally.record(decision)
            return decision.passes
        }
        let exportedPatients = Set(permitted.map(\.flag.patientId)).sorted().compactMap { id in
            patients[id].map {
                FHIRPatient(
                    id: id, givenName: $0.givenName, familyName: $0.familyName, birthDate: $0.birthDate, sex: $0.sex)
            }
        }
        let files = try FHIRExport().write(flags: permitted.map(\.flag), patients: exportedPatients, to: directory)
        let madeAt = clock.now
        let name = Self.kind + "-" + Self.timestamp(madeAt) + "-" + UUID().uuidString.prefix(8).lowercased()
        let reportId = try AbsenteeismReport.removing(files) {
            try connection.withTransaction {
                let id = try ReportLedger(connection: connection).record(
                    ReportLedger.NewReport(
                        kind: Self.kind, name: name, practiceId: recipient.practiceId, recipient: recipientToken,
                        purpose: purpose.rawValue, weekOf: nil, directory: files[0].deletingLastPathComponent(),
                        files: files, patients: exportedPatients.count, flags: permitted.count,
                        deliveryStatus: .notConfigured, createdAt: madeAt))
                try DisclosureLog(connection: connection).record(
                    permitted.map { (patientId: $0.flag.patientId, flagId: $0.flagId) }, recipient: recipientToken,
                    purpose: purpose.rawValue, reportName: name, reportId: id, at: madeAt)
                return id
            }
        }
        logger.info(
            "FHIR export written",
            metadata: [
                "report.id": .number(reportId), "flags": .number(permitted.count),
                "patients": .number(exportedPatients.count),
                "consent.stopped": .number(tally.stopped),
            ])
        return Outcome(
            reportName: name, reportId: reportId, flags: permitted.count, patients: exportedPatients.count,
            withheld: stored.count - permitted.count, files: files)
    }

    package static func timestamp(_ instant: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: instant)
    }
}
