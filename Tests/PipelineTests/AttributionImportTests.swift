// Attribution panel loads against a real PostgreSQL: moves between practices, rejected references, renames.
import Extractors
import Foundation
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct AttributionImportTests {
    let practices =
        "practice_id,practice_name\nriverside-peds,Riverside Pediatrics\nlakeside-childrens,Lakeside Children's\n"
    let header = "patient_id,practice_id,provider_name,practice_patient_id\n"

    /// Loads three patients and both practices, with P1 and P2 at riverside and P3 at lakeside.
    func seed(_ db: Connection, _ directory: TemporaryDirectory) throws -> String {
        let mpi = try write(
            mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04") + mpiRow("P000002", "Ben", "Rook", "2012-11-30")
                + mpiRow("P000003", "Cleo", "Stark", "2018-01-15"), to: "mpi.csv", in: directory)
        try PatientImport.run(file: mpi, connection: db, logger: quietLogger)
        let practiceFile = try write(practices, to: "practices.csv", in: directory)
        let panel = try write(
            header
                + "P000001,riverside-peds,\"Luis Galaki, MD\",RP-1\nP000002,riverside-peds,\"Luis Galaki, MD\",RP-2\n"
                + "P000003,lakeside-childrens,\"Amanda Obardo, MD\",LC-3\n", to: "attribution.csv", in: directory)
        let summary = try AttributionImport.run(
            file: panel, practicesFile: practiceFile, connection: db, logger: quietLogger)
        #expect(summary.practicesInserted == 2)
        #expect(summary.inserted == 3)
        return practiceFile
    }

    func panel(_ db: Connection) throws -> [String] {
        try db.execute("SELECT patient_id, practice_id FROM lastmile.attribution ORDER BY 1, 2").rows.map {
            "\($0[0] ?? "")@\($0[1] ?? "")"
        }
    }

    @Test func aPatientMovedToAnotherPracticeLeavesTheOldOne() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            _ = try seed(db, directory)
            let moved = try write(
                header
                    + "P000001,lakeside-childrens,\"Amanda Obardo, MD\",LC-1\nP000002,riverside-peds,\"Luis Galaki, MD\",RP-2\n"
                    + "P000003,lakeside-childrens,\"Amanda Obardo, MD\",LC-3\n", to: "moved.csv", in: directory)
            let summary = try AttributionImport.run(file: moved, connection: db, logger: quietLogger)
            #expect(summary.removed == 1)
            #expect(summary.inserted == 1)
            #expect(summary.unchanged == 2)
            #expect(
                try panel(db) == ["P000001@lakeside-childrens", "P000002@riverside-peds", "P000003@lakeside-childrens"])
            // The same file again changes nothing.
            let before = try dump(db, "lastmile.attribution", orderBy: "patient_id, practice_id")
            let again = try AttributionImport.run(file: moved, connection: db, logger: quietLogger)
            #expect(again.inserted == 0 && again.updated == 0 && again.removed == 0 && again.unchanged == 3)
            #expect(try dump(db, "lastmile.attribution", orderBy: "patient_id, practice_id") == before)
        }
    }

    @Test func aPartialFileMovesItsPatientsAndLeavesOtherPracticesAlone() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            _ = try seed(db, directory)
            // Only lakeside's panel is sent; it now lists P000001 as well.
            let partial = try write(
                header + "P000001,lakeside-childrens,,LC-1\nP000003,lakeside-childrens,\"Amanda Obardo, MD\",LC-3\n",
                to: "lakeside.csv", in: directory)
            let summary = try AttributionImport.run(file: partial, connection: db, logger: quietLogger)
            #expect(summary.removed == 1)
            #expect(
                try panel(db) == ["P000001@lakeside-childrens", "P000002@riverside-peds", "P000003@lakeside-childrens"])
        }
    }

    @Test func unknownPatientsAndPracticesAreRejectedByLine() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            _ = try seed(db, directory)
            let file = try write(
                header
                    + "P000001,riverside-peds,\"Luis Galaki, MD\",RP-1\n"  // line 2
                    + "P999999,riverside-peds,,RP-9\n"  // line 3: unknown patient
                    + "P000002,nowhere-clinic,,NC-2\n"  // line 4: unknown practice
                    + ",riverside-peds,,\n"  // line 5: no patient id
                    + "P000001,riverside-peds,,RP-1\n",  // line 6: repeated pair
                to: "attribution.csv", in: directory)
            let summary = try AttributionImport.run(file: file, connection: db, logger: quietLogger)
            #expect(summary.rowsRead == 5)
            #expect(summary.rejections.map(\.line) == [3, 4, 5, 6])
            #expect(
                summary.rejections.map(\.code) == [
                    "unknown-reference", "unknown-reference", "missing-required", "invalid-value",
                ])
            let printed = summary.rejections.map(\.description).joined(separator: "\n")
            #expect(!printed.contains("P999999") && !printed.contains("nowhere-clinic"))
            // riverside is named, so P000002 (not in this file at riverside) leaves it; lakeside is untouched.
            #expect(try panel(db) == ["P000001@riverside-peds", "P000003@lakeside-childrens"])
        }
    }

    @Test func aRetiredPatientCannotBeAttributed() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            _ = try seed(db, directory)
            let shrunk = try write(
                mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04")
                    + mpiRow("P000002", "Ben", "Rook", "2012-11-30"),
                to: "mpi2.csv", in: directory)
            try PatientImport.run(file: shrunk, connection: db, logger: quietLogger)
            let file = try write(
                header + "P000003,riverside-peds,,\nP000001,riverside-peds,,\n", to: "a.csv", in: directory)
            let summary = try AttributionImport.run(file: file, connection: db, logger: quietLogger)
            #expect(summary.rejections.map(\.line) == [2])
        }
    }

    @Test func aRenamedPracticeIsUpdatedAndAnUnusableFileChangesNothing() throws {
        let directory = try TemporaryDirectory()
        try withMigratedDatabase { db in
            _ = try seed(db, directory)
            let renamed = try write(
                practices.replacingOccurrences(of: "Lakeside Children's", with: "Lakeside Children's Clinic"),
                to: "practices2.csv", in: directory)
            let panelFile = try write(
                header + "P000003,lakeside-childrens,\"Amanda Obardo, MD\",LC-3\n", to: "p.csv", in: directory)
            let summary = try AttributionImport.run(
                file: panelFile, practicesFile: renamed, connection: db, logger: quietLogger)
            #expect(summary.practicesUpdated == 1 && summary.practicesUnchanged == 1 && summary.practicesInserted == 0)
            #expect(
                try db.execute("SELECT name FROM lastmile.practice WHERE practice_id = $1", ["lakeside-childrens"])
                    .scalar
                    == "Lakeside Children's Clinic")

            let before = try dump(db, "lastmile.attribution", orderBy: "patient_id, practice_id")
            let allUnknown = try write(header + "P777777,riverside-peds,,\n", to: "bad.csv", in: directory)
            #expect(throws: ReferenceDataError.self) {
                try AttributionImport.run(file: allUnknown, connection: db, logger: quietLogger)
            }
            let noColumn = try write("patient_id,provider_name\nP000001,x\n", to: "nocol.csv", in: directory)
            #expect(throws: InputError.self) {
                try AttributionImport.run(file: noColumn, connection: db, logger: quietLogger)
            }
            #expect(try dump(db, "lastmile.attribution", orderBy: "patient_id, practice_id") == before)
        }
    }
}
