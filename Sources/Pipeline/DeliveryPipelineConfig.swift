import Consent
import Foundation
import LastMileCore
import Reports
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

    public init(
        name: String = "monday-absenteeism", purpose: PurposeOfUse = .treatment, practices: [String]? = nil,
        recipientRoles: Set<String> = ["pediatrics"], consentPolicy: URL, templates: URL?, outbox: URL,
        listOptions: AbsenteeismListOptions = .init(), delivery: DeliveryCommand? = nil,
        outboxRetentionDays: Int? = nil
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

/// A problem in a pipeline file: where it is and what was expected.
public struct DeliveryPipelineError: ClassifiedError, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var keyPath: String
    public var message: String
    public var exitStatus: ExitStatus { .configuration }

    public init(file: String, line: Int?, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        let at = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(at): \(message)" : "\(at): \(keyPath): \(message)"
    }
}

extension DeliveryPipelineConfig {
    /// The keys a pipeline file may have, at the top level.
    static let topKeys = [
        "pipeline", "description", "owner", "purpose", "practices", "recipient_roles", "consent_policy", "templates",
        "outbox", "outbox_retention_days", "list", "delivery",
    ]

    /// Reads and validates a pipeline file; relative paths in it are taken from `baseDirectory` (the CLI passes
    /// the file's own directory, as for `nightly.yaml`).
    public init(contentsOf url: URL, baseDirectory: URL) throws(DeliveryPipelineError) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw DeliveryPipelineError(file: url.path, line: nil, keyPath: "", message: "cannot read the file")
        }
        try self.init(yaml: text, file: url.path, baseDirectory: baseDirectory)
    }

    /// Parses a pipeline file's text; `file` names it in errors.
    public init(yaml: String, file: String, baseDirectory: URL) throws(DeliveryPipelineError) {
        func fail(_ key: String, _ node: Node?, _ message: String) -> DeliveryPipelineError {
            DeliveryPipelineError(file: file, line: node?.mark.map { $0.line }, keyPath: key, message: message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let syntax = YAMLSyntaxError(error, in: yaml)
            throw DeliveryPipelineError(file: file, line: syntax.line, keyPath: "", message: syntax.message)
        }
        guard let root, let mapping = root.mapping else {
            throw fail("", root, "expected a mapping with pipeline, purpose, practices, consent_policy, outbox")
        }
        var map: [String: Node] = [:]
        for (k, v) in mapping {
            guard let key = k.scalar?.string, Self.topKeys.contains(key) else {
                throw fail(
                    k.scalar?.string ?? "", k, "unknown key; expected one of \(Self.topKeys.joined(separator: ", "))")
            }
            map[key] = v
        }
        func string(_ key: String, _ node: Node?) throws(DeliveryPipelineError) -> String? {
            guard let node else { return nil }
            guard let s = node.scalar?.string, !s.isEmpty else { throw fail(key, node, "expected text") }
            return s
        }
        func strings(_ key: String, _ node: Node?) throws(DeliveryPipelineError) -> [String]? {
            guard let node else { return nil }
            guard let seq = node.sequence else { throw fail(key, node, "expected a list") }
            var out: [String] = []
            for item in seq {
                guard let s = item.scalar?.string else { throw fail(key, item, "expected a list of text") }
                out.append(s)
            }
            return out
        }
        func path(_ key: String, required: Bool) throws(DeliveryPipelineError) -> URL? {
            guard let s = try string(key, map[key]) else {
                if required { throw fail(key, root, "missing; expected a path") }
                return nil
            }
            return s.hasPrefix("/")
                ? URL(fileURLWithPath: s) : baseDirectory.appendingPathComponent(s).standardizedFileURL
        }

        name = try string("pipeline", map["pipeline"]) ?? "monday-absenteeism"
        let purposeText = try string("purpose", map["purpose"]) ?? "TREAT"
        guard PurposeOfUse.known.contains(purposeText) else {
            throw fail("purpose", map["purpose"], "expected a v3 PurposeOfUse code such as TREAT")
        }
        purpose = PurposeOfUse(rawValue: purposeText)
        if let node = map["practices"], node.scalar != nil {
            guard node.scalar?.string == "all" else {
                throw fail("practices", node, "expected all or a list of practice ids")
            }
            practices = nil
        } else {
            practices = try strings("practices", map["practices"])
            if let practices, practices.isEmpty || !practices.allSatisfy(PrivateFiles.isSafeComponent) {
                throw fail("practices", map["practices"], "expected all or a non-empty list of practice ids")
            }
        }
        recipientRoles = Set(try strings("recipient_roles", map["recipient_roles"]) ?? ["pediatrics"])
        consentPolicy = try path("consent_policy", required: true)!
        templates = try path("templates", required: false)
        outbox = try path("outbox", required: true)!
        if let node = map["outbox_retention_days"] {
            guard let days = node.int, (1...3650).contains(days) else {
                throw fail("outbox_retention_days", node, "expected whole days from 1 to 3650")
            }
            outboxRetentionDays = days
        } else {
            outboxRetentionDays = nil
        }

        var options = AbsenteeismListOptions()
        if let listNode = map["list"] {
            guard let list = listNode.mapping else { throw fail("list", listNode, "expected a mapping") }
            for (k, v) in list {
                let key = "list." + (k.scalar?.string ?? "")
                switch k.scalar?.string {
                case "include_at_risk":
                    guard let b = v.bool else { throw fail(key, v, "expected true or false") }
                    options.includeAtRisk = b
                case "at_risk_threshold", "chronic_threshold":
                    guard let d = v.float, d > 0, d < 1 else { throw fail(key, v, "expected a fraction such as 0.10") }
                    if k.scalar?.string == "at_risk_threshold" {
                        options.atRiskThreshold = d
                    } else {
                        options.chronicThreshold = d
                    }
                default:
                    throw fail(key, k, "unknown key; expected include_at_risk, at_risk_threshold, chronic_threshold")
                }
            }
        }
        listOptions = options

        if let deliveryNode = map["delivery"] {
            guard let d = deliveryNode.mapping else {
                throw fail("delivery", deliveryNode, "expected a mapping with command")
            }
            var arguments: [String]?
            var timeout = 120
            for (k, v) in d {
                switch k.scalar?.string {
                case "command":
                    arguments = try strings("delivery.command", v)
                    guard let first = arguments?.first, !first.isEmpty else {
                        throw fail("delivery.command", v, "expected a non-empty list: the program, then its arguments")
                    }
                case "timeout_seconds":
                    guard let t = v.int, (1...3600).contains(t) else {
                        throw fail("delivery.timeout_seconds", v, "expected whole seconds from 1 to 3600")
                    }
                    timeout = t
                default:
                    throw fail(
                        "delivery." + (k.scalar?.string ?? ""), k, "unknown key; expected command, timeout_seconds")
                }
            }
            guard var arguments else { throw fail("delivery.command", deliveryNode, "missing; expected a list") }
            guard arguments[0].contains("/") else {
                throw fail(
                    "delivery.command", deliveryNode,
                    "the program must be a path (absolute, or relative to this file); no PATH search")
            }
            if !arguments[0].hasPrefix("/") {
                arguments[0] = baseDirectory.appendingPathComponent(arguments[0]).standardizedFileURL.path
            }
            delivery = DeliveryCommand(arguments: arguments, timeoutSeconds: timeout)
        } else {
            delivery = nil
        }
    }
}
