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

        func process(
            _ arguments: [String], options: [String] = [], environment extra: [String: String] = [:]
        ) -> (Process, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments =
                [CronWrapperTests.script, "--env-file", envFile, "--log-file", log, "--lock-file", lock] + options
                + ["--"] + arguments
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "LASTMILE_DATABASE_URL")
            environment["LASTMILE_BIN"] = LastMileBinary.url.path
            environment["LASTMILE_WORKDIR"] = directory.url.path
            environment.merge(extra) { _, new in new }
            process.environment = environment
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            return (process, stderr)
        }

        /// Runs the wrapper to completion: its exit status and standard error (what cron would mail).
        func run(
            _ arguments: [String], options: [String] = [], environment: [String: String] = [:]
        ) throws -> (status: Int32, stderr: String) {
            let (process, stderr) = process(arguments, options: options, environment: environment)
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

    /// Issue 13 item 7: a hung job is stopped at --timeout (SIGTERM, then SIGKILL), exits 75 and frees the lock.
    @Test func aHungJobIsStoppedAtTheTimeoutAndFreesTheLock() throws {
        let setup = try Setup(env: "")
        let patient = setup.directory.url.appendingPathComponent("hangs.sh")
        let stubborn = setup.directory.url.appendingPathComponent("ignores-term.sh")
        try Data("#!/bin/bash\nsleep 60\n".utf8).write(to: patient)
        try Data("#!/bin/bash\ntrap '' TERM\nsleep 60\n".utf8).write(to: stubborn)
        for program in [patient, stubborn] {
            chmod(program.path, 0o755)
            let began = Date()
            let hung = try setup.run(
                ["run", "pipelines/nightly.yaml"], options: ["--timeout", "1"],
                environment: ["LASTMILE_BIN": program.path, "LASTMILE_KILL_AFTER": "1"])
            let seconds = Date().timeIntervalSince(began)
            #expect(hung.status == 75, "\(program.lastPathComponent): \(hung.stderr)")
            #expect(hung.stderr.contains("ran out of time after 1s"), "\(hung.stderr)")
            #expect(seconds < 15, "\(program.lastPathComponent) took \(seconds) s")
        }
        #expect(setup.logText().components(separatedBy: "ran out of time").count == 3)
        let next = try setup.run(["--version"])
        #expect(next.status == 0, "the lock is free again: \(next.stderr)")
        let bad = try setup.run(["--version"], options: ["--timeout", "soon"])
        #expect(bad.status == 64)
    }

    /// Issue 13 item 7: the wrapper's log and mail never carry a --database value or a URL's password.
    @Test func theLoggedCommandLineHidesDatabaseURLsAndPasswords() throws {
        let setup = try Setup(env: "")
        let secret = "s3cret-pw-4711"
        let failed = try setup.run([
            "db", "status", "--database", "postgresql://loader:\(secret)@127.0.0.1:1/hie?connect_timeout=1",
        ])
        #expect(failed.status == 75, "\(failed.stderr)")
        let equals = try setup.run(["db", "status", "--database=host=127.0.0.1 port=1 password=\(secret)"])
        #expect(equals.status != 0)
        let log = setup.logText()
        #expect(log.contains("lastmile db status --database [redacted]"), "\(log)")
        #expect(log.contains("--database=[redacted]"), "\(log)")
        #expect(!log.contains(secret), "\(log)")
        #expect(!(failed.stderr + equals.stderr).contains(secret))
    }
}
