import Extractors
import Foundation
import Logging
import LastMileCore
import Warehouse

struct CrosswalkRow {
    var source: String
    var sourcePersonId: String
    var patientId: String
    var probability: Double
    var fingerprint: String
}

struct ReviewRow {
    var source: String
    var sourcePersonId: String
    var candidate: String?
    var runnerUp: String?
    var probability: Double
    var reason: String
}

/// The source crosswalk (source person id → patient), review queue and quarantine records of a run.
enum Crosswalk {
    struct Known {
        var patientId: String
        var fingerprint: String
    }

    /// Crosswalk entries of the given sources, keyed by `source + U+001F + source person id`.
    static func load(_ connection: Connection, sources: Set<String>) throws -> [String: Known] {
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

    /// Writes the night's links, review entries and quarantine records set-based: each list is COPYed into a
    /// staging table and merged with one statement (a per-row statement would cost a round trip per person).
    static func save(
        _ links: [CrosswalkRow], reviews: [ReviewRow], rejected: [RunState.RejectedRow], runId: Int64,
        connection: Connection
    ) throws {
        if !links.isEmpty {
            try connection.execute(
                unsafeSQL: """
                    DROP TABLE IF EXISTS pg_temp.stage_crosswalk;
                    CREATE TEMP TABLE stage_crosswalk (
                        source text, source_person_id text, patient_id text, match_probability double precision,
                        demographics_hash text, seq bigint
                    ) ON COMMIT DROP;
                    """)
            try connection.withCopy(
                "COPY stage_crosswalk (source, source_person_id, patient_id, match_probability, demographics_hash, seq) FROM STDIN"
            ) { w in
                for (i, link) in links.enumerated() {
                    try w.append(link.source)
                    try w.append(link.sourcePersonId)
                    try w.append(link.patientId)
                    try w.append(link.probability)
                    try w.append(link.fingerprint)
                    try w.append(i)
                    try w.endRow()
                }
            }
            // Within one night the last link of a person wins, as it would row by row.
            try connection.execute(
                """
                INSERT INTO lastmile.source_crosswalk
                    (source, source_person_id, patient_id, match_probability, demographics_hash, decided_run)
                SELECT DISTINCT ON (source, source_person_id)
                    source, source_person_id, patient_id, match_probability, demographics_hash, $1::bigint
                FROM stage_crosswalk ORDER BY source, source_person_id, seq DESC
                ON CONFLICT (source, source_person_id) DO UPDATE SET
                    patient_id = EXCLUDED.patient_id, match_probability = EXCLUDED.match_probability,
                    demographics_hash = EXCLUDED.demographics_hash, decided_run = EXCLUDED.decided_run,
                    decided_at = now()
                WHERE (source_crosswalk.patient_id, source_crosswalk.demographics_hash)
                    IS DISTINCT FROM (EXCLUDED.patient_id, EXCLUDED.demographics_hash)
                """, [runId])
            // A person now linked leaves the review queue.
            try connection.execute(
                """
                DELETE FROM lastmile.review_queue q USING stage_crosswalk s
                WHERE q.source = s.source AND q.source_person_id = s.source_person_id AND q.resolved_at IS NULL
                """)
        }
        if !reviews.isEmpty {
            try connection.execute(
                unsafeSQL: """
                    DROP TABLE IF EXISTS pg_temp.stage_review;
                    CREATE TEMP TABLE stage_review (
                        source text, source_person_id text, candidate_patient_id text, runner_up_patient_id text,
                        match_probability double precision, reason text, seq bigint
                    ) ON COMMIT DROP;
                    """)
            try connection.withCopy(
                """
                COPY stage_review (source, source_person_id, candidate_patient_id, runner_up_patient_id,
                    match_probability, reason, seq) FROM STDIN
                """
            ) { w in
                for (i, review) in reviews.enumerated() {
                    try w.append(review.source)
                    try w.append(review.sourcePersonId)
                    try w.append(review.candidate)
                    try w.append(review.runnerUp)
                    try w.append(review.probability)
                    try w.append(review.reason)
                    try w.append(i)
                    try w.endRow()
                }
            }
            try connection.execute(
                """
                INSERT INTO lastmile.review_queue
                    (source, source_person_id, candidate_patient_id, runner_up_patient_id, match_probability, reason, run_id)
                SELECT DISTINCT ON (source, source_person_id)
                    source, source_person_id, candidate_patient_id, runner_up_patient_id, match_probability, reason,
                    $1::bigint
                FROM stage_review ORDER BY source, source_person_id, seq DESC
                ON CONFLICT (source, source_person_id) DO UPDATE SET
                    candidate_patient_id = EXCLUDED.candidate_patient_id,
                    runner_up_patient_id = EXCLUDED.runner_up_patient_id,
                    match_probability = EXCLUDED.match_probability, reason = EXCLUDED.reason
                WHERE (review_queue.candidate_patient_id, review_queue.runner_up_patient_id, review_queue.reason)
                    IS DISTINCT FROM (EXCLUDED.candidate_patient_id, EXCLUDED.runner_up_patient_id, EXCLUDED.reason)
                """, [runId])
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
