// Runs the built `lastmile` as a user would: `db` subcommands, exit codes, and no password in any output.
import Foundation
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct DatabaseCommandTests {
    @Test func unreachableWarehouseExitsTemporarilyUnavailableWithoutThePassword() throws {
        let result = try LastMileBinary.run([
            "db", "migrate", "--database", "postgresql://loader:pa55word-xyz@127.0.0.1:1/hie?connect_timeout=2",
        ])
        #expect(result.status == 75)
        #expect(result.stderr.contains("temporarily unavailable"))
        #expect(!(result.stderr + result.stdout).contains("pa55word-xyz"))
    }

    @Test func malformedURLFromTheEnvironmentIsAConfigurationError() throws {
        let result = try LastMileBinary.run(
            ["db", "status"], environment: ["LASTMILE_DATABASE_URL": "postgresql://u:pa55word-xyz@h:port/db"])
        #expect(result.status == 78)
        #expect(!(result.stderr + result.stdout).contains("pa55word-xyz"))
    }

    @Test func usageErrorExits64() throws {
        let result = try LastMileBinary.run(["db", "no-such-subcommand"])
        #expect(result.status == 64)
    }

    @Test func migrateTwiceAgainstARealServer() throws {
        try TestDatabase.withFreshDatabase { url in
            let first = try LastMileBinary.run(["db", "migrate", "--database", url])
            #expect(first.status == 0, "\(first.stderr)")
            // Every migration in Migration.all, however many there are by now; none the second time.
            #expect(first.stdout.hasPrefix("applied ") && !first.stdout.hasPrefix("applied 0 "))
            let second = try LastMileBinary.run(["db", "migrate", "--database", url, "--log-format", "json"])
            #expect(second.status == 0)
            #expect(second.stdout.contains("applied 0 migration(s)"))
        }
    }

    @Test func embeddedWarehouseLifecycleThroughTheCLI() throws {
        let directory = try TemporaryDirectory()
        defer { _ = try? LastMileBinary.run(["db", "stop"], in: directory.url) }
        let before = try LastMileBinary.run(["db", "status"], in: directory.url)
        #expect(before.status == 69)
        #expect(before.stdout.contains("not created"))
        let start = try LastMileBinary.run(["db", "start"], in: directory.url)
        #expect(start.status == 0, "\(start.stderr)")
        let status = try LastMileBinary.run(["db", "status"], in: directory.url)
        #expect(status.status == 0)
        #expect(status.stdout.contains("running"))
        // The buffer cache set at creation is the server's (and stays editable in postgresql.conf).
        let url = try LastMileBinary.run(["db", "url"], in: directory.url).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = EmbeddedCluster.sharedBuffersMiB(physicalMemory: ProcessInfo.processInfo.physicalMemory)
        let setting = try Connection(url).execute(
            "SELECT (setting::bigint * 8 / 1024)::text FROM pg_settings WHERE name = 'shared_buffers'")
        #expect(setting.scalar == String(expected))
        #expect(status.stdout.range(of: #"schema:    [1-9]"#, options: .regularExpression) != nil)
        let stop = try LastMileBinary.run(["db", "stop"], in: directory.url)
        #expect(stop.status == 0)
        let stopped = try LastMileBinary.run(["db", "status"], in: directory.url)
        #expect(stopped.status == 69)
        #expect(stopped.stdout.contains("stopped"))
    }
}
