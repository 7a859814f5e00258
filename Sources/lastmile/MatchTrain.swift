import ArgumentParser
import Foundation
import Matching

/// `lastmile match train`: estimates a model from an MPI and an incoming file, without labels.
struct MatchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Estimate the Fellegi–Sunter model from the inputs (no labels) and save it as JSON.",
        discussion: """
            Prints a summary of what was estimated (pair counts, λ), never personal data.

            Example:  lastmile match train --mpi bench-work/2k/mpi.csv --incoming bench-work/2k/incoming.csv --out bench-work/2k/model.json
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "MPI patients, canonical person CSV.") var mpi: String
    @Option(help: "People to link, canonical person CSV.") var incoming: String
    @Option(help: "Model JSON to write.") var out: String
    @Option(help: "Auto-link threshold stored in the model.") var matchThreshold: Double = DecisionThresholds().match
    @Option(help: "Review threshold stored in the model.") var reviewThreshold: Double = DecisionThresholds().review

    func validate() throws {
        guard (0...1).contains(matchThreshold), (0...1).contains(reviewThreshold), reviewThreshold <= matchThreshold
        else {
            throw ValidationError("need 0 <= --review-threshold <= --match-threshold <= 1")
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let files = try MatchFiles.load(mpi: mpi, incoming: incoming, logger: logger)
        var options = TrainingOptions()
        options.thresholds.match = matchThreshold
        options.thresholds.review = reviewThreshold
        let model = ModelTrainer.train(files.inputs, options: options)
        do {
            try model.jsonData().write(to: URL(fileURLWithPath: out))
        } catch {
            throw MatchCommandError.cannotWrite(path: out)
        }
        print(
            "wrote \(out): λ = \(String(format: "%.3g", model.probabilityTwoRandomRecordsMatch)), \(model.comparisons.count) comparisons"
        )
        for s in model.training?.emSessions ?? [] {
            print(
                "  EM on \(s.blockedOn): \(s.pairs) pairs, \(s.iterations) iterations, \(String(format: "%.3f", s.proportionMatched)) matched"
            )
        }
    }
}
