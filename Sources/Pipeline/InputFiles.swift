import Crypto
import Extractors
import Foundation
import Store

/// Finding a source's inputs and fingerprinting them, so that a file is loaded once per source.
enum InputFiles {
    /// The paths matching a glob pattern, sorted (files, or folders for multi-file formats).
    static func matching(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The files an input is made of: the file itself, or a folder's files sorted by name (an HMIS export).
    /// A symbolic link is never followed: a link to a folder is one (refused) file.
    static func members(_ path: String) throws -> (isFolder: Bool, files: [String]) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return (false, [path]) }
        return (true, try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 })
    }

    /// Why an input is refused, naming the file (the input, or the folder member at fault); nil when the input
    /// is a regular file or a folder of regular files. Symbolic links, FIFOs, sockets and devices are refused:
    /// a link could reach outside the inbox, a FIFO would block the run while it holds the lock.
    static func refusal(_ path: String, name: String) -> String? {
        guard let (isFolder, files) = try? members(path) else { return "\(name): cannot list the folder" }
        if !isFolder { return RegularFile.refusal(path).map { "\(name) \($0)" } }
        for file in files {
            if let problem = RegularFile.refusal(file) {
                return "\(name)/\(URL(fileURLWithPath: file).lastPathComponent) \(problem)"
            }
        }
        return nil
    }

    /// The folders holding `paths` (and a folder input itself) that every user may write to (mode o+w): anyone
    /// on the machine could then place or swap an input there.
    static func worldWritableFolders(_ paths: [String]) -> [String] {
        var folders = Set(paths.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        for path in paths where (try? members(path))?.isFolder == true { folders.insert(path) }
        return folders.sorted().filter { folder in
            var info = stat()
            return lstat(folder, &info) == 0 && (info.st_mode & S_IWOTH) != 0
        }
    }

    /// The newest modification time of a file, or of a folder and any file in it.
    static func newestModification(_ path: String) -> Date? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let (isFolder, files) = (try? members(path)) ?? (true, [])
        return (files + (isFolder ? [path] : [])).compactMap {
            (try? FileManager.default.attributesOfItem(atPath: $0))?[.modificationDate] as? Date
        }.max()
    }

    /// SHA-256 of a file, or of a folder (its sorted file names and contents), as lowercase hex; and its size.
    static func sha256(_ path: String) throws -> (hex: String, bytes: Int) {
        var hasher = SHA256()
        var total = 0
        let (isFolder, files) = try members(path)
        for file in files {
            if isFolder { hasher.update(data: Data((URL(fileURLWithPath: file).lastPathComponent + "\n").utf8)) }
            let handle: FileHandle
            switch RegularFile.openForReading(file) {
            case .success(let fd): handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            case .failure(let refusal):
                let name = URL(fileURLWithPath: file).lastPathComponent
                throw InputError(file: name, problem: .cannotOpen(reason: refusal.description))
            }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
                total += chunk.count
            }
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
    }

    /// What identifies one state of an input: per file (every file of a folder), its inode, size and
    /// modification time to the nanosecond. Taken before an input is fingerprinted and again after it was
    /// read; a difference means it was being written meanwhile.
    struct State: Equatable {
        var files: [String: [Int]] = [:]
    }

    static func state(_ path: String) -> State {
        var result = State()
        for file in (try? members(path).files) ?? [] {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            result.files[file] = [
                Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec),
            ]
        }
        return result
    }
}
