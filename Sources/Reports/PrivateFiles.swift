import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files only their owner can read (0600) into directories only their owner can enter (0700).
///
/// Each file is written to a temporary name in its directory, flushed, then renamed, so a reader never sees
/// half a report and a crash leaves the previous version.
public enum PrivateFiles {
    /// Creates `root/components…` as needed; every directory it creates or passes below `root` is made 0700.
    /// `root` itself, and any of its missing parent folders, is created 0700 when missing; an existing one is
    /// left as it is.
    /// - Throws: `ReportError` for an unsafe component, a non-directory in the way, or a failed call.
    @discardableResult
    public static func directory(_ root: URL, _ components: [(role: String, name: String)]) throws -> URL {
        try makeParents(of: root.path)
        try makeDirectory(root.path, tighten: false, named: root.path)
        var url = root
        for (role, name) in components {
            guard isSafeComponent(name) else { throw ReportError.unsafePathComponent(role: role) }
            url = url.appendingPathComponent(name, isDirectory: true)
            try makeDirectory(url.path, tighten: true)
        }
        return url
    }

    /// Writes `data` as `directory/name` with mode 0600, atomically.
    @discardableResult
    public static func write(_ data: Data, named name: String, in directory: URL) throws -> URL {
        try writeAll([(name, data)], in: directory)[0]
    }

    /// Writes several files into `directory` (mode 0600) as one: every file is written and flushed to a
    /// temporary name first, and only when all are complete are they renamed into place. On a failure (a full
    /// disk, a file size limit, a directory in the way) no temporary file stays and no file of the set is left
    /// renamed: a reader never finds half a set.
    /// - Returns: the files, in the order given.
    @discardableResult
    public static func writeAll(_ files: [(name: String, data: Data)], in directory: URL) throws -> [URL] {
        for file in files where !isSafeComponent(file.name) {
            throw ReportError.unsafePathComponent(role: "file name")
        }
        var temps: [URL] = []
        defer { for temp in temps { unlink(temp.path) } }
        for file in files {
            let temp = directory.appendingPathComponent(".\(file.name).\(getpid()).tmp")
            temps.append(temp)
            try writeFlushed(file.data, to: temp, name: file.name)
        }
        var renamed: [URL] = []
        for (file, temp) in zip(files, temps) {
            let target = directory.appendingPathComponent(file.name)
            guard rename(temp.path, target.path) == 0 else {
                let failure = ReportError.cannotWrite(path: file.name, call: "rename", errno: errno)
                for done in renamed { unlink(done.path) }
                throw failure
            }
            renamed.append(target)
        }
        temps = []
        return renamed
    }

    /// Creates `temp` (0600, never through a symbolic link), writes `data` and flushes it to disk.
    private static func writeFlushed(_ data: Data, to temp: URL, name: String) throws {
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ReportError.cannotWrite(path: temp.lastPathComponent, call: "open", errno: errno) }
        defer { close(fd) }
        if fchmod(fd, 0o600) != 0 { throw ReportError.cannotWrite(path: name, call: "fchmod", errno: errno) }
        var failure: ReportError?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .cannotWrite(path: name, call: "write", errno: errno)
                    return
                }
                offset += n
            }
        }
        if let failure { throw failure }
        if fsync(fd) != 0 { throw ReportError.cannotWrite(path: name, call: "fsync", errno: errno) }
    }

    /// A single path component: 1–128 of letters, digits, `.`, `_`, `-`; not `.` or `..`, not hidden.
    public static func isSafeComponent(_ s: String) -> Bool {
        guard (1...128).contains(s.utf8.count), s.first != "." else { return false }
        return s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
                || b == 0x2D
        }
    }

    /// Creates the missing folders above `path` (0700), like `mkdir -p`; existing ones (or links to them) are
    /// left as they are.
    private static func makeParents(of path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != "/", parent != path else { return }
        var st = stat()
        if stat(parent, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw ReportError.notADirectory(path: parent) }
            return
        }
        guard errno == ENOENT else { throw ReportError.cannotWrite(path: parent, call: "stat", errno: errno) }
        try makeParents(of: parent)
        try makeDirectory(parent, tighten: false, named: parent)
    }

    /// Creates `path` 0700 when missing; `name` is how errors name it (the root as given, else the last component).
    private static func makeDirectory(_ path: String, tighten: Bool, named name: String? = nil) throws {
        let name = name ?? lastComponent(path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw ReportError.notADirectory(path: name) }
            if tighten, (st.st_mode & 0o777) != 0o700, chmod(path, 0o700) != 0 {
                throw ReportError.cannotWrite(path: name, call: "chmod", errno: errno)
            }
            return
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw ReportError.cannotWrite(path: name, call: "mkdir", errno: errno)
        }
        // mkdir's mode is filtered by the umask; set it exactly.
        if chmod(path, 0o700) != 0 {
            throw ReportError.cannotWrite(path: name, call: "chmod", errno: errno)
        }
    }

    private static func lastComponent(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}

extension AbsenteeismList {
    /// The base name of this list's files: `absenteeism-PRACTICE-WEEK`.
    public var fileBaseName: String { "absenteeism-\(practiceId)-\(weekOf)" }

    /// Writes the CSV and HTML lists under `outbox/PRACTICE/WEEK/` (files 0600, directories 0700), both or
    /// neither (`PrivateFiles.writeAll`).
    ///
    /// - Parameters:
    ///   - outbox: the outbox root, e.g. `outbox/`; created 0700 when missing.
    ///   - template: the HTML template; nil writes the CSV only.
    /// - Returns: the files written, CSV first.
    @discardableResult
    public func write(toOutbox outbox: URL, template: HTMLTemplate?) throws -> [URL] {
        let dir = try PrivateFiles.directory(outbox, outboxFolders)
        return try PrivateFiles.writeAll(files(template: template), in: dir)
    }

    /// The folders under the outbox root this list's files go in: `PRACTICE/WEEK`.
    public var outboxFolders: [(role: String, name: String)] {
        [("practice id", practiceId), ("week", weekOf.description)]
    }

    /// The CSV list and, with a template, the HTML list (CSV first), without writing them.
    public func files(template: HTMLTemplate?) throws -> [(name: String, data: Data)] {
        var files = [(name: fileBaseName + ".csv", data: Data(csv().utf8))]
        if let template { files.append((name: fileBaseName + ".html", data: Data(try html(using: template).utf8))) }
        return files
    }
}
