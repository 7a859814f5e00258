// Migration 19's stored hash of each patient row, which the kept MPI index is checked against: every demographic
// column moves it (NULL and empty text differ, no two columns run together), a change the matcher does not read
// leaves it, and the session's DateStyle does not enter it.
import Foundation
import Logging
import TestSupport
import Testing
import Warehouse

@Suite struct PatientRowHashTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func hash(_ db: Connection) throws -> String? {
        try db.execute("SELECT row_hash::text FROM lastmile.patient WHERE patient_id = 'P1'").scalar
    }

    @Test func everyDemographicColumnMovesTheHashAndNothingElseDoes() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try Migrator().migrate(db, logger: logger)
            try db.execute(
                """
                INSERT INTO lastmile.patient (patient_id, given_name, family_name, birth_date, sex, street, city, state,
                    postal_code, phone, ssn, demographics_hash)
                VALUES ('P1', 'ANA', 'RUIZ', '2015-03-04', 'F', '1 MAIN ST', 'RIVERSIDE', 'CA', '92501', '5550100',
                    '123456789', 'h')
                """)
            var seen = [try hash(db)]
            for (column, value) in [
                ("given_name", "ANNA"), ("family_name", "RUIS"), ("birth_date", "2015-03-05"), ("sex", "M"),
                ("street", "2 MAIN ST"), ("city", "LAKESIDE"), ("state", "NV"), ("postal_code", "92502"),
                ("phone", "5550101"), ("ssn", "123456780"), ("given_name", ""), ("given_name", nil),
                ("family_name", "RUIZ|"), ("street", nil),
            ] as [(String, String?)] {
                try db.execute(
                    "UPDATE lastmile.patient SET \(column) = $1::\(column == "birth_date" ? "date" : "text")", [value])
                seen.append(try hash(db))
            }
            #expect(Set(seen).count == seen.count)
            #expect(seen.allSatisfy { $0 != nil })

            let before = try hash(db)
            try db.execute(
                "UPDATE lastmile.patient SET updated_at = '2001-01-01', demographics_hash = 'x', active = false")
            #expect(try hash(db) == before)
            try db.execute("SET DateStyle = 'SQL, DMY'")
            try db.execute("UPDATE lastmile.patient SET birth_date = birth_date")
            #expect(try hash(db) == before)

            // Two columns' texts cannot run together into the same row text.
            try db.execute("UPDATE lastmile.patient SET given_name = 'AB', family_name = 'C'")
            let split = try hash(db)
            try db.execute("UPDATE lastmile.patient SET given_name = 'A', family_name = 'BC'")
            #expect(try hash(db) != split)
        }
    }
}
