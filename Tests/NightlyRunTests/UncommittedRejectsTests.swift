// A killed run's rejects file (raw rows, personal data) is removed by the next run: that run committed nothing,
// so its rows are accounted for nowhere. A committed run's file stays for the retention period.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite struct UncommittedRejectsTests {
    @Test func theNextRunRemovesTheRejectsFileOfAKilledRun() throws {
        let workspace = try SampleWorkspace()
        let config = try PipelineConfig.load(path: workspace.nightlyPipeline)
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            // A run killed mid-way leaves its ledger row running; an earlier one committed.
            let committed = try #require(
                try db.execute(
                    """
                    INSERT INTO lastmile.run (pipeline, as_of, status) VALUES ($1, '2026-11-19', 'succeeded') RETURNING run_id
                    """,
                    [config.name]
                ).scalar)
            let killed = try #require(
                try db.execute(
                    """
                    INSERT INTO lastmile.run (pipeline, as_of, status) VALUES ($1, '2026-11-20', 'running') RETURNING run_id
                    """,
                    [config.name]
                ).scalar)
            try FileManager.default.createDirectory(atPath: config.rejectsDirectory, withIntermediateDirectories: true)
            func file(_ run: String) -> String { config.rejectsDirectory + "/\(config.name)-run\(run).csv" }
            for run in [committed, killed, "dry-999999"] {
                try Data("file,line,column,reason,expected,raw_row\n".utf8).write(to: URL(fileURLWithPath: file(run)))
            }
            // The committed run's file is an hour old by the run's clock, whatever the calendar (and faketime's
            // shift of the modification times stat() reports) says.
            let written = try #require(
                try FileManager.default.attributesOfItem(atPath: file(committed))[.modificationDate] as? Date)
            _ = try runNight(workspace, db) { $0.clock = .fixed(written.addingTimeInterval(3600)) }
            #expect(!FileManager.default.fileExists(atPath: file(killed)))
            #expect(!FileManager.default.fileExists(atPath: file("dry-999999")))
            #expect(FileManager.default.fileExists(atPath: file(committed)))
        }
    }
}
