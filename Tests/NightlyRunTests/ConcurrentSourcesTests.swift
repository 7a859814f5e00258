// Sources as independent jobs: `lastmile run --source` processes at the same time against one warehouse, through
// the built binary, end as one run of every source would; and a patient merge re-derives the flags it moves.
import Foundation
import LastMileCore
import Pipeline
import Store
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct ConcurrentSourcesTests {
    static let sources = ["riverside-usd", "lakeside-edfi", "coc-hmis", "county-jail", "ce-by-name-list"]

    @Test func sourceRunsAtTheSameTimeCommitEverythingAndDeriveTheSameFlags() throws {
        let workspace = try SampleWorkspace()
        let oneRun = try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            return try SampleWorkspace.dataDigest(db)
        }
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let logs = try TemporaryDirectory()
            let processes = try Self.sources.map { source in
                let process = Process()
                process.executableURL = LastMileBinary.url
                process.arguments = [
                    "run", workspace.nightlyPipeline, "--source", source, "--as-of", "2026-11-20", "--database", url,
                    "--log-format", "json",
                ]
                // The real clock (no LASTMILE_NOW): the ledger's start and end times show the runs overlapping.
                process.standardOutput = FileHandle.nullDevice
                let log = logs.url.appendingPathComponent("\(source).log")
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                process.standardError = try FileHandle(forWritingTo: log)
                try process.run()
                return process
            }
            for process in processes { process.waitUntilExit() }
            for (source, process) in zip(Self.sources, processes) {
                let log = (try? String(contentsOf: logs.url.appendingPathComponent("\(source).log"), encoding: .utf8))
                #expect(process.terminationStatus == 0, "\(source): \(log ?? "")")
            }
            // Every run committed on its own, and they overlapped: some started before another had finished (with
            // lock_wait_seconds: 0, a run that met another's lock would have exited 75).
            let runs = try db.execute(
                "SELECT status, started_at, finished_at FROM lastmile.run ORDER BY run_id"
            ).rows
            #expect(runs.map { $0["status"] } == Array(repeating: "succeeded", count: Self.sources.count))
            let overlapping = try db.execute(
                """
                SELECT count(*) FROM lastmile.run a JOIN lastmile.run b ON a.run_id < b.run_id
                WHERE b.started_at < a.finished_at
                """
            ).scalar
            #expect(overlapping != "0", "the source runs did not overlap")
            // No row lost, none doubled, the same flags: table by table as one run of every source.
            let digest = try SampleWorkspace.dataDigest(db)
            for table in oneRun.keys.sorted() {
                #expect(digest[table] == oneRun[table], "\(table) differs from one run of every source")
            }
        }
    }

    @Test func aSecondRunOfTheSameSourceWaitsForItsLock() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            let holder = try Connection(url)
            #expect(try holder.tryAdvisoryLock(NightlyRun.sourceLockKey("county-jail")))
            // Another source runs while county-jail is held.
            let other = try runNight(workspace, db) { $0.onlySources = ["coc-hmis"] }
            #expect(other.sources.map(\.files) == [1])
            let refused = try #require(throws: WarehouseError.self) {
                try runNight(workspace, db) { $0.onlySources = ["county-jail"] }
            }
            #expect(refused.exitStatus == .temporaryFailure)
            _ = try holder.advisoryUnlock(NightlyRun.sourceLockKey("county-jail"))
            let after = try runNight(workspace, db) { $0.onlySources = ["county-jail"] }
            #expect(after.sources.map(\.files) == [1])
        }
    }

    @Test func aMergeInTheNightMovesTheFlagsToTheSurvivor() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let db = try prepareWarehouse(url, workspace: workspace)
            _ = try runNight(workspace, db)
            // B: a patient with an active flag; A: an active patient without any flag.
            let b = try #require(
                try db.execute(
                    "SELECT patient_id FROM lastmile.flag WHERE status = 'active' ORDER BY patient_id LIMIT 1"
                ).scalar)
            let a = try #require(
                try db.execute(
                    """
                    SELECT patient_id FROM lastmile.patient p WHERE active
                      AND NOT EXISTS (SELECT 1 FROM lastmile.flag f WHERE f.patient_id = p.patient_id)
                    ORDER BY patient_id LIMIT 1
                    """
                ).scalar)
            let flagsOfB = try Self.activeFlags(of: b, db)
            try Data("merged_id,surviving_id\n\(b),\(a)\n".utf8).write(
                to: workspace.sampleData.appendingPathComponent("merges.csv"))
            try workspace.edit(
                "pipelines/nightly.yaml", replacing: "  practices: ../sample-data/practices.csv",
                with: "  mpi_merges: [../sample-data/merges.csv]\n  practices: ../sample-data/practices.csv")
            // A run of a source that holds no event and no flag of either patient: the merge's patients are derived
            // again whatever their sources.
            let unrelated = try #require(
                try Self.sources.first { source in
                    try EventStore(connection: db).patients(withEventsFrom: [source]).isDisjoint(with: [a, b])
                        && FlagStore(connection: db).patients(withActiveFlagsFrom: [source]).isDisjoint(with: [a, b])
                })
            let night = try runNight(workspace, db, asOf: sampleAsOf) { $0.onlySources = [unrelated] }
            #expect(night.reference["mpi.merges.merged"] == 1)
            #expect(try Self.activeFlags(of: b, db).isEmpty, "the merged patient's flags stay active")
            #expect(try Self.activeFlags(of: a, db) == flagsOfB)
            let closed = try db.execute(
                "SELECT count(*) FROM lastmile.flag WHERE patient_id = $1 AND status = 'inactive'", [b]
            ).scalar
            #expect(closed == String(flagsOfB.count))
        }
    }

    /// The patient's active flags as `kind source tier period-start`.
    static func activeFlags(of patient: String, _ db: Connection) throws -> [String] {
        try db.execute(
            """
            SELECT kind || ' ' || source || ' ' || tier || ' ' || period_start AS f FROM lastmile.flag
            WHERE patient_id = $1 AND status = 'active' ORDER BY 1
            """, [patient]
        ).rows.compactMap { $0["f"] }
    }
}
