import ArgumentParser

extension LastMile {
    /// Every subcommand, in help order. Add yours here, one line each.
    static let subcommandList: [any ParsableCommand.Type] = [
        Database.self,
        Extract.self,
        Validate.self,
        Link.self,
        Match.self,
        SampleDataCommand.self,
        Report.self,
        Export.self,
        Disclosures.self,
    ]
}
