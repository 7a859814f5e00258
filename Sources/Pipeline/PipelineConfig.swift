import Consent
import Extractors
import Flags
import Foundation
import LastMileCore
import Store
import YAMLConfig
import Yams

/// A pipeline file (`pipelines/nightly.yaml`): which sources run, under which consent policy, with which
/// match model and flag rules. Paths inside are relative to the pipeline file's folder.
public struct PipelineConfig: Sendable {
    public var name: String
    /// The file it was read from, for messages.
    public var file: String
    /// The purpose of use the run loads data for (v3 PurposeOfUse), TREAT by default.
    public var purpose: PurposeOfUse
    /// A libpq URL or conninfo; nil uses `--database`, `LASTMILE_DATABASE_URL` or the embedded cluster.
    public var warehouse: String?
    public var sources: [SourceConfig]
    public var consentPolicyPath: String
    /// The trained Fellegi–Sunter model; nil trains one on the night's inputs (logged as a warning).
    public var matchModelPath: String?
    public var matchThreshold: Double?
    public var reviewThreshold: Double?
    /// Held records of review items still undecided after this many days are deleted by the nightly run
    /// (`match.review_retention_days`, 90 by default).
    public var reviewRetentionDays = 90
    public var flagRules: FlagRules
    /// Reference extracts refreshed before the sources, each optional.
    public var mpiExtract: String?
    public var practicesExtract: String?
    public var attributionExtract: String?
    public var consentDirectives: [String]
    /// Where the run-local rejects files (mode 0600) go.
    public var rejectsDirectory: String
    /// Rejects files older than this many days are deleted at the start of a run.
    public var rejectsRetentionDays: Int
    /// How long a second run waits for the first to finish before exiting 75.
    public var lockWaitSeconds: Int
    /// An input (or any file of an input folder) modified less than this many seconds ago is still being
    /// uploaded: it is left for the next run. 0 loads whatever is there.
    public var inputSettleSeconds: Int = 0
    /// MPI deltas (`reference.mpi_delta`) applied after the snapshot, in order (`PatientImport`, `delta`).
    public var mpiDeltas: [String] = []
    /// Patient merge files (`reference.mpi_merges`) applied after the MPI (`PatientMergeImport`).
    public var mpiMerges: [String] = []

    /// The keys a pipeline file may have, at the top level.
    static let topKeys = [
        "pipeline", "description", "owner", "purpose", "warehouse", "sources", "sources_dir", "consent_policy",
        "match", "flags", "reference", "rejects", "lock_wait_seconds", "input_settle_seconds",
    ]

    /// Reads and checks a pipeline file and the source configs it names; reports every problem at once.
    /// - Throws: `ConfigError` (exit status 78) listing every problem of this file and its source configs.
    public static func load(path: String) throws(ConfigError) -> PipelineConfig {
        let text = try ConfigError.text(ofFile: path)
        var reader = YAMLConfigReader(text: text, file: path)
        guard reader.root != nil else {
            if reader.problems.isEmpty {
                reader.report(nil, "", "the file is empty; expected a mapping of pipeline settings")
            }
            throw ConfigError(problems: reader.problems)
        }
        guard let config = read(&reader, path: path), reader.problems.isEmpty else {
            throw ConfigError(problems: reader.problems)
        }
        return config
    }

