import Consent
import Extractors
import Foundation
import LastMileCore
import Logging
import Store

/// The night as extracted: the records gate 1 admitted, the rows the extractors quarantined, gate 1's tally and
/// the per-source counts so far.
struct ExtractedNight {
    /// The admitted records, one array per file read (in order): the match stage takes them file by file, so
    /// that grouping them by person never holds a second copy of the whole night.
    var admitted: [[SourceRecord]] = []
    var rejected: [RejectedRow] = []
    var gate1 = DecisionTally()
    var counts = NightCounts()
    /// Per source, the files read tonight: their input names and checksums, which were reprocessed, and the
    /// records of the newest (what a full snapshot keeps).
    var files: [String: SourceFiles] = [:]
}

/// The files one source read tonight, for the load stage.
struct SourceFiles {
    /// Input name (the file, or an HMIS folder) → SHA-256.
    var sha256ByInput: [String: String] = [:]
    /// Checksums of the files loaded again (`--reprocess`, `files forget`).
    var reprocessed: Set<String> = []
    /// Every record (before the gates) of the newest file read tonight.
    var newestRecords: [SourceRecord] = []
    var newestName: String?
    var newestSha256: String?

    /// The checksum of the file a record came from (its provenance names the input, or a folder's member).
    func sha256(of record: SourceRecord) -> String? {
        let file = record.provenance.file
        if let sha = sha256ByInput[file] { return sha }
        return file.split(separator: "/", maxSplits: 1).first.flatMap { sha256ByInput[String($0)] }
    }
}

extension RunState {
    /// Reads every new, settled input file of the sources, applies gate 1 and records each file read in the
    /// input-file ledger. Files refused (not regular files) are named in `refused`.
    ///
    /// Each source is read whole before anything of it is written: a source with an unusable input (an
    /// `InputError`: empty, no header, unreadable, a required column missing) is named in `failed` and leaves
    /// nothing of itself — no records, no rejects, no `ingested_file` rows, so the next run retries its files.
    /// Any other error fails the whole run.
    func extract(
        _ sources: [SourceConfig], inputs: inout [RunInput], refused: inout [String], failed: inout [FailedSource]
    ) throws -> ExtractedNight {
        var night = ExtractedNight()
        let ingested = IngestedFiles(connection: connection)
        for source in sources {
            let extractor = try ExtractorRegistry.makeExtractor(for: source)
            let read: SourceRead
            do {
                read = try readSource(source, with: extractor, ingested: ingested, refused: &refused)
            } catch let error as InputError {
                failed.append(FailedSource(source: source.name, message: String(describing: error)))
                night.counts[source.name] = SourceRunCounts(source: source.name)
                logger.error(
                    "source failed for this run; its files are left for the next run, the other sources go on",
                    metadata: ["source": "\(source.name)", "file": "\(error.file)", "error.code": "\(error.code)"])
                continue
            }
            var counts = read.counts
            if let stale = try checkFeedAge(source, read: read, counts: &counts, ingested: ingested) {
                failed.append(stale)
                night.counts[source.name] = counts
                continue
            }
            try checkRowCounts(source, read: read, counts: &counts, ingested: ingested)
            inputs += read.skipped
            var files = SourceFiles()
            for (ready, sink) in read.files {
                let file = ready.file
                let rowsRead = try admit(sink, from: file, counts: &counts, into: &night)
                inputs.append(ready.input(skipped: false, reprocessed: ready.reprocess))
                files.sha256ByInput[file.name] = ready.sha256
                // Only a full snapshot's newest records are read again (to retire what it no longer lists);
                // keeping a delta source's would hold a second copy of its rows to the end of the night.
                files.newestRecords = source.feed.snapshot == .full ? sink.records : []
                files.newestName = file.name
                files.newestSha256 = ready.sha256
                if ready.reprocess {
                    files.reprocessed.insert(ready.sha256)
                    try ingested.recordReprocessed(
                        source: source.name, sha256: ready.sha256, fileName: file.name, rowsRead: rowsRead,
                        runId: runId)
                } else {
                    try ingested.record(
                        source: source.name, sha256: ready.sha256, fileName: file.name, bytes: ready.bytes,
                        rowsRead: rowsRead, runId: runId, at: options.clock.now)
                }
                logger.info(
                    ready.reprocess ? "extracted again (reprocessed)" : "extracted",
                    metadata: [
                        "source": "\(source.name)", "file": "\(file.name)", "rows.read": .number(rowsRead),
                        "rows.rejected": .number(sink.rejections.count),
                    ])
            }
            try saveCalendars(read.calendars, of: source, inputs: &inputs, ingested: ingested)
            counts.warnings += read.files.flatMap { $0.1.warnings.map(\.description) }
            night.counts[source.name] = counts
            night.files[source.name] = files
        }
        try rejects.flush()
        // What was read ahead and not taken (a failed source's other files) is not kept through the night.
        preRead?.cancelAndWait()
        return night
    }

