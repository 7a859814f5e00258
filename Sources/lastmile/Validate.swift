import ArgumentParser
import Consent
import Delivery
import Extractors
import Foundation
import LastMileCore
import Matching
import Pipeline
import Store
import YAMLConfig

/// `lastmile validate`: loads and cross-checks every config file and reports every problem at once.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every config: pipelines, source configs, consent policy, delivery files, match model.",
        discussion: """
            Reads every PIPELINES/*.yaml (nightly pipelines, delivery pipelines such as monday-absenteeism.yaml, \
            the consent policy), every PIPELINES/sources/*.yaml and the match model a pipeline names, then \
            cross-checks them: each pipeline's sources exist, each source's agreement: is in the consent \
            policy, is with that source, covers its category and is in force on the as-of date, and the \
            delivery files' list thresholds agree with the nightly flag rules. Each problem is reported with \
            file:line:column, key path and what was expected: unknown or mistyped keys, duplicate keys (both \
            lines), YAML syntax errors. Exit status 0 when all are valid, 78 otherwise.

            Example:  lastmile validate --pipelines pipelines --as-of 2026-11-20
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The pipelines folder holding *.yaml and sources/*.yaml.")
    var pipelines = "pipelines"

    @Option(help: "The date agreements must be in force on (YYYY-MM-DD); default: today.") var asOf: String?

    func validate() throws {
        if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of takes a date as YYYY-MM-DD") }
    }

    /// Problems grouped by file (in the order the files were read), each file's in line order.
    static func byFileAndLine(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        var fileOrder: [String: Int] = [:]
        for p in problems where fileOrder[p.file] == nil { fileOrder[p.file] = fileOrder.count }
        return problems.enumerated().sorted { a, b in
            let left = (fileOrder[a.element.file] ?? 0, a.element.line ?? 0, a.element.column ?? 0, a.offset)
            let right = (fileOrder[b.element.file] ?? 0, b.element.line ?? 0, b.element.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }

    func run() throws {
        let date = try asOf.flatMap { CivilDate(iso: $0) } ?? global.clock().today
        var check = ConfigCheck(folder: pipelines, asOf: date)
        check.run()
        // Warnings do not change the exit status; they go to standard error before the verdict.
        for warning in Self.byFileAndLine(check.warnings) { standardError("warning: \(warning)\n") }
        guard check.problems.isEmpty else { throw ConfigError(problems: Self.byFileAndLine(check.problems)) }
        print(check.summary)
    }
}

/// Everything `lastmile validate` reads, the problems found, and what was read.
struct ConfigCheck {
    let folder: String
    let asOf: CivilDate
    private(set) var problems: [ConfigProblem] = []
    /// What is valid but probably not meant, e.g. a source config no pipeline runs.
    private(set) var warnings: [ConfigProblem] = []
    /// Every source config a pipeline that loaded names (standardized paths); nil once a pipeline failed to load.
    private var runSourceFiles: Set<String>? = []
    private var seenProblems: Set<ConfigProblem> = []
    private var sourceConfigs: [SourceConfig] = []
    private var nightly: [PipelineConfig] = []
    /// Consent policies read so far, by absolute path; nil for one that has problems (reported once).
    private var policies: [String: ConsentPolicy?] = [:]
    private var counts: [String: Int] = [:]

    init(folder: String, asOf: CivilDate) {
        self.folder = folder
        self.asOf = asOf
    }

    var summary: String {
        let parts = ["pipeline", "delivery pipeline", "consent policy", "source config", "match model"]
            .map { "\(counts[$0, default: 0]) \($0)(s)" }
        return "valid as of \(asOf): " + parts.joined(separator: ", ") + " in \(folder)"
    }

    mutating func run() {
        checkSourceConfigs()
        var deliveries: [(DeliveryPipelineConfig, String)] = []
        for file in yamlFiles(in: folder) {
            guard let text = readText(file) else { continue }
            let reader = YAMLConfigReader(text: text, file: file)
            guard reader.root != nil else {
                add(
                    reader.problems.isEmpty
                        ? [ConfigProblem(file: file, keyPath: "", message: "the file is empty")] : reader.problems)
                continue
            }
            let keys = reader.topLevelKeys
            if keys.contains("agreements") || keys.contains("model") {
                _ = policy(at: file)
            } else if keys.contains("sources") {
                checkPipeline(file)
            } else if keys.contains("outbox") || keys.contains("list") || keys.contains("delivery") {
                if let config = checkDelivery(file) { deliveries.append((config, file)) }
            } else {
                add(
                    ConfigProblem(
                        file: file, keyPath: "", at: reader.position(of: reader.root),
                        message:
                            "not a lastmile config: expected a pipeline (sources:), a delivery pipeline (outbox:) or a consent policy (agreements:)"
                    ))
            }
        }
        checkStandaloneAgreements()
        for (delivery, file) in deliveries { checkThresholds(delivery, file: file) }
        warnUnusedSources()
    }

    /// A source config that no pipeline's `sources:` names is never run: a warning naming the file (not when a
    /// pipeline could not be read, whose sources are unknown).
    private mutating func warnUnusedSources() {
        guard let used = runSourceFiles, !nightly.isEmpty else { return }
        for config in sourceConfigs where !used.contains(Self.standardized(config.file)) {
            warnings.append(
                ConfigProblem(
                    file: relative(config.file), keyPath: "source", at: config.position(of: "source"),
                    message: "\(config.name) is in no pipeline's sources: no run reads it (add it to a pipeline's "
                        + "sources:, or remove the file)"))
        }
    }

    // MARK: Files

    private mutating func checkSourceConfigs() {
        let dir = "\(folder)/sources"
        var seen: [String: String] = [:]
        let files = yamlFiles(in: dir)
        if files.isEmpty { add(ConfigProblem(file: dir, keyPath: "", message: "no source configs (*.yaml) found")) }
        for file in files {
            // A FILL-IN left by `lastmile source init` is reported as such, instead of the problems it causes.
            let placeholders =
                (try? ConfigError.text(ofFile: file)).map {
                    SourceProposal.placeholderProblems(yaml: $0, file: file)
                } ?? []
            if !placeholders.isEmpty {
                let paths = Set(placeholders.map(\.keyPath))
                add(placeholders)
                do { _ = try SourceConfig.load(path: file) } catch {
                    add(error.problems.filter { !paths.contains($0.keyPath) })
                }
                continue
            }
            do {
                let config = try SourceConfig.load(path: file)
                if let other = seen[config.name] {
                    add(
                        ConfigProblem(
                            file: file, keyPath: "source", at: config.position(of: "source"),
                            message: "the source name is also used by \(other)"))
                }
                seen[config.name] = file
                sourceConfigs.append(config)
                counts["source config", default: 0] += 1
            } catch {
                add(error.problems)
            }
        }
    }

    private mutating func checkPipeline(_ file: String) {
        let config: PipelineConfig
        do {
            config = try PipelineConfig.load(path: file)
        } catch {
            add(error.problems)
            runSourceFiles = nil
            return
        }
        counts["pipeline", default: 0] += 1
        nightly.append(config)
        runSourceFiles?.formUnion(config.sources.map { Self.standardized($0.file) })
        if let policy = policy(at: config.consentPolicyPath) {
            add(policy.problems(with: config.agreementReferences(), on: asOf))
        }
        if let model = config.matchModelPath { checkModel(model) }
    }

    private mutating func checkDelivery(_ file: String) -> DeliveryPipelineConfig? {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        do {
            let config = try DeliveryPipelineConfig(contentsOf: URL(fileURLWithPath: file), baseDirectory: base)
            counts["delivery pipeline", default: 0] += 1
            _ = policy(at: config.consentPolicy.path)
            let reader = readText(file).map { YAMLConfigReader(text: $0, file: file) }
            if let templates = config.templates, !FileManager.default.fileExists(atPath: templates.path) {
                add(
                    ConfigProblem(
                        file: file, keyPath: "templates", at: reader?.position(ofKeyPath: "templates"),
                        message: "no such folder: \(templates.path)"))
            }
            if let program = config.delivery?.arguments.first, !FileManager.default.isExecutableFile(atPath: program) {
                add(
                    ConfigProblem(
                        file: file, keyPath: "delivery.command", at: reader?.position(ofKeyPath: "delivery.command"),
                        message: "not an executable file: \(program)"))
            }
            return config
        } catch {
            add(error.problems)
            return nil
        }
    }

    /// Reads a consent policy once, however many files name it.
    private mutating func policy(at path: String) -> ConsentPolicy? {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        if let known = policies[key] { return known }
        do {
            let policy = try PipelineConfig.readPolicy(path: path)
            policies[key] = .some(policy)
            counts["consent policy", default: 0] += 1
            return policy
        } catch {
            policies[key] = .some(nil)
            add(error.problems)
            return nil
        }
    }

    private mutating func checkModel(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            add(ConfigProblem(file: path, keyPath: "", message: "cannot read the match model"))
            return
        }
        do {
            _ = try FellegiSunterModel.load(json: data)
            counts["match model", default: 0] += 1
        } catch let error as ModelError {
            add(ConfigProblem(file: path, keyPath: "", message: error.description))
        } catch {
            add(
                ConfigProblem(
                    file: path, keyPath: "", message: "not a match model (JSON written by lastmile match train)"))
        }
    }

    // MARK: Cross-checks

    /// Every source config against the folder's consent policy, whether or not a pipeline names it yet.
    private mutating func checkStandaloneAgreements() {
        let path = "\(folder)/consent-policy.yaml"
        guard FileManager.default.fileExists(atPath: path), let policy = policy(at: path) else { return }
        let references = sourceConfigs.map {
            AgreementReference(
                source: $0.name, agreementId: $0.agreement ?? "", file: $0.file, category: $0.category,
                position: $0.agreementPosition)
        }
        add(policy.problems(with: references, on: asOf))
    }

    /// The list thresholds of a delivery file must equal the flag rules the nightly pipelines tier with.
    private mutating func checkThresholds(_ delivery: DeliveryPipelineConfig, file: String) {
        let reader = readText(file).map { YAMLConfigReader(text: $0, file: file) }
        for pipeline in nightly {
            let rules = pipeline.flagRules.absenteeism
            let pairs = [
                ("chronic_threshold", delivery.listOptions.chronicThreshold, rules.chronicThreshold),
                ("at_risk_threshold", delivery.listOptions.atRiskThreshold, rules.atRiskThreshold),
            ]
            for (key, listed, derived) in pairs where abs(listed - derived) > 1e-9 {
                add(
                    ConfigProblem(
                        file: file, keyPath: "list.\(key)",
                        at: reader?.position(ofKeyPath: "list.\(key)") ?? reader?.position(of: reader?.root),
                        message: "\(listed) differs from flags.absenteeism.\(key) \(derived) in \(pipeline.file); "
                            + "the list must use the threshold the nightly flags are tiered with"))
            }
        }
    }

    // MARK: Helpers

    private mutating func add(_ problem: ConfigProblem) { add([problem]) }

    /// Adds problems not reported yet; files under the working directory are named relative to it, so a file
    /// reached by two routes (the folder listing, a pipeline's resolved path) is reported once.
    private mutating func add(_ more: [ConfigProblem]) {
        for var p in more {
            p.file = relative(p.file)
            if seenProblems.insert(p).inserted { problems.append(p) }
        }
    }

    /// `file` relative to the working directory when it is under it, else as given.
    private func relative(_ file: String) -> String {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path + "/"
        let absolute = Self.standardized(file)
        return absolute.hasPrefix(cwd) ? String(absolute.dropFirst(cwd.count)) : file
    }

    private static func standardized(_ file: String) -> String { URL(fileURLWithPath: file).standardizedFileURL.path }

    private mutating func readText(_ file: String) -> String? {
        do {
            return try ConfigError.text(ofFile: file)
        } catch {
            add(error.problems)
            return nil
        }
    }

    private mutating func yamlFiles(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            add(ConfigProblem(file: dir, keyPath: "", message: "cannot list the folder"))
            return []
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(dir)/\($0)" }
    }
}
