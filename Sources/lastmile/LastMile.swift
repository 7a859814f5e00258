import ArgumentParser
import Delivery
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store

/// The `lastmile` command. Subcommands are listed here, in the order `--help` shows them.
@main
struct LastMile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lastmile",
        abstract: "Onboard non-clinical data into an HIE warehouse as consented, coded flags.",
        discussion: """
            lastmile extracts school attendance, shelter rosters, jail bookings and housing registries, matches \
            each person to the HIE's patients, keeps only what consent and law allow, and loads flags into \
            PostgreSQL. With no --database, it uses a private PostgreSQL cluster under .lastmile/.

            Exit codes: 0 ok, 64 usage, 65 unusable input data, 69 warehouse unavailable, 70 internal error, \
            73 output not writable, 75 temporary failure (retry later), 77 permission (the warehouse login's roles), \
            78 invalid configuration, 79 partial night (run: a source failed or its feed stopped; the others \
            committed).

            Example:  lastmile db start && lastmile db status
            """,
        version: "0.1.0",
        subcommands: LastMile.subcommandList)

    /// Parses, runs, and maps every error to one documented exit status (see `ExitStatus`).
    static func main() {
        // A file size limit (`ulimit -f`) then fails the write with EFBIG, which is cleaned up and reported
        // (exit 73), instead of killing the process and leaving a partly written file behind.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as any ClassifiedError {
            report("\(error)", status: error.exitStatus)
            Foundation.exit(error.exitStatus.rawValue)
        } catch {
            // Help, --version, usage and validation errors: ArgumentParser prints them (usage errors exit 64).
            if isArgumentParserError(error) { exit(withError: error) }
            report("internal error: \(error)", status: .software)
            Foundation.exit(ExitStatus.software.rawValue)
        }
    }

    /// The final error line: plain text, or with `--log-format json` one JSON object like every other line
    /// (a log shipper reading the cron log must not meet a multi-line text message).
    private static func report(_ message: String, status: ExitStatus) {
        let arguments = CommandLine.arguments
        let json =
            zip(arguments, arguments.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
            || arguments.contains("--log-format=json")
        guard json else { return standardError("lastmile: \(message)\n") }
        JSONLinesLogHandler(label: "lastmile").log(
            event: LogEvent(
                level: .error, message: "command failed",
                metadata: ["error": "\(message)", "exit.status": .number(status.rawValue)], source: "lastmile",
                file: #fileID, function: #function, line: #line))
    }

    private static func isArgumentParserError(_ error: any Error) -> Bool {
        error is CleanExit || error is ValidationError || error is ExitCode
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// Writes to standard error (Swift 6 forbids the global `stderr` as not concurrency-safe).
/// Messages name files and headers taken from inputs: their control characters are printed as escapes.
func standardError(_ text: String) {
    let safe = text.split(separator: "\n", omittingEmptySubsequences: false).map { terminalSafe(String($0)) }
    FileHandle.standardError.write(Data(safe.joined(separator: "\n").utf8))
}
