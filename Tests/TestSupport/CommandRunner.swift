import Foundation

/// Runs the built `lastmile` executable, as an end-to-end test would type it.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum LastMileBinary {
    /// The `lastmile` built next to the test bundle (`swift build` builds it with the tests).
    public static var url: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The test runner sits in …/debug/ (or inside a .xctest bundle there).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("lastmile").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("lastmile")
    }

    /// Runs `lastmile arguments…` in `directory` with extra environment variables and waits for it.
    public static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> CommandResult {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LASTMILE_DATABASE_URL")
        env.merge(environment) { _, new in new }
        return try ChildProcess.run(url, arguments, in: directory, environment: env)
    }
}

/// Runs a program to its end and collects what it printed.
public enum ChildProcess {
    /// Runs `executable arguments…` with no standard input (in `directory`, with `environment` when given) and
    /// waits for it, reading both pipes while it runs so neither fills up and blocks the child.
    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lastmile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