    private static func read(_ r: inout YAMLConfigReader, path: String) -> PipelineConfig? {
        // Absolute first: paths in the file are resolved against its folder, wherever lastmile runs from.
        let base = URL(fileURLWithPath: path).absoluteURL.standardized.deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardized.path }
        guard let root = r.mapping(r.root, "", keys: topKeys, expected: "a mapping of pipeline settings") else {
            return nil
        }
        let name =
            r.string(root["pipeline"], "pipeline")
            ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        _ = r.string(root["description"], "description")
        _ = r.string(root["owner"], "owner")
        var purpose = PurposeOfUse.treatment
        if let text = r.string(root["purpose"], "purpose") {
            if PurposeOfUse.known.contains(text) {
                purpose = PurposeOfUse(rawValue: text)
            } else {
                r.report(root["purpose"], "purpose", "expected a v3 PurposeOfUse code such as TREAT")
            }
        }
        let sourcesDir = resolve(r.string(root["sources_dir"], "sources_dir") ?? "sources")
        let sources = readSources(root["sources"], dir: sourcesDir, repository: base.deletingLastPathComponent(), &r)
        let match = r.mapping(
            root["match"], "match", keys: ["model", "match_threshold", "review_threshold", "review_retention_days"])
        let reference = r.mapping(
            root["reference"], "reference",
            keys: [
                "mpi", "mpi_delta", "mpi_merges", "practices", "attribution", "consent",
            ])
        let rejects = r.mapping(root["rejects"], "rejects", keys: ["directory", "retention_days"])
        let flagRules = readFlagRules(root["flags"], &r)
        func probability(_ key: String) -> Double? {
            r.double(match?[key], "match.\(key)", in: 0...1, expected: "a probability between 0 and 1")
        }
        func location(_ node: Node?, _ key: String) -> String? { r.string(node, key).map(resolve) }
        let seconds = "a whole number of seconds, 0 or more"
        var config = PipelineConfig(
            name: name, file: path, purpose: purpose, warehouse: r.string(root["warehouse"], "warehouse"),
            sources: sources,
            consentPolicyPath: location(root["consent_policy"], "consent_policy") ?? resolve("consent-policy.yaml"),
            matchModelPath: location(match?["model"], "match.model"),
            matchThreshold: probability("match_threshold"), reviewThreshold: probability("review_threshold"),
            flagRules: flagRules,
            mpiExtract: location(reference?["mpi"], "reference.mpi"),
            practicesExtract: location(reference?["practices"], "reference.practices"),
            attributionExtract: location(reference?["attribution"], "reference.attribution"),
            consentDirectives: (r.strings(reference?["consent"], "reference.consent") ?? []).map(resolve),
            rejectsDirectory: location(rejects?["directory"], "rejects.directory") ?? resolve("../.lastmile/rejects"),
            rejectsRetentionDays: r.int(
                rejects?["retention_days"], "rejects.retention_days", in: 1...3650,
                expected: "a whole number of days from 1 to 3650") ?? 30,
            lockWaitSeconds: r.int(root["lock_wait_seconds"], "lock_wait_seconds", in: 0...86_400, expected: seconds)
                ?? 0,
            inputSettleSeconds: r.int(
                root["input_settle_seconds"], "input_settle_seconds", in: 0...86_400, expected: seconds) ?? 0)
        config.reviewRetentionDays =
            r.int(
                match?["review_retention_days"], "match.review_retention_days", in: 1...3650,
                expected: "a whole number of days from 1 to 3650") ?? 90
        config.mpiDeltas = (r.strings(reference?["mpi_delta"], "reference.mpi_delta") ?? []).map(resolve)
        config.mpiMerges = (r.strings(reference?["mpi_merges"], "reference.mpi_merges") ?? []).map(resolve)
        if !FileManager.default.fileExists(atPath: config.consentPolicyPath) {
            r.report(at: "consent_policy", "no such file: \(config.consentPolicyPath)")
        }
        if let model = config.matchModelPath, !FileManager.default.fileExists(atPath: model) {
            r.report(at: "match.model", "no such file: \(model)")
        }
        return config
    }

    /// The source configs a pipeline names, each read and checked; an unknown name is a problem at its line.
    private static func readSources(
        _ node: Node?, dir: String, repository: URL, _ r: inout YAMLConfigReader
    ) -> [SourceConfig] {
        let expected = "the list of source names to run (files sources_dir/NAME.yaml)"
        guard let items = r.sequence(node, "sources", required: true, expected: expected) else { return [] }
        if items.isEmpty { r.report(node, "sources", "expected at least one source") }
        var sources: [SourceConfig] = []
        var seen: Set<String> = []
        for (i, item) in items.enumerated() {
            let key = "sources[\(i)]"
            guard let sourceName = r.string(item, key, required: true) else { continue }
            guard seen.insert(sourceName).inserted else {
                r.report(item, key, "source \(sourceName) is listed twice")
                continue
            }
            let file = dir + "/\(sourceName).yaml"
            guard FileManager.default.fileExists(atPath: file) else {
                r.report(item, key, "unknown source \(sourceName): no source config \(file)")
                continue
            }
            do {
                var config = try SourceConfig.load(path: file)
                func resolved(_ path: String?) -> String? {
                    // Source inputs are relative to the repository root: the pipeline folder's parent.
                    guard let path, !path.hasPrefix("/") else { return path }
                    return repository.appendingPathComponent(path).standardized.path
                }
                config.input = resolved(config.input)
                config.enrollment = resolved(config.enrollment)
                config.calendar = resolved(config.calendar)
                if config.input == nil {
                    r.report(item, key, "source \(sourceName) has no input: glob in \(file)")
                }
                sources.append(config)
            } catch {
                r.add(error.problems)
            }
        }
        return sources
    }

    /// The `flags:` section, decoded by `FlagRules`; its first problem is reported at its own line.
    private static func readFlagRules(_ node: Node?, _ r: inout YAMLConfigReader) -> FlagRules {
        guard let node else { return .default }
        do {
            return try YAMLDecoder().decode(FlagRules.self, from: node)
        } catch let DecodingError.dataCorrupted(context) {
            reportDecoding(context, "", node, &r)
        } catch let DecodingError.typeMismatch(type, context) {
            reportDecoding(context, "expected \(describe(type))", node, &r)
        } catch let DecodingError.valueNotFound(type, context) {
            reportDecoding(context, "expected \(describe(type))", node, &r)
        } catch {
            r.report(node, "flags", "cannot read the flag rules")
        }
        return .default
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "text"
        }
    }

    /// Reports a `FlagRules` decoding error at the node its coding path leads to.
    private static func reportDecoding(
        _ context: DecodingError.Context, _ expected: String, _ flags: Node, _ r: inout YAMLConfigReader
    ) {
        var node = flags
        var path = "flags"
        for key in context.codingPath {
            path += ".\(key.stringValue)"
            if let child = node.mapping?[key.stringValue] { node = child }
        }
        let said = context.debugDescription
        let message =
            !expected.isEmpty
            ? expected : said.hasPrefix("unknown") || said.hasPrefix("expected") ? said : "expected \(said)"
        r.report(node, path, message)
    }
}

