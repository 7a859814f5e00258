import Extractors
import Foundation
import LastMileCore
import Logging
import Warehouse

/// A link the matcher decided: the source person, the patient, the link's probability and the demographics hash
/// it was decided on (a stored link is rewritten only when its patient or that hash changed).
package typealias CrosswalkRow = (
    source: String, sourcePersonId: String, patientId: String, probability: Double, fingerprint: String
)

/// A source person sent to review: the best candidate and the runner-up patient (when any), the probability,
/// the reason and the demographics hash the item was queued on (a reviewer's link carries it).
package typealias ReviewRow = (
    source: String, sourcePersonId: String, candidate: String?, runnerUp: String?, probability: Double,
    reason: String, fingerprint: String
)

/// A row an extractor rejected, quarantined in `lastmile.rejected_row` (its reason and place, never its text).
package struct RejectedRow {
    package var source: String
    package var rejection: RowRejection

    package init(source: String, rejection: RowRejection) {
        self.source = source
        self.rejection = rejection
    }
}

/// The source crosswalk (source person id → patient), review queue and quarantine records of a run.
package enum Crosswalk {
    package struct Known {
        package var patientId: String
        package var fingerprint: String
    }

    /// Crosswalk entries of the given sources, keyed by `source + U+001F + source person id`.
    package static func load(_ connection: Connection, sources: Set<String>) throws -> [String: Known] {
        var known: [String: Known] = [:]
        for row in try connection.execute(
            "SELECT source, source_person_id, patient_id, demographics_hash FROM lastmile.source_crosswalk WHERE source = ANY($1::text[])",
            [ConsentStore.textArray(Array(sources))]
        ).rows {
            guard let s = row["source"], let p = row["source_person_id"], let id = row["patient_id"],
                let fp = row["demographics_hash"]
            else { continue }
            known[s + "\u{1F}" + p] = Known(patientId: id, fingerprint: fp)
        }
        return known
    }

    /// Writes the night's links, review entries and quarantine records set-based: each list goes through one
    /// `StagedMerge` (within one night the last entry of a person wins, as it would row by row), and a person
    /// now linked leaves the review queue.
    package static func save(
        _ links: [CrosswalkRow], reviews: [ReviewRow], rejected: [RejectedRow], runId: Int64,
        connection: Connection, logger: Logger? = nil, alwaysMerge: Bool = false
    ) throws {
        let target = MergeTarget(runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge)
        if !links.isEmpty {
            // A link is rewritten (and re-dated) only when its patient or the demographics it was decided on changed.
            try target.mergeBySourcePerson(
                links, table: "source_crosswalk", columns: ["patient_id", "match_probability", "demographics_hash"],
                compared: ["patient_id", "demographics_hash"], runColumns: ["decided_run"],
                onUpdate: ["decided_run = $1", "decided_at = now()"], person: { ($0.source, $0.sourcePersonId) },
                write: { w, link in
                    try w.append(link.patientId)
                    try w.append(link.probability)
                    try w.append(link.fingerprint)
                })
            try connection.execute(
                """
                DELETE FROM lastmile.review_queue q USING unnest($1::text[], $2::text[]) AS s(source, source_person_id)
                WHERE q.source = s.source AND q.source_person_id = s.source_person_id AND q.resolved_at IS NULL
                """, [ConsentStore.textArray(links.map(\.source)), ConsentStore.textArray(links.map(\.sourcePersonId))])
        }
        if !reviews.isEmpty {
            // An entry is rewritten only when its candidates, reason or demographics changed.
            let values = ["candidate_patient_id", "runner_up_patient_id", "match_probability", "reason"]
            try target.mergeBySourcePerson(
                reviews, table: "review_queue", columns: values + ["demographics_hash"],
                compared: ["candidate_patient_id", "runner_up_patient_id", "reason", "demographics_hash"],
                runColumns: ["run_id"], person: { ($0.source, $0.sourcePersonId) },
                write: { w, review in
                    try w.append(review.candidate)
                    try w.append(review.runnerUp)
                    try w.append(review.probability)
                    try w.append(review.reason)
                    try w.append(review.fingerprint)
                })
            try reopenDecided(reviews, connection: connection)
        }
        if !rejected.isEmpty {
            try connection.withCopy(
                "COPY lastmile.rejected_row (run_id, source, file_name, line, column_name, reason) FROM STDIN"
            ) { w in
                for r in rejected {
                    try w.append(runId)
                    try w.append(r.source)
                    try w.append(r.rejection.file)
                    try w.append(r.rejection.line)
                    try w.append(r.rejection.column)
                    try w.append(r.rejection.code)
                    try w.endRow()
                }
            }
        }
    }
}

extension Crosswalk {
    /// A person back in review after a decision (a rejected candidate excluded, or demographics that no longer
    /// match an accepted link) is a new question: the item opens again (the decision stays in the log).
    fileprivate static func reopenDecided(_ reviews: [ReviewRow], connection: Connection) throws {
        try connection.execute(
            """
            UPDATE lastmile.review_queue q SET resolution = NULL, resolved_at = NULL, resolved_by = NULL,
                resolution_note = NULL, resolved_patient_id = NULL, applied_run = NULL
            FROM unnest($1::text[], $2::text[]) AS s(source, source_person_id)
            WHERE q.source = s.source AND q.source_person_id = s.source_person_id
              AND q.resolution IN ('accepted', 'rejected')
            """, [ConsentStore.textArray(reviews.map(\.source)), ConsentStore.textArray(reviews.map(\.sourcePersonId))])
    }
}

/// Where and how a run's rows are merged.
private struct MergeTarget {
    var runId: Int64
    var connection: Connection
    var logger: Logger?
    var alwaysMerge: Bool

    /// Merges rows keyed by source person (`source`, `source_person_id`, written first), partitioned by source;
    /// `write` appends the further `columns` in order.
    func mergeBySourcePerson<Row>(
        _ rows: [Row], table: String, columns: [String], compared: [String], runColumns: [String],
        onUpdate: [String] = [], person: (Row) -> (source: String, id: String),
        write: (inout CopyWriter, Row) throws -> Void
    ) throws {
        let key = ["source", "source_person_id"]
        let merge = StagedMerge(
            table: table, columns: key + columns, key: key, compared: compared, runColumns: runColumns,
            onUpdate: onUpdate, partitionColumn: "source")
        _ = try merge.run(
            rows, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge,
            rowKey: { RowKey(person($0).source, person($0).id) }, partition: { person($0).source },
            write: { w, row in
                let p = person(row)
                try w.append(p.source)
                try w.append(p.id)
                try write(&w, row)
            })
    }
}
