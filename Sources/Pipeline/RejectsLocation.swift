import Extractors
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

extension PipelineConfig {
    /// The rejects file of the pipeline's run `runId` (written only when the run rejected a row).
    public func rejectsFile(runId: Int64) -> String { rejectsDirectory + "/\(name)-run\(runId).csv" }
}

/// The run's rejects file: `<rejects dir>/<pipeline>-run<id>.csv`, mode 0600 in a 0700 folder, created on the
/// first rejected row; older files are deleted after the pipeline's retention, and at once when their run
/// never committed (it was killed, or failed without reaching `discard()`): their rows are in no warehouse.
final class RejectsLocation {
    let path: String
    private var opened: RejectsFileWriter?

    /// - Parameter uncommittedRuns: the pipeline's earlier runs that did not succeed (`RunLedger`); their files,
    ///   and those of dry runs, are removed. Call holding the run lock, so none of them is still writing.
    init(
        config: PipelineConfig, runId: Int64?, now: Date, uncommittedRuns: Set<Int64> = [], logger: Logger
    ) throws {
        let directory = config.rejectsDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw OutputError(path: directory, what: "rejects folder")
        }
        path = runId.map(config.rejectsFile(runId:)) ?? directory + "/\(config.name)-rundry-\(getpid()).csv"
        let cutoff = now.addingTimeInterval(-Double(config.rejectsRetentionDays) * 86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".csv")
        {
            let file = directory + "/" + name
            if Self.isUncommitted(name, pipeline: config.name, uncommittedRuns: uncommittedRuns) {
                try? FileManager.default.removeItem(atPath: file)
                logger.info("rejects file of a run that committed nothing deleted", metadata: ["file": "\(name)"])
                continue
            }
            if let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
                modified < cutoff
            {
                try? FileManager.default.removeItem(atPath: file)
                logger.info("rejects file past retention deleted", metadata: ["file": "\(name)"])
            }
        }
    }

    /// Whether `name` is the rejects file of one of the pipeline's uncommitted runs or of a dry run.
    static func isUncommitted(_ name: String, pipeline: String, uncommittedRuns: Set<Int64>) -> Bool {
        let prefix = "\(pipeline)-run"
        guard name.hasPrefix(prefix), name.hasSuffix(".csv") else { return false }
        let id = name.dropFirst(prefix.count).dropLast(".csv".count)
        if id.hasPrefix("dry-") { return Int32(id.dropFirst(4)) != getpid() }
        return Int64(id).map(uncommittedRuns.contains) ?? false
    }

    func writer() throws -> RejectsFileWriter {
        if let opened { return opened }
        let writer = try RejectsFileWriter(path: path)
        opened = writer
        return writer
    }

    func flush() throws { try opened?.flush() }

    /// Removes the file of a run that rolled back: its rows were never accounted for in the warehouse.
    func discard() {
        if opened != nil { try? FileManager.default.removeItem(atPath: path) }
    }
}
