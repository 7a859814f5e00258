import Foundation
import LastMileCore
import Warehouse

/// One item of the review queue: a source person the matcher could not decide, with its candidates.
package struct ReviewItem: Sendable, Equatable {
    package var id: Int64
    package var source: String
    package var sourcePersonId: String
    package var candidate: String?
    package var runnerUp: String?
    package var probability: Double?
    package var reason: String
    /// When the item was first queued (the start of its run).
    package var queuedAt: Date
    /// `accepted`, `rejected` or `deferred`; nil while undecided.
    package var resolution: String?
    package var resolvedPatientId: String?
    package var demographicsHash: String?
    /// The run that loaded an accepted item's held records.
    package var appliedRun: Int64?

    /// Undecided or deferred: still waiting for a reviewer.
    package var isOpen: Bool { resolution == nil || resolution == "deferred" }
}

/// What a reviewer did, as `lastmile.review_decision` records it.
package enum ReviewAction: String, Sendable {
    case accept, reject
    case postpone = "defer"
    case undo
    case wrongPerson = "wrong-person"
}

extension ReviewQueue {
    private static let itemColumns = """
        q.item_id, q.source, q.source_person_id, q.candidate_patient_id, q.runner_up_patient_id, q.match_probability,
        q.reason, extract(epoch FROM coalesce(r.started_at, q.created_at))::float8 AS queued, q.resolution,
        q.resolved_patient_id, q.demographics_hash, q.applied_run
        """

    /// Items in id order, optionally of one source or reason; `openOnly` leaves out accepted and rejected ones.
    package func items(source: String? = nil, reason: String? = nil, openOnly: Bool = true) throws -> [ReviewItem] {
        try connection.execute(
            """
            SELECT \(Self.itemColumns)
            FROM lastmile.review_queue q LEFT JOIN lastmile.run r ON r.run_id = q.run_id
            WHERE ($1::text IS NULL OR q.source = $1) AND ($2::text IS NULL OR q.reason = $2)
              AND (NOT $3::boolean OR q.resolved_at IS NULL)
            ORDER BY q.item_id
            """, [source, reason, openOnly]
        ).rows.compactMap(Self.item)
    }

    /// The item with this id, nil when there is none.
    package func item(id: Int64) throws -> ReviewItem? {
        try connection.execute(
            """
            SELECT \(Self.itemColumns)
            FROM lastmile.review_queue q LEFT JOIN lastmile.run r ON r.run_id = q.run_id WHERE q.item_id = $1
            """, [id]
        ).rows.first.flatMap(Self.item)
    }

    private static func item(_ row: QueryResult.Row) -> ReviewItem? {
        guard let id = row["item_id"].flatMap({ Int64($0) }), let source = row["source"],
            let person = row["source_person_id"], let reason = row["reason"], let queued = row.double("queued")
        else { return nil }
        return ReviewItem(
            id: id, source: source, sourcePersonId: person, candidate: row["candidate_patient_id"],
            runnerUp: row["runner_up_patient_id"], probability: row.double("match_probability"), reason: reason,
            queuedAt: Date(timeIntervalSince1970: queued), resolution: row["resolution"],
            resolvedPatientId: row["resolved_patient_id"], demographicsHash: row["demographics_hash"],
            appliedRun: row["applied_run"].flatMap { Int64($0) })
    }

    /// The demographics of the item's latest held record (nil when none is held).
    package func incomingPerson(of item: ReviewItem) throws -> PersonIdentity? {
        let text = try connection.execute(
            """
            SELECT record::text FROM lastmile.review_record WHERE source = $1 AND source_person_id = $2
            ORDER BY run_id DESC, record_id DESC LIMIT 1
            """, [item.source, item.sourcePersonId]
        ).scalar
        return try text.map { try JSONDecoder().decode(SourceRecord.self, from: Data($0.utf8)).person }
    }

    /// The MPI demographics of a patient (active or retired), nil when unknown.
    package func patient(_ patientId: String) throws -> PersonIdentity? {
        try connection.execute(
            """
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone, ssn
            FROM lastmile.patient WHERE patient_id = $1
            """, [patientId]
        ).rows.first.map { row in
            PersonIdentity(
                sourcePersonId: row["patient_id"], givenName: row["given_name"], familyName: row["family_name"],
                birthDate: row.date("birth_date"), sex: row["sex"].flatMap(Sex.init(rawValue:)),
                street: row["street"], city: row["city"], state: row["state"], postalCode: row["postal_code"],
                phone: row["phone"], ssn: row["ssn"])
        }
    }

    /// Sets an item's state: a resolution (`accepted`, `rejected`; resolved at `at`), `deferred` (still open),
    /// or nil (undone: open again, its held records to be loaded again after a new accept).
    package func setResolution(
        item: Int64, _ resolution: String?, patientId: String?, by: String, note: String, at: Date
    ) throws {
        let closes = resolution == "accepted" || resolution == "rejected"
        try connection.execute(
            """
            UPDATE lastmile.review_queue SET resolution = $2::text, resolved_patient_id = $3, resolved_by = $4,
                resolution_note = $5, resolved_at = CASE WHEN $6::boolean THEN $7::timestamptz END,
                applied_run = CASE WHEN $2::text IS NULL THEN NULL ELSE applied_run END
            WHERE item_id = $1
            """, [item, resolution, patientId, by, note, closes, Clock.sqlTimestamp(at)])
        if resolution == nil {
            try connection.execute(
                """
                UPDATE lastmile.review_record r SET loaded_run = NULL FROM lastmile.review_queue q
                WHERE q.item_id = $1 AND r.source = q.source AND r.source_person_id = q.source_person_id
                """, [item])
        }
    }

