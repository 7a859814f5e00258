import Extractors
import Foundation
import Logging
import LastMileCore
import Warehouse

/// The run's rejects file: `<rejects dir>/<pipeline>-run<id>.csv`, mode 0600 in a 0700 folder, created on the
/// first rejected row; older files are deleted after the pipeline's retention.
final class RejectsLocation {
    let path: String
    private var opened: RejectsFileWriter?

    init(config: PipelineConfig, runId: Int64?, now: Date, logger: Logger) throws {
        let directory = config.rejectsDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw OutputError(path: directory, what: "rejects folder")
        }
        path = directory + "/\(config.name)-run\(runId.map(String.init) ?? "dry-\(getpid())").csv"
        let cutoff = now.addingTimeInterval(-Double(config.rejectsRetentionDays) * 86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".csv") {
            let file = directory + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
                modified < cutoff
            {
                try? FileManager.default.removeItem(atPath: file)
                logger.info("rejects file past retention deleted", metadata: ["file": "\(name)"])
            }
        }
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
