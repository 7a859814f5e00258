import Foundation
import LastMileCore

/// A private PostgreSQL cluster that lastmile creates and runs itself: the default warehouse when no
/// database is configured.
///
/// It lives under `.lastmile/` in the working directory: data directory mode 0700, a unix socket in a private
/// directory, no TCP listener, trust authentication on that socket only. initdb and postgres refuse to run as
/// root, so when lastmile runs as root the server runs as the `postgres` OS user (created by Debian's
/// `postgresql` package); if that user cannot reach the working directory, the data goes to
/// `/var/lib/lastmile/clusters/<hash>/` and `.lastmile/cluster.json` records where.
public struct EmbeddedCluster: Sendable {
    /// Where the cluster's pieces are.
    public struct Layout: Codable, Sendable, Equatable {
        public var dataDirectory: String
        public var socketDirectory: String
        public var logFile: String
        /// The OS user the server runs as; nil for the invoking user.
        public var serverUser: String?
    }

    public enum Status: Sendable, Equatable {
        case notCreated
        case stopped
        case running(pid: Int?)
    }

    /// The folder holding `cluster.json` (and, usually, the cluster itself): `<working directory>/.lastmile`.
    public let stateDirectory: URL
    /// Fast, non-durable settings (fsync off) for throwaway test clusters; never for a real warehouse.
    public let throwaway: Bool
    /// Extra `postgresql.conf` lines appended after lastmile's own (later lines win), e.g. to listen on
    /// loopback with TLS in a test. Empty for the default warehouse.
    public var additionalSettings: String = ""
    /// The port number, which also names the socket file; change it only to run a second server on loopback.
    public var port = 5432
    /// The server's TCP addresses, given on its command line so that no settings file can open TCP. Empty (no
    /// TCP listener) for the default warehouse; a test may listen on loopback.
    public var listenAddresses = ""
    /// Extra `pg_hba.conf` lines after lastmile's own local-socket line, e.g. a `hostssl` line for a test
    /// listening on loopback. Empty for the default warehouse: no host rule at all.
    public var additionalAuthentication = ""

    /// The file written last into a new data directory, before it is renamed into place.
    static let completionMarker = "lastmile.complete"

    public static let databaseName = "lastmile"
    public static let superuser = "lastmile"

    public init(stateDirectory: URL, throwaway: Bool = false) {
        self.stateDirectory = stateDirectory
        self.throwaway = throwaway
    }

    /// The cluster of a working directory (`./.lastmile`).
    public init(workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.init(stateDirectory: workingDirectory.appendingPathComponent(".lastmile"))
    }

    /// The libpq URL of the cluster's `lastmile` database.
    public func connectionURL() throws -> String {
        let layout = try existingLayout() ?? plannedLayout()
        let host =
            layout.socketDirectory.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? layout.socketDirectory
        return "postgresql:///\(Self.databaseName)?host=\(host)&user=\(Self.superuser)"
            + (port == 5432 ? "" : "&port=\(port)")
    }

