// Proves the warehouse module against a real PostgreSQL: bound parameters round-trip awkward text exactly,
// errors carry SQLSTATE without values or passwords, and connection failures get the documented exit codes.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

/// Text that breaks naive quoting and escaping in SQL, CSV and COPY.
let awkwardValues: [String?] = [
    nil, "", " ", "O'Brien", "\"quoted\"", "back\\slash", "tab\there", "new\nline", "carriage\rreturn",
    "crlf\r\n", "\\N", "NULL", "Zoë Ñúñez-Łukasiewicz", "漢字テスト", "emoji 👩🏽‍⚕️", "semi;colon", "comma,field",
    "'); DROP TABLE lastmile.patient; --", String(repeating: "x", count: 100_000), "trailing\\", "\u{202E}rtl",
]

@Suite struct ConnectionTests {
    @Test func boundParametersRoundTripExactly() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int PRIMARY KEY, v text)")
            for (i, value) in awkwardValues.enumerated() {
                try db.execute("INSERT INTO t (id, v) VALUES ($1, $2)", [i, value])
            }
            let rows = try db.execute("SELECT id, v FROM t ORDER BY id").rows
            #expect(rows.count == awkwardValues.count)
            for row in rows {
                let id = try #require(row.int("id"))
                #expect(row["v"] == awkwardValues[id], "row \(id)")
            }
            // A value that looks like SQL stays a value: the table is still there.
            #expect(try db.execute("SELECT count(*) FROM t WHERE v = $1", [awkwardValues[17]]).scalar == "1")
        }
    }

    @Test func typedParametersAreParsedByTheServer() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            let date = try #require(CivilDate(iso: "2024-02-29"))
            let row = try #require(
                try db.execute(
                    "SELECT $1::date + 1 AS d, $2::int * 2 AS n, $3::boolean AS b, $4::text IS NULL AS isnull",
                    [date, 21, true, String?.none]
                ).rows.first)
            #expect(row.date("d")?.description == "2024-03-01")
            #expect(row.int("n") == 42)
            #expect(row.bool("b") == true)
            #expect(row.bool("isnull") == true)
        }
    }

    @Test func serverErrorsCarrySQLStateAndMaskValues() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE person (id int PRIMARY KEY, birth date)")
            let error = try #require(throws: WarehouseError.self) {
                try db.execute("INSERT INTO person VALUES (1, $1::date)", ["1987-13-45"])
            }
            #expect(error.sqlState == .datetimeFieldOverflow || error.sqlState == .invalidDatetimeFormat)
            #expect(!error.description.contains("1987-13-45"))
            #expect(error.description.contains(error.server?.sqlState ?? "?"))
            #expect(error.exitStatus == .software)

            try db.execute("INSERT INTO person VALUES (1, $1::date)", ["1987-12-01"])
            let duplicate = try #require(throws: WarehouseError.self) {
                try db.execute("INSERT INTO person VALUES (1, $1::date)", ["1990-01-01"])
            }
            #expect(duplicate.sqlState == .uniqueViolation)
            #expect(duplicate.server?.constraint == "person_pkey")
            #expect(!duplicate.description.contains("1990-01-01"))

            // Any other class may quote a value too (here a function's RAISE): masked as well.
            let raised = try #require(throws: WarehouseError.self) {
                try db.execute(unsafeSQL: #"DO $$ BEGIN RAISE EXCEPTION 'no patient "%"', 'Jane Q Doe'; END $$"#)
            }
            #expect(raised.server?.sqlState == "P0001")
            #expect(!raised.description.contains("Jane Q Doe"))
            #expect(raised.description.contains("no patient"))
            // Names an operator needs (class 42: relations, columns) are kept.
            let undefined = try #require(throws: WarehouseError.self) {
                try db.execute(unsafeSQL: #"SELECT * FROM "no_such_table""#)
            }
            #expect(undefined.description.contains("no_such_table"))
        }
    }

    @Test func refusedAndMalformedConnectionsGetDistinctExitCodes() throws {
        let refused = try #require(throws: WarehouseError.self) {
            try Connection("postgresql://loader:s3cr3t-pw@127.0.0.1:1/hie?connect_timeout=2")
        }
        #expect(refused.exitStatus == .temporaryFailure)
        #expect(!refused.description.contains("s3cr3t-pw"))
        #expect(refused.description.contains("127.0.0.1"))

        let malformed = try #require(throws: WarehouseError.self) {
            try Connection("postgresql://loader:s3cr3t-pw@host:notaport/hie")
        }
        #expect(malformed.kind == .invalidConnectionString)
        #expect(malformed.exitStatus == .configuration)
        #expect(!malformed.description.contains("s3cr3t-pw"))

        let conninfo = try TestDatabase.serverConninfo()
        let wrongDatabase = try #require(throws: WarehouseError.self) {
            try Connection(conninfo + " dbname=no_such_database password=hunter22")
        }
        #expect(wrongDatabase.exitStatus == .unavailable)
        #expect(!wrongDatabase.description.contains("hunter22"))
    }
}
