import Consent
import Extractors
import Flags
import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

#if canImport(Glibc)
    import Glibc
#endif

/// The stages of one run, inside its transaction. Each stage hands the next a typed value: the extracted night
/// (`ExtractedNight`) → the matched night (`MatchedNight`) → the load plan (`LoadPlan`) → the stored events, from
/// which the flags are derived.
struct RunState {
    let config: PipelineConfig
    let options: RunOptions
    let logger: Logger
    let connection: Connection
    let runId: Int64
    let rejects: RejectsLocation
    /// Gate 1 and 2, with every running source's agreement checked before the run began.
    let gate: ConsentGate
    /// Files to load again although loaded before (`run --reprocess`): SHA-256 → the name given.
    var reprocessRequestNames: [String: String] = [:]

    var reprocessRequests: Set<String> { Set(reprocessRequestNames.keys) }
    /// The patients whose rows tonight's merges and unmerges moved (their flags are derived again).
    var touchedByReference: Set<String> = []
    /// The sources' new files, being read on a second thread since the run began (nil: read in the extract).
    var preRead: PreReadInputs?
    /// The kept MPI index file, being read on a thread of its own since the run began (nil: read when needed).
    var indexRead: PendingIndexRead?
    /// The index being built from tonight's first MPI load, if the reference refresh made one.
    var indexFromLoad: MPIIndexFromFirstLoad?

    func execute(summary: inout RunSummary, inputs: inout [RunInput]) throws {
        var stage = StageClock(show: options.showProgress, logger: logger)
        let sources = config.sources.filter { options.onlySources?.contains($0.name) ?? true }

        // The index is ready before the night's records are read: a first night's build (and its transient sort
        // of each rule's keys) then never meets the extracted records in the peak resident memory.
        var (patients, indexWrite) = try mpiIndex()
        // Written while the night goes on; the run (committed or not) waits for it.
        defer { indexWrite?.finish(logger: logger) }
        StageClock.returnFreedMemory()
        stage.lap("mpi-index", rows: patients.count, into: &summary)

        var extracted = try extract(
            sources, inputs: &inputs, refused: &summary.refusedInputs, failed: &summary.failedSources)
        stage.lap("extract+gate1", rows: extracted.counts.total(\.rowsRead), into: &summary)
        let inputsSeen = Set(inputs.map(\.sha256))
        if let missing = reprocessRequestNames.first(where: { !inputsSeen.contains($0.key) }) {
            throw PipelineError.notAnInput(file: missing.value)
        }

        let matched = try match(&extracted, sources: sources, patients: patients)
        // The codes and blocks are no longer needed: the load and flag stages read ids and birth dates only.
        patients.dropMatchingData()
        StageClock.returnFreedMemory()
        stage.lap("match", rows: matched.peopleMatched, into: &summary)

        // Each stage consumes the one before: the night's records are held once, not once per stage.
        let plan = try planLoad(consume matched, patients: patients)
        let recordCount = plan.recordCount
        stage.lap("gate2", rows: recordCount, into: &summary)

        let counts = try load(consume plan, files: extracted.files, sources: sources)
        stage.lap("load", rows: recordCount, into: &summary)
        summary.retention = try applyRetention(running: sources)
        stage.lap("retention", rows: summary.retention.map { $0.rowsDropped + $0.rowsDeleted } ?? 0, into: &summary)

        // One run derives flags at a time (held to the commit), so the last to derive sees every committed event.
        try connection.advisoryTransactionLock(NightlyRun.flagsLockKey)
        stage.lap("flags-lock", rows: 0, into: &summary)
        summary.flags = try deriveFlags(patients: patients, sources: sources)
        stage.lap("flags", rows: summary.flags.created + summary.flags.updated + summary.flags.closed, into: &summary)

        let review = ReviewQueue(connection: connection)
        let now = options.clock.now
        let deleted = try review.deleteExpiredHeldRecords(
            queuedBefore: now.addingTimeInterval(-Double(config.reviewRetentionDays) * 86_400),
            sources: Set(sources.map(\.name)))
        summary.reviewQueue = try review.openStatistics(now: now)
        summary.reviewQueue.heldRecordsDeleted = deleted
        summary.sources = sources.map { counts[$0.name] }
        summary.reference["patients.active"] = patients.ids.count
        summary.reference["consent.gate1.admitted"] = extracted.gate1.passed
        stage.lap("review", rows: summary.reviewQueue.open, into: &summary)
        indexWrite?.finish(logger: logger)
        indexWrite = nil
        stage.lap("mpi-index-write", rows: patients.count, into: &summary)
    }

