import ArgumentParser

/// `lastmile match`: train and inspect the matching model.
struct Match: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the match model, or explain how one pair scores.",
        discussion: """
            Training needs no labels: u comes from random pairs, m from EM on birth-date and name blocks. The \
            model is JSON, meant to be committed and reviewed as a diff.

            Example:  lastmile match train --mpi bench-work/2k/mpi.csv --incoming bench-work/2k/incoming.csv --out bench-work/2k/model.json
            """,
        subcommands: [MatchTrain.self, MatchExplain.self])
}
