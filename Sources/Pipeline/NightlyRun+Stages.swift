import Consent
import Extractors
import Flags
import Foundation
import LastMileCore
import Logging
import Matching
import Store
import Warehouse

/// The stages of one run, inside its transaction.
struct RunState {
    let config: PipelineConfig
    let options: RunOptions
    let logger: Logger
    let connection: Connection
    let runId: Int64
    let rejects: RejectsLocation
    /// Gate 1 and 2, with every running source's agreement checked before the run began.
    let gate: ConsentGate

    /// A row the extractor quarantined, as the warehouse keeps it: where and why, never the values.
    /// An incoming person to link: the latest demographics of one source person id (or of one record).
    struct PersonGroup {
        var source: String
        var key: String
        var hasSourcePersonId: Bool
        var person: PersonIdentity
        var records: [SourceRecord] = []
    }

    mutating func execute(summary: inout RunSummary, inputs: inout [RunInput]) throws {
        var stage = StageClock(show: options.showProgress)
        try refreshReferenceData(into: &summary)
        stage.lap("reference", rows: summary.reference["mpi.rows"] ?? 0, into: &summary)
        let sources = config.sources.filter { options.onlySources?.contains($0.name) ?? true }

        // Extract and gate 1.
        var counts: [String: SourceRunCounts] = [:]
        var admitted: [SourceRecord] = []
        var rejected: [RejectedRow] = []
        var gate1 = DecisionTally()
        let ingested = IngestedFiles(connection: connection)
        for source in sources {
            var c = SourceRunCounts(source: source.name)
            let extractor = try ExtractorRegistry.makeExtractor(for: source)
            let paths = InputFiles.matching(source.input ?? "")
            for folder in InputFiles.worldWritableFolders(paths) {
                let folderName = URL(fileURLWithPath: folder).lastPathComponent
                logger.warning(
                    "inbox is writable by other users (mode o+w); anyone on the machine can place inputs there",
                    metadata: ["source": "\(source.name)", "folder": "\(folderName)"])
            }
            for path in paths {
                let name = URL(fileURLWithPath: path).lastPathComponent
                if let problem = InputFiles.refusal(path, name: name) {
                    summary.refusedInputs.append(problem)
                    logger.error(
                        "input is not a regular file; not read",
                        metadata: ["source": "\(source.name)", "file": "\(name)"])
                    continue
                }
                if config.inputSettleSeconds > 0, let modified = InputFiles.newestModification(path),
                    options.clock.now.timeIntervalSince(modified) < Double(config.inputSettleSeconds)
                {
                    c.filesUnsettled += 1
                    logger.warning("input still being written; left for the next run", metadata: ["source": "\(source.name)", "file": "\(name)"])
                    continue
                }
                let before = InputFiles.state(path)
                let (sha, bytes) = try InputFiles.sha256(path)
                if try ingested.contains(source: source.name, sha256: sha) {
                    c.filesSkipped += 1
                    inputs.append(RunInput(source: source.name, file: name, sha256: sha, bytes: bytes, skipped: true))
                    logger.info("input already loaded; skipped", metadata: ["source": "\(source.name)", "file": "\(name)", "file.sha256": "\(sha)"])
                    continue
                }
                var sink = RunSink()
                try extractor.extract(InputLocation(path: path, name: name), into: &sink)
                // Whatever input_settle_seconds says: a file that changed while it was read (an upload still
                // under way) is not loaded; its complete version is, by the next run.
                if InputFiles.state(path) != before {
                    c.filesUnsettled += 1
                    logger.warning("input changed while read; left for the next run", metadata: ["source": "\(source.name)", "file": "\(name)"])
                    continue
                }
                if !sink.rejections.isEmpty { try sink.writeRejects(to: try rejects.writer()) }
                c.files += 1
                let rowsRead = sink.records.count + sink.rejections.count
                c.rowsRead += rowsRead
                for r in sink.rejections {
                    c.rejected[r.code, default: 0] += 1
                    rejected.append(RejectedRow(source: source.name, rejection: r))
                }
                var tally = DecisionTally()
                admitted += gate.admitAll(sink.records, purpose: config.purpose, on: options.asOf, tally: &tally)
                for (reason, n) in tally.counts where !reason.passes { c.consentDropped[reason.rawValue, default: 0] += n }
                gate1.merge(tally)
                inputs.append(RunInput(source: source.name, file: name, sha256: sha, bytes: bytes, skipped: false))
                try ingested.record(
                    source: source.name, sha256: sha, fileName: name, bytes: bytes, rowsRead: rowsRead, runId: runId)
                logger.info("extracted", metadata: [
                    "source": "\(source.name)", "file": "\(name)", "rows.read": .number(rowsRead),
                    "rows.rejected": .number(sink.rejections.count),
                ])
            }
            counts[source.name] = c
        }
        try rejects.flush()
        stage.lap("extract+gate1", rows: counts.values.map(\.rowsRead).reduce(0, +), into: &summary)

        // Match: group records by source person, reuse the crosswalk when the demographics are unchanged.
        let patients = try PatientSnapshot.load(connection)
        var groups: [String: PersonGroup] = [:]
        var order: [String] = []
        for record in admitted {
            let spid = record.person.sourcePersonId.flatMap { $0.isEmpty ? nil : $0 }
            // Without a source person id, records with the same demographics are one person: matching them
            // apart would make them contest the same patient and send them all to review.
            let personKey = spid ?? "fp:" + DemographicsFingerprint.of(record.person)
            let key = record.source + "\u{1F}" + personKey
            if groups[key] == nil {
                order.append(key)
                groups[key] = PersonGroup(source: record.source, key: personKey, hasSourcePersonId: spid != nil, person: record.person)
            }
            groups[key]!.person = record.person
            groups[key]!.records.append(record)
        }
        // The groups hold every admitted record from here on; a second copy of the night would only raise the
        // peak memory of the match that follows.
        admitted = []
        let crosswalk = try Crosswalk.load(connection, sources: Set(sources.map(\.name)))
        var linkedPatient: [String: String] = [:]
        var viaCrosswalk: Set<String> = []
        var toMatch: [String] = []
        for key in order {
            let g = groups[key]!
            if g.hasSourcePersonId, let known = crosswalk[g.source + "\u{1F}" + g.key],
                known.fingerprint == DemographicsFingerprint.of(g.person), patients.index[known.patientId] != nil
            {
                linkedPatient[key] = known.patientId
                viaCrosswalk.insert(key)
            } else {
                toMatch.append(key)
            }
        }
        var reviewRows: [ReviewRow] = []
        var crosswalkRows: [CrosswalkRow] = []
        // Each source is linked on its own: one patient may rightly appear in several sources (a student who
        // is also in a shelter), while within one source two people claiming one patient is a reason to review.
        var model: FellegiSunterModel?
        for source in sources {
            let keys = toMatch.filter { groups[$0]!.source == source.name }
            guard !keys.isEmpty else { continue }
            guard !patients.people.isEmpty else {
                for key in keys { counts[source.name]!.unmatched += groups[key]!.records.count }
                continue
            }
            let inputs = MatchInputs(mpi: patients.people, incoming: keys.map { groups[$0]!.person })
            if model == nil { model = try loadModel(inputs) }
            let run = Linker(model: model!, inputs: inputs).link()
            for d in run.decisions {
                let key = keys[d.incoming]
                let g = groups[key]!
                switch d.decision {
                case .match:
                    let patientId = patients.ids[d.mpi!]
                    linkedPatient[key] = patientId
                    if g.hasSourcePersonId {
                        crosswalkRows.append(CrosswalkRow(source: g.source, sourcePersonId: g.key, patientId: patientId,
                            probability: d.probability, fingerprint: DemographicsFingerprint.of(g.person)))
                    }
                case .review:
                    reviewRows.append(ReviewRow(source: g.source, sourcePersonId: g.key,
                        candidate: d.mpi.map { patients.ids[$0] }, runnerUp: d.runnerUp.map { patients.ids[$0] },
                        probability: d.probability, reason: d.reason.rawValue))
                    counts[source.name]!.review += g.records.count
                case .noMatch:
                    counts[source.name]!.unmatched += g.records.count
                }
            }
        }
        stage.lap("match", rows: toMatch.count, into: &summary)

        // Gate 2: the matched patient's directives.
        let linkedIds = Array(Set(linkedPatient.values))
        let directives = try ConsentStore(connection: connection).directives(forPatients: linkedIds)
        var decisionCache: [String: ConsentDecision] = [:]
        // Per source, so the load needs no filtered copies of the night.
        var loadable: [String: [EventStore.LinkedRecord]] = [:]
        var loadableCount = 0
        for key in order {
            guard let patientId = linkedPatient[key] else { continue }
            for record in groups[key]!.records {
                let cacheKey = patientId + "\u{1F}" + record.source + "\u{1F}" + record.event.category.rawValue
                let decision = decisionCache[cacheKey] ?? gate.evaluate(
                    ConsentRequest(patientId: patientId, category: record.event.category, source: record.source,
                        purpose: config.purpose, recipient: nil, date: options.asOf,
                        patientBirthDate: patients.birthDate(of: patientId)),
                    directives: directives[patientId] ?? [])
                decisionCache[cacheKey] = decision
                if viaCrosswalk.contains(key) { counts[record.source]!.linkedByCrosswalk += 1 }
                if decision.passes {
                    counts[record.source]!.loaded += 1
                    loadable[record.source, default: []].append(EventStore.LinkedRecord(record: record, patientId: patientId))
                    loadableCount += 1
                } else {
                    counts[record.source]!.deniedAfterMatch[decision.reason.rawValue, default: 0] += 1
                }
            }
        }
        stage.lap("gate2", rows: loadableCount, into: &summary)

        // Load.
        let events = EventStore(connection: connection, logger: logger, alwaysMerge: !options.copyIntoEmptyTables)
        for source in sources {
            let upserted = try events.load(loadable[source.name] ?? [], runId: runId)
            counts[source.name]!.eventsInserted = upserted.inserted
            counts[source.name]!.eventsUpdated = upserted.updated
        }
        try Crosswalk.save(
            crosswalkRows, reviews: reviewRows, rejected: rejected, runId: runId, connection: connection, logger: logger,
            alwaysMerge: !options.copyIntoEmptyTables)
        stage.lap("load", rows: loadableCount, into: &summary)

        // Derive flags from every stored event, so that time passing (a release ageing out) is seen too.
        summary.flags = try deriveFlags(gate: gate, patients: patients)
        stage.lap("flags", rows: summary.flags.created + summary.flags.updated + summary.flags.closed, into: &summary)

        summary.sources = sources.map { counts[$0.name]! }
        summary.reference["patients.active"] = patients.ids.count
        summary.reference["consent.gate1.admitted"] = gate1.passed
    }

