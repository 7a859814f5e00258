import LastMileCore
import Warehouse

/// One run of the ledger as `runs --html` reads it: its night, status and the counts it stored.
public struct LedgerRun: Sendable {
    public var runId: Int64
    public var asOf: String
    public var status: String
    /// The run's summary as stored (`lastmile.run.counts`, JSON); nil while it runs.
    public var counts: String?
}

extension RunLedger {
    /// Every run of the last `nights` run dates (`as_of`), oldest night first and, within a night, by run id.
    /// A run whose process died while it ran has status `interrupted`, whether or not a later run closed it.
    public func runs(ofLastNights nights: Int) throws -> [LedgerRun] {
        try connection.execute(
            """
            SELECT r.run_id, r.as_of, \(Self.shownStatus) AS status, r.counts FROM lastmile.run r
            WHERE r.as_of IN (SELECT DISTINCT as_of FROM lastmile.run ORDER BY as_of DESC LIMIT $1)
            ORDER BY r.as_of, r.run_id
            """, [nights, Self.runLockNamespace]
        ).rows.compactMap { row in
            guard let id = row["run_id"].flatMap({ Int64($0) }), let asOf = row["as_of"], let status = row["status"]
            else { return nil }
            return LedgerRun(runId: id, asOf: asOf, status: status, counts: row["counts"])
        }
    }

    /// The review queue's open entries (not resolved) per source: the review backlog now.
    public func openReviews() throws -> [String: Int] {
        var backlog: [String: Int] = [:]
        for row in try connection.execute(
            "SELECT source, count(*) AS open FROM lastmile.review_queue WHERE resolved_at IS NULL GROUP BY source"
        ).rows {
            if let source = row["source"], let open = row["open"].flatMap({ Int($0) }) { backlog[source] = open }
        }
        return backlog
    }
}
