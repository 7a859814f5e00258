import Foundation
import Pipeline
import Reports
import Store
import Warehouse

extension Runs {
    /// Writes the nights-at-a-glance page of the last `nights` run dates to `path` (mode 0600).
    func writePage(_ path: String, connection: Connection) throws {
        let ledger = RunLedger(connection: connection)
        let overview = NightsOverview(runs: try ledger.runs(ofLastNights: nights), backlog: try ledger.openReviews())
        let url = URL(fileURLWithPath: path)
        // A missing folder is created (0700), like the other report outputs.
        let folder = try PrivateFiles.directory(url.deletingLastPathComponent(), [])
        try PrivateFiles.write(Data(NightsPage.html(overview).utf8), named: url.lastPathComponent, in: folder)
        print("nights page written to \(terminalSafe(url.path)): \(overview.nights.count) night(s)")
    }
}

extension NightsOverview {
    /// The nights of the ledger's runs: counts of committed runs summed per night and source; a failed run
    /// committed nothing and counts only as failed.
    init(runs: [LedgerRun], backlog: [String: Int]) {
        var nights: [Night] = []
        for run in runs {
            if nights.last?.asOf != run.asOf { nights.append(Night(asOf: run.asOf)) }
            nights[nights.count - 1].add(run)
        }
        self.init(nights: nights, reviewBacklog: backlog)
    }
}

extension NightsOverview.Night {
    mutating func add(_ run: LedgerRun) {
        runs += 1
        guard run.status == "succeeded", let text = run.counts,
            let summary = try? JSONDecoder().decode(RunSummary.self, from: Data(text.utf8))
        else {
            if run.status != "running" { failedRuns += 1 }
            if run.status == "interrupted" { interruptedRuns += 1 }
            return
        }
        let failed = Set(summary.failedSources.map(\.source))
        for s in summary.sources {
            var c = sources[s.source] ?? .init()
            c.files += s.files
            c.filesSkipped += s.filesSkipped
            c.rowsRead += s.rowsRead
            c.rejected.merge(s.rejected, uniquingKeysWith: +)
            c.consentDropped += s.consentDropped.values.reduce(0, +)
            c.matched += s.loaded + s.deniedAfterMatch.values.reduce(0, +)
            c.review += s.review
            c.unmatched += s.unmatched
            c.failed = c.failed || failed.contains(s.source)
            sources[s.source] = c
        }
        for name in failed where sources[name] == nil {
            var c = NightsOverview.SourceNight()
            c.failed = true
            sources[name] = c
        }
        flagsCreated += summary.flags.created
        flagsClosed += summary.flags.closed
        flagsActive = summary.flags.active
    }
}
