import ArgumentParser
import Extractors
import Foundation
import LastMileCore

/// `lastmile validate`: checks every source config and reports every problem at once.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every source config in PIPELINES/sources/*.yaml.",
        discussion: """
            Each problem is reported with its file, line and key path and what was expected: unknown keys, \
            unknown extractors, layouts, columns or code values, bad date formats, a category that does not \
            match the extractor, a missing agreement. Exit status 0 when all are valid, 78 otherwise.

            Example:  lastmile validate --pipelines pipelines
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The pipelines folder holding sources/*.yaml.")
    var pipelines = "pipelines"

    func run() throws {
        let folder = "\(pipelines)/sources"
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw SourceConfigError(problems: [ConfigProblem(file: folder, keyPath: "", message: "cannot list the folder")])
        }
        var problems: [ConfigProblem] = []
        var seen: [String: String] = [:]
        for name in names {
            let path = "\(folder)/\(name)"
            do {
                let config = try SourceConfig.load(path: path)
                if let other = seen[config.name] {
                    problems.append(ConfigProblem(file: path, keyPath: "source", message: "the source name is also used by \(other)"))
                }
                seen[config.name] = path
            } catch {
                problems += error.problems
            }
        }
        if names.isEmpty {
            problems.append(ConfigProblem(file: folder, keyPath: "", message: "no source configs (*.yaml) found"))
        }
        guard problems.isEmpty else { throw SourceConfigError(problems: problems) }
        print("\(names.count) source config(s) valid in \(folder)")
    }
}
