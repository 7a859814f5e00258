// Issue 13 item 1: an interrupted or raced first start of the embedded warehouse must never leave a server
// that listens on TCP or a pg_hba.conf that trusts a host (TCP) connection, and the next start must succeed.
// Drives the built binary: `lastmile db start` killed with SIGKILL at points spread over a clean first
// start (one after another in one directory), and two first starts half a second apart. On two busy cores a
// first start takes about 10 s, so the suite takes about five times that; on an idle machine a few seconds.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct FirstStartTests {
    @Test(.timeLimit(.minutes(3))) func killedFirstStartsNeverOpenTCPOrTrustAHost() throws {
        let clean = try TemporaryDirectory()
        let began = Date()
        let first = try LastMileBinary.run(["db", "start"], in: clean.url)
        let duration = Date().timeIntervalSince(began)
        #expect(first.status == 0, "\(first.stderr)")
        try expectSafe(clean.url, "clean start")
        try stopEverything(clean.url)

        // Kill points spread over the clean start (initdb, configuration, rename, server start, migrations), one
        // after another in one fresh directory: each start meets what the killed ones left (a half-made
        // directory, an orphaned initdb or server) until one completes. Then a start must succeed.
        let directory = try TemporaryDirectory()
        for fraction in [0.1, 0.25, 0.4, 0.55, 0.7, 0.85] {
            let delay = duration * fraction
            let start = try launch(["db", "start"], in: directory.url)
            usleep(useconds_t(delay * 1_000_000))
            kill(start.processIdentifier, SIGKILL)
            start.waitUntilExit()
            try expectSafe(directory.url, "after a kill at \(String(format: "%.2f", delay)) s")
        }
        let next = try LastMileBinary.run(["db", "start"], in: directory.url)
        #expect(next.status == 0, "start after the kills: \(next.stderr)")
        try expectSafe(directory.url, "after the start that followed the kills")
        let status = try LastMileBinary.run(["db", "status"], in: directory.url)
        #expect(status.status == 0 && status.stdout.contains("running"), "\(status.stdout) \(status.stderr)")
        try stopEverything(directory.url)
    }

    @Test(.timeLimit(.minutes(2))) func twoFirstStartsRacingEndWithOneSafeServer() throws {
        for gap in [0.5] {
            let directory = try TemporaryDirectory()
            let one = try launch(["db", "start"], in: directory.url)
            usleep(useconds_t(gap * 1_000_000))
            let two = try launch(["db", "start"], in: directory.url)
            one.waitUntilExit()
            two.waitUntilExit()
            #expect(one.terminationStatus == 0 && two.terminationStatus == 0, "starts \(gap) s apart")
            try expectSafe(directory.url, "two starts \(gap) s apart")
            let status = try LastMileBinary.run(["db", "status"], in: directory.url)
            #expect(status.status == 0 && status.stdout.contains("running"), "\(status.stderr)")
            try expectClosedToOtherUsers(directory.url)
            try stopEverything(directory.url)
        }
    }

    // MARK: - Helpers

    private func launch(_ arguments: [String], in directory: URL) throws -> Process {
        let process = Process()
        process.executableURL = LastMileBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "LASTMILE_DATABASE_URL")
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// No process of this cluster listens on TCP, and no pg_hba.conf under it trusts a host line.
    private func expectSafe(_ directory: URL, _ when: String) throws {
        let root = clusterRoot(directory)
        let listening = tcpListenInodes()
        for pid in processes(mentioning: root) {
            let open = socketInodes(of: pid)
            #expect(open.isDisjoint(with: listening), "process \(pid) listens on TCP \(when)")
        }
        for file in hbaFiles(under: root) {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let kind = fields.first, kind.hasPrefix("host") else { continue }
                #expect(!fields.contains("trust"), "\(file) trusts a host line \(when): \(line)")
            }
        }
    }

    /// Another local user (`nobody`) cannot connect through the cluster's socket: it sits in a 0700 directory.
    private func expectClosedToOtherUsers(_ directory: URL) throws {
        guard geteuid() == 0, getpwnam("nobody") != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")
        else { return }
        let url = try LastMileBinary.run(["db", "url"], in: directory).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", "/usr/bin/psql", "-X", "-c", "SELECT 1", url]
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0, "nobody connected to the embedded warehouse")
        // The same command as root connects: the check above fails for the right reason.
        let root = Process()
        root.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        root.arguments = ["-X", "-c", "SELECT 1", url]
        root.standardInput = FileHandle.nullDevice
        root.standardOutput = FileHandle.nullDevice
        root.standardError = FileHandle.nullDevice
        try root.run()
        root.waitUntilExit()
        #expect(root.terminationStatus == 0, "psql as root could not connect either")
    }

    /// Where the data lives: `.lastmile`, or the folder `cluster.json` names.
    private func clusterRoot(_ directory: URL) -> String {
        let state = directory.appendingPathComponent(".lastmile")
        struct Layout: Decodable { var dataDirectory: String }
        if let data = FileManager.default.contents(atPath: state.appendingPathComponent("cluster.json").path),
            let layout = try? JSONDecoder().decode(Layout.self, from: data)
        {
            return URL(fileURLWithPath: layout.dataDirectory).deletingLastPathComponent().path
        }
        return state.path
    }

    private func hbaFiles(under root: String) -> [String] {
        let entries = (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []
        return entries.filter { $0.hasSuffix("pg_hba.conf") }.map { root + "/" + $0 }
    }

    /// Inodes of TCP sockets in the LISTEN state (st 0A), IPv4 and IPv6.
    private func tcpListenInodes() -> Set<String> {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 9, fields[3] == "0A" { inodes.insert(String(fields[9])) }
            }
        }
        return inodes
    }

    /// Processes whose command line names the cluster's folder (the postmaster's `-D`, initdb, pg_ctl).
    private func processes(mentioning root: String) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(root)
        }
    }

    private func socketInodes(of pid: Int32) -> Set<String> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        var inodes: Set<String> = []
        for fd in fds {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst(8).dropLast()))
        }
        return inodes
    }

    /// Stops the server and waits (then kills) any process of the cluster left by a killed start.
    private func stopEverything(_ directory: URL) throws {
        let root = clusterRoot(directory)
        let stop = try LastMileBinary.run(["db", "stop"], in: directory)
        #expect(stop.status == 0, "\(stop.stderr)")
        for _ in 0..<100 where !processes(mentioning: root).isEmpty { usleep(100_000) }
        for pid in processes(mentioning: root) { kill(pid, SIGKILL) }
    }
}
