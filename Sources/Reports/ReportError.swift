import Foundation
import LastMileCore

/// A report or export that could not be written. Messages name paths relative to the output root and the
/// system error, never a patient.
public enum ReportError: Error, ClassifiedError, CustomStringConvertible, Equatable {
    /// A practice id or week that cannot be a single path component (`/`, `..`, control characters).
    case unsafePathComponent(role: String)
    /// A directory or file could not be created or written; `errno` from the failing call.
    case cannotWrite(path: String, call: String, errno: Int32)
    /// Something other than a directory sits where a directory is needed (a file, a symbolic link).
    case notADirectory(path: String)
    case templateUnreadable(file: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .templateUnreadable: .configuration
        default: .cannotCreate
        }
    }

    public var description: String {
        switch self {
        case .unsafePathComponent(let role):
            "the \(role) cannot be used as a directory name; expected letters, digits, '.', '_' or '-'"
        case .cannotWrite(let path, let call, let errno):
            "\(path): \(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .notADirectory(let path): "\(path): expected a directory, found something else (a file or a link)"
        case .templateUnreadable(let file): "\(file): template missing or not UTF-8 text"
        }
    }
}