    /// What one source's inputs held, read before anything of the source is written.
    struct SourceRead {
        var counts: SourceRunCounts
        /// Inputs already loaded (same source and sha256), skipped.
        var skipped: [RunInput] = []
        /// Inputs read whole, with what they held, in the order read.
        var files: [(ReadyFile, RunSink)] = []
        /// An absences-only source's school calendar files, read whole.
        var calendars: [(ReadyFile, [SchoolCalendarDay])] = []
    }

    /// Reads every new, settled input of `source`; throws the first `InputError` of any of them.
    private func readSource(
        _ source: SourceConfig, with extractor: any Extractor, ingested: IngestedFiles, refused: inout [String]
    ) throws -> SourceRead {
        let paths = InputFiles.matching(source.input ?? "")
        warnAboutWritableFolders(paths, source: source.name)
        var read = SourceRead(counts: SourceRunCounts(source: source.name))
        read.counts.filesMatched = paths.count
        for path in paths {
            let file = InputFile(source: source.name, path: path)
            guard var ready = try readyToRead(file, counts: &read.counts, refused: &refused) else { continue }
            if let loaded = try ingested.entry(source: source.name, sha256: ready.sha256) {
                if loaded.reprocess || reprocessRequests.contains(ready.sha256) {
                    ready.reprocess = true
                    read.counts.filesReprocessed += 1
                    guard
                        let sink = try self.read(
                            file, with: extractor, before: ready.state, sha256: ready.sha256, counts: &read.counts)
                    else { continue }
                    read.files.append((ready, sink))
                    continue
                }
                read.counts.filesSkipped += 1
                read.skipped.append(ready.input(skipped: true))
                logger.info(
                    "input already loaded; skipped",
                    metadata: [
                        "source": "\(source.name)", "file": "\(file.name)", "file.sha256": "\(ready.sha256)",
                    ])
                continue
            }
            guard
                let sink = try self.read(
                    file, with: extractor, before: ready.state, sha256: ready.sha256, counts: &read.counts)
            else {
                continue
            }
            read.files.append((ready, sink))
        }
        if source.attendance == .absencesOnly {
            try readDenominators(source, ingested: ingested, into: &read, refused: &refused)
        }
        return read
    }

    /// One input file of a source.
    struct InputFile {
        var source: String
        var path: String
        var name: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    /// A file that may be read: its state before reading, checksum and size.
    struct ReadyFile {
        var file: InputFile
        var state: InputFiles.State
        var sha256: String
        var bytes: Int
        /// Already loaded, and to be loaded again.
        var reprocess = false

        func input(skipped: Bool, reprocessed: Bool = false) -> RunInput {
            RunInput(
                source: file.source, file: file.name, sha256: sha256, bytes: bytes, skipped: skipped,
                reprocessed: reprocessed)
        }
    }

    func warnAboutWritableFolders(_ paths: [String], source: String) {
        for folder in InputFiles.worldWritableFolders(paths) {
            let folderName = URL(fileURLWithPath: folder).lastPathComponent
            logger.warning(
                "inbox is writable by other users (mode o+w); anyone on the machine can place inputs there",
                metadata: ["source": "\(source)", "folder": "\(folderName)"])
        }
    }

    /// The file's checksum and state, or nil when it is not a regular file (refused) or still being written.
    func readyToRead(_ file: InputFile, counts: inout SourceRunCounts, refused: inout [String]) throws
        -> ReadyFile?
    {
        let metadata: Logger.Metadata = ["source": "\(file.source)", "file": "\(file.name)"]
        if let problem = InputFiles.refusal(file.path, name: file.name) {
            refused.append(problem)
            logger.error("input is not a regular file; not read", metadata: metadata)
            return nil
        }
        if config.inputSettleSeconds > 0, let modified = InputFiles.newestModification(file.path),
            options.clock.now.timeIntervalSince(modified) < Double(config.inputSettleSeconds)
        {
            counts.filesUnsettled += 1
            logger.warning("input still being written; left for the next run", metadata: metadata)
            return nil
        }
        let state = InputFiles.state(file.path)
        let (sha, bytes) =
            try preRead?.checksum(source: file.source, path: file.path, state: state) ?? InputFiles.sha256(file.path)
        return ReadyFile(file: file, state: state, sha256: sha, bytes: bytes)
    }