    /// Refreshes the MPI snapshot, practices and attribution, and consent directives the pipeline names,
    /// inside the run's transaction, so that tonight's matching and consent see tonight's reference data.
    private func refreshReferenceData(into summary: inout RunSummary) throws {
        if let mpi = config.mpiExtract {
            let s = try PatientImport.load(file: mpi, connection: connection, logger: logger)
            summary.reference["mpi.rows"] = s.rowsRead
            summary.reference["mpi.inserted"] = s.inserted
            summary.reference["mpi.updated"] = s.updated
            summary.reference["mpi.retired"] = s.retired
            summary.reference["mpi.rejected"] = s.rejected
        }
        if let attribution = config.attributionExtract {
            let s = try AttributionImport.load(
                file: attribution, practicesFile: config.practicesExtract, connection: connection, logger: logger)
            summary.reference["attribution.rows"] = s.rowsRead
            summary.reference["attribution.changed"] = s.inserted + s.updated + s.removed
            summary.reference["attribution.rejected"] = s.rejected
        }
        if !config.consentDirectives.isEmpty {
            let inputs = try config.consentDirectives.map { path in
                guard let format = ConsentFileFormat(fileExtensionOf: path) else {
                    throw PipelineConfigError(problems: [
                        ConfigProblem(file: config.file, keyPath: "reference.consent",
                            message: "\(path): expected a .csv, .json or .ndjson consent file")
                    ])
                }
                return ConsentImport.Input(path: path, format: format)
            }
            let s = try ConsentImport.store(try ConsentImport.parse(inputs), connection: connection, logger: logger)
            summary.reference["consent.directives"] = s.directivesRead
            summary.reference["consent.changed"] = s.stored
            summary.reference["consent.problems"] = s.problems.count
        }
    }

