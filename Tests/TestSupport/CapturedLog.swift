import Foundation
import Logging

/// Log messages with their metadata, kept for a test to read.
public final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(message: String, metadata: Logger.Metadata)] = []

    public init() {}

    public func append(_ message: String, _ metadata: Logger.Metadata) {
        lock.withLock { entries.append((message, metadata)) }
    }

    /// The numeric `field` of each message `message` about `table`.
    public func numbers(_ message: String, table: String, field: String) -> [Int] {
        lock.withLock {
            entries.filter { $0.message == message && $0.metadata["table"]?.description == table }
                .compactMap { $0.metadata[field].flatMap { Int($0.description) } }
        }
    }

    /// A debug-level logger whose every message lands here.
    public var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler(log: self) }
        logger.logLevel = .debug
        return logger
    }
}

/// The handler behind `CapturedLog.logger`.
public struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .debug

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        log.append(event.message.description, metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}
