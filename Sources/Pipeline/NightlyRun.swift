import Consent
import Extractors
import Flags
import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

/// Options of one `lastmile run`.
public struct RunOptions: Sendable {
    public var asOf: CivilDate
    /// Do everything, then roll back: nothing is committed and no rejects file is kept.
    public var dryRun = false
    /// Run only these sources (all of the pipeline's when nil).
    public var onlySources: Set<String>?
    /// Prometheus textfile-collector file to write after the run.
    public var metricsFile: String?
    /// Report a line per stage to standard error (on a terminal).
    public var showProgress = false
    /// COPY rows straight into a table that holds nothing of their source yet (a first night, a new source's
    /// backfill); false merges them through staging as on later nights (the same rows either way).
    public var copyIntoEmptyTables = true
    /// The clock the ledger's times, the settle check, the feed age and retention read (a fixed one in tests).
    public var clock: Clock
    /// Input files to load again although loaded before, replacing what they produced (`--reprocess`); each
    /// must be one of a running source's inputs.
    public var reprocess: [String] = []
    /// Where the matcher's MPI index is kept between nights (`MPIIndexFile`); nil builds it each night.
    public var matchIndexDirectory: URL?
    /// Patient rows changed since the kept index was written above which a night writes it again; nil: 1 % of
    /// the MPI, at least 10,000 (`RunState.rewriteThreshold`).
    public var matchIndexRewriteAfter: Int?

    public init(asOf: CivilDate, clock: Clock) {
        self.asOf = asOf
        self.clock = clock
    }
}

/// The nightly run: extract → gate 1 → match → gate 2 → load events → derive flags, in one transaction.
///
/// Sources are independent jobs: a run holds an advisory lock per source it runs (`sourceLockKey`), so runs of
/// other sources (`lastmile run --source`) go on at the same time against the same warehouse, and a second run
/// of the same source waits (up to the pipeline's `lock_wait_seconds`) or exits 75. The reference data (MPI,
/// merges, attribution, consent) is refreshed first, in a short transaction of its own under `referenceLockKey`;
/// the flags of the patients the run touched are derived last, under `flagsLockKey` held to the commit, so
/// derivations never interleave and the last one sees every committed event. A crash at any point leaves the
/// warehouse as it was, except for reference data already refreshed (the ledger row is then marked failed by
/// the next run); an input file already loaded (same source and sha256) is skipped, so a repeated night changes
/// nothing. A source with an unusable input is left out of the night (`RunSummary.failedSources`); the others
/// commit.
public struct NightlyRun {
    /// The transaction-level advisory lock of the flag step (the whole run's lock before sources ran apart).
    public static let flagsLockKey: Int64 = 0x6C61_7374_6D69_0002
    /// The transaction-level advisory lock of the reference-data refresh.
    public static let referenceLockKey: Int64 = 0x6C61_7374_6D69_0011

    /// The session-level advisory lock of one source's extract and load: FNV-1a (64 bits) of its name.
    public static func sourceLockKey(_ source: String) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in "lastmile.source\u{1F}\(source)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }

    public let config: PipelineConfig
    public let options: RunOptions
    public let logger: Logger

    public init(config: PipelineConfig, options: RunOptions, logger: Logger) {
        self.config = config
        self.options = options
        self.logger = logger
    }

