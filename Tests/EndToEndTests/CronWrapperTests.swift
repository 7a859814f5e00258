// Runs cron/lastmile-cron around the real lastmile: the env file is used, a second concurrent copy is refused
// with 75, lastmile's exit status passes through, and the log is appended to, never truncated.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct CronWrapperTests {
    static let script = ReferenceDataFiles.repositoryRoot.appendingPathComponent("cron/lastmile-cron").path

    /// A wrapper invocation's files, all inside one temporary directory.
    struct Setup {
        let directory: TemporaryDirectory
        var log: String { directory.url.appendingPathComponent("log/lastmile.log").path }
        var lock: String { directory.url.appendingPathComponent("lock/lastmile.lock").path }
        var envFile: String { directory.url.appendingPathComponent("lastmile.env").path }

        init(env: String) throws {
            directory = try TemporaryDirectory()
            try Data(env.utf8).write(to: URL(fileURLWithPath: envFile))
        }

        func process(_ arguments: [String]) -> (Process, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments =
                [CronWrapperTests.script, "--env-file", envFile, "--log-file", log, "--lock-file", lock, "--"]
                + arguments
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "LASTMILE_DATABASE_URL")
            environment["LASTMILE_BIN"] = LastMileBinary.url.path
            environment["LASTMILE_WORKDIR"] = directory.url.path
            process.environment = environment
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            return (process, stderr)
        }

        /// Runs the wrapper to completion: its exit status and standard error (what cron would mail).
        func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
            let (process, stderr) = process(arguments)
            try process.run()
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    }

    @Test func theExitStatusPassesThroughAndTheLogIsAppended() throws {
        try TestDatabase.withFreshDatabase { url in
            let setup = try Setup(env: "# site settings\nLASTMILE_DATABASE_URL='\(url)'\n")
            try FileManager.default.createDirectory(
                atPath: (setup.log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("an earlier night's line\n".utf8).write(to: URL(fileURLWithPath: setup.log))
            let bad = setup.directory.url.appendingPathComponent("short.csv")
            try Data("id,given_name\nP000101,Zelda\n".utf8).write(to: bad)

            let failed = try setup.run(["mpi", "import", bad.path])
            #expect(failed.status == 65)
            #expect(failed.stderr.contains("failed with exit status 65 (an input file is unusable)"))
            #expect(!failed.stderr.contains("Zelda"))

            // `db status` answers 0 only because the env file named the warehouse (no --database here).
            let status = try setup.run(["db", "status"])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stderr.isEmpty)

            let usage = try setup.run(["no-such-command"])
            #expect(usage.status == 64)

            let log = setup.logText()
            #expect(log.hasPrefix("an earlier night's line\n"))
            #expect(log.contains("lastmile-cron: start pid"))
            #expect(log.contains("exit 65 after"))
            #expect(log.contains("exit 0 after"))
            #expect(log.contains("exit 64 after"))
            #expect(log.range(of: #"schema:    [1-9]"#, options: .regularExpression) != nil)
            #expect(log.components(separatedBy: "lastmile-cron: start pid").count == 4)
        }
    }

    @Test func aSecondConcurrentCopyIsRefusedWith75() throws {
        let setup = try Setup(env: "")
        defer { _ = try? LastMileBinary.run(["db", "stop"], in: setup.directory.url) }
        // `db start` creates an embedded cluster: several seconds of real work under the lock.
        let (first, _) = setup.process(["db", "start"])
        try first.run()
        let deadline = Date().addingTimeInterval(30)
        while !setup.logText().contains("start pid") && first.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(first.isRunning, "the first job ended before the second could be tried")
        let second = try setup.run(["--version"])
        #expect(second.status == 75)
        #expect(second.stderr.contains("another lastmile job holds"))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        // Once the first has finished the lock is free again.
        let third = try setup.run(["--version"])
        #expect(third.status == 0)
        let log = setup.logText()
        #expect(log.contains("not starting `lastmile --version` (exit 75"))
        #expect(log.contains("0.1.0"))
    }
}