    /// Writes the load plan: each source's events, then the night's links, review entries and quarantine rows.
    /// A reprocessed file first loses the rows it produced before and no longer produces; a full snapshot's
    /// newest file then retires the source's rows it no longer lists.
    /// - Returns: the per-source counts with the events inserted, updated, unchanged and removed.
    private func load(_ plan: consuming LoadPlan, files: [String: SourceFiles], sources: [SourceConfig]) throws
        -> NightCounts
    {
        var counts = plan.counts
        let alwaysMerge = !options.copyIntoEmptyTables
        let events = EventStore(connection: connection, logger: logger, alwaysMerge: alwaysMerge)
        for source in sources {
            let read = files[source.name] ?? SourceFiles()
            // Taken out of the plan, so that setting each record's file below does not copy the array.
            var linked = plan.records.removeValue(forKey: source.name) ?? []
            for i in linked.indices { linked[i].fileSha256 = read.sha256(of: linked[i].record) }
            for sha in read.reprocessed.sorted() {
                counts[source.name].eventsRemoved += try events.removeRows(
                    of: source.name, notIn: linked.filter { $0.fileSha256 == sha }, lastWrittenBy: sha)
            }
            let upserted = try events.load(linked, runId: runId)
            counts[source.name].eventsInserted = upserted.inserted
            counts[source.name].eventsUpdated = upserted.updated
            counts[source.name].eventsUnchanged = upserted.unchanged
            if source.feed.snapshot == .full, let newest = read.newestName, try isCurrentList(read, of: source.name) {
                counts[source.name].eventsRetired = try retire(
                    source.name, keeping: read.newestRecords, newest: newest, events: events,
                    warnings: &counts[source.name].warnings)
            }
        }
        try Crosswalk.save(
            plan.crosswalkRows, reviews: plan.reviewRows, rejected: plan.rejected, runId: runId,
            connection: connection, logger: logger, alwaysMerge: alwaysMerge)
        let review = ReviewQueue(connection: connection)
        try review.hold(plan.heldRecords, runId: runId, alwaysMerge: alwaysMerge)
        try review.markLoaded(plan.released, runId: runId)
        return counts
    }

    /// Whether the newest file read tonight is the source's current list: a new file, or a reprocessed one that
    /// is still the newest the source loaded (reprocessing an older list must not retire what a newer one has).
    private func isCurrentList(_ read: SourceFiles, of source: String) throws -> Bool {
        guard let sha = read.newestSha256 else { return false }
        guard read.reprocessed.contains(sha) else { return true }
        guard read.reprocessed.count == read.sha256ByInput.count else { return false }
        return try IngestedFiles(connection: connection).newest(source: source)?.sha256 == sha
    }

    /// Removes the source's events its newest full snapshot no longer lists (whatever became of the listed
    /// records tonight: rejected rows aside, a record still listed keeps its event). An empty snapshot retires
    /// nothing: that is far likelier a broken export than an empty list.
    private func retire(
        _ source: String, keeping records: [SourceRecord], newest: String, events: EventStore,
        warnings: inout [String]
    ) throws -> Int {
        guard !records.isEmpty else {
            warnings.append("\(newest): a full snapshot without records retires nothing; check the export")
            return 0
        }
        let kept = records.map { EventStore.LinkedRecord(record: $0, patientId: "") }
        let retired = try events.removeRows(of: source, notIn: kept, lastWrittenBy: nil)
        if retired > 0 {
            logger.info(
                "retired events the full snapshot no longer lists",
                metadata: ["source": "\(source)", "file": "\(newest)", "events.retired": .number(retired)])
        }
        return retired
    }

