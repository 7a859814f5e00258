import Consent
import Extractors
import Foundation
import LastMileCore

#if canImport(Glibc)
    import Glibc
#endif

/// The sources' new input files, read on a second thread from the start of a run, while the reference data is
/// refreshed (mostly the server's work: the MPI's COPY and its indexes) and the MPI index is built, so that on a
/// two-core machine the extract stage finds them already parsed instead of starting then.
///
/// A cache, not a decision: it never touches the warehouse, the rejects file or the log. The extract stage
/// still decides every file as before (refused, unsettled, already loaded, reprocessed, a failed source) and
/// only takes a file's parsed rows (or its `InputError`) when the file's state — inode, size and modification
/// time of each of its files — is still the state that was read; otherwise it reads the file itself. So a
/// reference refresh that fails still fails the night before anything of the sources is written, and an
/// unusable input still fails only its own source, at the same point of the run.
final class PreReadInputs: @unchecked Sendable {
    /// One file read ahead: its state and checksum when read, and what its extractor made of it.
    struct Entry {
        var state: InputFiles.State
        var sha256: String
        var bytes: Int
        /// The rows read, or the input error the file gave (any other error is left to the extract stage); nil for
        /// a file the ledger already holds, of which only the checksum is kept (the extract stage skips it).
        var result: Result<RunSink, InputError>?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var cancelled = false
    private let finished = DispatchSemaphore(value: 0)
    private var done = false
    /// Threads still reading, and the index of the next source to take.
    private var running = 0
    private var next = 0

    /// Gate 1 as the extract stage applies it: the admitted records are what the night keeps of a file.
    struct Gate1: Sendable {
        var gate: ConsentGate
        var purpose: PurposeOfUse
        var asOf: CivilDate
    }

    /// Starts reading, on threads of their own (one a core, each taking the next source), every file of
    /// `sources` that is not refused, has settled (by `settleSeconds` before `now`) and whose checksum is not in
    /// `alreadyLoaded` (source → checksums the ledger holds and will skip), and applying `gate1` to its records.
    /// At nice 10 they use what the night leaves idle; once the extract stage waits for them, all the cores
    /// (one thread left two districts' files to a single core while the other idled).
    init(
        sources: [SourceConfig], alreadyLoaded: [String: Set<String>], settleSeconds: Int, now: Date, gate1: Gate1
    ) {
        let workers = max(1, min(sources.count, ProcessInfo.processInfo.activeProcessorCount))
        running = workers
        for worker in 0..<workers {
            let thread = Thread { [self] in
                Self.yieldToTheNight()
                while let source = nextSource(of: sources) {
                    read(
                        source, skipping: alreadyLoaded[source.name] ?? [], settleSeconds: settleSeconds, now: now,
                        gate1: gate1)
                }
                let last = lock.withLock {
                    running -= 1
                    if running == 0 { done = true }
                    return running == 0
                }
                if last { finished.signal() }
            }
            // Extractors may recurse on nested input (JSON): the main thread's stack size, not a secondary one's.
            thread.stackSize = 8 << 20
            thread.name = "lastmile.preread.\(worker)"
            thread.start()
        }
    }

    /// The next source no thread has taken, in the config's order; nil when none is left or reading was cancelled.
    private func nextSource(of sources: [SourceConfig]) -> SourceConfig? {
        lock.withLock {
            guard !cancelled, next < sources.count else { return nil }
            defer { next += 1 }
            return sources[next]
        }
    }

    /// Waits until every file has been read (or the reading was cancelled).
    func wait() {
        guard !lock.withLock({ done }) else { return }
        finished.wait()
        finished.signal()
    }

    /// Stops reading after the file under way and waits for it; what was read is dropped.
    func cancelAndWait() {
        lock.withLock { cancelled = true }
        wait()
        lock.withLock { entries = [:] }
    }

    /// The checksum of `path` as read ahead, when the file is still in `state`.
    func checksum(source: String, path: String, state: InputFiles.State) -> (hex: String, bytes: Int)? {
        lock.withLock {
            entries[Self.key(source, path)].flatMap { $0.state == state ? ($0.sha256, $0.bytes) : nil }
        }
    }

    /// Takes (and forgets) what was read of `path`, when it was read in `state` with checksum `sha256`.
    func take(source: String, path: String, state: InputFiles.State, sha256: String) -> Result<RunSink, InputError>? {
        wait()
        return lock.withLock {
            guard let entry = entries.removeValue(forKey: Self.key(source, path)),
                entry.state == state, entry.sha256 == sha256, let result = entry.result
            else { return nil }
            return result
        }
    }

    private static func key(_ source: String, _ path: String) -> String { source + "\u{1F}" + path }

    /// Lowers this thread's priority (nice 10; on Linux a thread's own): it is to use the core the night leaves
    /// idle, not to slow the reference refresh and the index build, which the night waits for first. When the
    /// extract stage waits for it, it has the process's share of the machine to itself.
    private static func yieldToTheNight() {
        #if canImport(Glibc)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    private func read(
        _ source: SourceConfig, skipping loaded: Set<String>, settleSeconds: Int, now: Date, gate1: Gate1
    ) {
        guard let extractor = try? ExtractorRegistry.makeExtractor(for: source) else { return }
        for path in InputFiles.matching(source.input ?? "") {
            if lock.withLock({ cancelled }) { return }
            let name = URL(fileURLWithPath: path).lastPathComponent
            guard InputFiles.refusal(path, name: name) == nil else { continue }
            if settleSeconds > 0, let modified = InputFiles.newestModification(path),
                now.timeIntervalSince(modified) < Double(settleSeconds)
            {
                continue
            }
            let state = InputFiles.state(path)
            guard let (sha256, bytes) = try? InputFiles.sha256(path) else { continue }
            guard !loaded.contains(sha256) else {
                store(Entry(state: state, sha256: sha256, bytes: bytes, result: nil), source: source.name, path: path)
                continue
            }
            // Gate 1 as the records are read; only a full snapshot's records are read again (to retire what it
            // no longer lists), so only they are kept as read.
            var sink = RunSink(gatingWith: gate1, keepRecords: source.feed.snapshot == .full)
            let result: Result<RunSink, InputError>
            do {
                try extractor.extract(InputLocation(path: path, name: name), into: &sink)
                // Changed while read: the extract stage reads it itself (and finds it changed, or settled).
                guard InputFiles.state(path) == state else { continue }
                result = .success(sink)
            } catch let error as InputError {
                result = .failure(error)
            } catch {
                continue
            }
            store(Entry(state: state, sha256: sha256, bytes: bytes, result: result), source: source.name, path: path)
        }
    }

    private func store(_ entry: Entry, source: String, path: String) {
        lock.withLock { entries[Self.key(source, path)] = entry }
    }
}