    private func deriveFlags(gate: ConsentGate, patients: PatientSnapshot) throws -> FlagCounts {
        let store = EventStore(connection: connection)
        let byPatient = try store.eventsByPatient()
        let deriver = FlagDeriver(rules: config.flagRules)
        let directives = try ConsentStore(connection: connection).directives(forPatients: Array(byPatient.keys))
        var derived: [Flag] = []
        for patientId in byPatient.keys.sorted() {
            var events = PatientEvents(patientId: patientId)
            for (source, event) in byPatient[patientId]! { events.append(event, from: source) }
            for flag in deriver.flags(for: events, asOf: options.asOf) {
                // A patient who opted out since the events were loaded keeps no deliverable flag: it is closed.
                let decision = gate.evaluate(
                    ConsentRequest(flag: flag, purpose: config.purpose, recipient: nil, date: options.asOf,
                        patientBirthDate: patients.birthDate(of: patientId)),
                    directives: directives[patientId] ?? [])
                if decision.passes { derived.append(flag) }
            }
        }
        let flags = FlagStore(connection: connection)
        let stored = try flags.stored()
        let upserts = FlagReconciliation.upserts(stored: stored, derived: derived, sources: nil, asOf: options.asOf)
        return try flags.upsert(upserts, stored: stored, runId: runId, alwaysMerge: !options.copyIntoEmptyTables)
    }