    /// Derives the flags of the patients the run touched from all their stored events, closes those whose
    /// patient's consent no longer allows them, and reconciles them with those patients' stored flags.
    ///
    /// A run of every source derives every patient's flags. A run of some sources derives those of every patient
    /// with an event or an active flag of those sources, and of the patients tonight's merges moved: each of
    /// them from all of its events, whatever their source, so that time passing (a release ageing out) is seen
    /// as on a full night, and no other patient's flags are read or written.
    private func deriveFlags(patients: MPIIndex, sources: [SourceConfig]) throws -> FlagCounts {
        let flags = FlagStore(connection: connection)
        var scope: [String]?
        if options.onlySources != nil {
            let names = sources.map(\.name)
            var touched = touchedByReference
            touched.formUnion(try EventStore(connection: connection).patients(withEventsFrom: names))
            touched.formUnion(try flags.patients(withActiveFlagsFrom: names))
            scope = touched.sorted()
        }
        // The absenteeism flags count the school year to date: only that year's attendance partition is read.
        let yearStart = config.flagRules.absenteeism.schoolYearStart(containing: options.asOf)
        let byPatient = try EventStore(connection: connection).eventsByPatient(
            scope, attendanceWithin: yearStart...max(yearStart, options.asOf))
        let calendars = try SchoolCalendarStore(connection: connection).calendars()
        let deriver = FlagDeriver(rules: config.flagRules, calendars: calendars)
        let directives = try ConsentStore(connection: connection).directives(forPatients: Array(byPatient.keys))
        var derived: [Flag] = []
        for (patientId, stored) in byPatient.sorted(by: { $0.key < $1.key }) {
            var events = PatientEvents(patientId: patientId)
            for (source, event) in stored { events.append(event, from: source) }
            for flag in deriver.flags(for: events, asOf: options.asOf) {
                // A patient who opted out since the events were loaded keeps no deliverable flag: it is closed.
                let decision = gate.evaluate(
                    ConsentRequest(
                        flag: flag, purpose: config.purpose, recipient: nil, date: options.asOf,
                        patientBirthDate: patients.birthDate(of: patientId)),
                    directives: directives[patientId] ?? [])
                if decision.passes { derived.append(flag) }
            }
        }
        let stored = try flags.stored(patients: scope)
        let upserts = FlagReconciliation.upserts(stored: stored, derived: derived, sources: nil, asOf: options.asOf)
        return try flags.upsert(upserts, stored: stored, runId: runId, alwaysMerge: !options.copyIntoEmptyTables)
    }
}

/// The night's per-source counts, keyed by source name; a source not seen yet counts zero.
struct NightCounts {
    private var bySource: [String: SourceRunCounts] = [:]

    subscript(source: String) -> SourceRunCounts {
        get { bySource[source] ?? SourceRunCounts(source: source) }
        set { bySource[source] = newValue }
    }

    /// The sum of one count over the sources seen.
    func total(_ count: KeyPath<SourceRunCounts, Int>) -> Int {
        bySource.values.map { $0[keyPath: count] }.reduce(0, +)
    }
}

/// Times the stages; on a terminal, prints a line per stage to standard error.
struct StageClock {
    let show: Bool
    /// Logs each stage's seconds and the process's resident memory (now and peak) at debug level.
    var logger: Logger?
    var last = ContinuousClock.now

    mutating func lap(_ name: String, rows: Int, into summary: inout RunSummary) {
        let now = ContinuousClock.now
        let seconds = (now - last).seconds
        last = now
        summary.stageSeconds[name] = seconds
        if let logger {
            let memory = Self.residentMemory()
            logger.debug(
                "stage done",
                metadata: [
                    "stage": "\(name)", "seconds": .seconds(seconds),
                    "rss.mib": .number(memory.now), "rss.peak.mib": .number(memory.peak),
                ])
        }
        if show {
            let rate = seconds > 0 ? Int(Double(rows) / seconds) : rows
            let line = String(
                format: "  %-14@ %9d rows  %9d rows/s  %7.2f s\n", name as NSString, rows, rate, seconds)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Hands the heap's free pages back to the system (glibc keeps them otherwise), so that the next stage's
    /// allocations do not add to what the last one freed in the peak resident memory.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            // malloc_trim is not in the Glibc module map: looked up by name (RTLD_DEFAULT is a null handle).
            typealias Trim = @convention(c) (Int) -> Int32
            if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(trim, to: Trim.self)(0)
            }
        #endif
    }

    /// Resident memory now and at its peak (MiB), from /proc/self/status; zero where there is none.
    static func residentMemory() -> (now: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func kib(_ field: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (kib("VmRSS") / 1024, kib("VmHWM") / 1024)
    }
}
