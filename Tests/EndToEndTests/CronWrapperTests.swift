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

    /// The job lines of a crontab, without the packaged file's `# ` (disabled), its `[ -x … ] &&` guard and the
    /// wrapper's folder: what each job runs.
    static func jobs(inCrontab path: String) throws -> [String] {
        let text = try String(
            contentsOf: ReferenceDataFiles.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { $0.contains("lastmile-cron ") }.map { line in
            var job = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            job = job.replacingOccurrences(of: "[ -x /usr/bin/lastmile-cron ] && ", with: "")
            for folder in ["/usr/local/bin/", "/usr/bin/"] { job = job.replacingOccurrences(of: folder, with: "") }
            return job
        }
    }

    /// The by-hand crontab (docs/operations.md, "By hand") runs the packaged jobs: a new-user trial found its
    /// --metrics-file in another folder than the packaged one, which the docs and postinst prepare.
    @Test func theByHandCrontabRunsThePackagedJobs() throws {
        let byHand = try Self.jobs(inCrontab: "cron/lastmile.crontab")
        #expect(byHand.count == 2)
        #expect(byHand == (try Self.jobs(inCrontab: "packaging/cron.d")))
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

    /// Exit 79 is also a feed that stopped (README): the mailed line must not send the operator looking for
    /// an unusable file only. A stand-in for lastmile exits 79 as a partial night does.
    @Test func aPartialNightIsExplainedWithBothCauses() throws {
        let setup = try Setup(env: "")
        let standIn = setup.directory.url.appendingPathComponent("partial-night.sh")
        try Data("#!/bin/sh\nexit 79\n".utf8).write(to: standIn)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: standIn.path)
        let result = try setup.run(["run", "pipelines/nightly.yaml"], environment: ["LASTMILE_BIN": standIn.path])
        #expect(result.status == 79)
        #expect(result.stderr.contains("exit status 79 (partial night: a source failed"))
        #expect(result.stderr.contains("or no new file for more than max_feed_age_days)"))
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

    /// Issue 18: with `--log-format json` every line of the log parses as a JSON object, the wrapper's own
    /// (started, ended, lock held, out of time) and a failing job's text output alike.
    @Test func aJSONLogHasOnlyJSONLinesEvenWhenTheJobFails() throws {
        let setup = try Setup(env: "")
        let stub = setup.directory.url.appendingPathComponent("fails.sh")
        let hangs = setup.directory.url.appendingPathComponent("hangs.sh")
        let script = #"""
            #!/bin/bash
            echo '{"label":"lastmile","level":"error","msg":"command failed","exit.status":65}' >&2
            printf 'a text summary: "quoted", back\\slash, tab\there\n'
            printf 'Fatal error: no newline at the end'
            exit 65
            """#
        try Data(script.utf8).write(to: stub)
        try Data("#!/bin/bash\nsleep 60\n".utf8).write(to: hangs)
        for program in [stub, hangs] { chmod(program.path, 0o755) }
        let failed = try setup.run(
            ["run", "pipelines/nightly.yaml", "--log-format", "json"], environment: ["LASTMILE_BIN": stub.path])
        #expect(failed.status == 65)
        let hung = try setup.run(
            ["run", "pipelines/nightly.yaml", "--log-format=json"], options: ["--timeout", "1"],
            environment: ["LASTMILE_BIN": hangs.path, "LASTMILE_KILL_AFTER": "1"])
        #expect(hung.status == 75)
        // Another job holds the lock: the refusal is a JSON line too.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [setup.lock, "sleep", "5"]
        try holder.run()
        defer { holder.terminate() }
        Thread.sleep(forTimeInterval: 0.5)
        let refused = try setup.run(["--version", "--log-format", "json"])
        #expect(refused.status == 75)

        let lines = setup.logText().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        let wrapper = objects.filter { $0["label"] as? String == "lastmile-cron" }
        #expect(wrapper.allSatisfy { $0["ts"] is String && $0["level"] is String && $0["msg"] is String })
        #expect(wrapper.filter { $0["msg"] as? String == "job started" }.count == 2)
        let ended = wrapper.first { $0["msg"] as? String == "job ended" }
        #expect(ended?["exit.status"] as? Int == 65)
        #expect(ended?["level"] as? String == "error")
        #expect(ended?["process.id"] is Int)
        let texts = wrapper.compactMap { $0["msg"] as? String == "output" ? $0["text"] as? String : nil }
        #expect(texts.contains("a text summary: \"quoted\", back\\slash, tab\there"), "\(texts)")
        #expect(texts.contains("Fatal error: no newline at the end"))
        #expect(wrapper.contains { $0["msg"] as? String == "job ran out of time" && $0["exit.status"] as? Int == 75 })
        #expect(objects.contains { $0["label"] as? String == "lastmile" && $0["msg"] as? String == "command failed" })
        #expect(wrapper.contains { $0["msg"] as? String == "lock held" && $0["exit.status"] as? Int == 75 })
    }
}