    /// Extracts the file, or returns nil when it changed while read (an upload still under way: whatever
    /// input_settle_seconds says, its complete version is loaded by the next run).
    private func read(
        _ file: InputFile, with extractor: any Extractor, before: InputFiles.State, sha256: String,
        counts: inout SourceRunCounts
    ) throws -> RunSink? {
        if let ahead = preRead?.take(source: file.source, path: file.path, state: before, sha256: sha256) {
            return try ahead.get()
        }
        var sink = RunSink()
        try extractor.extract(InputLocation(path: file.path, name: file.name), into: &sink)
        guard InputFiles.state(file.path) == before else {
            counts.filesUnsettled += 1
            logger.warning(
                "input changed while read; left for the next run",
                metadata: ["source": "\(file.source)", "file": "\(file.name)"])
            return nil
        }
        return sink
    }

    /// Writes the file's rejected rows to the rejects file, counts them, and admits its records through gate 1.
    /// - Returns: the rows read (records and rejected rows).
    private func admit(
        _ sink: RunSink, from file: InputFile, counts: inout SourceRunCounts, into night: inout ExtractedNight
    )
        throws -> Int
    {
        if !sink.rejections.isEmpty { try sink.writeRejects(to: try rejects.writer()) }
        counts.files += 1
        let rowsRead = sink.recordCount + sink.rejections.count
        counts.rowsRead += rowsRead
        for r in sink.rejections {
            counts.rejected[r.code, default: 0] += 1
            night.rejected.append(RejectedRow(source: file.source, rejection: r))
        }
        var tally = DecisionTally()
        if let ahead = sink.gate1 {
            night.admitted.append(contentsOf: ahead.admitted)
            tally = ahead.tally
        } else {
            night.admitted.append(
                gate.admitAll(sink.records, purpose: config.purpose, on: options.asOf, tally: &tally))
        }
        for (reason, n) in tally.counts where !reason.passes { counts.consentDropped[reason.rawValue, default: 0] += n }
        night.gate1.merge(tally)
        return rowsRead
    }
}

/// One input's records and rejected rows; the raw rows reach the rejects file only once the input is known
/// to have been read whole (not changed while read), and go nowhere else (the 0600 rejects file only).
struct RunSink: RecordSink {
    /// The records accepted; released after gate 1 when the file was read ahead and no full snapshot needs them.
    var records: [SourceRecord] = []
    /// How many records were accepted (whether or not `records` still holds them).
    private(set) var recordCount = 0
    var rejections: [RowRejection] = []
    var warnings: [InputWarning] = []
    /// Gate 1's result, when it was applied as the file was read ahead (`PreReadInputs`): the records admitted,
    /// in chunks of `admittedChunk` (the match stage groups them a chunk at a time, so a file's records are
    /// never held twice whole: grouping the largest file held 130 MB of copies at the 1M first night's peak).
    var gate1: (admitted: [[SourceRecord]], tally: DecisionTally)? {
        gating == nil ? nil : (admittedChunks, gateTally)
    }
    static let admittedChunk = 1 << 16
    private var admittedChunks: [[SourceRecord]] = []
    private var gateTally = DecisionTally()
    private var raw: [RawRow?] = []
    /// When set, each record passes gate 1 as it is accepted, and is kept in `records` only if `keepRecords`:
    /// a file's records are then never held twice (as read and as admitted) at once.
    private var gating: (gate: PreReadInputs.Gate1, keepRecords: Bool)?

    init() {}

    /// A sink that applies `gate1` to each record as it is accepted (`gate1` holds the result).
    init(gatingWith gate1: PreReadInputs.Gate1, keepRecords: Bool) {
        gating = (gate1, keepRecords)
    }

    mutating func accept(_ record: SourceRecord) {
        recordCount += 1
        guard let gating else {
            records.append(record)
            return
        }
        let result = gating.gate.gate.admit(record, purpose: gating.gate.purpose, on: gating.gate.asOf)
        gateTally.record(result.decision)
        if let kept = result.admitted {
            if admittedChunks.last.map({ $0.count == Self.admittedChunk }) ?? true {
                admittedChunks.append([])
                admittedChunks[admittedChunks.count - 1].reserveCapacity(Self.admittedChunk)
            }
            admittedChunks[admittedChunks.count - 1].append(kept)
        }
        if gating.keepRecords { records.append(record) }
    }

    mutating func warn(_ warning: InputWarning) { warnings.append(warning) }

    mutating func reject(_ rejection: RowRejection, raw: RawRow?) {
        rejections.append(rejection)
        self.raw.append(raw)
    }

    func writeRejects(to file: RejectsFileWriter) throws {
        for (rejection, row) in zip(rejections, raw) { try file.write(rejection, raw: row) }
    }
}
