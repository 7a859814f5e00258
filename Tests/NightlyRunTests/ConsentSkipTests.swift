// A night skips the consent files when they and the registry are as the last import left them, and imports
// them again when either changed: a directive changed in the registry by anyone is put back as the files say.
import Foundation
import LastMileCore
import Pipeline
import TestSupport
import Testing
import Warehouse

@Suite struct ConsentSkipTests {
    @Test func unchangedFilesAndRegistryAreSkippedAndAnyChangeReimports() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let first = try runNight(workspace, db)
            #expect(first.reference["consent.skipped"] == nil)
            let stored = try #require(first.reference["consent.directives"])
            #expect(first.reference["consent.changed"] == stored)

            let second = try runNight(workspace, db)
            #expect(second.reference["consent.skipped"] == 1)
            #expect(second.reference["consent.directives"] == nil)

            // Someone changes a directive in the registry: the night imports the files again and restores it.
            let id = try #require(
                try db.execute("SELECT min(directive_id) FROM lastmile.consent_directive WHERE status = 'active'")
                    .scalar)
            try db.execute(
                "UPDATE lastmile.consent_directive SET status = 'inactive' WHERE directive_id = $1", [id])
            let third = try runNight(workspace, db)
            #expect(third.reference["consent.skipped"] == nil)
            #expect(third.reference["consent.changed"] == 1)
            #expect(
                try db.execute("SELECT status FROM lastmile.consent_directive WHERE directive_id = $1", [id]).scalar
                    == "active")

            // A changed file is imported too.
            let csv = workspace.sampleData.appendingPathComponent("consent-directives.csv")
            try (try String(contentsOf: csv, encoding: .utf8) + "\n").write(to: csv, atomically: true, encoding: .utf8)
            let fourth = try runNight(workspace, db)
            #expect(fourth.reference["consent.skipped"] == nil)
            #expect(fourth.reference["consent.changed"] == 0)
            #expect(try runNight(workspace, db).reference["consent.skipped"] == 1)

            // A file with a bad row is imported, and its problem reported, every night until it is mended.
            let bad = "CD-BAD,P000001,deny,,,,,2026-01-01,,2026-01-01,bogus,self\n"
            try (try String(contentsOf: csv, encoding: .utf8) + bad).write(to: csv, atomically: true, encoding: .utf8)
            for _ in 0..<2 {
                let night = try runNight(workspace, db)
                #expect(night.reference["consent.skipped"] == nil)
                #expect(night.reference["consent.problems"] == 1)
            }
        }
    }
}
