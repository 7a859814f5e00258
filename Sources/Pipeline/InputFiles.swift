import Crypto
import Foundation

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
    static func members(_ path: String) throws -> (isFolder: Bool, files: [String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (false, [path])
        }
        return (true, try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 })
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
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: file])
            }
            defer { try? handle.close() }
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
