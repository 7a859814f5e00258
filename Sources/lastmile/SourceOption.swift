import ArgumentParser
import Extractors
import Foundation
import LastMileCore

/// The path of `--source NAME`'s config, `PIPELINES/sources/NAME.yaml`; a name with no config is a usage error
/// (64) that lists the sources there are, rather than "cannot read the file".
func sourceConfigPath(_ source: String, pipelines: String) throws -> String {
    let folder = "\(pipelines)/sources"
    let path = "\(folder)/\(source).yaml"
    guard !FileManager.default.fileExists(atPath: path) else { return path }
    let known = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    throw UnknownSource(name: source, place: folder, known: known)
}

/// `--source NAME` named no source (of the pipeline for `run`, of the sources folder for `extract` and
/// `profile`): a usage error (exit 64) said in one line, with the source names there are. A long name is cut:
/// only a short code is worth echoing.
struct UnknownSource: ClassifiedError, CustomStringConvertible {
    var name: String
    /// The pipeline file or sources folder looked in.
    var place: String
    var known: [String]
    var exitStatus: ExitStatus { .usage }
    var description: String {
        let shown = name.count > 40 ? name.prefix(40) + "…" : name
        let list = known.isEmpty ? "it has none" : "its sources: " + known.joined(separator: ", ")
        return "no source is called \(shown) in \(place); \(list)"
    }
}

/// Which config reads a feed's files: `--source NAME` (`PIPELINES/sources/NAME.yaml`) or `--extractor KIND`
/// with its default layout (`--layout` for another), for `extract` and `profile`.
struct FeedOptions: ParsableArguments {
    @Option(name: .long, help: "A source config name: reads PIPELINES/sources/NAME.yaml.")
    var source: String?

    @Option(
        name: .long,
        help: "An extractor kind, with its default layout: \(ExtractorRegistry.kinds.joined(separator: ", ")).")
    var extractor: String?

    @Option(name: .long, help: "With --extractor: another layout of it (e.g. edfi for school-attendance).")
    var layout: String?

    @Option(name: .long, help: "The pipelines folder holding sources/*.yaml.")
    var pipelines = "pipelines"

    func validate() throws {
        if (source == nil) == (extractor == nil) {
            throw ValidationError("Give exactly one of --source NAME or --extractor KIND.")
        }
        if layout != nil && extractor == nil {
            throw ValidationError("--layout goes with --extractor; a source config names its layout.")
        }
        if let extractor, ExtractorRegistry.extractor(kind: extractor) == nil {
            throw ValidationError(
                "Unknown extractor \(extractor); expected one of \(ExtractorRegistry.kinds.joined(separator: ", ")).")
        }
    }

    /// The source's config, or the extractor's defaults with the chosen layout.
    func config() throws -> SourceConfig {
        if let source { return try SourceConfig.load(path: sourceConfigPath(source, pipelines: pipelines)) }
        var config = SourceConfig.defaults(for: extractor ?? "")
        config.layout = layout
        return config
    }
}
