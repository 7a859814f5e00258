// Proves the embedded default warehouse: it is created private (0700 data, socket only), keeps its data
// across stop and start, and reports its status truthfully.
import Foundation
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct EmbeddedClusterTests {
    @Test func startStopStartKeepsDataAndReportsStatus() throws {
        let directory = try TemporaryDirectory()
        let cluster = EmbeddedCluster(stateDirectory: directory.url.appendingPathComponent(".lastmile"), throwaway: true)
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
        let socketMode = try FileManager.default.attributesOfItem(atPath: layout.socketDirectory)[.posixPermissions] as? Int
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
}
