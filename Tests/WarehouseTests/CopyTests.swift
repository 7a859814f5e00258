// Proves COPY streaming: 100k rows of awkward text arrive byte-identical, and an aborted COPY stores nothing.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite struct CopyTests {
    @Test func hundredThousandAwkwardRowsReadBackIdentical() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int PRIMARY KEY, a text, b text)")
            let rowCount = 100_000
            func a(_ i: Int) -> String? { awkwardValues[i % awkwardValues.count].map { "\($0)#\(i)" } }
            func b(_ i: Int) -> String? { awkwardValues[(i * 7 + 3) % awkwardValues.count] }
            let stored = try db.withCopy("COPY t (id, a, b) FROM STDIN") { writer in
                for i in 0..<rowCount {
                    try writer.append(i)
                    try writer.append(a(i))
                    try writer.append(b(i))
                    try writer.endRow()
                }
            }
            #expect(stored == rowCount)
            let rows = try db.execute("SELECT id, a, b FROM t ORDER BY id").rows
            #expect(rows.count == rowCount)
            var mismatches = 0
            for row in rows {
                let i = try #require(row.int("id"))
                if row["a"] != a(i) || row["b"] != b(i) { mismatches += 1 }
            }
            #expect(mismatches == 0)
        }
    }

    @Test func integersAndDatesWrittenDigitByDigitReadBackAsTheServerPrintsThem() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int PRIMARY KEY, n bigint, d date)")
            let numbers: [Int?] = [0, 7, -1, 10, 99, 100, -120_034, 1_000_000_007, Int.max, Int.min, nil]
            let dates: [CivilDate?] = [
                CivilDate(iso: "0001-01-01"), CivilDate(iso: "0999-09-09"), CivilDate(iso: "2026-11-20"),
                CivilDate(iso: "2024-02-29"), CivilDate(iso: "9999-12-31"), nil,
                // Past year 9999 only by arithmetic: written from its description.
                CivilDate(iso: "9999-12-31")!.adding(days: 1),
            ]
            try db.withCopy("COPY t (id, n, d) FROM STDIN") { writer in
                for i in 0..<numbers.count {
                    try writer.append(i)
                    try writer.append(numbers[i])
                    try writer.append(dates[i % dates.count])
                    try writer.endRow()
                }
            }
            let rows = try db.execute("SELECT id, n::text AS n, to_char(d, 'YYYY-MM-DD') AS d FROM t ORDER BY id").rows
            #expect(rows.map { $0["n"] } == numbers.map { $0.map(String.init) })
            #expect(rows.map { $0["d"] } == (0..<numbers.count).map { dates[$0 % dates.count]?.description })
        }
    }

    @Test func abortedCopyStoresNothing() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int)")
            #expect(throws: Boom.self) {
                try db.withCopy("COPY t (id) FROM STDIN") { writer in
                    for i in 0..<50_000 {
                        try writer.append(i)
                        try writer.endRow()
                    }
                    throw Boom()
                }
            }
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "0")
            // The connection is usable afterwards.
            try db.execute("INSERT INTO t VALUES ($1)", [1])
        }
    }

    @Test func badRowFailsTheWholeCopyWithItsLine() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int, d date)")
            let error = try #require(throws: WarehouseError.self) {
                try db.withCopy("COPY t (id, d) FROM STDIN") { writer in
                    for i in 0..<10 {
                        try writer.append(i)
                        try writer.append(i == 5 ? "2026-02-30" : "2026-01-0\(i % 9 + 1)")
                        try writer.endRow()
                    }
                }
            }
            #expect(error.sqlState?.rawValue.hasPrefix("22") == true)
            #expect(!error.description.contains("2026-02-30"))
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "0")
        }
    }
}
