// Proves the embedded default warehouse: it is created private (0700 data, socket only), keeps its data
// across stop and start, and reports its status truthfully.
import Foundation
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct EmbeddedClusterTests {
    @Test func aNewWarehouseGetsASixteenthOfTheMemoryForItsBufferCacheWithinBounds() {
        let gib: UInt64 = 1 << 30
        #expect(EmbeddedCluster.sharedBuffersMiB(physicalMemory: 1 * gib) == 128)
        #expect(EmbeddedCluster.sharedBuffersMiB(physicalMemory: 8 * gib) == 512)
        #expect(EmbeddedCluster.sharedBuffersMiB(physicalMemory: 24 * gib) == 1024)
        #expect(EmbeddedCluster.sharedBuffersMiB(physicalMemory: 256 * gib) == 1024)
    }

    @Test func startStopStartKeepsDataAndReportsStatus() throws {
        let directory = try TemporaryDirectory()
        let cluster = EmbeddedCluster(
            stateDirectory: directory.url.appendingPathComponent(".lastmile"), throwaway: true)
        defer { try? cluster.destroy() }
        #expect(try cluster.status() == .notCreated)

        let url = try cluster.start()
        guard case .running = try cluster.status() else {
            Issue.record("not running after start")
            return
        }
        let layout = try #require(try cluster.existingLayout())
        let dataMode = try FileManager.default.attributesOfItem(atPath: layout.dataDirectory)[.posixPermissions] as? Int
        #expect(dataMode == 0o700)
        let socketMode =
            try FileManager.default.attributesOfItem(atPath: layout.socketDirectory)[.posixPermissions] as? Int
        #expect(socketMode == 0o700)
        do {
            let db = try Connection(url)
            #expect(try db.execute("SHOW listen_addresses").scalar == "")
            try db.execute(unsafeSQL: "CREATE TABLE kept (v text)")
            try db.execute("INSERT INTO kept VALUES ($1)", ["survives a restart"])
        }

        try cluster.stop()
        #expect(try cluster.status() == .stopped)
        #expect(throws: WarehouseError.self) { try Connection(url) }

        let again = try cluster.start()
        #expect(again == url)
        let db = try Connection(again)
        #expect(try db.execute("SELECT v FROM kept").scalar == "survives a restart")
    }

    /// A data directory made by an earlier lastmile (no completion marker, initdb's trust host rules) is kept
    /// with its data and its pg_hba.conf rewritten; one that initdb never finished is rebuilt.
    @Test func earlierClustersAreAdoptedAndHalfMadeOnesRebuilt() throws {
        let directory = try TemporaryDirectory()
        let cluster = EmbeddedCluster(
            stateDirectory: directory.url.appendingPathComponent(".lastmile"), throwaway: true)
        defer { try? cluster.destroy() }
        try Connection(try cluster.start()).execute(unsafeSQL: "CREATE TABLE kept (v int)")
        try cluster.stop()
        let layout = try #require(try cluster.existingLayout())
        let hba = layout.dataDirectory + "/pg_hba.conf"
        try FileManager.default.removeItem(atPath: layout.dataDirectory + "/lastmile.complete")
        try "local all all trust\nhost all all 127.0.0.1/32 trust\n".write(
            toFile: hba, atomically: false, encoding: .utf8)

        let adopted = try Connection(try cluster.start())
        #expect(try adopted.execute("SELECT count(*) FROM kept").scalar == "0")
        #expect(FileManager.default.fileExists(atPath: layout.dataDirectory + "/lastmile.complete"))
        let rules = try String(contentsOfFile: hba, encoding: .utf8).split(separator: "\n")
        #expect(rules.filter { $0.hasPrefix("host") }.isEmpty)
        try cluster.stop()

        // initdb killed before it finished: PG_VERSION and a config without lastmile's include.
        try FileManager.default.removeItem(atPath: layout.dataDirectory)
        try FileManager.default.createDirectory(atPath: layout.dataDirectory, withIntermediateDirectories: false)
        try "15\n".write(toFile: layout.dataDirectory + "/PG_VERSION", atomically: false, encoding: .utf8)
        try "# half made\n".write(toFile: layout.dataDirectory + "/postgresql.conf", atomically: false, encoding: .utf8)
        let rebuilt = try Connection(try cluster.start())
        #expect(try rebuilt.execute("SHOW listen_addresses").scalar == "")
        #expect(try rebuilt.execute("SELECT to_regclass('kept')").scalar == nil)
    }
}