    private func loadModel(_ inputs: MatchInputs) throws -> FellegiSunterModel {
        var model: FellegiSunterModel
        if let path = config.matchModelPath {
            guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError.cannotReadModel(path: path) }
            model = try FellegiSunterModel.load(json: data)
        } else {
            logger.warning("no match model configured; training one on tonight's inputs")
            model = ModelTrainer.train(inputs)
        }
        if let t = config.matchThreshold { model.thresholds.match = t }
        if let t = config.reviewThreshold { model.thresholds.review = t }
        model.thresholds.review = min(model.thresholds.review, model.thresholds.match)
        return model
    }
}

/// One input's records and rejected rows; the raw rows reach the rejects file only once the input is known
/// to have been read whole (not changed while read), and go nowhere else (the 0600 rejects file only).
struct RunSink: RecordSink {
    var records: [SourceRecord] = []
    var rejections: [RowRejection] = []
    private var raw: [RawRow?] = []

    mutating func accept(_ record: SourceRecord) { records.append(record) }

    mutating func reject(_ rejection: RowRejection, raw: RawRow?) {
        rejections.append(rejection)
        self.raw.append(raw)
    }

    func writeRejects(to file: RejectsFileWriter) throws {
        for (rejection, row) in zip(rejections, raw) { try file.write(rejection, raw: row) }
    }
}

/// Times the stages; on a terminal, prints a line per stage to standard error.
struct StageClock {
    let show: Bool
    var last = ContinuousClock.now

    mutating func lap(_ name: String, rows: Int, into summary: inout RunSummary) {
        let now = ContinuousClock.now
        let seconds = (now - last).seconds
        last = now
        summary.stageSeconds[name] = seconds
        if show {
            let rate = seconds > 0 ? Int(Double(rows) / seconds) : rows
            FileHandle.standardError.write(Data(String(format: "  %-14@ %9d rows  %9d rows/s  %7.2f s\n", name as NSString, rows, rate, seconds).utf8))
        }
    }
}
