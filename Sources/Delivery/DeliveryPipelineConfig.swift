import Consent
import Foundation
import LastMileCore
import Reports
import Store
import YAMLConfig
import Yams

/// A delivery pipeline file such as `pipelines/monday-absenteeism.yaml`: who gets the Monday lists, for which
/// purpose, where they are written and how they are handed over.
public struct DeliveryPipelineConfig: Sendable, Hashable {
    /// The pipeline's name (`monday-absenteeism`), recorded nowhere personal.
    public var name: String
    /// Why the lists are disclosed; TREAT for Monday lists.
    public var purpose: PurposeOfUse
    /// The practices to report to; nil means every practice in `lastmile.practice`.
    public var practices: [String]?
    /// The roles a practice recipient acts in, for the consent check (`pediatrics`).
    public var recipientRoles: Set<String>
    /// The consent policy file whose agreements and rules are re-checked at report time.
    public var consentPolicy: URL
    /// The directory holding `absenteeism.html`; nil writes CSV only.
    public var templates: URL?
    /// The outbox root: lists go under `outbox/PRACTICE/WEEK/`.
    public var outbox: URL
    public var listOptions: AbsenteeismListOptions
    /// The per-practice delivery command; nil leaves reports in the outbox (`not-configured`).
    public var delivery: DeliveryCommand?
    /// Days after its week's Monday that a delivered (or `not-configured`) list's files stay in the outbox;
    /// nil keeps them until the operator removes them. Undelivered lists are never deleted.
    public var outboxRetentionDays: Int?
    /// Days a source's newest attendance data may be behind the day a list is made before the list carries a
    /// warning (`stale_after_days`, default `defaultStaleAfterDays`).
    public var staleAfterDays: Int

    /// Two weeks of school days, give or take a holiday: a feed this far behind has stopped.
    public static let defaultStaleAfterDays = 10

    public init(
        name: String = "monday-absenteeism", purpose: PurposeOfUse = .treatment, practices: [String]? = nil,
        recipientRoles: Set<String> = ["pediatrics"], consentPolicy: URL, templates: URL?, outbox: URL,
        listOptions: AbsenteeismListOptions = .init(), delivery: DeliveryCommand? = nil,
        outboxRetentionDays: Int? = nil, staleAfterDays: Int = DeliveryPipelineConfig.defaultStaleAfterDays
    ) {
        self.name = name
        self.purpose = purpose
        self.practices = practices
        self.recipientRoles = recipientRoles
        self.consentPolicy = consentPolicy
        self.templates = templates
        self.outbox = outbox
        self.listOptions = listOptions
        self.delivery = delivery
        self.outboxRetentionDays = outboxRetentionDays
        self.staleAfterDays = staleAfterDays
    }

    /// The recipient a practice's list goes to: `practice:<id>` acting in `recipientRoles`.
    public func recipient(forPractice practiceId: String) -> Recipient {
        Recipient(practiceId: practiceId, roles: recipientRoles)
    }
}

/// A program run once per report file (or once per report), without a shell, its arguments substituted.
///
/// Placeholders, each a whole argument or part of one: `{practice_id}`, `{week}`, `{report}` (the report's
/// name), `{dir}` (its directory) and `{file}` (the command runs once per file). An argument that is exactly
/// `{files}` becomes one argument per file, and the command runs once.
public struct DeliveryCommand: Sendable, Hashable {
    public var arguments: [String]
    public var timeoutSeconds: Int

    public init(arguments: [String], timeoutSeconds: Int = 120) {
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
    }

    public static let placeholders = ["{practice_id}", "{week}", "{report}", "{dir}", "{file}", "{files}"]
}

/// A delivery pipeline file with problems: the one configuration error of every YAML file (exit 78).
public typealias DeliveryPipelineError = ConfigError

extension DeliveryPipelineConfig {
    /// The keys a pipeline file may have, at the top level.
    package static let topKeys = [
        "pipeline", "description", "owner", "purpose", "practices", "recipient_roles", "consent_policy", "templates",
        "outbox", "outbox_retention_days", "stale_after_days", "list", "delivery", "school_directories", "next_steps",
    ]

