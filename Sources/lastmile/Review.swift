import ArgumentParser
import Foundation
import LastMileCore
import Matching
import Pipeline
import Reports
import Store
import Warehouse

/// `lastmile review …`: clerical review of the matcher's uncertain links.
struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work the review queue: list, show, accept, reject, defer, undo, export, report a wrong person.",
        discussion: """
            The nightly run sends a source person to review when the matcher is unsure (near tie, below the \
            match threshold, a contested patient, a household). Each decision is stored with who (--by), when \
            and why (--note) and takes effect on the next run: an accepted person's held records load and their \
            flags appear; a rejected candidate is never proposed again. Output masks personal data; \
            --show-personal-data (with --by) shows it and is recorded in the access log. See docs/matching.md, \
            "Clerical review".

            Example:  lastmile review list --oldest && lastmile review show 1
            """,
        subcommands: [
            ReviewList.self, ReviewShow.self, ReviewAccept.self, ReviewReject.self, ReviewDefer.self, ReviewUndo.self,
            ReviewExport.self, ReviewWrongPerson.self,
        ])
}

/// What every decision needs: who decides and why.
struct DecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Who decides (a name or login), stored with the decision.", valueName: "name"))
    var by: String

    @Option(help: ArgumentHelp("Why, stored with the decision.", valueName: "text"))
    var note: String

    func validate() throws {
        if by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by: name who decides") }
        if note.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--note: say why") }
    }
}

/// Personal data on request, and who asked.
struct PersonalDataOptions: ParsableArguments {
    @ArgumentParser.Flag(help: "Show names, dates and ids (recorded in the access log; needs --by).")
    var showPersonalData = false

    @Option(help: ArgumentHelp("Who views the personal data (required with --show-personal-data).", valueName: "name"))
    var by: String?

    func validate() throws {
        if showPersonalData && (by ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--show-personal-data needs --by NAME: every view of personal data is logged")
        }
    }

    /// The viewer to log, nil when values stay masked.
    var viewer: String? { showPersonalData ? by : nil }
}

/// Where the match model comes from.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The pipeline whose match model scores the pairs.", valueName: "file"))
    var pipeline = "pipelines/nightly.yaml"

    @Option(help: ArgumentHelp("A match model JSON instead of the pipeline's.", valueName: "file"))
    var model: String?

    func load() throws -> FellegiSunterModel {
        let config = model == nil ? try PipelineConfig.load(path: pipeline) : nil
        return try ClericalReview.model(pipeline: config, modelPath: model)
    }
}

/// Prints text that holds values from input files (a source name, a reason, personal values on request) with
/// their control characters as escapes, line by line.
func printSafely(_ text: String) {
    print(
        text.split(separator: "\n", omittingEmptySubsequences: false).map { terminalSafe(String($0)) }
            .joined(separator: "\n"))
}

extension GlobalOptions {
    /// The review of the warehouse, with the process's clock.
    func clericalReview() throws -> ClericalReview {
        let connection = try warehouse().connectMigrated(logger: makeLogger())
        return ClericalReview(connection: connection, clock: try clock())
    }
}

struct ReviewList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Count the open items by reason and age, then list them (no personal data).",
        discussion: "Example:  lastmile review list --source coc-hmis --oldest")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only this source.", valueName: "name")) var source: String?
    @Option(help: ArgumentHelp("Only this reason, e.g. near-tie.", valueName: "reason")) var reason: String?
    @ArgumentParser.Flag(help: "Oldest first (default: by id).") var oldest = false

    func run() throws {
        let review = try global.clericalReview()
        printSafely(ClericalReview.render(try review.list(source: source, reason: reason, oldestFirst: oldest)))
    }
}

struct ReviewShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Compare an item's incoming record with its candidate and runner-up, field by field.",
        discussion: """
            Each field's comparison level and weight (log2 Bayes factor) against the candidate and the \
            runner-up, scored by the pipeline's match model against the warehouse's MPI snapshot. Values are \
            masked unless --show-personal-data --by NAME, which is recorded in lastmile.review_access.

            Example:  lastmile review show 1 --show-personal-data --by jdoe
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The item id (from review list).") var id: Int64
    @OptionGroup var personal: PersonalDataOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let model = try modelOptions.load()
        let review = try global.clericalReview()
        printSafely(try review.show(id, model: model, viewer: personal.viewer))
    }
}

struct ReviewAccept: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept",
        abstract: "Link the item's source person to its candidate (or --patient): a crosswalk entry.",
        discussion: """
            The next run loads the person's held records through consent gate 2 and derives their flags.

            Example:  lastmile review accept 1 --by jdoe --note "same DOB and name; the shelter confirmed"
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The item id.") var id: Int64
    @Option(help: ArgumentHelp("Link to this patient instead of the candidate.", valueName: "id")) var patient: String?
    @OptionGroup var decision: DecisionOptions

    func run() throws {
        let review = try global.clericalReview()
        _ = try review.accept(id, patient: patient, by: decision.by, note: decision.note)
        print("review item \(id) accepted: linked; the next run loads its records and derives its flags")
    }
}