    /// Appends a decision to `lastmile.review_decision`.
    package func recordDecision(
        _ action: ReviewAction, item: Int64?, source: String, sourcePersonId: String, patientId: String?, by: String,
        note: String, at: Date, flagsClosed: Int = 0
    ) throws {
        try connection.execute(
            """
            INSERT INTO lastmile.review_decision
                (item_id, source, source_person_id, action, patient_id, decided_by, decided_at, note, flags_closed)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9)
            """,
            [item, source, sourcePersonId, action.rawValue, patientId, by, Clock.sqlTimestamp(at), note, flagsClosed])
    }

    /// The reviewer's link: a crosswalk entry (probability 1, decided by a person, no run) on the demographics
    /// the item was queued with, so the person's next records link without the matcher.
    package func link(source: String, sourcePersonId: String, patientId: String, fingerprint: String, at: Date)
        throws
    {
        try connection.execute(
            """
            INSERT INTO lastmile.source_crosswalk
                (source, source_person_id, patient_id, match_probability, demographics_hash, decided_run, decided_at)
            VALUES ($1, $2, $3, 1, $4, NULL, $5::timestamptz)
            ON CONFLICT (source, source_person_id) DO UPDATE SET patient_id = EXCLUDED.patient_id,
                match_probability = 1, demographics_hash = EXCLUDED.demographics_hash, decided_run = NULL,
                decided_at = EXCLUDED.decided_at
            """, [source, sourcePersonId, patientId, fingerprint, Clock.sqlTimestamp(at)])
    }

    /// The patient the crosswalk links this source person to, nil when none.
    package func linkedPatient(source: String, sourcePersonId: String) throws -> String? {
        try connection.execute(
            "SELECT patient_id FROM lastmile.source_crosswalk WHERE source = $1 AND source_person_id = $2",
            [source, sourcePersonId]
        ).scalar
    }

    /// The source person ids of `source` that the crosswalk links to the patient.
    package func linkedSourcePeople(source: String, patientId: String) throws -> [String] {
        try connection.execute(
            """
            SELECT source_person_id FROM lastmile.source_crosswalk WHERE source = $1 AND patient_id = $2
            ORDER BY source_person_id
            """, [source, patientId]
        ).rows.compactMap { $0[0] }
    }

    /// Adds a never-link rule (an existing rule for the pair is kept as it is).
    package func addNeverLink(
        source: String, sourcePersonId: String, patientId: String, reason: String, item: Int64?, by: String,
        note: String, at: Date
    ) throws {
        try connection.execute(
            """
            INSERT INTO lastmile.never_link
                (source, source_person_id, patient_id, reason, item_id, decided_by, decided_at, note)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8) ON CONFLICT DO NOTHING
            """, [source, sourcePersonId, patientId, reason, item, by, Clock.sqlTimestamp(at), note])
    }

    /// Removes the never-link rule a rejected item made (rules from wrong-person reports stay).
    package func removeRejection(source: String, sourcePersonId: String, patientId: String) throws {
        try connection.execute(
            """
            DELETE FROM lastmile.never_link
            WHERE source = $1 AND source_person_id = $2 AND patient_id = $3 AND reason = 'rejected'
            """, [source, sourcePersonId, patientId])
    }

    /// Whether a never-link rule forbids this pair.
    package func isNeverLinked(source: String, sourcePersonId: String, patientId: String) throws -> Bool {
        try connection.execute(
            "SELECT 1 FROM lastmile.never_link WHERE source = $1 AND source_person_id = $2 AND patient_id = $3",
            [source, sourcePersonId, patientId]
        ).rows.isEmpty == false
    }

    /// Removes the crosswalk link of this source person to this patient with the events it loaded (the person's
    /// school rows, and the patient's other rows from that source, whose tables do not keep the source person,
    /// so a patient with a second link from the source loses those too, until the source re-sends them), and
    /// closes the patient's active flags from the source, ending on `on`. Runs as the schema owner through
    /// `lastmile.withdraw_review_link` (migration 14), so a reviewer needs no privilege on events or flags;
    /// nothing happens when the crosswalk holds no such link.
    /// - Returns: the event rows removed and the flags closed.
    package func withdrawLink(source: String, sourcePersonId: String, patientId: String, on day: CivilDate) throws
        -> (eventsRemoved: Int, flagsClosed: Int)
    {
        let row = try connection.execute(
            "SELECT events_removed, flags_closed FROM lastmile.withdraw_review_link($1, $2, $3, $4::date)",
            [source, sourcePersonId, patientId, day]
        ).rows.first
        return (row?.int("events_removed") ?? 0, row?.int("flags_closed") ?? 0)
    }

    /// Records a view of personal data (who, when, which items).
    package func logAccess(by: String, action: String, items: [Int64], at: Date) throws {
        try connection.execute(
            """
            INSERT INTO lastmile.review_access (viewed_by, viewed_at, action, item_ids)
            VALUES ($1, $2::timestamptz, $3, $4::bigint[])
            """, [by, Clock.sqlTimestamp(at), action, "{" + items.map(String.init).joined(separator: ",") + "}"])
    }

    /// How many wrong-person incidents were reported.
    package func incidentCount() throws -> Int {
        Int(
            try connection.execute("SELECT count(*) FROM lastmile.review_decision WHERE action = 'wrong-person'")
                .scalar ?? "0") ?? 0
    }

    /// The item of this source person, nil when there is none.
    package func item(source: String, sourcePersonId: String) throws -> ReviewItem? {
        try connection.execute(
            "SELECT item_id FROM lastmile.review_queue WHERE source = $1 AND source_person_id = $2",
            [source, sourcePersonId]
        ).scalar.flatMap { Int64($0) }.flatMap { try item(id: $0) }
    }
}