    /// The longest suggested next step, in characters: a line or two on the list, not a protocol.
    package static let maxNextStepLength = 240

    /// Reads and validates a pipeline file; relative paths in it are taken from `baseDirectory` (the CLI passes
    /// the file's own directory, as for `nightly.yaml`).
    public init(contentsOf url: URL, baseDirectory: URL) throws(DeliveryPipelineError) {
        let text = try ConfigError.text(ofFile: url.path)
        try self.init(yaml: text, file: url.path, baseDirectory: baseDirectory)
    }

    /// Parses a pipeline file's text; `file` names it in errors, which list every problem at once.
    public init(yaml: String, file: String, baseDirectory: URL) throws(DeliveryPipelineError) {
        var r = YAMLConfigReader(text: yaml, file: file)
        if r.isReadable, r.root == nil {
            r.report(nil, "", "the file is empty; expected a mapping with pipeline, purpose, consent_policy, outbox")
        }
        guard r.root != nil,
            let map = r.mapping(
                r.root, "", keys: Self.topKeys,
                expected: "a mapping with pipeline, purpose, practices, consent_policy, outbox")
        else { throw ConfigError(problems: r.problems) }
        func path(_ key: String, required: Bool) -> URL? {
            guard let s = r.string(map[key], key, required: required) else { return nil }
            return s.hasPrefix("/")
                ? URL(fileURLWithPath: s) : baseDirectory.appendingPathComponent(s).standardizedFileURL
        }
        _ = r.string(map["description"], "description")
        _ = r.string(map["owner"], "owner")
        let name = r.string(map["pipeline"], "pipeline") ?? "monday-absenteeism"
        var purpose = PurposeOfUse.treatment
        if let text = r.string(map["purpose"], "purpose") {
            if PurposeOfUse.known.contains(text) {
                purpose = PurposeOfUse(rawValue: text)
            } else {
                r.report(map["purpose"], "purpose", "expected a v3 PurposeOfUse code such as TREAT")
            }
        }
        let practices = Self.readPractices(map["practices"], &r)
        let roles = r.strings(map["recipient_roles"], "recipient_roles") ?? ["pediatrics"]
        let consentPolicy = path("consent_policy", required: true)
        let templates = path("templates", required: false)
        let outbox = path("outbox", required: true)
        let retention = r.int(
            map["outbox_retention_days"], "outbox_retention_days", in: 1...3650,
            expected: "whole days from 1 to 3650")
        let staleAfter = r.int(
            map["stale_after_days"], "stale_after_days", in: 0...365, expected: "whole days from 0 to 365")
        var options = Self.readList(map["list"], &r)
        options.nextSteps = Self.readNextSteps(map["next_steps"], &r)
        options.schools = Self.readSchoolDirectories(map["school_directories"], baseDirectory: baseDirectory, &r)
        let delivery = Self.readDelivery(map["delivery"], baseDirectory: baseDirectory, &r)
        guard r.problems.isEmpty, let consentPolicy, let outbox else { throw ConfigError(problems: r.problems) }
        self.init(
            name: name, purpose: purpose, practices: practices, recipientRoles: Set(roles),
            consentPolicy: consentPolicy, templates: templates, outbox: outbox, listOptions: options,
            delivery: delivery, outboxRetentionDays: retention,
            staleAfterDays: staleAfter ?? Self.defaultStaleAfterDays)
    }

    private static func readPractices(_ node: Node?, _ r: inout YAMLConfigReader) -> [String]? {
        guard let node else { return nil }
        if node.scalar != nil {
            if node.scalar?.string != "all" { r.report(node, "practices", "expected all or a list of practice ids") }
            return nil
        }
        let practices = r.strings(node, "practices")
        if let practices, practices.isEmpty || !practices.allSatisfy(PrivateFiles.isSafeComponent) {
            r.report(node, "practices", "expected all or a non-empty list of practice ids")
        }
        return practices
    }

