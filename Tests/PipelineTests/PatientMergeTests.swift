// MPI deltas, patient merges and unmerges against a real PostgreSQL: what follows the survivor, what goes back,
// and the accounting of disclosures, which is never rewritten.
import Consent
import Extractors
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct PatientMergeTests {
    static let at = Clock.fixed(on: CivilDate(iso: "2026-11-21")!, hour: 2).now

    let snapshot =
        mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04") + mpiRow("P000002", "Ada", "Quil", "2015-03-04")
        + mpiRow("P000003", "Cleo", "Stark", "2018-01-15")

    /// A warehouse with the snapshot and, for P000002 (to be merged into P000001): a crosswalk entry, two school
    /// days, a booking, a practice attribution, a flag and its disclosure; P000001 has one school day of its own.
    func prepare(_ db: Connection, _ directory: TemporaryDirectory) throws {
        try PatientImport.run(
            file: try write(snapshot, to: "mpi.csv", in: directory), connection: db, logger: quietLogger)
        try db.execute(
            unsafeSQL: """
                INSERT INTO lastmile.run (run_id, pipeline, as_of, status) VALUES (1, 'nightly', '2026-11-20', 'succeeded');
                INSERT INTO lastmile.practice (practice_id, name) VALUES ('riverside-peds', 'Riverside Pediatrics');
                SELECT lastmile.ensure_school_year_partition('attendance_day', 2026);
                INSERT INTO lastmile.attribution (patient_id, practice_id, practice_patient_id)
                    VALUES ('P000002', 'riverside-peds', 'RP-2');
                INSERT INTO lastmile.source_crosswalk (source, source_person_id, patient_id, match_probability,
                    demographics_hash, decided_run) VALUES ('riverside-usd', 'S-2', 'P000002', 0.99, 'h', 1);
                INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, status,
                    run_id) VALUES
                    ('riverside-usd', 'S-2', '2026-11-18', 'P000002', 'RHS', 'absent-unexcused', 1),
                    ('riverside-usd', 'S-2', '2026-11-19', 'P000002', 'RHS', 'absent-unexcused', 1),
                    ('riverside-usd', 'S-1', '2026-11-19', 'P000001', 'RHS', 'present', 1);
                INSERT INTO lastmile.booking (source, booking_number, patient_id, booked_at, run_id)
                    VALUES ('county-jail', 'B-7', 'P000002', '2026-10-01 10:00:00', 1);
                INSERT INTO lastmile.flag (flag_id, patient_id, kind, source, status, period_start, codes, evidence,
                    created_run, updated_run)
                    VALUES (1, 'P000002', 'absenteeism', 'riverside-usd', 'active', '2026-08-01', '[]', '{}', 1, 1);
                INSERT INTO lastmile.disclosure (patient_id, flag_id, recipient, purpose, report, disclosed_at)
                    VALUES ('P000002', 1, 'practice:riverside-peds', 'TREAT', 'absenteeism-2026-11-16',
                        '2026-11-16 08:00:00+00');
                """)
    }

    /// Where each row of P000001 and P000002 is: `table:key -> patient (merged_from)`.
    func placement(_ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT 'crosswalk:' || source_person_id AS k, patient_id, merged_from FROM lastmile.source_crosswalk
            UNION ALL SELECT 'day:' || student_id || '@' || attendance_date, patient_id, merged_from
                FROM lastmile.attendance_day
            UNION ALL SELECT 'booking:' || booking_number, patient_id, merged_from FROM lastmile.booking
            UNION ALL SELECT 'attribution:' || practice_id, patient_id, merged_from FROM lastmile.attribution
            ORDER BY 1
            """
        ).rows.map { "\($0["k"] ?? "") -> \($0["patient_id"] ?? "")" + ($0["merged_from"].map { " (\($0))" } ?? "") }
    }

    @Test func aDeltaAddsUpdatesAndRetiresOnlyThePatientsItNames() throws {
        let directory = try TemporaryDirectory()
        let delta = try write(
            "change," + mpiHeader
                + "added," + mpiRow("P000004", "Dora", "Vance", "2016-05-05")
                + "updated," + mpiRow("P000001", "Ada", "Quill", "2015-03-04", street: "9 Elm St")
                + "retired,P000003,,,,,,,,,,\n"
                + "renamed," + mpiRow("P000002", "Ada", "Quil", "2015-03-04"),  // line 5: unknown change
            to: "delta.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(
                file: try write(snapshot, to: "mpi.csv", in: directory), appliedAt: Self.at, connection: db,
                logger: quietLogger)
            #expect(try ReferenceFiles(connection: db).lastApplied(kind: ReferenceFiles.mpiSnapshot) != nil)
            let summary = try PatientImport.run(file: delta, delta: true, connection: db, logger: quietLogger)
            #expect(summary.inserted == 1 && summary.updated == 1 && summary.retired == 1)
            #expect(summary.rejections.map(\.line) == [5])
            #expect(summary.rejections.map(\.column) == ["change"])
            let rows = try db.execute("SELECT patient_id, active, street FROM lastmile.patient ORDER BY 1").rows
            #expect(
                rows.map { "\($0["patient_id"] ?? "") \($0["active"] ?? "") \($0["street"] ?? "")" } == [
                    "P000001 t 9 Elm St", "P000002 t 12 Oak St", "P000003 f 12 Oak St", "P000004 t 12 Oak St",
                ])
            // The snapshot on record no longer describes the patients: the next one is applied in full.
            #expect(try ReferenceFiles(connection: db).lastApplied(kind: ReferenceFiles.mpiSnapshot) == nil)
            let again = try PatientImport.run(file: delta, delta: true, connection: db, logger: quietLogger)
            #expect(again.inserted == 0 && again.updated == 0 && again.retired == 0 && again.unchanged == 3)
        }
    }

    @Test func aDeltaRetiresAtTheInjectedClockNotTheServersTime() throws {
        let directory = try TemporaryDirectory()
        let delta = try write("change," + mpiHeader + "retired,P000003,,,,,,,,,,\n", to: "delta.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(
                file: try write(snapshot, to: "mpi.csv", in: directory), connection: db, logger: quietLogger)
            try PatientImport.run(
                file: delta, delta: true, appliedAt: Self.at, connection: db, logger: quietLogger)
            let stamped = try db.execute(
                """
                SELECT retired_at = $1::timestamptz AND updated_at = $1::timestamptz FROM lastmile.patient
                WHERE patient_id = 'P000003'
                """, [Clock.sqlTimestamp(Self.at)]
            ).scalar
            #expect(stamped == "t")
        }
    }

    @Test func aMergeMovesEverythingButTheAccountingOfDisclosures() throws {
        let directory = try TemporaryDirectory()
        let merges = try write("merged_id,surviving_id\nP000002,P000001\n", to: "merges.csv", in: directory)
        try withMigratedDatabase { db in
            try prepare(db, directory)
            let disclosures = try dump(db, "lastmile.disclosure", orderBy: "disclosure_id")
            let summary = try PatientMergeImport.run(file: merges, at: Self.at, connection: db, logger: quietLogger)
            #expect(summary.merged == 1 && summary.rejections.isEmpty)
            #expect(summary.touchedPatients == ["P000001", "P000002"])
            #expect(
                try placement(db) == [
                    "attribution:riverside-peds -> P000001 (P000002)", "booking:B-7 -> P000001 (P000002)",
                    "crosswalk:S-2 -> P000001 (P000002)", "day:S-1@2026-11-19 -> P000001",
                    "day:S-2@2026-11-18 -> P000001 (P000002)", "day:S-2@2026-11-19 -> P000001 (P000002)",
                ])
            #expect(
                try db.execute("SELECT active FROM lastmile.patient WHERE patient_id = 'P000002'").scalar == "f")
            // The accounting is untouched; read for the survivor, it lists B's disclosure under B, pointing to A.
            #expect(try dump(db, "lastmile.disclosure", orderBy: "disclosure_id") == disclosures)
            let entries = try DisclosureLog(connection: db).entries(patientId: "P000001")
            #expect(entries.map(\.patientId) == ["P000002"])
            #expect(entries.map(\.mergedInto) == ["P000001"])
            #expect(try DisclosureLog(connection: db).entries(patientId: "P000002").map(\.mergedInto) == ["P000001"])
            // The same file again changes nothing; a snapshot still listing B does not re-activate it.
            let before = try placement(db)
            let again = try PatientMergeImport.run(file: merges, at: Self.at, connection: db, logger: quietLogger)
            #expect(again.merged == 0 && again.unchanged == 1)
            #expect(try placement(db) == before)
            try PatientImport.run(
                file: try write(snapshot, to: "mpi-again.csv", in: directory), connection: db, logger: quietLogger)
            #expect(
                try db.execute("SELECT active FROM lastmile.patient WHERE patient_id = 'P000002'").scalar == "f")
        }
    }

    @Test func anUnmergeReturnsWhatCameFromTheMergedPatientOnly() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            try prepare(db, directory)
            let before = try placement(db)
            try PatientMergeImport.run(
                file: try write("merged_id,surviving_id\nP000002,P000001\n", to: "m.csv", in: directory), at: Self.at,
                connection: db, logger: quietLogger)
            // A record of the merged-away student arrives after the merge and is linked to the survivor.
            try db.execute(
                unsafeSQL: """
                    INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id,
                        status, run_id) VALUES ('riverside-usd', 'S-1', '2026-11-20', 'P000001', 'RHS', 'present', 1)
                    """)
            let summary = try PatientMergeImport.run(
                file: try write("merged_id,surviving_id,action\nP000002,,unmerge\n", to: "u.csv", in: directory),
                at: Self.at, connection: db, logger: quietLogger)
            #expect(summary.unmerged == 1)
            #expect(try placement(db) == (before + ["day:S-1@2026-11-20 -> P000001"]).sorted())
            #expect(
                try db.execute("SELECT active FROM lastmile.patient WHERE patient_id = 'P000002'").scalar == "t")
            #expect(try DisclosureLog(connection: db).entries(patientId: "P000001").isEmpty)
            #expect(try DisclosureLog(connection: db).entries(patientId: "P000002").map(\.mergedInto) == [nil])
        }
    }

    @Test func fhirReplacedByMergesAndAPatientSentAgainWithoutItUnmerges() throws {
        let directory = try TemporaryDirectory()
        let merge = try write(
            """
            {"resourceType":"Patient","id":"P000002","active":false,"link":[{"other":{"reference":"Patient/P000001"},"type":"replaced-by"}]}
            {"resourceType":"Patient","id":"P000001","link":[{"other":{"reference":"Patient/P000002"},"type":"replaces"}]}
            {"resourceType":"Patient","id":"P000003","link":[{"other":{"reference":"Organization/9"},"type":"replaced-by"}]}
            not json

            """, to: "merges.ndjson", in: directory)
        let unmerge = try write(
            #"{"resourceType":"Patient","id":"P000002","active":true}"# + "\n", to: "unmerge.ndjson", in: directory)
        try withMigratedDatabase { db in
            try prepare(db, directory)
            let before = try placement(db)
            let merged = try PatientMergeImport.run(file: merge, at: Self.at, connection: db, logger: quietLogger)
            #expect(merged.merged == 1)
            #expect(merged.rejections.map(\.line) == [3, 4])
            #expect(try PatientMerges(connection: db).survivor(of: "P000002") == "P000001")
            let unmerged = try PatientMergeImport.run(file: unmerge, at: Self.at, connection: db, logger: quietLogger)
            #expect(unmerged.unmerged == 1)
            #expect(try placement(db) == before)
        }
    }

    @Test func mergesThatCannotBeAppliedAreRefusedByLine() throws {
        let directory = try TemporaryDirectory()
        let file = try write(
            "merged_id,surviving_id\nP000002,P000001\nP000001,P000002\nP000009,P000001\nP000003,P000003\n"
                + "P000002,P000003\n,P000001\n", to: "merges.csv", in: directory)
        try withMigratedDatabase { db in
            try prepare(db, directory)
            let summary = try PatientMergeImport.run(file: file, at: Self.at, connection: db, logger: quietLogger)
            #expect(summary.merged == 1)
            // 3: a cycle; 4: unknown patient; 5: itself; 6: already merged elsewhere; 7: no id.
            #expect(summary.rejections.map(\.line) == [3, 4, 5, 6, 7])
            let printed = summary.rejections.map(\.description).joined(separator: "\n")
            #expect(!printed.contains("P00000"), "a rejection printed a patient id")
        }
    }

    @Test func aMergedPatientsConsentDirectivesHoldForTheSurvivor() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            try prepare(db, directory)
            let directive = ConsentDirective(
                id: "D-2", status: .active, patientId: "P000002", recorded: CivilDate(iso: "2026-01-01")!,
                grantorRole: .`self`, provision: Provision(type: .deny))
            _ = try ConsentStore(connection: db).save([directive], format: "csv")
            #expect(try ConsentStore(connection: db).directives(forPatients: ["P000001"]).isEmpty)
            try PatientMergeImport.run(
                file: try write("merged_id,surviving_id\nP000002,P000001\n", to: "m.csv", in: directory), at: Self.at,
                connection: db, logger: quietLogger)
            let forSurvivor = try ConsentStore(connection: db).directives(forPatients: ["P000001"])
            #expect(forSurvivor["P000001"]?.map(\.id) == ["D-2"])
            #expect(forSurvivor["P000001"]?.map(\.patientId) == ["P000001"])
        }
    }
}

/// Issue 19 follow-up: what review and later reference files hold of a merged patient follows the survivor.
@Suite struct MergedPatientRedirectTests {
    /// The review state of P000002 (merged away) and P000001: an open item naming P000002 as candidate and
    /// P000003 as runner-up, an item accepted for P000002 whose held record is not loaded yet, and a never-link
    /// rule against P000002.
    func prepareReview(_ db: Connection, _ directory: TemporaryDirectory) throws {
        try PatientMergeTests().prepare(db, directory)
        let record = SourceRecord(
            source: "riverside-usd", recordId: "S-2|2026-11-20",
            person: PersonIdentity(sourcePersonId: "S-2", givenName: "Ada"),
            event: .attendance(
                AttendanceDay(
                    schoolId: "RHS", date: CivilDate(iso: "2026-11-20")!, status: .absentUnexcused, minutesAbsent: 30)),
            labels: [], provenance: Provenance(file: "a.csv", line: 2))
        try ReviewQueue(connection: db).hold([(sourcePersonId: "S-2", record: record)], runId: 1)
        try db.execute(
            unsafeSQL: """
                UPDATE lastmile.source_crosswalk SET demographics_hash = 'h', decided_run = NULL
                    WHERE source_person_id = 'S-2';
                INSERT INTO lastmile.review_queue (source, source_person_id, candidate_patient_id,
                    runner_up_patient_id, reason, demographics_hash, run_id) VALUES
                    ('riverside-usd', 'S-8', 'P000002', 'P000003', 'near-tie', 'h8', 1);
                INSERT INTO lastmile.review_queue (source, source_person_id, candidate_patient_id, reason,
                    demographics_hash, run_id, resolution, resolved_patient_id, resolved_at, resolved_by) VALUES
                    ('riverside-usd', 'S-2', 'P000002', 'near-tie', 'h', 1, 'accepted', 'P000002',
                     '2026-11-20 09:00:00+00', 'jdoe');
                INSERT INTO lastmile.never_link (source, source_person_id, patient_id, reason, decided_by,
                    decided_at, note) VALUES
                    ('riverside-usd', 'S-9', 'P000002', 'rejected', 'jdoe', '2026-11-20 09:00:00+00', 'no');
                """)
    }

    /// `source_person_id: candidate/runner-up/resolved` of every item, then `rule:person -> patient`.
    func reviewPlacement(_ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT source_person_id || ': ' || coalesce(candidate_patient_id, '-') || '/'
                || coalesce(runner_up_patient_id, '-') || '/' || coalesce(resolved_patient_id, '-')
            FROM lastmile.review_queue
            UNION ALL SELECT 'rule:' || source_person_id || ' -> ' || patient_id FROM lastmile.never_link
            ORDER BY 1
            """
        ).rows.compactMap { $0[0] }
    }

    @Test func reviewItemsAndNeverLinkRulesFollowTheSurvivorAndComeBackOnUnmerge() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            try prepareReview(db, directory)
            let before = try reviewPlacement(db)
            try PatientMergeImport.run(
                file: try write("merged_id,surviving_id\nP000002,P000001\n", to: "m.csv", in: directory),
                at: PatientMergeTests.at, connection: db, logger: quietLogger)
            #expect(
                try reviewPlacement(db) == [
                    "S-2: P000001/-/P000001", "S-8: P000001/P000003/-", "rule:S-9 -> P000001",
                ])
            // The accepted item's held record goes to the survivor its crosswalk entry now names.
            let released = try ReviewQueue(connection: db).releasable(sources: ["riverside-usd"])
            #expect(released.map(\.patientId) == ["P000001"])

            try PatientMergeImport.run(
                file: try write("merged_id,surviving_id,action\nP000002,,unmerge\n", to: "u.csv", in: directory),
                at: PatientMergeTests.at, connection: db, logger: quietLogger)
            #expect(try reviewPlacement(db) == before)
        }
    }

    @Test func anAttributionFileNamingTheMergedPatientIsAppliedToTheSurvivor() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            try PatientMergeTests().prepare(db, directory)
            try PatientMergeImport.run(
                file: try write("merged_id,surviving_id\nP000002,P000001\n", to: "m.csv", in: directory),
                at: PatientMergeTests.at, connection: db, logger: quietLogger)
            let file = try write(
                "patient_id,practice_id,practice_patient_id\nP000002,riverside-peds,RP-2\nP000003,riverside-peds,RP-3\n",
                to: "attribution.csv", in: directory)
            let summary = try AttributionImport.run(file: file, connection: db, logger: quietLogger)
            #expect(summary.rejections.isEmpty, "\(summary.rejections)")
            #expect(summary.counts.first { $0.name == "redirected" }?.value == 1)
            let rows = try db.execute(
                "SELECT patient_id || ' ' || practice_patient_id FROM lastmile.attribution ORDER BY 1"
            ).rows.compactMap { $0[0] }
            #expect(rows == ["P000001 RP-2", "P000003 RP-3"])
        }
    }
}
