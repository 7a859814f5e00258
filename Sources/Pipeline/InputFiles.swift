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

    /// The newest modification time of a file, or of any file in a folder (an HMIS export).
    static func newestModification(_ path: String) -> Date? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let files = isDirectory.boolValue
            ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 } + [path] : [path]
        return files.compactMap { (try? fm.attributesOfItem(atPath: $0))?[.modificationDate] as? Date }.max()
    }

    /// SHA-256 of a file, or of a folder (its sorted file names and contents), as lowercase hex; and its size.
    static func sha256(_ path: String) throws -> (hex: String, bytes: Int) {
        var hasher = SHA256()
        var total = 0
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let files: [String]
        if isDirectory.boolValue {
            files = try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
        } else {
            files = [path]
        }
        for file in files {
            if isDirectory.boolValue { hasher.update(data: Data((URL(fileURLWithPath: file).lastPathComponent + "\n").utf8)) }
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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return State() }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 } : [path]
        var result = State()
        for file in files {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            result.files[file] = [
                Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec),
            ]
        }
        return result
    }
}