    private static func readList(_ node: Node?, _ r: inout YAMLConfigReader) -> AbsenteeismListOptions {
        var options = AbsenteeismListOptions()
        let keys = ["include_at_risk", "at_risk_threshold", "chronic_threshold"]
        guard let list = r.mapping(node, "list", keys: keys) else { return options }
        let fraction = "a fraction such as 0.10, above 0 and below 1"
        if let b = r.bool(list["include_at_risk"], "list.include_at_risk") { options.includeAtRisk = b }
        if let d = r.double(list["at_risk_threshold"], "list.at_risk_threshold", in: 0...1, expected: fraction) {
            if d > 0, d < 1 {
                options.atRiskThreshold = d
            } else {
                r.report(list["at_risk_threshold"], "list.at_risk_threshold", "expected \(fraction)")
            }
        }
        if let d = r.double(list["chronic_threshold"], "list.chronic_threshold", in: 0...1, expected: fraction) {
            if d > 0, d < 1 {
                options.chronicThreshold = d
            } else {
                r.report(list["chronic_threshold"], "list.chronic_threshold", "expected \(fraction)")
            }
        }
        return options
    }

    /// `next_steps`: a mapping from tier (`severe`, `moderate`, `at-risk`) to one line of text.
    private static func readNextSteps(_ node: Node?, _ r: inout YAMLConfigReader) -> [AbsenteeismTier: String] {
        let tiers = [AbsenteeismTier.severe, .moderate, .atRisk]
        guard let map = r.mapping(node, "next_steps", keys: tiers.map(\.rawValue)) else { return [:] }
        var steps: [AbsenteeismTier: String] = [:]
        for tier in tiers {
            let path = "next_steps.\(tier.rawValue)"
            guard let text = r.string(map[tier.rawValue], path)?.trimmingCharacters(in: .whitespaces) else {
                continue
            }
            if text.isEmpty || text.count > maxNextStepLength || text.contains(where: \.isNewline) {
                r.report(map[tier.rawValue], path, "expected one line of 1 to \(maxNextStepLength) characters")
            } else {
                steps[tier] = text
            }
        }
        return steps
    }

    /// `school_directories`: a mapping from source (the district's feed) to its school directory CSV, each read
    /// and checked now, so `lastmile validate` finds a bad file before Monday does.
    private static func readSchoolDirectories(_ node: Node?, baseDirectory: URL, _ r: inout YAMLConfigReader)
        -> SchoolDirectory
    {
        let expected = "a mapping from source name to a school directory CSV (school_id, school_name, liaison_phone)"
        guard let pairs = r.anyMapping(node, "school_directories", expected: expected) else { return SchoolDirectory() }
        var directory = SchoolDirectory()
        for (source, value) in pairs {
            let path = "school_directories.\(source)"
            guard let file = r.string(value, path, required: true) else { continue }
            let url =
                file.hasPrefix("/")
                ? URL(fileURLWithPath: file) : baseDirectory.appendingPathComponent(file).standardizedFileURL
            let (schools, problems) = SchoolDirectory.schools(csvAt: url.path)
            r.add(problems)
            directory.schools[source] = schools
        }
        return directory
    }

    private static func readDelivery(_ node: Node?, baseDirectory: URL, _ r: inout YAMLConfigReader)
        -> DeliveryCommand?
    {
        guard
            let d = r.mapping(
                node, "delivery", keys: ["command", "timeout_seconds"], expected: "a mapping with command")
        else { return nil }
        let timeout = r.int(
            d["timeout_seconds"], "delivery.timeout_seconds", in: 1...3600, expected: "whole seconds from 1 to 3600")
        guard var arguments = r.strings(d["command"], "delivery.command", required: true) else { return nil }
        guard let first = arguments.first, !first.isEmpty else {
            r.report(d["command"], "delivery.command", "expected a non-empty list: the program, then its arguments")
            return nil
        }
        guard first.contains("/") else {
            r.report(
                d["command"], "delivery.command",
                "the program must be a path (absolute, or relative to this file); no PATH search")
            return nil
        }
        if !first.hasPrefix("/") {
            arguments[0] = baseDirectory.appendingPathComponent(first).standardizedFileURL.path
        }
        return DeliveryCommand(arguments: arguments, timeoutSeconds: timeout ?? 120)
    }
}
