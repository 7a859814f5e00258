import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs the delivery command for reports not yet delivered and records each attempt in `lastmile.report`.
///
/// The command runs without a shell (arguments are substituted, never interpreted), with standard input,
/// output and error on /dev/null so nothing it prints reaches lastmile's logs, and is stopped after its
/// timeout. A report is marked delivered only when every run of the command for it exited 0.
public struct OutboxDelivery {
    public let connection: Connection
    public let command: DeliveryCommand
    public let logger: Logger
    /// The clock the attempts' times are read from.
    public let clock: Clock

    public init(connection: Connection, command: DeliveryCommand, clock: Clock, logger: Logger) {
        self.connection = connection
        self.command = command
        self.clock = clock
        self.logger = logger
    }

    /// One attempt's result.
    public struct Attempt: Sendable, Hashable {
        public var reportId: Int64
        public var reportName: String
        /// The command's exit status; 128 + signal when it was killed, 127 when it could not start.
        public var exitStatus: Int32
        public var delivered: Bool { exitStatus == 0 }
    }

    /// Exit status recorded when the program cannot be started (as a shell would say).
    public static let cannotStart: Int32 = 127

    /// Delivers the named reports that are pending or failed; delivered ones are skipped.
    public func deliver(reportNames: [String]) throws -> [Attempt] {
        let ledger = ReportLedger(connection: connection)
        var attempts: [Attempt] = []
        for name in reportNames {
            guard let report = try ledger.report(named: name),
                report.deliveryStatus == .pending || report.deliveryStatus == .failed
            else { continue }
            var status: Int32 = 0
            for argv in command.arguments(for: report) where status == 0 {
                status = run(argv)
            }
            try ledger.recordAttempt(reportId: report.reportId, exitStatus: status, at: clock.now)
            let metadata: Logger.Metadata = [
                "report.id": .number(report.reportId), "practice": "\(report.practiceId ?? "-")",
                "exit.status": .number(status), "attempt": .number(report.attempts + 1),
            ]
            if status == 0 {
                logger.info("report delivered", metadata: metadata)
            } else {
                logger.warning("delivery failed; retried on the next run", metadata: metadata)
            }
            attempts.append(Attempt(reportId: report.reportId, reportName: report.name, exitStatus: status))
        }
        return attempts
    }

    /// lastmile's environment without the warehouse's credentials: the delivery program never needs them.
    package static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { key, _ in
            key != WarehouseLocation.environmentVariable && key != "LASTMILE_TEST_DATABASE_URL" && !key.hasPrefix("PG")
        }
    }

    /// Runs one argument vector with the timeout; returns its exit status.
    package func run(_ argv: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = Self.childEnvironment(ProcessInfo.processInfo.environment)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            logger.warning("delivery command could not start", metadata: ["program": "\(argv[0])"])
            return Self.cannotStart
        }
        if finished.wait(timeout: .now() + .seconds(command.timeoutSeconds)) == .timedOut {
            logger.warning(
                "delivery command timed out", metadata: ["timeout.seconds": .stringConvertible(command.timeoutSeconds)])
            process.terminate()
            if finished.wait(timeout: .now() + .seconds(2)) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        switch process.terminationReason {
        case .exit: return process.terminationStatus
        case .uncaughtSignal: return 128 + process.terminationStatus
        @unknown default: return process.terminationStatus
        }
    }
}

/// Some deliveries failed; they are retried on the next run.
public struct DeliveryFailed: ClassifiedError, CustomStringConvertible {
    public var failed: Int
    public init(failed: Int) { self.failed = failed }
    public var exitStatus: ExitStatus { .temporaryFailure }
    public var description: String {
        "\(failed) report(s) not delivered; the next run retries them (see lastmile.report.last_exit_status)"
    }
}

extension DeliveryCommand {
    /// The argument vectors to run for a report: one per file when an argument mentions `{file}`, else one.
    public func arguments(for report: ReportLedger.Entry) -> [[String]] {
        let files = report.files.map(\.path)
        func substitute(_ argument: String, file: String?) -> [String] {
            if argument == "{files}" { return files }
            var out = argument
            out = out.replacingOccurrences(of: "{practice_id}", with: report.practiceId ?? "")
            out = out.replacingOccurrences(of: "{week}", with: report.weekOf?.description ?? "")
            out = out.replacingOccurrences(of: "{report}", with: report.name)
            out = out.replacingOccurrences(of: "{dir}", with: report.directory.path)
            if let file { out = out.replacingOccurrences(of: "{file}", with: file) }
            return [out]
        }
        let perFile = arguments.contains { $0.contains("{file}") }
        let targets: [String?] = perFile ? files.map { $0 } : [nil]
        return targets.map { file in arguments.flatMap { substitute($0, file: file) } }
    }
}