/// A pipeline file (or a source config it names) is invalid: the one configuration error of every YAML file.
public typealias PipelineConfigError = ConfigError

extension PipelineConfig {
    /// The `agreement:` references of the pipeline's sources (of `sources` only, when given).
    public func agreementReferences(sources only: Set<String>? = nil) -> [AgreementReference] {
        sources.filter { only?.contains($0.name) ?? true }.map { source in
            AgreementReference(
                source: source.name, agreementId: source.agreement ?? "", file: source.file,
                category: source.category, position: source.agreementPosition)
        }
    }

    /// Reads the consent policy and checks that every running source's agreement is in it, is with that
    /// source, covers its category and is in force on `date`; returns the gate that admits each source's
    /// records under its own agreement.
    /// - Throws: `ConfigError` (exit status 78) listing every problem.
    public func consentGate(on date: CivilDate, sources only: Set<String>? = nil) throws(ConfigError) -> ConsentGate {
        let policy = try Self.readPolicy(path: consentPolicyPath)
        let references = agreementReferences(sources: only)
        let problems = policy.problems(with: references, on: date)
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return ConsentGate(
            policy: policy,
            sourceAgreements: Dictionary(
                references.map { ($0.source, $0.agreementId) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Reads and parses a consent policy file.
    /// - Throws: `ConfigError` when the file is unreadable or invalid.
    public static func readPolicy(path: String) throws(ConfigError) -> ConsentPolicy {
        try ConsentPolicy(contentsOfFile: path)
    }
}
