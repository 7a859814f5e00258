/// The process exit statuses lastmile uses (after sysexits.h), documented in the README.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case ok = 0
    /// Bad command line.
    case usage = 64
    /// An input file is unusable (empty, no header, a required column missing, not text).
    case dataError = 65
    /// The warehouse cannot be reached or refused the connection (bad address, authentication).
    case unavailable = 69
    /// A bug or an unexpected failure.
    case software = 70
    /// An output (rejects file, outbox) cannot be written.
    case cannotCreate = 73
    /// A temporary failure: the server went away, another run holds the lock. Try again later.
    case temporaryFailure = 75
    /// The warehouse login lacks a privilege the command needs (its role does not allow it).
    case permission = 77
    /// A configuration file is invalid.
    case configuration = 78
    /// A partial night: the run committed, but some source failed (an unusable input) or some input was
    /// refused; the summary, the ledger and the metrics name them, and the next run retries them.
    case partialFailure = 79
}

/// An error that knows which exit status it deserves. The CLI maps every other error to `.software`.
public protocol ClassifiedError: Error {
    var exitStatus: ExitStatus { get }
}
