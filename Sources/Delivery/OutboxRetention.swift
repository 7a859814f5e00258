import Foundation
import LastMileCore
import Store

extension AbsenteeismReport {
    /// Deletes the outbox files of lists past the pipeline's `outbox_retention_days`; returns their report ids.
    ///
    /// A list is past retention when its week's Monday is more than that many days before `date` and it is
    /// delivered, or `not-configured` (picked up by hand). Pending and failed lists stay: the next run retries
    /// them. Only the files the ledger names are deleted, then their week folder if it is empty; the ledger
    /// row and its disclosures stay. Does nothing when the pipeline sets no retention.
    @discardableResult
    public func pruneOutbox(on date: CivilDate) throws -> [Int64] {
        guard let days = config.outboxRetentionDays else { return [] }
        let outbox = config.outbox.standardizedFileURL.path + "/"
        var pruned: [Int64] = []
        for entry in try ReportLedger(connection: connection).reports(kind: Self.kind) {
            guard entry.deliveryStatus == .delivered || entry.deliveryStatus == .notConfigured,
                let monday = entry.weekOf, monday.days(until: date) > days,
                entry.directory.standardizedFileURL.path.hasPrefix(outbox)
            else { continue }
            // Only files inside the outbox, whatever the ledger row says.
            let present = entry.files.filter {
                $0.standardizedFileURL.path.hasPrefix(outbox) && FileManager.default.fileExists(atPath: $0.path)
            }
            guard !present.isEmpty else { continue }
            for file in present { try? FileManager.default.removeItem(at: file) }
            if (try? FileManager.default.contentsOfDirectory(atPath: entry.directory.path))?.isEmpty == true {
                try? FileManager.default.removeItem(at: entry.directory)
            }
            pruned.append(entry.reportId)
            logger.info(
                "list files past retention deleted",
                metadata: [
                    "report.id": .number(entry.reportId), "practice": "\(entry.practiceId ?? "")", "week": "\(monday)",
                ])
        }
        return pruned
    }
}
