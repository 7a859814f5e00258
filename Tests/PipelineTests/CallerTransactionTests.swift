// The `load` entry points the nightly run calls inside its own transaction: they commit or roll back with it.
import Foundation
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct CallerTransactionTests {
    struct Crash: Error {}

    func files(_ directory: TemporaryDirectory) throws -> (mpi: String, practices: String, panel: String) {
        (
            try write(mpiHeader + mpiRow("P000001", "Ada", "Quill", "2015-03-04"), to: "mpi.csv", in: directory),
            try write(
                "practice_id,practice_name\nriverside-peds,Riverside Pediatrics\n", to: "practices.csv", in: directory),
            try write(
                "patient_id,practice_id,provider_name,practice_patient_id\nP000001,riverside-peds,,RP-1\n",
                to: "attribution.csv", in: directory)
        )
    }

    func counts(_ db: Connection) throws -> [String] {
        try ["patient", "practice", "attribution", "consent_directive"].map {
            // Table names are fixed here, never data.
            try db.execute("SELECT count(*) FROM lastmile.\($0)").scalar ?? "?"
        }
    }

    @Test func aRolledBackRunLeavesNoReferenceData() throws {
        let directory = try TemporaryDirectory()
        let (mpi, practices, panel) = try files(directory)
        try withMigratedDatabase { (db: Connection) throws in
            #expect(throws: Crash.self) {
                try db.withTransaction {
                    try PatientImport.load(file: mpi, connection: db, logger: quietLogger)
                    try AttributionImport.load(
                        file: panel, practicesFile: practices, connection: db, logger: quietLogger)
                    try ConsentImport.load(
                        [ConsentImport.Input(path: fixture("consent-directives.csv"), format: .csv)], connection: db,
                        logger: quietLogger)
                    let during = try counts(db)
                    #expect(during.allSatisfy { $0 != "0" })
                    throw Crash()
                }
            }
            #expect(try counts(db) == ["0", "0", "0", "0"])
        }
    }

    @Test func aCommittedRunKeepsAllOfIt() throws {
        let directory = try TemporaryDirectory()
        let (mpi, practices, panel) = try files(directory)
        try withMigratedDatabase { db in
            let (patients, attribution) = try db.withTransaction {
                (
                    try PatientImport.load(file: mpi, connection: db, logger: quietLogger),
                    try AttributionImport.load(
                        file: panel, practicesFile: practices, connection: db, logger: quietLogger)
                )
            }
            #expect(patients.inserted == 1)
            #expect(attribution.inserted == 1)
            #expect(try counts(db) == ["1", "1", "1", "0"])
            // The staging tables are gone, so the same connection can load again.
            let again = try PatientImport.run(file: mpi, connection: db, logger: quietLogger)
            #expect(again.unchanged == 1)
        }
    }
}