    /// Runs the pipeline against `connection` (already migrated) and returns its summary.
    public func run(connection: Connection) throws -> RunSummary {
        let started = ContinuousClock.now
        let clock = options.clock
        // A source whose agreement is missing, expired or of another category is a configuration error: the
        // run refuses (78) before it touches the warehouse, instead of dropping every row of that source.
        let gate = try config.consentGate(on: options.asOf, sources: options.onlySources)
        // If this process is killed mid-query, let the server notice within a second and roll back, so the
        // lock and the transaction do not outlive the process (PostgreSQL 14+).
        let ledger = RunLedger(connection: connection)
        try ledger.checkClientEverySecond()
        let held = try lockSources(connection)
        defer { for key in held { _ = try? connection.advisoryUnlock(key) } }
        let abandoned = try ledger.closeAbandonedRuns(at: clock.now)
        if abandoned > 0 {
            logger.warning("closed runs left running by a killed process", metadata: ["runs": .number(abandoned)])
        }

        var summary = RunSummary(pipeline: config.name, asOf: options.asOf.description, dryRun: options.dryRun)
        let runId: Int64? =
            options.dryRun ? nil : try ledger.start(pipeline: config.name, asOf: options.asOf, at: clock.now)
        defer { if let runId { _ = try? ledger.release(runId: runId) } }
        summary.runId = runId
        var log = logger
        if let runId {
            log[metadataKey: "run.id"] = .number(runId)
        } else {
            log[metadataKey: "run.dry_run"] = .stringConvertible(true)
        }
        log.info("run started", metadata: ["pipeline": "\(config.name)", "run.as_of": "\(options.asOf)"])

        let rejects: RejectsLocation
        do {
            rejects = try RejectsLocation(
                config: config, runId: runId, now: clock.now,
                uncommittedRuns: try ledger.uncommittedRuns(pipeline: config.name, except: runId), logger: log)
        } catch {
            // Nothing was read yet; the ledger row must not stay `running` for a run that has ended.
            if let runId {
                _ = try? ledger.finish(
                    runId: runId, status: "failed", inputs: [], counts: summary,
                    message: String(describing: error), at: clock.now)
            }
            log.error("run failed; nothing was committed")
            throw error
        }
        var inputs: [RunInput] = []
        // The sources' files are parsed on the second core while the server loads the reference data.
        var preRead: PreReadInputs?
        defer { preRead?.cancelAndWait() }
        // So is the kept MPI index file (a night that fails first still waits for the read, and drops it).
        let indexRead = options.matchIndexDirectory.map {
            PendingIndexRead(MPIIndexFile(directory: $0), version: MPIIndexVersion.of(config))
        }
        defer { _ = indexRead?.take() }
        do {
            preRead = readAhead(connection, gate: gate)
            var reference = ReferenceRefresh(config: config, options: options, logger: log, connection: connection)
            // A first MPI load's rows make the night's index as they are written (nil when copies are off).
            reference.indexing = options.copyIntoEmptyTables ? MPIIndexFromFirstLoad() : nil
            var touched: Set<String> = []
            // The reference data commits on its own, so that runs of other sources wait for it only briefly; a
            // dry run refreshes it inside its transaction, and rolls it back with the rest.
            if !options.dryRun { touched = try connection.withTransaction { try reference.refresh(into: &summary) } }
            // This school year's and the next one's partitions, before the run's transaction (docs/scaling.md).
            if !options.dryRun {
                try connection.withTransaction {
                    try SchoolYearPartitions(connection: connection).ensureCurrent(asOf: options.asOf)
                }
            }
            try connection.withTransaction {
                // A dry run needs a run row for its foreign keys; it is rolled back with everything else.
                let effectiveRunId = try runId ?? ledger.start(pipeline: config.name, asOf: options.asOf, at: clock.now)
                defer { if runId == nil { _ = try? ledger.release(runId: effectiveRunId) } }
                if options.dryRun { touched = try reference.refresh(into: &summary) }
                var state = RunState(
                    config: config, options: options, logger: log, connection: connection,
                    runId: effectiveRunId, rejects: rejects, gate: gate, touchedByReference: touched)
                state.preRead = preRead
                state.indexRead = indexRead
                state.indexFromLoad = reference.indexing
                state.reprocessRequestNames = try Self.checksums(of: options.reprocess)
                try state.execute(summary: &summary, inputs: &inputs)
                summary.seconds = (ContinuousClock.now - started).seconds
                guard summary.isBalanced else {
                    throw PipelineError.unbalanced(sources: summary.sources.filter { !$0.isBalanced }.map(\.source))
                }
                if options.dryRun { throw DryRunRollback() }
                try ledger.finish(
                    runId: effectiveRunId, status: "succeeded", inputs: inputs, counts: summary,
                    message: Self.partialMessage(summary), at: clock.now)
            }
        } catch is DryRunRollback {
            rejects.discard()
            log.info("dry run rolled back")
            return summary
        } catch {
            rejects.discard()
            if let runId {
                // The data rolled back; the ledger row (outside the transaction) says why the run failed.
                _ = try? ledger.finish(
                    runId: runId, status: "failed", inputs: inputs, counts: summary,
                    message: String(describing: error), at: clock.now)
            }
            if let metrics = options.metricsFile {
                MetricsFile.writeFailure(path: metrics, error: error, connection: connection, pipeline: config.name)
            }
            log.error("run failed; nothing was committed")
            throw error
        }
        if let metrics = options.metricsFile {
            do {
                try MetricsFile.write(path: metrics, summary: summary, connection: connection, pipeline: config.name)
            } catch {
                log.error("run committed; the metrics file could not be written")
                throw MetricsNotWrittenAfterCommit(path: metrics, summary: summary)
            }
        }
        if summary.isPartial {
            log.error(
                "run committed without some inputs",
                metadata: [
                    "sources.failed": "\(summary.failedSources.map(\.source).joined(separator: ","))",
                    "inputs.refused": .number(summary.refusedInputs.count),
                ])
        }
        log.info(
            "run succeeded",
            metadata: [
                "rows.read": .number(summary.sources.map(\.rowsRead).reduce(0, +)),
                "flags.active": .number(summary.flags.active), "seconds": .seconds(summary.seconds),
            ])
        return summary
    }
}

