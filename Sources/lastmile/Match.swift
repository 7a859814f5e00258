import ArgumentParser

/// `lastmile match`: train and inspect the matching model.
struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the match model, or explain how one pair scores.",
        discussion: """
            Training needs no labels: u comes from random pairs, m from EM on birth-date and name blocks. The \
            model is JSON, meant to be committed and reviewed as a diff.

            Example:  lastmile match train --mpi sample-data/mpi.csv --incoming roster.csv --out pipelines/match-model.json
            """,
        subcommands: [MatchTrain.self, MatchExplain.self])
}