struct ReviewReject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Reject the item's candidate: the matcher never links that pair again.",
        discussion: "Example:  lastmile review reject 1 --by jdoe --note \"different mother's name per school\"")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The item id.") var id: Int64
    @OptionGroup var decision: DecisionOptions

    func run() throws {
        let review = try global.clericalReview()
        _ = try review.reject(id, by: decision.by, note: decision.note)
        print("review item \(id) rejected: a never-link rule keeps the matcher from proposing that pair again")
    }
}

struct ReviewDefer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defer",
        abstract: "Put an item aside (it stays open) with the reason.",
        discussion: "Example:  lastmile review defer 1 --by jdoe --note \"asked the school for the guardian\"")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The item id.") var id: Int64
    @OptionGroup var decision: DecisionOptions

    func run() throws {
        let review = try global.clericalReview()
        _ = try review.deferItem(id, by: decision.by, note: decision.note)
        print("review item \(id) deferred: still open")
    }
}

struct ReviewUndo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Reverse an item's decision and open it again.",
        discussion: """
            An undone accept removes its crosswalk entry and the events it loaded, and closes the flags they \
            produced; an undone reject removes its never-link rule.

            Example:  lastmile review undo 1 --by jdoe --note "accepted the wrong item"
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The item id.") var id: Int64
    @OptionGroup var decision: DecisionOptions

    func run() throws {
        let review = try global.clericalReview()
        let outcome = try review.undo(id, by: decision.by, note: decision.note)
        print(
            "review item \(id) undone and open again; flags closed \(outcome.flagsClosed), "
                + "event rows removed \(outcome.eventsRemoved)")
    }
}

struct ReviewExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the open items as one self-contained HTML page for a reviewer (mode 0600).",
        discussion: """
            One card per item, fields aligned, agreements green and disagreements red. Masked unless \
            --show-personal-data --by NAME (recorded in lastmile.review_access).

            Example:  lastmile review export --html review/queue.html --show-personal-data --by jdoe
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The page to write.", valueName: "file")) var html: String
    @Option(help: ArgumentHelp("Only this source.", valueName: "name")) var source: String?
    @Option(help: ArgumentHelp("Only this reason.", valueName: "reason")) var reason: String?
    @OptionGroup var personal: PersonalDataOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let model = try modelOptions.load()
        let review = try global.clericalReview()
        let url = URL(fileURLWithPath: html)
        let page = try review.exportHTML(source: source, reason: reason, model: model, viewer: personal.viewer)
        let directory = try PrivateFiles.directory(url.deletingLastPathComponent(), [])
        try PrivateFiles.write(Data(page.html.utf8), named: url.lastPathComponent, in: directory)
        print("wrote \(page.items) item(s) to \(url.path)")
    }
}

struct ReviewWrongPerson: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-wrong-person",
        abstract: "A practice says a linked record is not their patient's: unlink it, for good.",
        discussion: """
            Removes the crosswalk link and the events it loaded, closes the flags they produced, adds a \
            never-link rule so no later run links the pair again, and records the report as an incident \
            (counted in review list).

            Example:  lastmile review report-wrong-person --patient P708682 --source riverside-usd \
            --source-person 400540 --by jdoe --note "Riverside Peds: not our patient (call 2026-11-24)"
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The HIE patient id.", valueName: "id")) var patient: String
    @Option(help: ArgumentHelp("The source.", valueName: "name")) var source: String
    @Option(
        help: ArgumentHelp(
            "The source's person id; may be left out when one record of the source is linked to the patient.",
            valueName: "id"))
    var sourcePerson: String?
    @OptionGroup var decision: DecisionOptions

    func run() throws {
        let review = try global.clericalReview()
        let outcome = try review.reportWrongPerson(
            patient: patient, source: source, sourcePersonId: sourcePerson, by: decision.by, note: decision.note)
        print(
            "wrong-person incident recorded: link removed, never-link rule added; flags closed "
                + "\(outcome.flagsClosed), event rows removed \(outcome.eventsRemoved)")
    }
}
