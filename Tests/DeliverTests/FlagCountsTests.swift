// The run summary's flag counts: "closed" counts flags that were active and are now inactive, never an
// already-inactive flag whose details were rewritten.
import Flags
import Foundation
import LastMileCore
import Logging
import TestSupport
import Testing
import Warehouse

@testable import Delivery
@testable import Pipeline
@testable import Store

@Suite struct FlagCountsTests {
    func flag(_ patient: String, _ status: FlagStatus, days: String) -> Flag {
        Flag(
            patientId: patient, kind: .chronicAbsenteeism, tier: "moderate", codes: [], status: status,
            periodStart: day("2026-09-01"), periodEnd: status == .inactive ? day("2026-11-15") : nil,
            evidence: [FlagEvidenceKey.daysAbsent: days], source: "riverside-usd")
    }

    @Test func closedCountsOnlyFlagsThatWereActive() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            try db.execute("DELETE FROM lastmile.disclosure")
            try db.execute("DELETE FROM lastmile.flag")
            let store = FlagStore(connection: db)
            // Staging tables drop at commit: merge inside a transaction, as a run does.
            let first = try db.withTransaction {
                try store.upsert(
                    [flag("P900001", .active, days: "9"), flag("P900002", .inactive, days: "8")], runId: 1)
            }
            #expect(first.created == 2)
            // P900001's flag closes; P900002's, already inactive, has its evidence corrected.
            let second = try db.withTransaction {
                try store.upsert(
                    [flag("P900001", .inactive, days: "9"), flag("P900002", .inactive, days: "7")], runId: 1)
            }
            #expect(second.closed == 1)
            #expect(second.updated == 1)
            #expect(second.created == 0)
        }
    }

    /// Flags stored exactly so are not staged; of two flags with one key, the last is the one written.
    @Test func onlyChangedFlagsAreStagedAndTheLastOfAKeyWins() {
        let stored = [flag("P900001", .active, days: "9"), flag("P900002", .active, days: "8")]
        let derived = [
            flag("P900001", .active, days: "9"), flag("P900002", .active, days: "8"),
            flag("P900002", .active, days: "10"), flag("P900003", .active, days: "12"),
        ]
        #expect(FlagStore.changed(derived, stored: stored) == [derived[2], derived[3]])
        #expect(FlagStore.changed([derived[2], derived[1]], stored: stored).isEmpty)
        #expect(FlagStore.changed(derived, stored: []) == [derived[0], derived[2], derived[3]])
    }

    /// A `--source` run whose patients have no flag to write still reports the warehouse's active flags.
    @Test func anEmptyUpsertStillCountsTheWarehousesActiveFlags() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            let active = try db.execute("SELECT count(*) FROM lastmile.flag WHERE status = 'active'").scalar
            #expect(active != "0")
            let counts = try db.withTransaction { try FlagStore(connection: db).upsert([], runId: 1) }
            #expect(String(counts.active) == active)
            #expect(counts.created == 0 && counts.updated == 0 && counts.closed == 0)
        }
    }
}
