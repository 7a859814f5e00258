import Extractors
import Foundation
import LastMileCore
import Store

extension RunState {
    /// Reads an absences-only source's enrollment and calendar files (issue 16): the spans become records of
    /// the source, matched and consented like its absences; the calendar days are kept for the load.
    ///
    /// Either key matching no file at all refuses the source (`InputError.noDenominator`): without both there
    /// are no enrolled days, and the absences alone would rate every student 100 % absent. Files already loaded
    /// are skipped like any input, since their rows are stored.
    func readDenominators(
        _ source: SourceConfig, ingested: IngestedFiles, into read: inout SourceRead, refused: inout [String]
    ) throws {
        let enrollment = SchoolEnrollmentReader(source: source)
        let enrollmentFiles = try newInputs(
            source.enrollment, what: "enrollment", of: source, ingested: ingested, into: &read, refused: &refused)
        for ready in enrollmentFiles {
            var sink = RunSink()
            try enrollment.extract(ready.location, into: &sink)
            guard unchanged(ready, counts: &read.counts) else { continue }
            read.files.append((ready, sink))
        }
        let calendar = SchoolCalendarReader(source: source)
        let calendarFiles = try newInputs(
            source.calendar, what: "calendar", of: source, ingested: ingested, into: &read, refused: &refused)
        for ready in calendarFiles {
            let days = try calendar.read(ready.location)
            guard unchanged(ready, counts: &read.counts) else { continue }
            read.calendars.append((ready, days))
        }
    }

    /// Stores the calendar days read and records their files in the input-file ledger.
    func saveCalendars(
        _ calendars: [(ReadyFile, [SchoolCalendarDay])], of source: SourceConfig, inputs: inout [RunInput],
        ingested: IngestedFiles
    ) throws {
        guard !calendars.isEmpty else { return }
        let days = calendars.flatMap { _, days in days.map { (source: source.name, day: $0) } }
        _ = try SchoolCalendarStore(connection: connection, logger: logger)
            .save(days, runId: runId, alwaysMerge: !options.copyIntoEmptyTables)
        for (ready, days) in calendars {
            inputs.append(ready.input(skipped: false))
            try ingested.record(
                source: source.name, sha256: ready.sha256, fileName: ready.file.name, bytes: ready.bytes,
                rowsRead: days.count, runId: runId, at: options.clock.now)
            logger.info(
                "calendar read",
                metadata: ["source": "\(source.name)", "file": "\(ready.file.name)", "days": .number(days.count)])
        }
    }

    /// The settled files matching `pattern` not loaded before; throws when the pattern matches no file.
    private func newInputs(
        _ pattern: String?, what: String, of source: SourceConfig, ingested: IngestedFiles,
        into read: inout SourceRead, refused: inout [String]
    ) throws -> [ReadyFile] {
        let paths = InputFiles.matching(pattern ?? "")
        guard !paths.isEmpty else {
            let shown = URL(fileURLWithPath: pattern ?? what).lastPathComponent
            throw InputError(file: shown, problem: .noDenominator(what: what))
        }
        warnAboutWritableFolders(paths, source: source.name)
        var ready: [ReadyFile] = []
        for path in paths {
            let file = InputFile(source: source.name, path: path)
            guard let r = try readyToRead(file, counts: &read.counts, refused: &refused) else { continue }
            if try ingested.contains(source: source.name, sha256: r.sha256) {
                read.counts.filesSkipped += 1
                read.skipped.append(r.input(skipped: true))
                continue
            }
            ready.append(r)
        }
        return ready
    }

    /// False (and counted unsettled) when the file changed while it was read.
    private func unchanged(_ ready: ReadyFile, counts: inout SourceRunCounts) -> Bool {
        guard InputFiles.state(ready.file.path) == ready.state else {
            counts.filesUnsettled += 1
            logger.warning(
                "input changed while read; left for the next run",
                metadata: ["source": "\(ready.file.source)", "file": "\(ready.file.name)"])
            return false
        }
        return true
    }
}

extension RunState.ReadyFile {
    var location: InputLocation { InputLocation(path: file.path, name: file.name) }
}
