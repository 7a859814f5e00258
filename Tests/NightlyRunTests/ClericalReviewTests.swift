// Clerical review on the sample night with a real PostgreSQL: the queue holds its people's records, a masked
// list and show name no person, a view of personal data is logged, an accept loads on the next run and its
// flags appear, a rejected or wrongly linked pair never links again, and an undone accept closes its flags.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

/// The review clock: the morning after the sample night.
let reviewClock = Clock.fixed(on: sampleAsOf.adding(days: 3), hour: 9)

/// A second night's input for `source`: the header of its sample file and the lines holding `personId`.
func resend(_ workspace: SampleWorkspace, source: String, file: String, personId: String, as name: String) throws {
    let folder = workspace.sampleData.appendingPathComponent("inbox/\(source)")
    let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let kept = [lines[0]] + lines.dropFirst().filter { $0.split(separator: ",").contains { $0 == personId } }
    #expect(kept.count > 1, "the sample file has no row of the person")
    try (kept.joined(separator: "\n") + "\n").write(
        to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
}

func activeFlags(_ db: Connection, patient: String, source: String) throws -> Int {
    Int(
        try db.execute(
            "SELECT count(*) FROM lastmile.flag WHERE patient_id = $1 AND source = $2 AND status = 'active'",
            [patient, source]
        ).scalar ?? "0") ?? 0
}

@Suite(.serialized) struct ClericalReviewTests {
    @Test func sampleNightQueuesItemsWithTheirRecordsAndListsThemMasked() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let summary = try runNight(workspace, db)
            let review = ClericalReview(connection: db, clock: reviewClock)
            let items = try ReviewQueue(connection: db).items()
            #expect(!items.isEmpty)
            #expect(summary.reviewQueue.open == items.count)
            #expect(summary.reviewQueue.oldestAgeDays == 0)
            #expect(summary.rendered().contains("review queue: \(items.count) open, oldest 0 day(s)"))
            for item in items { #expect(try ReviewQueue(connection: db).incomingPerson(of: item) != nil) }
            let held = try db.execute("SELECT count(*) FROM lastmile.review_record").scalar
            #expect(held == String(summary.sources.map(\.review).reduce(0, +)))

            let listing = try review.list(source: nil, reason: nil, oldestFirst: true)
            #expect(listing.items.count == items.count)
            #expect(listing.byAge["2-7 days"] == items.count)
            let text = ClericalReview.render(listing)
            #expect(text.contains("open review items: \(items.count)"))
            for item in items {
                for id in [item.sourcePersonId, item.candidate, item.runnerUp].compactMap({ $0 }) {
                    #expect(!text.contains(id), "the list names a person")
                }
            }
        }
    }

    @Test func heldRecordsRoundTripAndAreNotReleasedToALinkOlderThanTheirItem() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: quiet)
            let record = SourceRecord(
                source: "riverside-usd", recordId: "S1|2026-11-20",
                person: PersonIdentity(sourcePersonId: "S1", givenName: "Ann", birthDate: sampleAsOf),
                event: .attendance(
                    AttendanceDay(schoolId: "001", date: sampleAsOf, status: .absentUnexcused, minutesAbsent: 30)),
                labels: [.ferpaBasisMissing], provenance: Provenance(file: "a.csv", line: 2))
            let queue = ReviewQueue(connection: db)
            try queue.hold([(sourcePersonId: "S1", record: record)], runId: 1)
            try db.execute(
                """
                INSERT INTO lastmile.source_crosswalk
                    (source, source_person_id, patient_id, match_probability, demographics_hash)
                VALUES ('riverside-usd', 'S1', 'P1', 0.99, 'before');
                """)
            try db.execute(
                """
                INSERT INTO lastmile.review_queue
                    (source, source_person_id, candidate_patient_id, reason, demographics_hash)
                VALUES ('riverside-usd', 'S1', 'P2', 'near-tie', 'after')
                """)
            // The person is in review because their demographics changed: the old link releases nothing.
            #expect(try queue.releasable(sources: ["riverside-usd"]).isEmpty)

            // The matcher linked the person since (their item is gone): the held record goes to that patient.
            try db.execute("DELETE FROM lastmile.review_queue")
            let released = try queue.releasable(sources: ["riverside-usd"])
            #expect(released.count == 1)
            #expect(released.first?.patientId == "P1")
            #expect(released.first?.record == record)
        }
    }

    /// The sample workspace with a stricter match threshold, so the night sends school records with a candidate
    /// to review whatever the matcher's recall (the committed sample links almost everyone).
    static func workspaceWithAQueue() throws -> SampleWorkspace {
        let workspace = try SampleWorkspace()
        let pipeline = try String(contentsOfFile: workspace.nightlyPipeline, encoding: .utf8)
        let stricter = pipeline.replacingOccurrences(of: "\nmatch:\n", with: "\nmatch:\n  match_threshold: 0.9995\n")
        #expect(stricter != pipeline, "the pipeline has no match: section")
        try stricter.write(toFile: workspace.nightlyPipeline, atomically: true, encoding: .utf8)
        return workspace
    }

    @Test func showMasksPersonalDataUnlessAskedAndLogsEveryView() throws {
        let workspace = try Self.workspaceWithAQueue()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let review = ClericalReview(connection: db, clock: reviewClock)
            let model = try ClericalReview.model(
                pipeline: try PipelineConfig.load(path: workspace.nightlyPipeline), modelPath: nil)
            let item = try #require(try ReviewQueue(connection: db).items().first { $0.candidate != nil })
            let person = try #require(try ReviewQueue(connection: db).incomingPerson(of: item))
            let family = try #require(person.familyName)

            let masked = try review.show(item.id, model: model, viewer: nil)
            #expect(masked.contains("given_name") && masked.contains("(present)"))
            for secret in [family, item.sourcePersonId, item.candidate ?? "", person.birthDate?.description ?? ""] {
                #expect(!masked.contains(secret), "masked show prints personal data")
            }
            #expect(try db.execute("SELECT count(*) FROM lastmile.review_access").scalar == "0")

            let open = try review.show(item.id, model: model, viewer: "jdoe")
            #expect(open.contains(family) && open.contains(item.candidate ?? "?"))
            let log = try #require(
                try db.execute("SELECT viewed_by, viewed_at, action, item_ids::text AS ids FROM lastmile.review_access")
                    .rows.first)
            #expect(log["viewed_by"] == "jdoe" && log["action"] == "show" && log["ids"] == "{\(item.id)}")
            let at = try db.execute(
                "SELECT extract(epoch FROM viewed_at)::bigint FROM lastmile.review_access"
            ).scalar
            #expect(at == String(Int(reviewClock.now.timeIntervalSince1970)))
        }
    }

    @Test func exportIsMaskedUnlessAskedAndAPersonalExportIsLogged() throws {
        let workspace = try Self.workspaceWithAQueue()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let review = ClericalReview(connection: db, clock: reviewClock)
            let model = try ClericalReview.model(
                pipeline: try PipelineConfig.load(path: workspace.nightlyPipeline), modelPath: nil)
            let items = try ReviewQueue(connection: db).items()
            let family = try #require(
                try items.compactMap { try ReviewQueue(connection: db).incomingPerson(of: $0)?.familyName }.first)

            let masked = try review.exportHTML(source: nil, reason: nil, model: model, viewer: nil)
            #expect(masked.items == items.count)
            #expect(masked.html.components(separatedBy: "<section class=\"card\"").count == items.count + 1)
            #expect(masked.html.contains("class=\"agree\""))
            #expect(!masked.html.contains("<td>" + ClericalReview.escape(family)))
            #expect(
                !masked.html.contains("<script") && !masked.html.contains("http:") && !masked.html.contains("https:"))
            #expect(try db.execute("SELECT count(*) FROM lastmile.review_access").scalar == "0")

            let personal = try review.exportHTML(source: nil, reason: nil, model: model, viewer: "jdoe")
            #expect(personal.html.contains("<td>" + ClericalReview.escape(family)))
            let ids = try db.execute("SELECT item_ids::text FROM lastmile.review_access WHERE action = 'export'").scalar
            #expect(ids == "{" + items.map { String($0.id) }.joined(separator: ",") + "}")
            #expect(
                ClericalReview.escape("<b>O'Neil & \"Co\"</b>") == "&lt;b&gt;O&#39;Neil &amp; &quot;Co&quot;&lt;/b&gt;")
        }
    }

    @Test func acceptedItemsLoadOnTheNextRunAndTheirFlagsAppearThenUndoClosesThem() throws {
        let workspace = try Self.workspaceWithAQueue()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let review = ClericalReview(connection: db, clock: reviewClock)
            let items = try ReviewQueue(connection: db).items().filter { $0.candidate != nil }
            let before = try items.map { try activeFlags(db, patient: $0.candidate ?? "", source: $0.source) }
            for item in items { _ = try review.accept(item.id, patient: nil, by: "jdoe", note: "checked") }
            let decisions = try db.execute(
                "SELECT count(*) FROM lastmile.review_decision WHERE action = 'accept' AND decided_by = 'jdoe'"
            ).scalar
            #expect(decisions == String(items.count))
            #expect(try ReviewQueue(connection: db).openStatistics(now: reviewClock.now).open == 0)

            let next = try runNight(workspace, db)
            #expect(next.isBalanced)
            let released = next.sources.map(\.releasedFromReview).reduce(0, +)
            #expect(released > 0)
            #expect(next.sources.map(\.eventsInserted).reduce(0, +) > 0)
            let after = try items.map { try activeFlags(db, patient: $0.candidate ?? "", source: $0.source) }
            let gained = zip(items, zip(before, after)).filter { $0.1.1 > $0.1.0 }.map(\.0)
            #expect(!gained.isEmpty, "no accepted item produced a flag")
            #expect(
                try db.execute("SELECT count(*) FROM lastmile.review_queue WHERE applied_run IS NULL").scalar == "0")

            // A third night loads nothing twice.
            let third = try runNight(workspace, db)
            #expect(third.sources.map(\.releasedFromReview).reduce(0, +) == 0)

            let undone = try #require(gained.first)
            let outcome = try review.undo(undone.id, by: "jdoe", note: "wrong item")
            #expect(outcome.flagsClosed >= 1)
            #expect(try activeFlags(db, patient: undone.candidate ?? "", source: undone.source) == 0)
            #expect(
                try ReviewQueue(connection: db).linkedPatient(
                    source: undone.source, sourcePersonId: undone.sourcePersonId) == nil)
            #expect(try ReviewQueue(connection: db).item(id: undone.id)?.isOpen == true)
            _ = try runNight(workspace, db)
            #expect(try activeFlags(db, patient: undone.candidate ?? "", source: undone.source) == 0)
        }
    }

    /// The pipeline's `match.review_retention_days`: held records of items still undecided after that many days
    /// are deleted by the night (by the injected clock), counted in the summary and the ledger; records an
    /// accept released are deleted once loaded.
    @Test func heldRecordsOfItemsUndecidedPastTheRetentionAreDeletedAndCounted() throws {
        let workspace = try Self.workspaceWithAQueue()
        let pipeline = try String(contentsOfFile: workspace.nightlyPipeline, encoding: .utf8)
        try pipeline.replacingOccurrences(of: "\nmatch:\n", with: "\nmatch:\n  review_retention_days: 30\n")
            .write(toFile: workspace.nightlyPipeline, atomically: true, encoding: .utf8)
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            func held() throws -> Int {
                Int(try db.execute("SELECT count(*) FROM lastmile.review_record").scalar ?? "") ?? -1
            }
            let accepted = try #require(try ReviewQueue(connection: db).items().first { $0.candidate != nil })
            _ = try ClericalReview(connection: db, clock: reviewClock).accept(
                accepted.id, patient: nil, by: "jdoe", note: "checked")
            let before = try held()
            let heldByAccepted =
                Int(
                    try db.execute(
                        "SELECT count(*) FROM lastmile.review_record WHERE source = $1 AND source_person_id = $2",
                        [accepted.source, accepted.sourcePersonId]
                    ).scalar ?? "") ?? 0
            #expect(heldByAccepted > 0)

            // Thirty days after the first night: nothing is old enough yet; the accepted item's records load.
            let early = try runNight(workspace, db, asOf: sampleAsOf.adding(days: 29))
            #expect(early.rendered().contains("held records deleted: 0"), "\(early.rendered())")
            #expect(try held() == before - heldByAccepted)

            let late = try runNight(workspace, db, asOf: sampleAsOf.adding(days: 31))
            #expect(late.rendered().contains("held records deleted: \(before - heldByAccepted)"), "\(late.rendered())")
            #expect(try held() == 0)
            let ledger = try db.execute(
                "SELECT jsonb_path_query_first(counts, '$.**.heldRecordsDeleted')::text FROM lastmile.run "
                    + "WHERE run_id = $1", [try #require(late.runId)]
            ).scalar
            #expect(ledger == String(before - heldByAccepted))
            // The items themselves stay open for a reviewer.
            #expect(try ReviewQueue(connection: db).openStatistics(now: reviewClock.now).open > 0)
        }
    }

    @Test func rejectedPairIsNeverLinkedAgainWhenTheSourceResends() throws {
        let workspace = try Self.workspaceWithAQueue()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let review = ClericalReview(connection: db, clock: reviewClock)
            let item = try #require(
                try ReviewQueue(connection: db).items(source: "riverside-usd").first { $0.candidate != nil })
            let candidate = try #require(item.candidate)
            _ = try review.reject(item.id, by: "jdoe", note: "different guardian")
            #expect(
                try ReviewQueue(connection: db).isNeverLinked(
                    source: item.source, sourcePersonId: item.sourcePersonId, patientId: candidate))
            #expect(throws: ReviewError.alreadyDecided(item.id, resolution: "rejected")) {
                try review.accept(item.id, patient: nil, by: "jdoe", note: "changed my mind")
            }

            try resend(
                workspace, source: "riverside-usd", file: "attendance-2026-11-20.csv", personId: item.sourcePersonId,
                as: "attendance-2026-11-21.csv")
            let next = try runNight(workspace, db)
            #expect(next.sources.first { $0.source == "riverside-usd" }?.files == 1)
            #expect(
                try ReviewQueue(connection: db).linkedPatient(
                    source: item.source, sourcePersonId: item.sourcePersonId) != candidate)
            let loaded = try db.execute(
                "SELECT count(*) FROM lastmile.attendance_day WHERE student_id = $1 AND patient_id = $2",
                [item.sourcePersonId, candidate]
            ).scalar
            #expect(loaded == "0")
            // Without the rule the same person would be back in review, re-opened, with the same candidate.
            let now = try #require(try ReviewQueue(connection: db).item(id: item.id))
            #expect(!(now.isOpen && now.candidate == candidate))

            // An undone reject removes the rule.
            _ = try review.undo(item.id, by: "jdoe", note: "rule was a mistake")
            #expect(
                try !ReviewQueue(connection: db).isNeverLinked(
                    source: item.source, sourcePersonId: item.sourcePersonId, patientId: candidate))
        }
    }

    @Test func wrongPersonReportClosesTheFlagForGood() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            // A riverside student linked by the matcher, alone on their patient, with an active flag.
            let row = try #require(
                try db.execute(
                    """
                    SELECT c.patient_id, c.source_person_id FROM lastmile.source_crosswalk c
                    JOIN lastmile.flag f ON f.patient_id = c.patient_id AND f.source = c.source AND f.status = 'active'
                    WHERE c.source = 'riverside-usd' AND NOT EXISTS (
                        SELECT 1 FROM lastmile.source_crosswalk o WHERE o.source = c.source
                          AND o.patient_id = c.patient_id AND o.source_person_id <> c.source_person_id)
                    ORDER BY 1, 2 LIMIT 1
                    """
                ).rows.first)
            let patient = try #require(row["patient_id"])
            let student = try #require(row["source_person_id"])
            let review = ClericalReview(connection: db, clock: reviewClock)
            // A practice names the patient and the school; with a second record of the school linked to the
            // patient it must also name the student, and nothing changes until it does.
            let duplicate =
                "SELECT source, source_person_id || '-dup', patient_id, match_probability, demographics_hash"
            try db.execute(
                "INSERT INTO lastmile.source_crosswalk (source, source_person_id, patient_id, match_probability, "
                    + "demographics_hash) \(duplicate) FROM lastmile.source_crosswalk "
                    + "WHERE source = 'riverside-usd' AND source_person_id = $1", [student])
            #expect(throws: ReviewError.severalLinks(2)) {
                try review.reportWrongPerson(
                    patient: patient, source: "riverside-usd", sourcePersonId: nil, by: "jdoe", note: "which one")
            }
            #expect(try activeFlags(db, patient: patient, source: "riverside-usd") > 0)
            try db.execute(
                "DELETE FROM lastmile.source_crosswalk WHERE source = 'riverside-usd' AND source_person_id = $1",
                [student + "-dup"])
            // With one record of the school linked, the patient and the source are enough.
            let outcome = try review.reportWrongPerson(
                patient: patient, source: "riverside-usd", sourcePersonId: nil, by: "jdoe",
                note: "practice: not our patient")
            #expect(outcome.flagsClosed >= 1 && outcome.eventsRemoved > 0)
            #expect(try activeFlags(db, patient: patient, source: "riverside-usd") == 0)
            #expect(try review.list(source: nil, reason: nil, oldestFirst: false).incidents == 1)
            #expect(throws: ReviewError.noSuchLink) {
                try review.reportWrongPerson(
                    patient: patient, source: "riverside-usd", sourcePersonId: student, by: "jdoe", note: "again")
            }
            #expect(throws: ReviewError.noSuchLink) {
                try review.reportWrongPerson(
                    patient: patient, source: "riverside-usd", sourcePersonId: nil, by: "jdoe", note: "again")
            }

            try resend(
                workspace, source: "riverside-usd", file: "attendance-2026-11-20.csv", personId: student,
                as: "attendance-2026-11-21.csv")
            let next = try runNight(workspace, db)
            #expect(next.sources.first { $0.source == "riverside-usd" }?.rowsRead ?? 0 > 0)
            #expect(try activeFlags(db, patient: patient, source: "riverside-usd") == 0)
            #expect(
                try ReviewQueue(connection: db).linkedPatient(source: "riverside-usd", sourcePersonId: student)
                    != patient)
        }
    }

    /// A person in review whom the matcher links on a later night gets their held records that night, with the
    /// re-sent rows winning; a following night with no new input changes nothing (the held copies, older than
    /// what the later file said, must not overwrite it).
    @Test func heldRecordsOfAPersonLinkedOnALaterNightLoadThatNightAndNeverOverwriteNewerRows() throws {
        let workspace = try Self.workspaceWithAQueue()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            let queue = ReviewQueue(connection: db)
            let item = try #require(
                try queue.items().first { $0.source == "riverside-usd" && ($0.probability ?? 0) >= 0.99 })
            let student = item.sourcePersonId
            let heldCount = try #require(
                Int(
                    try db.execute(
                        """
                        SELECT count(*) FROM lastmile.review_record
                        WHERE source = 'riverside-usd' AND source_person_id = $1
                        """, [student]
                    ).scalar ?? ""))
            let folder = workspace.sampleData.appendingPathComponent("inbox/riverside-usd")
            let lines = try String(
                contentsOf: folder.appendingPathComponent("attendance-2026-11-20.csv"), encoding: .utf8
            ).split(separator: "\n").map(String.init)
            let own = lines.dropFirst().filter { $0.hasPrefix(student + ",") }
            #expect(own.count >= 4, "the student has too few rows for the test")
            // The later file re-sends the first half, its first present day corrected to an absence.
            let resent = Array(own.prefix(own.count / 2))
            let corrected = try #require(resent.firstIndex { $0.contains(",P,") })
            let day = resent[corrected].split(separator: ",", omittingEmptySubsequences: false)[10]
            var later = resent
            later[corrected] = later[corrected].replacingOccurrences(of: ",P,", with: ",A,")
            try ([lines[0]] + later).joined(separator: "\n").appending("\n").write(
                to: folder.appendingPathComponent("attendance-2026-11-21.csv"), atomically: true, encoding: .utf8)
            // The default threshold links the person now.
            let pipeline = try String(contentsOfFile: workspace.nightlyPipeline, encoding: .utf8)
            try pipeline.replacingOccurrences(of: "  match_threshold: 0.9995\n", with: "").write(
                toFile: workspace.nightlyPipeline, atomically: true, encoding: .utf8)

            func status() throws -> String? {
                try db.execute(
                    """
                    SELECT status FROM lastmile.attendance_day
                    WHERE source = 'riverside-usd' AND student_id = $1 AND attendance_date = $2::date
                    """, [student, String(day)]
                ).scalar
            }
            func stored() throws -> Int {
                Int(
                    try db.execute(
                        "SELECT count(*) FROM lastmile.attendance_day WHERE source = 'riverside-usd' AND student_id = $1",
                        [student]
                    ).scalar ?? "0") ?? 0
            }
            let second = try runNight(workspace, db, asOf: sampleAsOf.adding(days: 1))
            #expect(try queue.linkedPatient(source: "riverside-usd", sourcePersonId: student) != nil)
            #expect(try status() == "absent-unexcused")
            // Every held row loads the night the person is linked: the re-sent ones in tonight's version.
            #expect(try stored() == heldCount)
            let released = second.sources.first { $0.source == "riverside-usd" }?.releasedFromReview
            #expect(released == heldCount - resent.count)

            let third = try runNight(workspace, db, asOf: sampleAsOf.adding(days: 1))
            #expect(third.sources.first { $0.source == "riverside-usd" }?.releasedFromReview == 0)
            #expect(try status() == "absent-unexcused", "an older held copy overwrote the newer row")
            #expect(
                try db.execute(
                    "SELECT count(*) FROM lastmile.review_record WHERE source = 'riverside-usd' AND source_person_id = $1",
                    [student]
                ).scalar == "0")
        }
    }
}
