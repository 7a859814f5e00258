import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens inputs only when they are regular files: never through a symbolic link (a link in an inbox could
/// point at a file outside it, or at `/etc/shadow`) and never blocking on a FIFO or a device.
public enum RegularFile {
    /// Why a path was not opened. Its description names no path: callers add the file's name.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case symbolicLink
        case notRegular(kind: String)
        case cannotOpen(errno: Int32)

        public var description: String {
            switch self {
            case .symbolicLink: "is a symbolic link (inputs must be regular files)"
            case .notRegular(let kind): "is \(kind), not a regular file"
            case .cannotOpen(let code): String(cString: strerror(code))
            }
        }
    }

    /// Opens `path` read-only with `O_NOFOLLOW | O_NONBLOCK`, checks with `fstat` that it is a regular file,
    /// then clears `O_NONBLOCK`. The caller closes the descriptor.
    public static func openForReading(_ path: String) -> Result<Int32, Refusal> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            return .failure(code == ELOOP ? .symbolicLink : .cannotOpen(errno: code))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            return .failure(.cannotOpen(errno: code))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return .failure(.notRegular(kind: kind(info.st_mode)))
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return .success(fd)
    }

    /// Why `path` itself (not what a link points to) is not a regular file; nil when it is one.
    public static func refusal(_ path: String) -> Refusal? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .cannotOpen(errno: errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFLNK: return .symbolicLink
        default: return .notRegular(kind: kind(info.st_mode))
        }
    }

    /// What a file of this mode is, in words ("a directory", "a FIFO" …).
    public static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
