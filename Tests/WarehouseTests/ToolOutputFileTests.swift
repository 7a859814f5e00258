// The embedded cluster captures its tools' output through a temporary file: it must never stay in /tmp, not
// even when lastmile is killed while the tool runs, and files left by an earlier killed process are removed.
import Foundation
import Testing

@testable import Warehouse

@Suite struct ToolOutputFileTests {
    @Test func theOutputFileHasNoNameWhileTheToolRunsAndStaleOnesAreRemoved() throws {
        // A file left by a process that no longer runs (the pid of a child that has exited).
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let stale = NSTemporaryDirectory() + "lastmile-tool-\(exited.processIdentifier)-12345.out"
        try Data("initdb: superuser name \"lastmile\"\n".utf8).write(to: URL(fileURLWithPath: stale))

        // While the tool runs, no file of this process is named in /tmp: a kill now would leave nothing.
        let result = try EmbeddedCluster.capture(
            "/bin/sh", ["-c", "ls \(NSTemporaryDirectory())lastmile-tool-\(getpid())-* 2>/dev/null; echo done"])
        #expect(result.status == 0)
        #expect(result.output == "done\n")
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
