import ArgumentParser
import Extractors
import Foundation
import LastMileCore
import Reports

/// `lastmile profile`: what a feed's files hold, before or after it has a config. The work is in
/// `FeedProfiler` (Extractors) and `FeedProfilePage` (Reports); this reads options and writes output.
struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Profile a feed's files: fill rates, codes, date formats, header drift, key repeats.",
        discussion: """
            Reads FILE… with a source's config (--source, from PIPELINES/sources/NAME.yaml) or an extractor's \
            default layout (--extractor, optionally --layout) and reports per file: rows (and the change against \
            the newest other file matching the source's input: glob), fill rate per column, the codes of code \
            columns marked mapped or UNMAPPED, the share of values each candidate date format parses and whether \
            nn/nn/YYYY dates are day-first, month-first or ambiguous, the attendance mix with an absence-only \
            verdict, repeats of the person key, and header drift (missing columns; columns not in the config, by \
            position). Values that could be personal are never shown: only counts, lengths, formats, configured \
            names and short codes (a longer or odd value is shown as "a value of N characters").

            Exit status: 0 when every file was read, 65 when a file is unusable (empty, not text), 73 when the \
            --html file cannot be written, 78 when the source config is invalid.

            Example:  lastmile profile --source riverside-usd sample-data/inbox/riverside-usd/attendance-2026-11-20.csv \
            --html profile.html
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var feed: FeedOptions

    @ArgumentParser.Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(name: .long, help: "Also write a self-contained HTML page with charts to FILE.")
    var html: String?

    @Argument(help: "Input files (CSV).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one input file.") }
    }

    func run() throws {
        let (config, sourceLayout) = try loadConfig()
        var profiles: [FeedProfile] = []
        for file in files {
            let previous = feed.source == nil ? nil : FeedProfiler.previousFile(of: file, config: config)
            profiles.append(
                try FeedProfiler.profile(
                    InputLocation(path: file), config: config, layout: sourceLayout, previous: previous))
        }
        if json {
            print(try ProfileJSON.text(profiles))
        } else {
            let text = profiles.map(\.text).joined(separator: "\n")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { terminalSafe(String($0)) }
            print(lines.joined(separator: "\n"), terminator: "")
        }
        if let html {
            let url = URL(fileURLWithPath: html)
            try PrivateFiles.write(
                Data(FeedProfilePage.html(profiles).utf8), named: url.lastPathComponent,
                in: url.deletingLastPathComponent())
            // Standard error: standard output may be the --json object.
            FileHandle.standardError.write(Data("profile page written to \(terminalSafe(url.path))\n".utf8))
        }
    }

    /// The source's config and layout, or the extractor's defaults.
    private func loadConfig() throws -> (SourceConfig, SourceLayout) {
        let config = try feed.config()
        let problems = config.validate()
        guard problems.isEmpty, let type = ExtractorRegistry.extractor(kind: config.extractor),
            let found = type.layout(named: config.layout)
        else { throw SourceConfigError(problems: problems) }
        guard type.inputKind == .file else {
            throw ValidationError(
                "\(config.extractor) reads a folder of files; profile reads one CSV file at a time.")
        }
        return (config, found)
    }
}

/// The `--json` document: `{"profiles": […]}`, keys in snake_case and sorted.
enum ProfileJSON {
    struct Document: Encodable {
        var profiles: [FeedProfile]
    }

    static func text(_ profiles: [FeedProfile]) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Document(profiles: profiles)), as: UTF8.self)
    }
}
