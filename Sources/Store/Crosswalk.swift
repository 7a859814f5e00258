import Extractors
import Foundation
import LastMileCore
import Logging
import Warehouse

package struct CrosswalkRow {
    package var source: String
    package var sourcePersonId: String
    package var patientId: String
    package var probability: Double
    package var fingerprint: String

    package init(source: String, sourcePersonId: String, patientId: String, probability: Double, fingerprint: String) {
        self.source = source
        self.sourcePersonId = sourcePersonId
        self.patientId = patientId
        self.probability = probability
        self.fingerprint = fingerprint
    }
}

package struct ReviewRow {
    package var source: String
    package var sourcePersonId: String
    package var candidate: String?
    package var runnerUp: String?
    package var probability: Double
    package var reason: String

    package init(source: String, sourcePersonId: String, candidate: String? = nil, runnerUp: String? = nil, probability: Double, reason: String) {
        self.source = source
        self.sourcePersonId = sourcePersonId
        self.candidate = candidate
        self.runnerUp = runnerUp
        self.probability = probability
        self.reason = reason
    }
}

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
        if !links.isEmpty {
            // A link is rewritten (and re-dated) only when its patient or the demographics it was decided on changed.
            let merge = StagedMerge(
                table: "source_crosswalk",
                columns: ["source", "source_person_id", "patient_id", "match_probability", "demographics_hash"],
                key: ["source", "source_person_id"], compared: ["patient_id", "demographics_hash"],
                runColumns: ["decided_run"], onUpdate: ["decided_run = $1", "decided_at = now()"],
                partitionColumn: "source")
            _ = try merge.run(
                links, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge,
                rowKey: { RowKey($0.source, $0.sourcePersonId) }, partition: { $0.source }
            ) { w, link in
                try w.append(link.source)
                try w.append(link.sourcePersonId)
                try w.append(link.patientId)
                try w.append(link.probability)
                try w.append(link.fingerprint)
            }
            try connection.execute(
                """
                DELETE FROM lastmile.review_queue q USING unnest($1::text[], $2::text[]) AS s(source, source_person_id)
                WHERE q.source = s.source AND q.source_person_id = s.source_person_id AND q.resolved_at IS NULL
                """, [ConsentStore.textArray(links.map(\.source)), ConsentStore.textArray(links.map(\.sourcePersonId))])
        }
        if !reviews.isEmpty {
            // An entry is rewritten only when its candidates or reason changed.
            let merge = StagedMerge(
                table: "review_queue",
                columns: ["source", "source_person_id", "candidate_patient_id", "runner_up_patient_id", "match_probability", "reason"],
                key: ["source", "source_person_id"], compared: ["candidate_patient_id", "runner_up_patient_id", "reason"],
                runColumns: ["run_id"], partitionColumn: "source")
            _ = try merge.run(
                reviews, runId: runId, connection: connection, logger: logger, alwaysMerge: alwaysMerge,
                rowKey: { RowKey($0.source, $0.sourcePersonId) }, partition: { $0.source }
            ) { w, review in
                try w.append(review.source)
                try w.append(review.sourcePersonId)
                try w.append(review.candidate)
                try w.append(review.runnerUp)
                try w.append(review.probability)
                try w.append(review.reason)
            }
        }
        if !rejected.isEmpty {
            try connection.withCopy("COPY lastmile.rejected_row (run_id, source, file_name, line, column_name, reason) FROM STDIN") { w in
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
