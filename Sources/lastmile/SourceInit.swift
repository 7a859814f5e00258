import ArgumentParser
import Extractors
import Foundation
import LastMileCore

/// `lastmile source …`: tools for a source config.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Start a source config from a feed's file.", subcommands: [SourceInit.self])
}

/// `lastmile source init FILE --extractor KIND --name NAME`: a first config for a new feed. The work is in
/// `SourceProposal` (Extractors); this checks options and writes the file.
struct SourceInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Propose a source config for a new feed from one of its files.",
        discussion: """
            Detects the file's delimiter and encoding, maps each column of the extractor's layout to the closest \
            header (by name, its spellings and synonyms such as StudentUSI, student_id, Student Number; the \
            other candidates are listed in a comment), chooses the date formats that read the values (honouring \
            a day-first or month-first verdict) and lists the codes seen in each code column with the lastmile \
            value the layout gives them. What the file cannot decide is written as FILL-IN with a # TODO: \
            comment: `lastmile validate` refuses each FILL-IN, naming the key and what to write. The proposal \
            holds headers, formats and short codes only, never a value that could be personal. An existing \
            file is not overwritten without --force.

            Exit status: 0 written, 64 usage, 65 the file is unusable or has no header row, 73 the output \
            exists or cannot be written.

            Example (the file is the worked example's in docs/adding-a-source.md):
                      lastmile source init inbox/northside/att-2026-11-20.csv --extractor school-attendance \
            --name northside-usd
            """)

    // Not GlobalOptions: the command reads one file and writes one config, and never opens the warehouse.
    @OptionGroup var logging: LoggingOptions

    @Argument(help: "One file of the feed (CSV).") var file: String

    @Option(name: .long, help: "The extractor kind: \(ExtractorRegistry.kinds.joined(separator: ", ")).")
    var extractor: String

    @Option(name: .long, help: "Another layout of the extractor (e.g. edfi for school-attendance).")
    var layout: String?

    @Option(name: .long, help: "The source's name, kebab-case; also the config file's name.") var name: String

    @Option(name: .long, help: "Where to write the config; default PIPELINES/sources/NAME.yaml.") var out: String?

    @Option(name: .long, help: "The pipelines folder holding sources/*.yaml.") var pipelines = "pipelines"

    @ArgumentParser.Flag(name: .long, help: "Overwrite the output file if it exists.") var force = false

    func validate() throws {
        guard let type = ExtractorRegistry.extractor(kind: extractor) else {
            throw ValidationError(
                "Unknown extractor \(extractor); expected one of \(ExtractorRegistry.kinds.joined(separator: ", ")).")
        }
        if type.inputKind == .folder {
            throw ValidationError("\(extractor) reads a fixed national format: copy its config, it has no mapping.")
        }
        if type.layout(named: layout) == nil {
            throw ValidationError("\(extractor) has no layout \(layout ?? ""); it has \(type.layouts.map(\.name))")
        }
        if name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            throw ValidationError("--name takes kebab-case: lower-case letters, digits and hyphens.")
        }
    }

    func run() throws {
        let proposal = try SourceProposal.propose(
            InputLocation(path: file), kind: extractor, layout: layout, name: name)
        let path = out ?? "\(pipelines)/sources/\(name).yaml"
        try Self.write(proposal.yaml, to: path, force: force)
        print(
            "wrote \(terminalSafe(path)): \(proposal.mappedColumns) column(s) mapped, "
                + "\(proposal.placeholders) \(SourceProposal.placeholder) to fill in, \(proposal.todos) TODO(s); "
                + "next: \(terminalSafe(Self.nextStep(written: path, name: name, pipelines: pipelines)))")
    }

    /// The command that checks the config just written at `path`, from the working directory: `validate` reads
    /// PIPELINES/sources/*.yaml, so the pipelines folder is the one above the file's `sources` folder, written
    /// the way `path` was given; a file written elsewhere has to be moved there first.
    static func nextStep(written path: String, name: String, pipelines: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast()
        guard parts.last == "sources" else {
            return "move it to \(pipelines)/sources/\(name).yaml, then lastmile validate --pipelines \(pipelines)"
        }
        parts.removeLast()
        let folder = parts.joined(separator: "/")
        return "lastmile validate --pipelines " + (folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder)
    }

    /// Writes `text` to `path`; an existing file is kept unless `force` (exit 73 either way on failure).
    static func write(_ text: String, to path: String, force: Bool) throws {
        let url = URL(fileURLWithPath: path)
        if !force, FileManager.default.fileExists(atPath: path) {
            throw CannotWrite(message: "\(path) exists; pass --force to overwrite it")
        }
        do {
            try Data(text.utf8).write(to: url, options: force ? .atomic : .withoutOverwriting)
        } catch {
            throw CannotWrite(message: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    struct CannotWrite: ClassifiedError, CustomStringConvertible {
        var message: String
        var exitStatus: ExitStatus { .cannotCreate }
        var description: String { message }
    }
}

/// The logging options every command accepts, for a command that opens no warehouse (so has no `--database`).
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log format on standard error: text, or json (one object per line, for cron).")
    var logFormat: GlobalOptions.LogFormat = .text

    @ArgumentParser.Flag(name: .long, help: "Log debug detail (still never personal data).")
    var verbose = false
}