    /// Whether the cluster exists and whether its server runs.
    public func status() throws -> Status {
        guard let layout = try existingLayout(),
            FileManager.default.fileExists(atPath: layout.dataDirectory + "/PG_VERSION")
        else { return .notCreated }
        let result = try run(tool: "pg_ctl", ["status", "-D", layout.dataDirectory], layout: layout)
        switch result.status {
        case 0:
            let pid = result.output.split(separator: "\n").first.flatMap { line in
                line.range(of: "PID: ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) } ?? nil
            }
            return .running(pid: pid)
        default: return .stopped
        }
    }

    /// Creates the cluster if needed, starts it if stopped, makes sure the `lastmile` database exists, and
    /// returns its URL. Safe to call when it already runs, and from two processes at once.
    ///
    /// Creation and start happen under an exclusive lock (`cluster.lock`, released by the kernel when the
    /// holder dies). A new cluster is made in `pgdata.creating-<pid>` beside its final place, fully configured
    /// (local-socket-only `pg_hba.conf`, no TCP listener, a completion marker) and only then renamed into
    /// place, so a killed first start never leaves a data directory a server could start from unconfigured.
    @discardableResult
    public func start() throws -> String {
        let planned = try existingLayout() ?? plannedLayout()
        try makeDirectory(stateDirectory.path, mode: planned.serverUser == nil ? 0o700 : 0o711, owner: nil)
        return try withCreationLock {
            let layout = try prepareLayout()
            try ensureComplete(layout)
            try writeSettings(layout, in: layout.dataDirectory)
            let authenticationChanged = try writeAuthentication(layout, in: layout.dataDirectory)
            if case .running = try status() {
                if authenticationChanged {
                    _ = try run(tool: "pg_ctl", ["reload", "-D", layout.dataDirectory], layout: layout)
                }
                try ensureDatabase()
                return try connectionURL()
            }
            // A server killed without a clean shutdown leaves postmaster.pid behind; pg_ctl handles a stale one.
            let started = try run(
                tool: "pg_ctl",
                [
                    "start", "-w", "-t", "60", "-D", layout.dataDirectory, "-l", layout.logFile,
                    "-o", serverOptions(layout),
                ],
                layout: layout)
            guard started.status == 0 else {
                throw failure("start the embedded cluster (see \(layout.logFile))", started.output)
            }
            try ensureDatabase()
            return try connectionURL()
        }
    }

    /// Stops the server (fast shutdown: open transactions roll back). Does nothing when it isn't running.
    public func stop() throws {
        guard let layout = try existingLayout(), case .running = try status() else { return }
        let stopped = try run(
            tool: "pg_ctl", ["stop", "-w", "-t", "60", "-m", "fast", "-D", layout.dataDirectory], layout: layout)
        guard stopped.status == 0 else { throw failure("stop the embedded cluster", stopped.output) }
    }

    /// Stops the server and deletes the cluster and its state. Used by tests for throwaway clusters.
    public func destroy() throws {
        try? stop()
        if let layout = try existingLayout() {
            try? FileManager.default.removeItem(
                atPath: URL(fileURLWithPath: layout.dataDirectory).deletingLastPathComponent().path)
            try? FileManager.default.removeItem(atPath: layout.socketDirectory)
        }
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    /// The recorded layout, if the cluster was ever prepared.
    public func existingLayout() throws -> Layout? {
        let file = stateDirectory.appendingPathComponent("cluster.json")
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do {
            return try JSONDecoder().decode(Layout.self, from: data)
        } catch {
            throw WarehouseError(
                kind: .embeddedCluster, context: "read \(file.path)",
                clientMessage: "not a cluster record; remove it to start over")
        }
    }

    // MARK: - Layout

    private var runsAsRoot: Bool { geteuid() == 0 }

    private func plannedLayout() throws -> Layout {
        var root = stateDirectory.path
        let serverUser: String? = runsAsRoot ? "postgres" : nil
        if let serverUser {
            guard getpwnam(serverUser) != nil else {
                throw WarehouseError(
                    kind: .embeddedCluster, context: "create the embedded cluster",
                    clientMessage:
                        "PostgreSQL refuses to run as root and the '\(serverUser)' OS user does not exist; "
                        + "install the server (apt-get install postgresql) or run lastmile as a normal user")
            }
            if !canTraverse(stateDirectory.deletingLastPathComponent().path, as: serverUser) {
                root = "/var/lib/lastmile/clusters/" + Self.shortHash(stateDirectory.path)
            }
        }
        var socket = root + "/run"
        // A unix socket path is limited to 107 bytes, including "/.s.PGSQL.5432".
        if socket.utf8.count + 15 > 107 {
            socket = "/tmp/lastmile-" + Self.shortHash(stateDirectory.path)
        }
        return Layout(
            dataDirectory: root + "/pgdata", socketDirectory: socket, logFile: root + "/postgres.log",
            serverUser: serverUser)
    }

    private func prepareLayout() throws -> Layout {
        let fm = FileManager.default
        let layout = try existingLayout() ?? plannedLayout()
        // The state directory must be traversable by the server user when the cluster lives inside it.
        try makeDirectory(stateDirectory.path, mode: layout.serverUser == nil ? 0o700 : 0o711, owner: nil)
        let clusterRoot = URL(fileURLWithPath: layout.dataDirectory).deletingLastPathComponent().path
        if clusterRoot != stateDirectory.path {
            try makeDirectory(clusterRoot, mode: 0o711, owner: nil, intermediates: true)
        }
        try makeDirectory(layout.socketDirectory, mode: 0o700, owner: layout.serverUser)
        if !fm.fileExists(atPath: layout.logFile) {
            _ = fm.createFile(atPath: layout.logFile, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        try chown(layout.logFile, to: layout.serverUser)
        let record = try JSONEncoder().encode(layout)
        let file = stateDirectory.appendingPathComponent("cluster.json").path
        guard fm.createFile(atPath: file, contents: record, attributes: [.posixPermissions: 0o600]) else {
            throw WarehouseError(kind: .embeddedCluster, context: "write \(file)", clientMessage: "not writable")
        }
        return layout
    }

    private func makeDirectory(_ path: String, mode: Int, owner: String?, intermediates: Bool = false) throws {
        let fm = FileManager.default
        do {
            do {
                if !fm.fileExists(atPath: path) {
                    try fm.createDirectory(atPath: path, withIntermediateDirectories: intermediates)
                }
            } catch  where fm.fileExists(atPath: path) {
                // Another process created it at the same moment.
            }
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            try chown(path, to: owner)
        } catch let error as WarehouseError {
            throw error
        } catch {
            throw WarehouseError(
                kind: .embeddedCluster, context: "create \(path)", clientMessage: "\(error.localizedDescription)")
        }
    }

    private func chown(_ path: String, to user: String?) throws {
        guard let user, let entry = getpwnam(user) else { return }
        if Foundation.chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) != 0 {
            throw WarehouseError(
                kind: .embeddedCluster, context: "give \(path) to the \(user) user",
                clientMessage: String(cString: strerror(errno)))
        }
    }

    /// The server's settings, rewritten at each start (the socket directory may have moved).
    private func writeSettings(_ layout: Layout, in dataDirectory: String) throws {
        var settings = """
            # Written by lastmile at each start; edit postgresql.conf for your own settings.
            listen_addresses = '\(listenAddresses)'
            unix_socket_directories = '\(layout.socketDirectory)'
            unix_socket_permissions = 0700
            port = \(port)
            max_connections = 40

            """
        if throwaway {
            settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        }
        if !additionalSettings.isEmpty { settings += additionalSettings + "\n" }
        try writePrivateFile(dataDirectory + "/lastmile.conf", settings, owner: layout.serverUser)
    }

    /// Who may connect: the unix socket (in a 0700 directory only the server user and root can enter) and
    /// nothing else; initdb's own file is replaced at creation and at each start. Returns whether it changed.
    private func writeAuthentication(_ layout: Layout, in dataDirectory: String) throws -> Bool {
        var rules = """
            # Written by lastmile at each start: the private unix socket only, no TCP (host) rule.
            local all all trust

            """
        if !additionalAuthentication.isEmpty { rules += additionalAuthentication + "\n" }
        let path = dataDirectory + "/pg_hba.conf"
        if FileManager.default.contents(atPath: path) == Data(rules.utf8) { return false }
        try writePrivateFile(path, rules, owner: layout.serverUser)
        return true
    }

    /// Writes a 0600 file atomically (temporary file, then rename) and gives it to the server user.
    private func writePrivateFile(_ path: String, _ text: String, owner: String?) throws {
        let temporary = path + ".new"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw WarehouseError(kind: .embeddedCluster, context: "write \(path)", clientMessage: "not writable")
        }
        try chown(temporary, to: owner)
        guard rename(temporary, path) == 0 else {
            throw WarehouseError(
                kind: .embeddedCluster, context: "write \(path)", clientMessage: String(cString: strerror(errno)))
        }
    }

    /// The server's command-line options: they win over every settings file, so a lost or edited
    /// `lastmile.conf` cannot open a TCP listener or move the socket out of its private directory.
    private func serverOptions(_ layout: Layout) -> String {
        var options = "-c listen_addresses='\(listenAddresses)'"
        let safe = layout.socketDirectory.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "/._-".unicodeScalars.contains($0)
        }
        if safe { options += " -c unix_socket_directories='\(layout.socketDirectory)'" }
        return options
    }

    private func appendInclude(in dataDirectory: String) throws {
        let path = dataDirectory + "/postgresql.conf"
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw WarehouseError(kind: .embeddedCluster, context: "edit \(path)", clientMessage: "not writable")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        var lines = "\ninclude_if_exists = 'lastmile.conf'\n"
        if !throwaway {
            lines =
                """

                # Set by lastmile when it created the cluster (edit it as any setting): initdb's 128MB made the
                # first load of a 10M-patient MPI a third slower (its primary key outgrew the cache).
                shared_buffers = \(Self.sharedBuffersMiB(physicalMemory: ProcessInfo.processInfo.physicalMemory))MB

                """ + lines
        }
        handle.write(Data(lines.utf8))
    }

    /// The buffer cache a new warehouse cluster gets: a sixteenth of the machine's memory, at least initdb's
    /// 128 MiB and at most 1 GiB (the cluster shares the machine with the nightly run, which needs about 1 GiB
    /// a million patients on a first night).
    package static func sharedBuffersMiB(physicalMemory: UInt64) -> Int {
        Int(min(1024, max(128, physicalMemory >> 20 / 16)))
    }

    // MARK: - Creation

    /// Runs `body` holding the exclusive creation lock (`cluster.lock` in the state directory). The kernel
    /// releases it when this process exits or is killed; server tools are spawned without it.
    private func withCreationLock<T>(_ body: () throws -> T) throws -> T {
        let path = stateDirectory.appendingPathComponent("cluster.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw WarehouseError(
                kind: .embeddedCluster, context: "open \(path)", clientMessage: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw WarehouseError(
                    kind: .embeddedCluster, context: "lock \(path)", clientMessage: String(cString: strerror(errno)))
            }
        }
        return try body()
    }

