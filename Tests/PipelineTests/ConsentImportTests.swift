// Consent registry imports and explain against a real PostgreSQL: the sample CSV, a FHIR bundle, bad files.
import Consent
import Delivery
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct ConsentImportTests {
    @Test func theSampleCSVIsStoredOnceAndReimportsAsUnchanged() throws {
        let input = ConsentImport.Input(path: fixture("consent-directives.csv"), format: .csv)
        let lines = try String(contentsOfFile: input.path, encoding: .utf8).split(separator: "\n").count - 1
        try withMigratedDatabase { db in
            let first = try ConsentImport.run([input], connection: db, logger: quietLogger)
            #expect(first.problems.isEmpty)
            #expect(first.directivesRead == lines)
            #expect(first.stored == lines)
            #expect(try db.execute("SELECT count(*) FROM lastmile.consent_directive").scalar == String(lines))
            let before = try db.execute(
                "SELECT directive_id, patient_id, status, directive::text, imported_at FROM lastmile.consent_directive ORDER BY 1"
            ).rows.map(\.values)
            let second = try ConsentImport.run([input], connection: db, logger: quietLogger)
            #expect(second.stored == 0)
            #expect(second.unchanged == lines)
            let after = try db.execute(
                "SELECT directive_id, patient_id, status, directive::text, imported_at FROM lastmile.consent_directive ORDER BY 1"
            ).rows.map(\.values)
            #expect(after == before)
            // What is stored reads back as what the CSV says.
            let stored = try ConsentStore(connection: db).directives()
            let denial = try #require(stored["P241520"]?.first { $0.id == "CD-0004" })
            #expect(denial.provision.type == .deny)
            #expect(denial.status == .active)
        }
    }

    /// The store upserts in batches: every directive of more than one batch is stored, an id given twice keeps
    /// its last directive, and storing the same directives again changes nothing.
    @Test func directivesBeyondOneBatchAreStoredAndARepeatedIdKeepsItsLast() throws {
        let recorded = try #require(CivilDate(iso: "2026-01-01"))
        let count = ConsentStore.batchSize + 7
        var directives = (0..<count).map { i in
            ConsentDirective(
                id: "D-\(i)", status: .active, patientId: "P\(i)", recorded: recorded, grantorRole: .`self`,
                provision: Provision(type: .deny))
        }
        directives.append(
            ConsentDirective(
                id: "D-3", status: .inactive, patientId: "P3", recorded: recorded, grantorRole: .`self`,
                provision: Provision(type: .permit)))
        try withMigratedDatabase { db in
            let store = ConsentStore(connection: db)
            #expect(try store.save(directives, format: "csv") == count)
            #expect(try db.execute("SELECT count(*) FROM lastmile.consent_directive").scalar == String(count))
            let last = try #require(try store.directives(forPatients: ["P3"])["P3"]?.first)
            #expect(last.status == .inactive)
            #expect(last.provision.type == .permit)
            #expect(try store.save(directives, format: "csv") == 0)
            directives[count - 1].status = .inactive
            #expect(try store.save(directives, format: "csv") == 1)
        }
    }

    /// The array literal every batch binds: PostgreSQL reads back exactly the values given, whatever they hold.
    @Test func aTextArrayLiteralReadsBackAsItsValues() throws {
        let values = ["P1", "", "a\"b", "c\\d", "e,f", "{g}", "NULL", " h ", "ñ é", "\\\""]
        try withMigratedDatabase { db in
            let back = try db.execute(
                "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
                [ConsentStore.textArray(values)]
            ).rows.map { $0[0] }
            #expect(back == values)
            #expect(try db.execute("SELECT cardinality($1::text[])", [ConsentStore.textArray([])]).scalar == "0")
        }
    }

    @Test func aFHIRBundleIsStoredWithItsNestedProvisions() throws {
        let input = ConsentImport.Input(path: fixture("consent-bundle-valid.json"), format: .fhir)
        try withMigratedDatabase { db in
            let summary = try ConsentImport.run([input], connection: db, logger: quietLogger)
            #expect(summary.directivesRead == 4)
            #expect(summary.ignoredResources == 1)
            #expect(summary.problems.isEmpty)
            let rows = try db.execute(
                "SELECT directive_id, patient_id, status, source_format FROM lastmile.consent_directive ORDER BY 1"
            ).rows
            #expect(
                rows.map { $0["directive_id"] ?? "" } == [
                    "fhir-deny-living-arrangement", "fhir-optout-except-peds", "fhir-parent-permit-education",
                    "fhir-policy-only-optout",
                ])
            #expect(rows.allSatisfy { $0["source_format"] == "fhir-json" })
            let optOut = try #require(
                try ConsentStore(connection: db).directives(forPatients: ["P000101"])["P000101"]?.first)
            #expect(optOut.provision.type == .deny)
            #expect(optOut.provision.provisions.first?.type == .permit)
        }
    }

    @Test func aMalformedFileStoresNothingFromAnyFile() throws {
        let directory = try TemporaryDirectory()
        let badRow = try write(
            String(
                decoding: try Data(contentsOf: URL(fileURLWithPath: fixture("consent-directives.csv"))), as: UTF8.self)
                + "CD-9999,P000777,allow,,,,,,,2026-01-01,active,self\n", to: "with-bad-row.csv", in: directory)
        let noColumns = try write("directive_id,patient_id\nCD-1,P1\n", to: "short.csv", in: directory)
        try withMigratedDatabase { db in
            let error = #expect(throws: ConsentImportError.self) {
                try ConsentImport.run(
                    [
                        ConsentImport.Input(path: fixture("consent-directives.csv"), format: .csv),
                        ConsentImport.Input(path: fixture("not-json.json"), format: .fhir),
                        ConsentImport.Input(path: noColumns, format: .csv),
                    ], connection: db, logger: quietLogger)
            }
            #expect(error?.exitStatus.rawValue == 65)
            #expect(error?.problems.map(\.location) == ["not-json.json", "short.csv:1"])
            #expect(try db.execute("SELECT count(*) FROM lastmile.consent_directive").scalar == "0")

            // A bad row in an otherwise good file is reported by line and column and skipped.
            let summary = try ConsentImport.run(
                [ConsentImport.Input(path: badRow, format: .csv)], connection: db, logger: quietLogger)
            let problem = try #require(summary.problems.first)
            #expect(summary.problems.count == 1)
            #expect(problem.description.hasPrefix("with-bad-row.csv:"))
            #expect(problem.path == "column type")
            #expect(!problem.description.contains("allow") && !problem.description.contains("P000777"))
        }
    }

    @Test func explainNamesTheDecidingDirectiveAndNoDemographics() throws {
        let directory = try TemporaryDirectory()
        let mpi = try write(
            mpiHeader + mpiRow("P000101", "Zelda", "Marchetti", "2014-07-09"), to: "mpi.csv", in: directory)
        let policy = try ConsentPolicy(contentsOfFile: fixture("consent-policy.yaml"))
        try withMigratedDatabase { db in
            try PatientImport.run(file: mpi, connection: db, logger: quietLogger)
            try ConsentImport.run(
                [ConsentImport.Input(path: fixture("consent-bundle-valid.json"), format: .fhir)], connection: db,
                logger: quietLogger)
            let date = try #require(CivilDate(iso: "2026-11-20"))
            let toOther = try ConsentExplain.lines(
                patientId: "P000101", source: "riverside-usd",
                recipient: Recipient(token: "practice:lakeside-childrens", practiceRoles: ["pediatrics"]),
                purpose: .treatment, on: date, policy: policy, connection: db)
            let text = toOther.joined(separator: "\n")
            #expect(text.contains("fhir-optout-except-peds"))
            #expect(toOther.last?.contains("=> deny.directive") == true)
            for value in ["2014-07-09", "2014", "Zelda", "Marchetti", "Oak St", "97411"] {
                #expect(!text.contains(value), "explain printed a demographic value")
            }
            // The nested permit lets riverside-peds see it.
            let toPermitted = try ConsentExplain.lines(
                patientId: "P000101", source: "riverside-usd",
                recipient: Recipient(token: "practice:riverside-peds", practiceRoles: ["pediatrics"]),
                purpose: .treatment, on: date, policy: policy, connection: db)
            #expect(toPermitted.last?.contains("=> permit.directive") == true)
            // A patient the MPI does not know is said to be so.
            let unknown = try ConsentExplain.lines(
                patientId: "P424242", source: nil, recipient: nil, purpose: .treatment, on: date, policy: policy,
                connection: db)
            #expect(unknown.first == "note: the patient is not in the MPI snapshot; age unknown")
        }
    }
}
