// Issue 8 item 1 (first case): the warehouse's PostgreSQL stops while the nightly run is loading. The run
// must exit 75 (temporary failure), leave nothing of itself visible after a restart, and the next run must
// load the night in full and close the interrupted one in the ledger.
import Foundation
import Logging
import TestSupport
import Testing
import Warehouse

let silent = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite(.serialized) struct FaultTests {
    @Test(.timeLimit(.minutes(5))) func serverStoppedMidRunExits75AndTheNextRunLoadsEverything() throws {
        let state = try TemporaryDirectory()
        let cluster = EmbeddedCluster(stateDirectory: state.url.appendingPathComponent("pg"), throwaway: true)
        defer { try? cluster.destroy() }
        let url = try cluster.start()
        let workspace = try SampleWorkspace()
        do {
            let db = try Connection(url)
            try Migrator().migrate(db, logger: silent)
        }
        let empty = try SampleWorkspace.dataDigest(try Connection(url))

        let process = Process()
        process.executableURL = LastMileBinary.url
        process.arguments = ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url]
        process.currentDirectoryURL = workspace.root
        process.standardOutput = FileHandle.nullDevice
        let errors = workspace.root.appendingPathComponent("run.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        // Stop the server as soon as the run has started (its ledger row is committed before the work).
        let watcher = try Connection(url)
        var started = false
        for _ in 0..<2000 where process.isRunning {
            if try watcher.execute("SELECT count(*) FROM lastmile.run WHERE status = 'running'").scalar == "1" {
                started = true
                break
            }
            usleep(5_000)
        }
        #expect(started, "the run never showed as running")
        try cluster.stop()
        process.waitUntilExit()
        let stderr = try String(contentsOf: errors, encoding: .utf8)
        #expect(process.terminationStatus == 75, "\(stderr)")
        #expect(stderr.contains("temporarily unavailable"), "\(stderr)")

        _ = try cluster.start()
        let db = try Connection(url)
        #expect(try SampleWorkspace.dataDigest(db) == empty, "part of the interrupted run is visible")
        #expect(try db.execute("SELECT status FROM lastmile.run").rows.compactMap { $0[0] } == ["running"])

        let next = try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20", "--database", url], in: workspace.root)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(
            try db.execute("SELECT status FROM lastmile.run ORDER BY run_id").rows.compactMap { $0[0] }
                == ["failed", "succeeded"])
        #expect(Int(try db.execute("SELECT count(*) FROM lastmile.flag").scalar ?? "") ?? 0 > 0)
        #expect(Int(try db.execute("SELECT count(DISTINCT source) FROM lastmile.ingested_file").scalar ?? "") == 5)
    }
}
