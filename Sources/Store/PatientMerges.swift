import Foundation
import LastMileCore
import Warehouse

/// What applying one merge or unmerge did.
package enum MergeOutcome: Equatable {
    /// Applied; the rows of `touched` patients moved (their flags are to be derived again).
    case merged(touched: [String])
    case unmerged(touched: [String])
    /// Nothing to do: the patient is already merged into that survivor, or is not merged at all.
    case unchanged
    /// Refused; `problem` says what was expected (never an id).
    case refused(problem: String)
}

/// Patient merges (`lastmile.patient_merge`, migration 11): when the EMPI merges patient B into A, everything
/// lastmile holds of B follows A — crosswalk entries, events, attribution, review items and never-link rules
/// (migration 14) — each moved row remembering in
/// `merged_from` the patient it came from, so an unmerge moves exactly those rows back. B is retired. The
/// accounting of disclosures is never rewritten: it keeps B, and reads this table to show where B went.
package struct PatientMerges {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    /// The tables whose rows follow a merged patient (each has `patient_id` and `merged_from`).
    package static let followingTables = ["source_crosswalk"] + EventStore.tables

    /// Merges `merged` into `surviving` (or into the patient `surviving` itself was merged into) at `at`.
    package func merge(_ merged: String, into surviving: String, at: Date) throws -> MergeOutcome {
        guard merged != surviving else { return .refused(problem: "two different patient ids") }
        guard try known([merged, surviving]) else { return .refused(problem: "patient ids the MPI holds") }
        let target = try survivor(of: surviving)
        if try currentMerge(of: merged) != nil {
            return try survivor(of: merged) == target
                ? .unchanged : .refused(problem: "a patient not already merged into another one")
        }
        guard target != merged else {
            return .refused(problem: "a surviving patient that was not itself merged into the merged one")
        }
        let time = Clock.sqlTimestamp(at)
        try connection.execute(
            """
            INSERT INTO lastmile.patient_merge (merged_patient_id, surviving_patient_id, merged_at)
            VALUES ($1, $2, $3::timestamptz)
            """, [merged, target, time])
        for table in Self.followingTables {
            try connection.execute(
                """
                UPDATE lastmile.\(table) SET patient_id = $2, merged_from = coalesce(merged_from, patient_id)
                WHERE patient_id = $1
                """, [merged, target])
        }
        // A practice that already lists the survivor keeps its row; the merged patient keeps its own there.
        try connection.execute(
            """
            UPDATE lastmile.attribution a SET patient_id = $2, merged_from = coalesce(a.merged_from, a.patient_id)
            WHERE a.patient_id = $1 AND NOT EXISTS (
                SELECT 1 FROM lastmile.attribution x WHERE x.patient_id = $2 AND x.practice_id = a.practice_id)
            """, [merged, target])
        try moveReview(from: merged, to: target)
        try connection.execute(
            """
            UPDATE lastmile.patient SET active = false, retired_at = coalesce(retired_at, $2::timestamptz),
                updated_at = $2::timestamptz
            WHERE patient_id = $1
            """, [merged, time])
        return .merged(touched: [target, merged])
    }

    /// Undoes the current merge of `merged`: the rows that came from it (or from patients merged into it)
    /// return to it, and it is active again.
    package func unmerge(_ merged: String, at: Date) throws -> MergeOutcome {
        guard try known([merged]) else { return .refused(problem: "a patient id the MPI holds") }
        guard let mergeId = try currentMerge(of: merged) else { return .unchanged }
        let holder = try survivor(of: merged)
        let time = Clock.sqlTimestamp(at)
        let family = ConsentStore.textArray(try mergedInto(merged))
        for table in Self.followingTables {
            try connection.execute(
                """
                UPDATE lastmile.\(table) SET patient_id = $1, merged_from = nullif(merged_from, $1)
                WHERE patient_id = $2 AND merged_from = ANY($3::text[])
                """, [merged, holder, family])
        }
        try connection.execute(
            """
            UPDATE lastmile.attribution a SET patient_id = $1, merged_from = nullif(a.merged_from, $1)
            WHERE a.patient_id = $2 AND a.merged_from = ANY($3::text[]) AND NOT EXISTS (
                SELECT 1 FROM lastmile.attribution x WHERE x.patient_id = $1 AND x.practice_id = a.practice_id)
            """, [merged, holder, family])
        try returnReview(to: merged, from: holder, family: family)
        try connection.execute(
            "UPDATE lastmile.patient_merge SET unmerged_at = $2::timestamptz WHERE merge_id = $1",
            [Int(mergeId), time])
        try connection.execute(
            """
            UPDATE lastmile.patient SET active = true, retired_at = NULL, updated_at = $2::timestamptz
            WHERE patient_id = $1
            """, [merged, time])
        return .unmerged(touched: [holder, merged])
    }

    /// The review queue's patient columns, each beside the column remembering the patient a merge moved it from
    /// (migration 14).
    static let reviewColumns = [
        ("candidate_patient_id", "candidate_merged_from"), ("runner_up_patient_id", "runner_up_merged_from"),
        ("resolved_patient_id", "resolved_merged_from"),
    ]

    /// Review items (open or decided, so an undo acts on the survivor too) and never-link rules naming `merged`
    /// name `target` instead; a rule the survivor already has for that source person is kept, not doubled.
    /// The decision log keeps the patient each decision named.
    private func moveReview(from merged: String, to target: String) throws {
        for (column, memory) in Self.reviewColumns {
            try connection.execute(
                """
                UPDATE lastmile.review_queue SET \(column) = $2, \(memory) = coalesce(\(memory), \(column))
                WHERE \(column) = $1
                """, [merged, target])
        }
        try connection.execute(
            """
            UPDATE lastmile.never_link n SET patient_id = $2, merged_from = coalesce(n.merged_from, n.patient_id)
            WHERE n.patient_id = $1 AND NOT EXISTS (
                SELECT 1 FROM lastmile.never_link x
                WHERE x.source = n.source AND x.source_person_id = n.source_person_id AND x.patient_id = $2)
            """, [merged, target])
    }

    /// Undoes `moveReview` for an unmerge: what came from `merged` (or patients merged into it) returns to it.
    private func returnReview(to merged: String, from holder: String, family: String) throws {
        for (column, memory) in Self.reviewColumns {
            try connection.execute(
                """
                UPDATE lastmile.review_queue SET \(column) = $1, \(memory) = nullif(\(memory), $1)
                WHERE \(column) = $2 AND \(memory) = ANY($3::text[])
                """, [merged, holder, family])
        }
        try connection.execute(
            """
            UPDATE lastmile.never_link n SET patient_id = $1, merged_from = nullif(n.merged_from, $1)
            WHERE n.patient_id = $2 AND n.merged_from = ANY($3::text[]) AND NOT EXISTS (
                SELECT 1 FROM lastmile.never_link x
                WHERE x.source = n.source AND x.source_person_id = n.source_person_id AND x.patient_id = $1)
            """, [merged, holder, family])
    }

    /// The patient `id` now belongs to: itself, or the end of its chain of current merges.
    package func survivor(of id: String) throws -> String {
        try connection.execute("SELECT lastmile.surviving_patient($1)", [id]).scalar ?? id
    }

    /// Whether `id` is merged into another patient now.
    package func isMerged(_ id: String) throws -> Bool { try currentMerge(of: id) != nil }

    /// `id` and every patient currently merged into it, directly or through a chain.
    package func mergedInto(_ id: String) throws -> [String] {
        try connection.execute(
            """
            WITH RECURSIVE family(patient_id) AS (
                SELECT $1::text
                UNION
                SELECT m.merged_patient_id FROM lastmile.patient_merge m JOIN family f
                    ON m.surviving_patient_id = f.patient_id
                WHERE m.unmerged_at IS NULL
            )
            SELECT patient_id FROM family ORDER BY patient_id
            """, [id]
        ).rows.compactMap { $0["patient_id"] }
    }

    /// The id of the current merge of `id`, nil when it is not merged.
    private func currentMerge(of id: String) throws -> Int64? {
        try connection.execute(
            "SELECT merge_id FROM lastmile.patient_merge WHERE merged_patient_id = $1 AND unmerged_at IS NULL "
                + "FOR UPDATE",
            [id]
        ).scalar.flatMap { Int64($0) }
    }

    /// Whether every id is a patient of the MPI snapshot (active or retired).
    private func known(_ ids: [String]) throws -> Bool {
        let found = try connection.execute(
            "SELECT count(*) FROM lastmile.patient WHERE patient_id = ANY($1::text[])",
            [ConsentStore.textArray(ids)]
        ).scalar
        return found == String(Set(ids).count)
    }

    /// A CTE `merged_family(patient_id, survivor)` of the ids of the text array `parameter` and every patient
    /// currently merged into one of them, each beside the id it was asked as.
    package static func familyCTE(parameter: String) -> String {
        """
        merged_family(patient_id, survivor) AS (
            SELECT id, id FROM unnest(\(parameter)::text[]) AS id
            UNION
            SELECT m.merged_patient_id, f.survivor FROM lastmile.patient_merge m JOIN merged_family f
                ON m.surviving_patient_id = f.patient_id
            WHERE m.unmerged_at IS NULL
        )
        """
    }
}