    /// Makes sure a complete data directory is in place: adopts one made by an earlier lastmile (before the
    /// completion marker), rebuilds a half-made one (it never held data), creates a missing one.
    private func ensureComplete(_ layout: Layout) throws {
        let fm = FileManager.default
        let data = layout.dataDirectory
        removeAbandonedCreations(layout)
        if fm.fileExists(atPath: data + "/" + Self.completionMarker) { return }
        if fm.fileExists(atPath: data) {
            if isCompleteWithoutMarker(data) {
                try writePrivateFile(data + "/" + Self.completionMarker, "complete\n", owner: layout.serverUser)
                return
            }
            // Half-made: stop a server some earlier start may have run from it, then rebuild.
            _ = try? run(tool: "pg_ctl", ["stop", "-w", "-t", "30", "-m", "immediate", "-D", data], layout: layout)
            do {
                try fm.removeItem(atPath: data)
            } catch {
                throw WarehouseError(
                    kind: .embeddedCluster, context: "remove the half-made cluster \(data)",
                    clientMessage: error.localizedDescription)
            }
        }
        try create(layout)
    }

    /// A data directory made by lastmile before the completion marker existed: initdb finished and the
    /// settings include was appended after it.
    private func isCompleteWithoutMarker(_ data: String) -> Bool {
        guard FileManager.default.fileExists(atPath: data + "/PG_VERSION"),
            let conf = FileManager.default.contents(atPath: data + "/postgresql.conf")
        else { return false }
        return String(decoding: conf, as: UTF8.self).contains("include_if_exists = 'lastmile.conf'")
    }

