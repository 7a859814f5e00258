// Proves the all-or-nothing guarantees the nightly run relies on: an error inside a transaction or a COPY
// leaves nothing behind, and only one session at a time holds lastmile's advisory lock.
import Foundation
import TestSupport
import Testing
import Warehouse

struct Boom: Error {}

@Suite struct TransactionTests {
    @Test func errorMidTransactionLeavesNothing() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int PRIMARY KEY)")
            #expect(throws: Boom.self) {
                try db.withTransaction {
                    try db.execute("INSERT INTO t VALUES ($1)", [1])
                    try db.execute("INSERT INTO t VALUES ($1)", [2])
                    throw Boom()
                }
            }
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "0")

            // A server error in the middle rolls back what came before it, too.
            #expect(throws: WarehouseError.self) {
                try db.withTransaction {
                    try db.execute("INSERT INTO t VALUES ($1)", [1])
                    try db.execute("INSERT INTO t VALUES ($1)", [1])
                }
            }
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "0")

            try db.withTransaction { try db.execute("INSERT INTO t VALUES ($1)", [3]) }
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "1")
        }
    }

    @Test func swallowedErrorStillFailsTheCommit() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try Connection(url)
            try db.execute(unsafeSQL: "CREATE TABLE t (id int PRIMARY KEY)")
            let error = try #require(throws: WarehouseError.self) {
                try db.withTransaction {
                    try db.execute("INSERT INTO t VALUES ($1)", [1])
                    _ = try? db.execute("INSERT INTO t VALUES ($1)", [1])  // fails, and is ignored by mistake
                }
            }
            #expect(error.step == .commit)
            #expect(try db.execute("SELECT count(*) FROM t").scalar == "0")
        }
    }

    @Test func secondAdvisoryLockHolderIsRefused() throws {
        try TestDatabase.withFreshDatabase { url in
            let first = try Connection(url)
            let second = try Connection(url)
            #expect(try first.tryAdvisoryLock(42))
            #expect(try second.tryAdvisoryLock(42) == false)
            #expect(try second.advisoryLock(42, timeoutSeconds: 1) == false)
            #expect(try first.advisoryUnlock(42))
            #expect(try second.tryAdvisoryLock(42))
        }
    }

    @Test func lockOfAClosedSessionIsFreed() throws {
        try TestDatabase.withFreshDatabase { url in
            do {
                let holder = try Connection(url)
                #expect(try holder.tryAdvisoryLock(7))
            }  // the connection closes here, as when a run is killed
            let next = try Connection(url)
            #expect(try next.advisoryLock(7, timeoutSeconds: 5))
        }
    }
}
