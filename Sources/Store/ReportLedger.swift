import Crypto
import Foundation
import LastMileCore
import Warehouse

/// The `lastmile.report` table: each written report, its files' SHA-256 and its delivery state.
public struct ReportLedger {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// A recorded report.
    public struct Entry: Sendable, Hashable {
        public var reportId: Int64
        public var kind: String
        public var name: String
        public var practiceId: String?
        public var weekOf: CivilDate?
        public var directory: URL
        public var fileNames: [String]
        public var sha256: String
        public var patients: Int
        public var flags: Int
        public var deliveryStatus: DeliveryStatus
        public var attempts: Int
        public var lastExitStatus: Int?

        public var files: [URL] { fileNames.map { directory.appendingPathComponent($0) } }

        public init(
            reportId: Int64, kind: String, name: String, practiceId: String?, weekOf: CivilDate?, directory: URL,
            fileNames: [String], sha256: String, patients: Int, flags: Int, deliveryStatus: DeliveryStatus,
            attempts: Int, lastExitStatus: Int?
        ) {
            self.reportId = reportId
            self.kind = kind
            self.name = name
            self.practiceId = practiceId
            self.weekOf = weekOf
            self.directory = directory
            self.fileNames = fileNames
            self.sha256 = sha256
            self.patients = patients
            self.flags = flags
            self.deliveryStatus = deliveryStatus
            self.attempts = attempts
            self.lastExitStatus = lastExitStatus
        }
    }

    /// Where a report stands with its delivery command.
    public enum DeliveryStatus: String, Sendable, Hashable {
        /// No delivery command is configured: the report stays in the outbox.
        case notConfigured = "not-configured"
        /// Written; the command has not run yet.
        case pending
        /// The command ran and failed (or timed out); the next run retries.
        case failed
        /// The command succeeded; never sent again.
        case delivered
    }

    /// What a new report row says; the ledger adds the SHA-256 of its files.
    package struct NewReport {
        var kind: String
        var name: String
        var practiceId: String?
        var recipient: String
        var purpose: String
        var weekOf: CivilDate?
        var directory: URL
        var files: [URL]
        var patients: Int
        var flags: Int
        var deliveryStatus: DeliveryStatus
        /// When the report was made, by the caller's clock.
        var createdAt: Date

        package init(
            kind: String, name: String, practiceId: String?, recipient: String, purpose: String, weekOf: CivilDate?,
            directory: URL, files: [URL], patients: Int, flags: Int, deliveryStatus: DeliveryStatus, createdAt: Date
        ) {
            self.kind = kind
            self.name = name
            self.practiceId = practiceId
            self.recipient = recipient
            self.purpose = purpose
            self.weekOf = weekOf
            self.directory = directory
            self.files = files
            self.patients = patients
            self.flags = flags
            self.deliveryStatus = deliveryStatus
            self.createdAt = createdAt
        }
    }

    package static let columns = """
        report_id, kind, name, practice_id, week_of, directory, files::text AS files, sha256, patients, flags,
        delivery_status, attempts, last_exit_status
        """

    /// The report of this name, if one was recorded.
    public func report(named name: String) throws -> Entry? {
        try connection.execute("SELECT \(Self.columns) FROM lastmile.report WHERE name = $1", [name]).rows.first
            .map(Self.entry)
    }

    /// Every recorded report of a kind, oldest first.
    public func reports(kind: String) throws -> [Entry] {
        try connection.execute(
            "SELECT \(Self.columns) FROM lastmile.report WHERE kind = $1 ORDER BY report_id", [kind]
        ).rows.map(Self.entry)
    }

