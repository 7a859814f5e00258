import ArgumentParser
import Foundation
import LastMileCore
import Store
import Warehouse

/// `lastmile files`: the input-file ledger (which files each source loaded), and marking one to load again.
struct Files: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the input files each source loaded, or mark one to be loaded again.",
        subcommands: [List.self, Forget.self], defaultSubcommand: List.self)

    /// `lastmile files list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List loaded input files: source, file, rows read, run, when loaded, reprocessing.",
            discussion: "Example:  lastmile files list --source county-jail")

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("source"), help: "Only this source's files.") var source: String?

        func run() throws {
            let connection = try global.warehouse().connectMigrated(logger: global.makeLogger())
            let files = try IngestedFiles(connection: connection).list(source: source)
            if files.isEmpty {
                print("no files loaded yet")
                return
            }
            print("source               file                                  rows  run  loaded (UTC)          sha256")
            for file in files {
                let state =
                    file.reprocess
                    ? "  (reloaded by the next run)" : file.reprocessedRun.map { "  (reprocessed by run \($0))" } ?? ""
                print(
                    [
                        file.source.padding(toLength: 20, withPad: " ", startingAt: 0),
                        terminalSafe(file.fileName).padding(toLength: 34, withPad: " ", startingAt: 0),
                        String(file.rowsRead).leftPadded(7), String(file.runId).leftPadded(4) + " ",
                        Clock.iso8601(file.loadedAt).padding(toLength: 21, withPad: " ", startingAt: 0),
                        String(file.sha256.prefix(12)) + state,
                    ].joined(separator: " "))
            }
        }
    }

    /// `lastmile files forget FILE`.
    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a loaded file to be loaded again by the next run, replacing what it produced.",
            discussion: """
                The next `lastmile run` reads the file again (it must still match its source's input pattern): \
                events keyed by the source's record key are replaced, and the rows the file produced before and \
                no longer produces are removed. Use it after a mapping fix. Nothing is removed until that run \
                commits. `lastmile run --reprocess FILE` does the same in one step.

                Example:  lastmile files forget bookings-2026-11-20.csv --source county-jail
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The file's name as `lastmile files list` shows it (a path: its last component).")
        var file: String

        @Option(name: .customLong("source"), help: "Only this source's file of that name.") var source: String?

        func run() throws {
            let connection = try global.warehouse().connectMigrated(logger: global.makeLogger())
            let name = URL(fileURLWithPath: file).lastPathComponent
            let marked = try IngestedFiles(connection: connection).markForReprocessing(fileName: name, source: source)
            guard !marked.isEmpty else { throw FileNotLoaded(fileName: name, source: source) }
            for entry in marked {
                print("\(entry.source): \(terminalSafe(entry.fileName)) will be loaded again by the next run")
            }
        }
    }
}

/// `files forget` named a file no source loaded: a usage error (exit 64), said in one line.
struct FileNotLoaded: ClassifiedError, CustomStringConvertible {
    var fileName: String
    var source: String?
    var exitStatus: ExitStatus { .usage }
    var description: String {
        "\(fileName) is not a loaded file\(source.map { " of \($0)" } ?? "") (see `lastmile files list`)"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
