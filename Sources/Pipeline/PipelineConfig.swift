import Consent
import Extractors
import Flags
import Foundation
import LastMileCore
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

    /// Reads and checks a pipeline file and the source configs it names; reports every problem at once.
    public static func load(path: String) throws -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "cannot read the file")])
        }
        // Absolute first: paths in the file are resolved against its folder, wherever lastmile runs from.
        let base = URL(fileURLWithPath: path).absoluteURL.standardized.deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardized.path }
        var problems: [ConfigProblem] = []
        func problem(_ key: String, _ message: String) { problems.append(ConfigProblem(file: path, keyPath: key, message: message)) }

        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            let syntax = YAMLSyntaxError(error, in: text)
            throw PipelineConfigError(problems: [ConfigProblem(file: path, keyPath: "", line: syntax.line, message: syntax.message)])
        }
        guard let root = node?.mapping else {
            throw PipelineConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "expected a mapping of pipeline settings")])
        }
        let known: Set<String> = [
            "pipeline", "purpose", "warehouse", "sources", "sources_dir", "consent_policy", "match", "flags",
            "reference", "rejects", "lock_wait_seconds", "input_settle_seconds",
        ]
        for key in root.keys.compactMap(\.string) where !known.contains(key) {
            problem(key, "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        func string(_ key: String, in map: Node.Mapping? = nil) -> String? { (map ?? root)[key]?.string }

        let name = string("pipeline") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let purpose = PurposeOfUse(rawValue: string("purpose") ?? "TREAT")
        let sourcesDir = resolve(string("sources_dir") ?? "sources")
        var sources: [SourceConfig] = []
        if let list = root["sources"]?.sequence {
            for (i, item) in list.enumerated() {
                guard let sourceName = item.string else {
                    problem("sources[\(i)]", "expected a source name (a file sources_dir/NAME.yaml)")
                    continue
                }
                let file = sourcesDir + "/\(sourceName).yaml"
                do {
                    var config = try SourceConfig.load(path: file)
                    if let input = config.input, !input.hasPrefix("/") {
                        // Source inputs are relative to the repository root: the pipeline folder's parent.
                        config.input = base.deletingLastPathComponent().appendingPathComponent(input).standardized.path
                    }
                    sources.append(config)
                } catch {
                    problems += error.problems
                }
            }
        } else {
            problem("sources", "required: the list of source names to run")
        }
        let match = root["match"]?.mapping
        let reference = root["reference"]?.mapping
        let rejects = root["rejects"]?.mapping
        var flagRules = FlagRules.default
        if let flags = root["flags"] {
            do {
                flagRules = try YAMLDecoder().decode(FlagRules.self, from: try Yams.serialize(node: flags))
            } catch {
                problem("flags", "\(error)")
            }
        }
        func double(_ key: String, in map: Node.Mapping?) -> Double? {
            guard let value = map?[key] else { return nil }
            guard let d = value.float ?? value.int.map({ Double($0) }), (0...1).contains(d) else {
                problem("match.\(key)", "expected a probability between 0 and 1")
                return nil
            }
            return d
        }
        var settle = 0
        if let value = root["input_settle_seconds"] {
            if let n = value.int, n >= 0 { settle = n } else { problem("input_settle_seconds", "expected a whole number of seconds, 0 or more") }
        }
        let config = PipelineConfig(
            name: name, file: path, purpose: purpose, warehouse: string("warehouse"), sources: sources,
            consentPolicyPath: resolve(string("consent_policy") ?? "consent-policy.yaml"),
            matchModelPath: string("model", in: match).map(resolve),
            matchThreshold: double("match_threshold", in: match), reviewThreshold: double("review_threshold", in: match),
            flagRules: flagRules,
            mpiExtract: string("mpi", in: reference).map(resolve),
            practicesExtract: string("practices", in: reference).map(resolve),
            attributionExtract: string("attribution", in: reference).map(resolve),
            consentDirectives: (reference?["consent"]?.sequence ?? []).compactMap(\.string).map(resolve),
            rejectsDirectory: resolve(string("directory", in: rejects) ?? "../.lastmile/rejects"),
            rejectsRetentionDays: rejects?["retention_days"]?.int ?? 30,
            lockWaitSeconds: root["lock_wait_seconds"]?.int ?? 0, inputSettleSeconds: settle)
        for source in sources where source.input == nil {
            problem("sources", "source \(source.name) has no input: glob in \(source.file)")
        }
        if !FileManager.default.fileExists(atPath: config.consentPolicyPath) {
            problem("consent_policy", "no such file: \(config.consentPolicyPath)")
        }
        if let model = config.matchModelPath, !FileManager.default.fileExists(atPath: model) {
            problem("match.model", "no such file: \(model)")
        }
        guard problems.isEmpty else { throw PipelineConfigError(problems: problems) }
        return config
    }
}

/// A pipeline file (or a source config it names) is invalid; every problem is listed with file and key path.
public struct PipelineConfigError: ClassifiedError, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public var exitStatus: ExitStatus { .configuration }
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A YAML syntax error as messages give it: libyaml's problem and the line it names, or the text's last line
/// when libyaml names the one after it. The offending line's text is not repeated (the file is at hand).
struct YAMLSyntaxError {
    var line: Int?
    var message: String

    init(_ error: any Error, in text: String) {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            line = min(mark.line, YAMLText.lastLine(of: text))
            message = "not valid YAML: \(problem)"
        default:
            line = nil
            message = "not valid YAML"
        }
    }
}
