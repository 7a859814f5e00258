import ArgumentParser
import Foundation
import LastMileCore
import Logging
import Matching
import Pipeline

/// `lastmile link`: links incoming people to MPI patients, one auto-link at most per incoming record (several
/// incoming records, when they are one person, may link to one patient).
struct Link: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Link incoming people to MPI patients (Fellegi–Sunter); needs no warehouse.",
        discussion: """
            Both files use the canonical person CSV schema \
            (id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn). Writes \
            incoming_id,mpi_id,match_probability for each auto-link. A record links only when its best \
            candidate reaches the match threshold with no near tie; records of the file that claim one patient \
            all link when they look like one person (a duplicate), and go to review when they do not (twins, a \
            parent and a child). Uncertain records go to --review-out. Without --model, a model is trained on \
            the inputs first (no labels needed). Counts and timings go to standard error; no personal data is printed.

            Example:  lastmile sample-data generate --benchmark --mpi-size 2000 --seed 7 --out bench-work/2k
                      lastmile link --mpi bench-work/2k/mpi.csv --incoming bench-work/2k/incoming.csv \
            --out bench-work/2k/links.csv --review-out bench-work/2k/review.csv
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "MPI patients, canonical person CSV.") var mpi: String
    @Option(help: "People to link, canonical person CSV.") var incoming: String
    @Option(help: "Links CSV to write: incoming_id,mpi_id,match_probability.") var out: String
    @Option(help: "Trained model JSON (from `lastmile match train`); default: train on the inputs.") var model: String?
    @Option(help: "Auto-link at or above this match probability (default: the model's).") var matchThreshold: Double?
    @Option(help: "Review at or above this match probability (default: the model's).") var reviewThreshold: Double?
    @Option(help: "Also write the records sent to review, with the reason.") var reviewOut: String?

    func validate() throws {
        for t in [matchThreshold, reviewThreshold].compactMap({ $0 }) where !(0...1).contains(t) {
            throw ValidationError("thresholds are probabilities between 0 and 1")
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let started = ContinuousClock.now
        let files = try MatchFiles.load(mpi: mpi, incoming: incoming, logger: logger)
        var model = try files.model(at: self.model, logger: logger)
        if let matchThreshold { model.thresholds.match = matchThreshold }
        if let reviewThreshold { model.thresholds.review = reviewThreshold }
        model.thresholds.review = min(model.thresholds.review, model.thresholds.match)
        let linkStarted = ContinuousClock.now
        let run = Linker(model: model, inputs: files.inputs).link()
        var links = try CSVLineWriter(path: out, header: "incoming_id,mpi_id,match_probability")
        var review = try reviewOut.map {
            try CSVLineWriter(
                path: $0, header: "incoming_id,mpi_id,match_probability,reason,runner_up_mpi_id,runner_up_probability")
        }
        var counts: [MatchDecision: Int] = [:]
        for d in run.decisions {
            counts[d.decision, default: 0] += 1
            switch d.decision {
            case .match:
                links.write([files.incomingIds[d.incoming], files.mpiIds[d.mpi!], Self.format(d.probability)])
            case .review:
                review?.write([
                    files.incomingIds[d.incoming], files.mpiIds[d.mpi!], Self.format(d.probability), d.reason.rawValue,
                    d.runnerUp.map { files.mpiIds[$0] } ?? "", d.runnerUpProbability.map(Self.format) ?? "",
                ])
            case .noMatch:
                break
            }
        }
        try links.close()
        try review?.close()
        var metadata: Logger.Metadata = [
            "links": .number(counts[.match, default: 0]), "review": .number(counts[.review, default: 0]),
            "no_match": .number(counts[.noMatch, default: 0]), "pairs.candidate": .number(run.blocking.candidatePairs),
            "blocks.skipped": .number(run.blocking.skippedBlocks),
            "seconds.link": .seconds((ContinuousClock.now - linkStarted).seconds),
            "seconds.total": .seconds((ContinuousClock.now - started).seconds),
        ]
        if let recall = run.blocking.estimatedRecall {
            metadata["blocking.recall_estimate"] = .stringConvertible(recall)
        }
        for (rule, pairs) in run.blocking.pairsByRule {
            metadata["pairs.\(LogKey.segment(rule.rawValue))"] = .number(pairs)
        }
        logger.info("linked", metadata: metadata)
    }

    static func format(_ p: Double) -> String { String(format: "%.6f", p) }
}
