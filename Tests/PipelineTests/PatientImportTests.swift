// MPI snapshot loads against a real PostgreSQL: idempotence, updates, retirement and re-activation, bad rows.
import Extractors
import Foundation
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct PatientImportTests {
    let snapshot =
        mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04") + mpiRow("P000002", "Ben", "Rook", "2012-11-30")
        + mpiRow("P000003", "Cleo", "Stark", "2018-01-15")

    @Test func importingTheSameSnapshotTwiceEqualsOnce() throws {
        let directory = try TemporaryDirectory()
        let file = try write(snapshot, to: "mpi.csv", in: directory)
        try withMigratedDatabase { db in
            let first = try PatientImport.run(file: file, connection: db, logger: quietLogger)
            #expect(first.inserted == 3)
            #expect(first.rowsRead == 3)
            let before = try dump(db, "lastmile.patient", orderBy: "patient_id")
            let second = try PatientImport.run(file: file, connection: db, logger: quietLogger)
            #expect(second.inserted == 0 && second.updated == 0 && second.retired == 0 && second.reactivated == 0)
            #expect(second.unchanged == 3)
            #expect(try dump(db, "lastmile.patient", orderBy: "patient_id") == before)
        }
    }

    @Test func aChangedRowIsUpdatedAndOnlyThatRow() throws {
        let directory = try TemporaryDirectory()
        let v1 = try write(snapshot, to: "v1.csv", in: directory)
        let changed = snapshot.replacingOccurrences(
            of: mpiRow("P000002", "Ben", "Rook", "2012-11-30"),
            with: mpiRow("P000002", "Ben", "Rook", "2012-11-30", street: "77 Elm Ave"))
        let v2 = try write(changed, to: "v2.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(file: v1, connection: db, logger: quietLogger)
            let others = try dump(db, "lastmile.patient WHERE patient_id <> 'P000002'", orderBy: "patient_id")
            let hashBefore = try db.execute(
                "SELECT demographics_hash FROM lastmile.patient WHERE patient_id = $1", ["P000002"]
            ).scalar
            let summary = try PatientImport.run(file: v2, connection: db, logger: quietLogger)
            #expect(summary.updated == 1)
            #expect(summary.unchanged == 2)
            let row = try #require(
                try db.execute(
                    "SELECT street, demographics_hash FROM lastmile.patient WHERE patient_id = $1", ["P000002"]
                )
                .rows.first)
            #expect(row["street"] == "77 Elm Ave")
            #expect(row["demographics_hash"] != hashBefore)
            #expect(try dump(db, "lastmile.patient WHERE patient_id <> 'P000002'", orderBy: "patient_id") == others)
        }
    }

    @Test func aVanishedPatientIsRetiredNotDeletedThenReactivated() throws {
        let directory = try TemporaryDirectory()
        let full = try write(snapshot, to: "full.csv", in: directory)
        let without = try write(
            snapshot.replacingOccurrences(of: mpiRow("P000003", "Cleo", "Stark", "2018-01-15"), with: ""),
            to: "without.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(file: full, connection: db, logger: quietLogger)
            let retiring = try PatientImport.run(file: without, connection: db, logger: quietLogger)
            #expect(retiring.retired == 1)
            #expect(retiring.unchanged == 2)
            let retired = try #require(
                try db.execute("SELECT active, retired_at FROM lastmile.patient WHERE patient_id = $1", ["P000003"])
                    .rows.first)
            #expect(retired.bool("active") == false)
            #expect(retired["retired_at"] != nil)
            // A second load without the patient retires nothing more and keeps the retirement time.
            let again = try PatientImport.run(file: without, connection: db, logger: quietLogger)
            #expect(again.retired == 0)
            #expect(
                try db.execute("SELECT retired_at FROM lastmile.patient WHERE patient_id = $1", ["P000003"]).scalar
                    == retired["retired_at"])

            let back = try PatientImport.run(file: full, connection: db, logger: quietLogger)
            #expect(back.reactivated == 1)
            #expect(back.inserted == 0 && back.updated == 0 && back.unchanged == 2)
            let row = try #require(
                try db.execute("SELECT active, retired_at FROM lastmile.patient WHERE patient_id = $1", ["P000003"])
                    .rows.first)
            #expect(row.bool("active") == true)
            #expect(row["retired_at"] == nil)
            #expect(try db.execute("SELECT count(*) FROM lastmile.patient").scalar == "3")
        }
    }

    @Test func aSnapshotThatWouldRetireTooManyIsRefused() throws {
        let directory = try TemporaryDirectory()
        let full = try write(snapshot, to: "full.csv", in: directory)
        let truncated = try write(
            mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04"), to: "cut.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(file: full, connection: db, logger: quietLogger)
            let before = try dump(db, "lastmile.patient", orderBy: "patient_id")
            let error = #expect(throws: ReferenceDataError.self) {
                try PatientImport.run(file: truncated, maxRetiredPercent: 50, connection: db, logger: quietLogger)
            }
            #expect(
                error?.description
                    == "cut.csv: would retire 2 of 3 active patients, over the limit of 50 %; check that the extract is complete, or raise the limit"
            )
            #expect(try dump(db, "lastmile.patient", orderBy: "patient_id") == before)
            // Under a higher limit it goes through.
            let allowed = try PatientImport.run(
                file: truncated, maxRetiredPercent: 67, connection: db, logger: quietLogger)
            #expect(allowed.retired == 2)
        }
    }

    @Test func badRowsAreCountedByLineWithoutTheirValues() throws {
        let directory = try TemporaryDirectory()
        let text =
            mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04")  // line 2
            + "P000002,Ben,Rook,30/11/2012,F,1 A St,Millbrook,OR,97411,,\n"  // line 3: date format
            + mpiRow("P000003", "Cleo", "Stark", "2018-01-15")  // line 4
            + "P000004,Dora,Vance,2016-05-05,Q,1 A St,Millbrook,OR,97411,,\n"  // line 5: sex code
            + mpiRow("P000001", "Ada", "Quill", "2015-03-04")  // line 6: repeated id
            + "P000005,Eli,Wren\n"  // line 7: ragged
            + ",Fay,Yates,2011-01-01,F,1 A St,Millbrook,OR,97411,,\n"  // line 8: no id
        let file = try write(text, to: "mpi.csv", in: directory)
        try withMigratedDatabase { db in
            let summary = try PatientImport.run(file: file, connection: db, logger: quietLogger)
            #expect(summary.rowsRead == 7)
            #expect(summary.inserted == 2)
            #expect(summary.rejected == 5)
            #expect(summary.rejections.map(\.line) == [3, 5, 6, 7, 8])
            #expect(summary.rejections.map(\.column) == ["birth_date", "sex", "id", nil, "id"])
            let printed = summary.rejections.map(\.description).joined(separator: "\n")
            for value in ["30/11/2012", "Rook", "Dora", "Vance", "Eli", "Wren", "Yates", "P000001", "P000005"] {
                #expect(!printed.contains(value), "a rejection printed a value")
            }
            #expect(printed.contains("mpi.csv:3"))
        }
    }

    @Test func anUnusableFileChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let good = try write(snapshot, to: "mpi.csv", in: directory)
        let headerOnly = try write(mpiHeader, to: "empty-snapshot.csv", in: directory)
        let allBad = try write(mpiHeader + "P1,A,B,not-a-date,F,,,,,,\n", to: "all-bad.csv", in: directory)
        let missingColumn = try write("id,given_name\nP000001,Ada\n", to: "short.csv", in: directory)
        // Good rows, then a field over the reader's 1 MiB limit: the file fails while its rows are being copied.
        let brokenHalfway = try write(
            mpiHeader + mpiRow("P000009", "Ida", "Zorn", "2010-10-10") + "P000010,\""
                + String(repeating: "x", count: 1_200_000)
                + "\n", to: "broken.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(file: good, connection: db, logger: quietLogger)
            let before = try dump(db, "lastmile.patient", orderBy: "patient_id")
            let headerError = #expect(throws: ReferenceDataError.self) {
                try PatientImport.run(file: headerOnly, connection: db, logger: quietLogger)
            }
            #expect(headerError?.exitStatus.rawValue == 65)
            #expect(throws: ReferenceDataError.self) {
                try PatientImport.run(file: allBad, connection: db, logger: quietLogger)
            }
            let inputError = #expect(throws: InputError.self) {
                try PatientImport.run(file: missingColumn, connection: db, logger: quietLogger)
            }
            #expect(inputError?.exitStatus.rawValue == 65)
            #expect(throws: InputError.self) {
                try PatientImport.run(file: brokenHalfway, connection: db, logger: quietLogger)
            }
            #expect(try dump(db, "lastmile.patient", orderBy: "patient_id") == before)
        }
    }
    /// The patient table without `updated_at` (the server's clock), for comparing loads made at different times.
    private func patients(_ db: Connection) throws -> [[String?]] {
        try db.execute(
            """
            SELECT patient_id, given_name, family_name, birth_date, sex, street, city, state, postal_code, phone,
                   ssn, demographics_hash, active, retired_at IS NULL AS current
            FROM lastmile.patient ORDER BY patient_id
            """
        ).rows.map(\.values)
    }

    @Test func aFirstLoadIsCopiedStraightInAndEqualsTheComparedLoad() throws {
        let directory = try TemporaryDirectory()
        let file = try write(
            snapshot + "P000004,Dora,Vance,,x,\"1 A St, Apt 2\",Millbrook,OR,97411,555-0100,123-45-6789\n",
            to: "mpi.csv", in: directory)
        let copied = try withMigratedDatabase { db in
            let summary = try PatientImport.run(file: file, connection: db, logger: quietLogger)
            #expect(summary.path == .copy)
            #expect(summary.inserted == 4 && summary.unchanged == 0)
            return try patients(db)
        }
        let compared = try withMigratedDatabase { db in
            let summary = try db.withTransaction {
                try PatientImport.load(file: file, alwaysDiff: true, connection: db, logger: quietLogger)
            }
            #expect(summary.path == .diff)
            #expect(summary.inserted == 4)
            return try patients(db)
        }
        #expect(copied.count == 4)
        #expect(copied == compared)
    }

    @Test func aChangedSnapshotIsAppliedAsADiff() throws {
        let directory = try TemporaryDirectory()
        let v1 = try write(
            snapshot + mpiRow("P000004", "Dora", "Vance", "2016-05-05")
                + mpiRow("P000005", "Eli", "Wren", "2011-01-01"),
            to: "v1.csv", in: directory)
        // P000001 unchanged, P000002 moved, P000003 gone, P000004 unchanged, P000005 gone, P000006 new.
        let v2 = try write(
            mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04")
                + mpiRow("P000002", "Ben", "Rook", "2012-11-30", street: "77 Elm Ave")
                + mpiRow("P000004", "Dora", "Vance", "2016-05-05") + mpiRow("P000006", "Finn", "Yates", "2014-02-02"),
            to: "v2.csv", in: directory)
        try withMigratedDatabase { db in
            #expect(try PatientImport.run(file: v1, connection: db, logger: quietLogger).path == .copy)
            let summary = try PatientImport.run(file: v2, connection: db, logger: quietLogger)
            #expect(summary.path == .diff)
            #expect(summary.inserted == 1 && summary.updated == 1 && summary.retired == 2)
            #expect(summary.unchanged == 2 && summary.reactivated == 0)
            let rows = try db.execute(
                "SELECT patient_id, street, active FROM lastmile.patient ORDER BY patient_id"
            ).rows.map { [$0["patient_id"], $0["street"], $0["active"]] }
            #expect(
                rows == [
                    ["P000001", "12 Oak St", "t"], ["P000002", "77 Elm Ave", "t"], ["P000003", "12 Oak St", "f"],
                    ["P000004", "12 Oak St", "t"], ["P000005", "12 Oak St", "f"], ["P000006", "12 Oak St", "t"],
                ])
        }
    }

    @Test func aDeltaIntoAnEmptyTableInsertsAndRetiresNoOne() throws {
        let directory = try TemporaryDirectory()
        let delta = try write(
            "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn,change\n"
                + "P000001,Ada,Quill,2015-03-04,F,12 Oak St,Millbrook,OR,97411,,,added\n"
                + "P000002,,,,,,,,,,,retired\n",
            to: "delta.csv", in: directory)
        try withMigratedDatabase { db in
            let summary = try PatientImport.run(file: delta, delta: true, connection: db, logger: quietLogger)
            #expect(summary.path == .copy)
            #expect(summary.inserted == 1 && summary.retired == 0 && summary.unchanged == 1)
            #expect(try db.execute("SELECT string_agg(patient_id, ',') FROM lastmile.patient").scalar == "P000001")
        }
    }

    @Test func aPatientStoredWithAnOlderHashIsRewrittenOnlyWhenAValueChanged() throws {
        let directory = try TemporaryDirectory()
        let v1 = try write(snapshot, to: "v1.csv", in: directory)
        let v2 = try write(
            snapshot.replacingOccurrences(
                of: mpiRow("P000002", "Ben", "Rook", "2012-11-30"),
                with: mpiRow("P000002", "Ben", "Rook", "2012-11-30", street: "77 Elm Ave")),
            to: "v2.csv", in: directory)
        try withMigratedDatabase { db in
            try PatientImport.run(file: v1, connection: db, logger: quietLogger)
            #expect(
                try db.execute("SELECT count(*) FROM lastmile.patient WHERE demographics_hash LIKE 'r1:%'").scalar
                    == "3")
            // As an earlier release stored them: a hash of another kind.
            try db.execute("UPDATE lastmile.patient SET demographics_hash = 'fp1-' || patient_id")
            let same = try PatientImport.run(file: v1, connection: db, logger: quietLogger)
            #expect(same.updated == 0 && same.unchanged == 3)
            let changed = try PatientImport.run(file: v2, connection: db, logger: quietLogger)
            #expect(changed.updated == 1 && changed.unchanged == 2)
            let hashes = try db.execute(
                "SELECT patient_id, demographics_hash LIKE 'r1:%' AS current FROM lastmile.patient ORDER BY 1"
            ).rows.map { $0["current"] }
            #expect(hashes == ["f", "t", "f"])
        }
    }
}
