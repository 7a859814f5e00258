import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Warehouse as a PostgreSQL URL or conninfo; else LASTMILE_DATABASE_URL, else the embedded cluster.",
            valueName: "url"))
    var database: String?

    @Option(name: .long, help: "Log format on standard error: text, or json (one object per line, for cron).")
    var logFormat: LogFormat = .text

    @ArgumentParser.Flag(name: .long, help: "Log debug detail (still never personal data).")
    var verbose = false

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// Bootstraps swift-log once for the process and returns the `lastmile` logger.
    func makeLogger() -> Logger {
        let level: Logger.Level = verbose ? .debug : .info
        let format = logFormat
        LoggingBootstrap.once {
            LoggingSystem.bootstrap { label in
                switch format {
                case .json:
                    var handler = JSONLinesLogHandler(label: label)
                    handler.logLevel = level
                    return handler
                case .text:
                    // A file name or a message from an input must not break or forge a line of the text log.
                    var handler = EscapingLogHandler(StreamLogHandler.standardError(label: label))
                    handler.logLevel = level
                    return handler
                }
            }
        }
        return Logger(label: "lastmile")
    }
}

/// `LoggingSystem.bootstrap` may run only once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func once(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if !done {
            body()
            done = true
        }
    }
}