    /// Creates the data directory in a temporary sibling, configures it, marks it complete, renames it into place.
    private func create(_ layout: Layout) throws {
        let temporary = layout.dataDirectory + ".creating-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        try makeDirectory(temporary, mode: 0o700, owner: layout.serverUser)
        var arguments = [
            "-D", temporary, "--auth-local=trust", "--auth-host=reject", "--username=\(Self.superuser)",
            "--encoding=UTF8", "--locale=C",
        ]
        if throwaway { arguments.append("--no-sync") }
        let initdb = try run(tool: "initdb", arguments, layout: layout)
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw failure("create the embedded cluster (initdb)", initdb.output)
        }
        try appendInclude(in: temporary)
        try writeSettings(layout, in: temporary)
        _ = try writeAuthentication(layout, in: temporary)
        try writePrivateFile(temporary + "/" + Self.completionMarker, "complete\n", owner: layout.serverUser)
        if !throwaway { syncEach([temporary + "/postgresql.conf", temporary + "/pg_hba.conf", temporary]) }
        guard rename(temporary, layout.dataDirectory) == 0 else {
            throw WarehouseError(
                kind: .embeddedCluster, context: "move the new cluster into \(layout.dataDirectory)",
                clientMessage: String(cString: strerror(errno)))
        }
        if !throwaway { syncEach([URL(fileURLWithPath: layout.dataDirectory).deletingLastPathComponent().path]) }
    }

    /// Removes `pgdata.creating-*` directories of starts that were killed (the caller holds the lock).
    private func removeAbandonedCreations(_ layout: Layout) {
        let data = URL(fileURLWithPath: layout.dataDirectory)
        let parent = data.deletingLastPathComponent().path
        let prefix = data.lastPathComponent + ".creating-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix)
        {
            try? FileManager.default.removeItem(atPath: parent + "/" + entry)
        }
    }

    private func syncEach(_ paths: [String]) {
        for path in paths {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { continue }
            fsync(descriptor)
            close(descriptor)
        }
    }

    private func ensureDatabase() throws {
        let layout = try existingLayout() ?? plannedLayout()
        let host = layout.socketDirectory
        let admin = try Connection("host=\(host) port=\(port) dbname=postgres user=\(Self.superuser)")
        let exists = try admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", [Self.databaseName]).rows
        if exists.isEmpty {
            try admin.execute(unsafeSQL: "CREATE DATABASE \(Self.databaseName)")
        }
    }

    // MARK: - Running the server's tools

    struct ToolResult {
        var status: Int32
        var output: String
    }

    /// Finds a PostgreSQL server tool: `pg_config --bindir` first, then the newest /usr/lib/postgresql/*/bin.
    static func toolPath(_ tool: String) throws -> String {
        var candidates: [String] = []
        if let bindir = try? capture("/bin/sh", ["-c", "pg_config --bindir 2>/dev/null"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines), !bindir.isEmpty
        {
            candidates.append(bindir)
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        throw WarehouseError(
            kind: .embeddedCluster, context: "find the PostgreSQL server program \(tool)",
            clientMessage:
                "not installed; install the server with `apt-get install postgresql` "
                + "(or pass --database to use an existing warehouse)")
    }

    private func run(tool: String, _ arguments: [String], layout: Layout) throws -> ToolResult {
        let path = try Self.toolPath(tool)
        // The server user may not be able to enter the caller's directory: run from the cluster's directory.
        let directory = URL(fileURLWithPath: layout.dataDirectory).deletingLastPathComponent().path
        if let user = layout.serverUser {
            return try Self.capture("/usr/sbin/runuser", ["-u", user, "--", path] + arguments, directory: directory)
        }
        return try Self.capture(path, arguments, directory: directory)
    }

    /// Runs a program and returns its exit status and combined output.
    ///
    /// Spawned with `posix_spawn` and reaped with `waitpid`, with every inherited descriptor above stderr
    /// closed: Foundation's `Process` waits on a socket that a server started by pg_ctl would inherit and keep
    /// open for its whole life, and the server must not inherit our connections either. Output goes through a
    /// temporary file (mode 0600), not a pipe, for the same reason. The file is unlinked as soon as it is
    /// open, so a process killed meanwhile leaves no file (the output may carry paths and server messages).
    static func capture(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> ToolResult {
        removeStaleToolFiles()
        let outputPath = NSTemporaryDirectory() + "lastmile-tool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        let output = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw WarehouseError(
                kind: .embeddedCluster, context: "run \(executable)", clientMessage: String(cString: strerror(errno)))
        }
        unlink(outputPath)
        let outputHandle = FileHandle(fileDescriptor: output, closeOnDealloc: true)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        // `env -C` changes directory in the child (posix_spawn's chdir action is a GNU extension Swift can't see).
        let command = directory.map { ["/usr/bin/env", "-C", $0, executable] } ?? [executable]
        let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw WarehouseError(
                kind: .embeddedCluster, context: "run \(executable)", clientMessage: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        lseek(output, 0, SEEK_SET)
        let text = String(decoding: (try? outputHandle.readToEnd()) ?? Data(), as: UTF8.self)
        return ToolResult(status: exitCode, output: text)
    }

    /// Removes the `lastmile-tool-PID-*.out` files of processes no longer running (left by versions that kept
    /// the file named while the tool ran, when killed meanwhile). Tools run a few times per command: cheap.
    static func removeStaleToolFiles() {
        let directory = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix("lastmile-tool-") && name.hasSuffix(".out") {
            let fields = name.split(separator: "-")
            guard fields.count == 4, let pid = Int32(fields[2]), kill(pid, 0) == -1, errno == ESRCH else { continue }
            unlink(directory + name)
        }
    }

    /// The descriptors open in this process, from /proc/self/fd.
    private static func openDescriptors() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        // The listing's own descriptor is closed by now; closing a closed one in the child is harmless.
        return entries.compactMap { Int32($0) }.filter { fcntl($0, F_GETFD) != -1 }
    }

    private func canTraverse(_ path: String, as user: String) -> Bool {
        (try? Self.capture("/usr/sbin/runuser", ["-u", user, "--", "test", "-x", path], directory: "/"))?.status == 0
    }

    private func failure(_ context: String, _ output: String) -> WarehouseError {
        let lastLines = output.split(separator: "\n").suffix(4).joined(separator: "; ")
        return WarehouseError(kind: .embeddedCluster, context: context, clientMessage: lastLines)
    }

    /// A short stable hex hash of a path (FNV-1a, 64 bits), for per-directory names.
    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