    /// Records a written report (or replaces an undelivered one of the same name), returning its id.
    ///
    /// Replacing a report whose delivery is pending or failed withdraws its earlier disclosures: its files
    /// never left the outbox, so only the new version's flags are disclosed (once, when it is delivered). A
    /// report without a delivery command keeps them (its outbox is the hand-over, so what was written there
    /// counts); `DisclosureLog.record` then adds only the flags it did not list yet. Call inside the
    /// transaction that records the report's disclosures.
    package func record(_ report: NewReport) throws -> Int64 {
        let (filesJSON, combined) = try Self.fileHashes(report.files)
        let existing = try connection.execute(
            "SELECT report_id, delivery_status FROM lastmile.report WHERE name = $1 FOR UPDATE", [report.name]
        ).rows.first
        if let existing, let id = existing["report_id"].flatMap({ Int64($0) }) {
            guard existing["delivery_status"] != DeliveryStatus.delivered.rawValue else {
                throw ReportAlreadyDelivered(name: report.name)
            }
            // Disclosures of an attempt that never left (pending or failed delivery) are replaced; those of a
            // list without a delivery command stay (its outbox was the hand-over), and duplicates are not
            // written again (`DisclosureLog.record`). The function runs as the schema owner: the disclosure log
            // is append-only for every other role (migration 5).
            let status = existing["delivery_status"] ?? ""
            if status == DeliveryStatus.pending.rawValue || status == DeliveryStatus.failed.rawValue {
                try connection.execute("SELECT lastmile.forget_undelivered_disclosures($1)", [Int(id)])
            }
            try connection.execute(
                """
                UPDATE lastmile.report SET directory = $2, files = $3::jsonb, sha256 = $4, patients = $5, flags = $6,
                    recipient = $7, purpose = $8, created_at = $10::timestamptz,
                    delivery_status = CASE WHEN $9 = 'not-configured' THEN 'not-configured'
                                           WHEN delivery_status = 'failed' THEN 'failed' ELSE $9 END
                WHERE report_id = $1
                """,
                [
                    Int(id), report.directory.path, filesJSON, combined, report.patients, report.flags,
                    report.recipient,
                    report.purpose, report.deliveryStatus.rawValue, Clock.sqlTimestamp(report.createdAt),
                ])
            return id
        }
        let id = try connection.execute(
            """
            INSERT INTO lastmile.report (kind, name, practice_id, recipient, purpose, week_of, directory, files, sha256,
                patients, flags, delivery_status, created_at)
            VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8::jsonb, $9, $10, $11, $12, $13::timestamptz)
            RETURNING report_id
            """,
            [
                report.kind, report.name, report.practiceId, report.recipient, report.purpose, report.weekOf,
                report.directory.path, filesJSON, combined, report.patients, report.flags,
                report.deliveryStatus.rawValue, Clock.sqlTimestamp(report.createdAt),
            ]
        ).scalar
        guard let id, let value = Int64(id) else { throw StoredFlagError(flagId: "-", column: "report_id") }
        return value
    }

    /// Records one run of the delivery command: delivered only when it exited 0.
    package func recordAttempt(reportId: Int64, exitStatus: Int32, at now: Date) throws {
        try connection.execute(
            """
            UPDATE lastmile.report SET attempts = attempts + 1, last_exit_status = $2, last_attempt_at = $3::timestamptz,
                delivery_status = CASE WHEN $2 = 0 THEN 'delivered' ELSE 'failed' END,
                delivered_at = CASE WHEN $2 = 0 THEN $3::timestamptz ELSE NULL END
            WHERE report_id = $1 AND delivery_status <> 'delivered'
            """, [Int(reportId), Int(exitStatus), Clock.sqlTimestamp(now)])
    }

    package static func entry(_ row: QueryResult.Row) -> Entry {
        let names =
            row["files"].flatMap { try? JSONDecoder().decode([RecordedFile].self, from: Data($0.utf8)) }?
            .map(\.name) ?? []
        return Entry(
            reportId: Int64(row["report_id"] ?? "") ?? 0, kind: row["kind"] ?? "", name: row["name"] ?? "",
            practiceId: row["practice_id"], weekOf: row.date("week_of"),
            directory: URL(fileURLWithPath: row["directory"] ?? "", isDirectory: true), fileNames: names,
            sha256: row["sha256"] ?? "", patients: row.int("patients") ?? 0, flags: row.int("flags") ?? 0,
            deliveryStatus: DeliveryStatus(rawValue: row["delivery_status"] ?? "") ?? .pending,
            attempts: row.int("attempts") ?? 0, lastExitStatus: row.int("last_exit_status"))
    }

    /// One file as the `files` column lists it.
    package struct RecordedFile: Codable, Hashable {
        package var name: String
        package var sha256: String
        package var bytes: Int
    }

    /// The `files` column's JSON (name, SHA-256 and size of each file) and the report's SHA-256: the file's
    /// own for one file, else the SHA-256 of the files' hex digests concatenated in order.
    package static func fileHashes(_ files: [URL]) throws -> (json: String, combined: String) {
        var recorded: [RecordedFile] = []
        for url in files {
            let data = try Data(contentsOf: url)
            recorded.append(RecordedFile(name: url.lastPathComponent, sha256: sha256Hex(data), bytes: data.count))
        }
        let combined =
            recorded.count == 1 ? recorded[0].sha256 : sha256Hex(Data(recorded.map(\.sha256).joined().utf8))
        let json = String(decoding: try JSONEncoder().encode(recorded), as: UTF8.self)
        return (json, combined)
    }

    /// The lower-case hex SHA-256 of `data`.
    package static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// A report of this name was already delivered; it is never rewritten or re-sent.
package struct ReportAlreadyDelivered: Error {
    package var name: String
}
