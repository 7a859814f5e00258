import ArgumentParser

extension LastMile {
    /// Every subcommand, in help order. Add yours here, one line each.
    static let subcommandList: [any ParsableCommand.Type] = [
        Run.self,
        Runs.self,
        Files.self,
        Database.self,
        Extract.self,
        Validate.self,
        Profile.self,
        SourceCommand.self,
        Link.self,
        Match.self,
        SampleDataCommand.self,
        MPICommand.self,
        AttributionCommand.self,
        ConsentCommand.self,
        Report.self,
        Export.self,
        Disclosures.self,
        Review.self,
    ]
}