extension NightlyRun {
    /// Takes the lock of every source the run runs, in name order (so two runs never wait on each other in a
    /// cycle), each waiting up to `lock_wait_seconds`; returns the keys held. Exits 75 (`lockHeld`) when one
    /// stays held, releasing those already taken.
    func lockSources(_ connection: Connection) throws -> [Int64] {
        let names = config.sources.map(\.name).filter { options.onlySources?.contains($0) ?? true }.sorted()
        var held: [Int64] = []
        for name in names {
            let key = Self.sourceLockKey(name)
            guard try connection.advisoryLock(key, timeoutSeconds: config.lockWaitSeconds) else {
                for key in held { _ = try? connection.advisoryUnlock(key) }
                throw WarehouseError(kind: .lockHeld, context: "start run of source \(name) of \(config.name)")
            }
            held.append(key)
        }
        return held
    }

    /// Starts reading the running sources' files that the input-file ledger does not already hold (or holds
    /// to be loaded again), on a thread of its own; the extract stage takes what it read (`PreReadInputs`).
    /// Nil when the ledger cannot be read: the extract stage then reads every file itself (and meets the error).
    func readAhead(_ connection: Connection, gate: ConsentGate) -> PreReadInputs? {
        let sources = config.sources.filter { options.onlySources?.contains($0.name) ?? true }
        let again = Set(((try? Self.checksums(of: options.reprocess)) ?? [:]).keys)
        guard let ledger = try? IngestedFiles(connection: connection).list() else { return nil }
        var loaded: [String: Set<String>] = [:]
        for entry in ledger where !entry.reprocess {
            if !again.contains(entry.sha256) { loaded[entry.source, default: []].insert(entry.sha256) }
        }
        return PreReadInputs(
            sources: sources, alreadyLoaded: loaded, settleSeconds: config.inputSettleSeconds, now: options.clock.now,
            gate1: PreReadInputs.Gate1(gate: gate, purpose: config.purpose, asOf: options.asOf))
    }

    /// The ledger message of a partial night (failed sources, refused inputs), nil for a complete one.
    static func partialMessage(_ summary: RunSummary) -> String? {
        var parts: [String] = []
        if !summary.failedSources.isEmpty { parts.append(SourcesFailed(sources: summary.failedSources).description) }
        if !summary.refusedInputs.isEmpty { parts.append(InputsRefused(inputs: summary.refusedInputs).description) }
        return parts.isEmpty ? nil : "partial: " + parts.joined(separator: "; ")
    }
}

extension NightlyRun {
    /// SHA-256 → name of each file to reprocess; a file that cannot be read is an input error.
    static func checksums(of paths: [String]) throws -> [String: String] {
        var named: [String: String] = [:]
        for path in paths {
            let name = URL(fileURLWithPath: path).lastPathComponent
            guard FileManager.default.fileExists(atPath: path) else { throw PipelineError.notAnInput(file: name) }
            named[try InputFiles.sha256(path).hex] = name
        }
        return named
    }
}

struct DryRunRollback: Error {}

/// A run could not complete for a reason of its own (not the warehouse's or an input's).
public enum PipelineError: ClassifiedError, CustomStringConvertible {
    case unbalanced(sources: [String])
    case cannotReadPolicy(path: String)
    case cannotReadModel(path: String)
    /// The linker decided a match without naming the patient (a bug).
    case matchWithoutCandidate
    /// A file given to `--reprocess` is not an input of any source that ran.
    case notAnInput(file: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .unbalanced, .matchWithoutCandidate: .software
        case .cannotReadPolicy, .cannotReadModel: .configuration
        case .notAnInput: .usage
        }
    }

    public var description: String {
        switch self {
        case .unbalanced(let sources):
            "row accounting does not balance for \(sources.joined(separator: ", ")); nothing was committed (a bug)"
        case .cannotReadPolicy(let path): "\(path): cannot read the consent policy"
        case .cannotReadModel(let path): "\(path): cannot read the match model"
        case .matchWithoutCandidate: "the linker decided a match without a patient; nothing was committed (a bug)"
        case .notAnInput(let file):
            "\(file): --reprocess names a file that is not an input of the sources run (see `lastmile files list`); "
                + "nothing was committed"
        }
    }
}
